//! The bulk answer (decisions.md › Envelopes): `{summary, results: [{index, status, code,
//! data | error}]}`, 200 when every row succeeded and 207 otherwise.

use super::extract::ApiError;
use crate::envelope::ErrorBody;
use app::error::AppError;
use app::services::rows::Mode;
use app::services::{Caller, Services, idempotency};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Query};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;

#[derive(Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Success,
    Error,
}

/// One request row's outcome: `data` on success, `error` (the envelope's inner object) otherwise.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Row<T> {
    /// The row's place in the request, from 0.
    index: usize,
    status: RowStatus,
    /// The success code (e.g. `identities.created`) or the error's code.
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    data: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<ErrorBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkSummary {
    total: usize,
    succeeded: usize,
    failed: usize,
    /// `true` when the request was a dry run (`?dry_run=true`): the verdicts are what a real run
    /// would answer now, and nothing was written. Absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(nullable = false)]
    dry_run: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Bulk<T> {
    summary: BulkSummary,
    /// One per request row, in request order.
    results: Vec<Row<T>>,
}

/// One result per request row, in order, as the bulk envelope.
pub fn bulk<T: Serialize>(
    results: Vec<Result<T, AppError>>,
    success: &'static str,
) -> (StatusCode, Json<Bulk<T>>) {
    bulk_in(results, success, Mode::Real)
}

/// `bulk` for a run in `mode` (a dry run's summary says so).
pub fn bulk_in<T: Serialize>(
    results: Vec<Result<T, AppError>>,
    success: &'static str,
    mode: Mode,
) -> (StatusCode, Json<Bulk<T>>) {
    let total = results.len();
    let rows: Vec<Row<T>> = results
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| match outcome {
            Ok(data) => Row {
                index,
                status: RowStatus::Success,
                code: success,
                data: Some(data),
                error: None,
            },
            Err(error) => Row {
                index,
                status: RowStatus::Error,
                code: error.code(),
                data: None,
                error: Some(crate::envelope::error_body(&error)),
            },
        })
        .collect();
    let failed = rows.iter().filter(|r| r.status == RowStatus::Error).count();
    let status = if failed == 0 {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    (
        status,
        Json(Bulk {
            summary: BulkSummary {
                total,
                succeeded: total - failed,
                failed,
                dry_run: mode.is_dry(),
            },
            results: rows,
        }),
    )
}

/// A finished batch as the answer's status and JSON text (what an idempotent replay returns).
pub fn answer<T: Serialize>(
    results: Vec<Result<T, AppError>>,
    success: &'static str,
    mode: Mode,
) -> Result<(u16, String), AppError> {
    let (status, Json(answer)) = bulk_in(results, success, mode);
    let body = serde_json::to_string(&answer).map_err(|e| AppError::internal("bulk", e))?;
    Ok((status.as_u16(), body))
}

/// The recorder of a bulk write's answer: the service's rows `R` shown as `T` in the envelope
/// (`answer`), stored with the rows when the request holds a `claim`.
pub fn recorder<R, T>(
    claim: Option<idempotency::Claim>,
    success: &'static str,
    mode: Mode,
) -> idempotency::Recorder<R>
where
    R: Clone + 'static,
    T: Serialize + From<R>,
{
    idempotency::Recorder::new(
        claim,
        Box::new(move |results: &[Result<R, AppError>]| {
            let rows = results.iter().map(|row| row.clone().map(T::from)).collect();
            answer::<T>(rows, success, mode)
        }),
    )
}

/// The life of a bulk request with an optional `Idempotency-Key`: the raw body is parsed as `T`
/// and its row count checked (`rows`) before anything is claimed; a key's first request runs
/// `batch` detached — a client that times out does not cut it off half-way — and `batch` stores
/// its answer with its rows, in their one transaction (it gives the claim to its `recorder`);
/// a repeat within 24 h gets that answer (`Idempotent-Replayed: true`). The
/// handler checks the operation's permission before calling this, so a refused caller claims
/// nothing; the service checks it again as the rule of the operation. A dry run claims nothing and
/// stores nothing: its `Idempotency-Key`, if any, is ignored (a dry run is safe to repeat).
pub async fn idempotent<T, F, Fut>(
    s: &Services,
    caller: &Caller,
    mode: Mode,
    headers: &http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
    rows: impl FnOnce(&T) -> Result<(), AppError>,
    batch: F,
) -> Result<Response, ApiError>
where
    T: DeserializeOwned,
    F: FnOnce(T, Option<idempotency::Claim>) -> Fut,
    Fut: Future<Output = Result<(u16, String), AppError>> + Send + 'static,
{
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                limit_bytes: super::BODY_LIMIT_BYTES as u64,
            }
        } else {
            AppError::BadRequest {
                detail: rejection.body_text(),
            }
        }
    })?;
    let request: T = serde_json::from_slice(&bytes).map_err(|e| AppError::BadRequest {
        detail: e.to_string(),
    })?;
    rows(&request)?;
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| AppError::BadRequest {
            detail: "Idempotency-Key must be visible ASCII".to_owned(),
        })?;
    let claim = match &idempotency_key {
        _ if mode.is_dry() => None,
        None => None,
        Some(idem) => {
            let hash = app::services::tokens::digest(&String::from_utf8_lossy(&bytes));
            match idempotency::begin(s, caller, idem, &hash).await? {
                idempotency::Begin::Fresh(claim) => Some(claim),
                idempotency::Begin::Replay { status, body } => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    let mut response = (
                        status,
                        [(http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                        .into_response();
                    response.headers_mut().insert(
                        "idempotent-replayed",
                        http::HeaderValue::from_static("true"),
                    );
                    return Ok(response);
                }
            }
        }
    };
    let (status, body) =
        idempotency::run_detached(s, claim, move |claim| batch(request, claim)).await?;
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        [(http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The `data` of a successful removal row: always `null` (the id is in the request).
#[derive(Serialize)]
pub struct Removed;

impl utoipa::PartialSchema for Removed {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Null)
            .description(Some("Always `null`: the row's id is in the request."))
            .into()
    }
}

impl utoipa::ToSchema for Removed {}

/// `?dry_run=` of the bulk-create endpoints; anything else in the query is refused.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DryRunQuery {
    /// `true`: run every row as a real run would, answer its verdict, and write nothing (no
    /// resource, audit event, email or idempotency record; an `Idempotency-Key` is ignored).
    /// Ids in a dry run's answer are provisional and never exist.
    #[serde(default)]
    #[param(default = false, example = true)]
    dry_run: bool,
}

/// The run mode a bulk request asked for.
pub struct DryRun(pub Mode);

impl FromRequestParts<Services> for DryRun {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<DryRunQuery>::from_request_parts(parts, s)
            .await
            .map_err(|e| AppError::BadRequest {
                detail: e.body_text(),
            })?;
        Ok(DryRun(Mode::from_flag(query.dry_run)))
    }
}
