//! Bulk operations answer row by row.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The most rows one bulk request takes (more → 400 before anything is written).
pub const BULK_MAX: usize = 200;

/// The row-count rule of every bulk request: 1 to `BULK_MAX` rows, checked before anything runs.
pub fn count_rule(field: &str, rows: usize) -> Result<(), AppError> {
    if rows == 0 || rows > BULK_MAX {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            field,
            "count",
            format!("Send 1 to {BULK_MAX} rows; this request has {rows}."),
        )]));
    }
    Ok(())
}

/// What happened to one row of a bulk request (`index` is its place in the request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult<T> {
    pub index: usize,
    pub outcome: Result<T, AppError>,
}

impl<T> RowResult<T> {
    pub fn from_results(results: Vec<Result<T, AppError>>) -> Vec<RowResult<T>> {
        results
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| RowResult { index, outcome })
            .collect()
    }
}
