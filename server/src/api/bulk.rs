//! The bulk answer (decisions.md › Envelopes): `{summary, results: [{index, status, code,
//! data | error}]}`, 200 when every row succeeded and 207 otherwise.

use crate::envelope::ErrorBody;
use app::error::AppError;
use axum::Json;
use http::StatusCode;
use serde::Serialize;

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
            },
            results: rows,
        }),
    )
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
