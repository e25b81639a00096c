//! Idempotency records of API requests (`Idempotency-Key`).

use crate::error::AppError;
use crate::store::{Tx, insert_unique};

#[derive(sqlx::FromRow)]
pub struct Record {
    pub request_hash: String,
    /// 0 while the first request is still being processed.
    pub status: i64,
    pub body: Option<String>,
    #[sqlx(rename = "created_at")]
    pub created_ms: i64,
    /// Until when the request processing it holds the claim.
    #[sqlx(rename = "lease_until")]
    pub lease_until_ms: i64,
}

/// Who holds a claim (a token of the running request) and until when.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until_ms: i64,
}

/// Claims the key for a request; `Ok(false)` when a record already exists.
pub async fn claim(
    tx: &mut Tx,
    account_id: &str,
    api_key_id: &str,
    idem_key: &str,
    request_hash: &str,
    lease: Lease<'_>,
    now_ms: i64,
) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO idempotency_records (account_id, api_key_id, idem_key, request_hash, created_at, \
           lease_owner, lease_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(api_key_id)
    .bind(idem_key)
    .bind(request_hash)
    .bind(now_ms)
    .bind(lease.owner)
    .bind(lease.until_ms);
    insert_unique(tx, insert).await
}

pub async fn find(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
) -> Result<Option<Record>, AppError> {
    Ok(sqlx::query_as(
        "SELECT request_hash, status, body, created_at, lease_until FROM idempotency_records \
         WHERE api_key_id = $1 AND idem_key = $2",
    )
    .bind(api_key_id)
    .bind(idem_key)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn forget(tx: &mut Tx, api_key_id: &str, idem_key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM idempotency_records WHERE api_key_id = $1 AND idem_key = $2")
        .bind(api_key_id)
        .bind(idem_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives an unfinished claim whose lease ran out (at `now_ms`) to a new request; `Ok(false)` when
/// it is finished, or still (or again: a concurrent replay won) held.
pub async fn take_over(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
    lease: Lease<'_>,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE idempotency_records SET lease_owner = $1, lease_until = $2 \
         WHERE api_key_id = $3 AND idem_key = $4 AND status = 0 AND lease_until <= $5",
    )
    .bind(lease.owner)
    .bind(lease.until_ms)
    .bind(api_key_id)
    .bind(idem_key)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Extends the holder's lease; `Ok(false)` when it no longer holds the claim.
pub async fn renew(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
    lease: Lease<'_>,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE idempotency_records SET lease_until = $1 \
         WHERE api_key_id = $2 AND idem_key = $3 AND lease_owner = $4 AND status = 0",
    )
    .bind(lease.until_ms)
    .bind(api_key_id)
    .bind(idem_key)
    .bind(lease.owner)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Stores the answer of the claim's holder; `Ok(false)` when another request took the claim over
/// meanwhile (its answer is the one replays get).
pub async fn complete(
    tx: &mut Tx,
    api_key_id: &str,
    idem_key: &str,
    owner: &str,
    status: u16,
    body: &str,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE idempotency_records SET status = $1, body = $2 \
         WHERE api_key_id = $3 AND idem_key = $4 AND lease_owner = $5 AND status = 0",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(api_key_id)
    .bind(idem_key)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes up to `limit` records created at or before `created_until_ms`, oldest first.
pub async fn delete_expired(
    tx: &mut Tx,
    created_until_ms: i64,
    limit: i64,
) -> Result<u64, AppError> {
    let result = sqlx::query(
        "DELETE FROM idempotency_records WHERE (api_key_id, idem_key) IN \
           (SELECT api_key_id, idem_key FROM idempotency_records WHERE created_at <= $1 \
            ORDER BY created_at LIMIT $2)",
    )
    .bind(created_until_ms)
    .bind(limit)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected())
}
