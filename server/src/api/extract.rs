//! What every handler takes: the calling key, and a JSON body whose rejections are our errors.

use app::error::AppError;
use app::services::Services;
use app::services::api_keys;
use app::services::caller::{Caller, Principal};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

/// A failure of an API request; rendered as the JSON envelope.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

/// The caller behind the request's API key (`X-API-Key`), authenticated and within its rate.
pub struct Key(pub Caller);

impl FromRequestParts<Services> for Key {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        Ok(Key(keyed(parts, s, &s.api_rate, "api_key").await?))
    }
}

/// `Key` for the evaluation endpoints: counted against the key's evaluation budget
/// (`ARBOR_EVALUATE_RATE_LIMIT`), not the general one.
pub struct EvaluateKey(pub Caller);

impl FromRequestParts<Services> for EvaluateKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        Ok(EvaluateKey(
            keyed(parts, s, &s.evaluate_rate, "evaluate").await?,
        ))
    }
}

/// The request's key, authenticated, with one token taken from `budget` (`limit` names it in the
/// rejection metric).
async fn keyed(
    parts: &Parts,
    s: &Services,
    budget: &app::services::rate_limit::RateLimiter,
    limit: &'static str,
) -> Result<Caller, AppError> {
    let header = parts
        .headers
        .get("x-api-key")
        .map(|v| v.to_str().map_err(|_| AppError::ApiKeyInvalid))
        .transpose()?;
    let caller = api_keys::authenticate(s, header).await?;
    if let Principal::ApiKey { key_id, .. } = caller.principal() {
        budget.take(&s.db, key_id, s.now()).await.inspect_err(|_| {
            metrics::counter!("arbor_rate_limit_rejections_total", "limit" => limit).increment(1);
        })?;
        tracing::info!(api_key = %key_id, "api request");
    }
    Ok(caller)
}

/// A JSON body. Malformed JSON, wrong types, unknown fields and a wrong content type are 400
/// `request.malformed` with the parser's explanation; an oversized body is 413.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Services> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, s: &Services) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, s).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError(rejected(&rejection))),
        }
    }
}

fn rejected(rejection: &JsonRejection) -> AppError {
    if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge {
            limit_bytes: super::BODY_LIMIT_BYTES as u64,
        };
    }
    AppError::BadRequest {
        detail: rejection.body_text(),
    }
}
