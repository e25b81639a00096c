//! What every handler takes: the calling key, and a JSON body whose rejections are our errors.

use app::error::AppError;
use app::services::Services;
use app::services::api_keys::{self, ApiPrincipal};
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

/// The API key behind the request (`X-API-Key`), authenticated.
pub struct Key(pub ApiPrincipal);

impl FromRequestParts<Services> for Key {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get("x-api-key")
            .map(|v| v.to_str().map_err(|_| AppError::ApiKeyInvalid))
            .transpose()?;
        let principal = api_keys::authenticate(s, header).await?;
        s.api_rate
            .take(&principal.key_id, app::store::ms(s.now()))?;
        tracing::info!(api_key = %principal.key_id, "api request");
        Ok(Key(principal))
    }
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
