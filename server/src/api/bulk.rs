//! The bulk answer (decisions.md › Envelopes): `{summary, results: [{index, status, code,
//! data | error}]}`, 200 when every row succeeded and 207 otherwise.

use app::error::{AppError, FieldError};
use app::model::BULK_MAX;
use axum::Json;
use http::StatusCode;
use serde::Serialize;

#[derive(Serialize)]
pub struct Row<T> {
    index: usize,
    status: &'static str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

#[derive(Serialize)]
pub struct Bulk<T> {
    summary: serde_json::Value,
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
                status: "success",
                code: success,
                data: Some(data),
                error: None,
            },
            Err(error) => Row {
                index,
                status: "error",
                code: error.code(),
                data: None,
                error: Some(crate::envelope::error_body(&error)),
            },
        })
        .collect();
    let failed = rows.iter().filter(|r| r.status == "error").count();
    let status = if failed == 0 {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    (
        status,
        Json(Bulk {
            summary: serde_json::json!({ "total": total, "succeeded": total - failed, "failed": failed }),
            results: rows,
        }),
    )
}

/// The row-count rule of every bulk request: 1 to `BULK_MAX` rows, checked before anything runs.
pub fn count_rule(field: &str, rows: usize) -> Result<(), AppError> {
    if rows == 0 || rows > BULK_MAX {
        return Err(AppError::validation(vec![FieldError::new(
            field,
            "count",
            format!("Send 1 to {BULK_MAX} rows; this request has {rows}."),
        )]));
    }
    Ok(())
}
