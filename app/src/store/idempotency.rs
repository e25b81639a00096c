//! Idempotency records of API requests (`Idempotency-Key`).

use crate::error::AppError;
use crate::store::Tx;
use sqlx::Row;

pub struct Record {
    pub request_hash: String,
    /// 0 while the first request is still being processed.
    pub status: i64,
    pub body: Option<String>,
    pub created_ms: i64,
}

/// Claims the key for a request; `Ok(false)` when a record already exists.
pub async fn claim(
    tx: &mut Tx,
    account_id: &str,
    api_key_id: &str,
    idem_key: &str,
    request_hash: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "INSERT INTO idempotency_records (account_id, api_key_id, idem_key, request_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(api_key_id)
    .bind(idem_key)
    .bind(request_hash)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
) -> Result<Option<Record>, AppError> {
    let row = sqlx::query(
        "SELECT request_hash, status, body, created_at FROM idempotency_records \
         WHERE api_key_id = $1 AND idem_key = $2",
    )
    .bind(api_key_id)
    .bind(idem_key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|r| {
            Ok::<_, sqlx::Error>(Record {
                request_hash: r.try_get("request_hash")?,
                status: r.try_get("status")?,
                body: r.try_get("body")?,
                created_ms: r.try_get("created_at")?,
            })
        })
        .transpose()?)
}

pub async fn forget(tx: &mut Tx, api_key_id: &str, idem_key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM idempotency_records WHERE api_key_id = $1 AND idem_key = $2")
        .bind(api_key_id)
        .bind(idem_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn complete(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE idempotency_records SET status = $1, body = $2 WHERE api_key_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(api_key_id)
    .bind(idem_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
