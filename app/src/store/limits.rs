//! Shared limits and job leases (`limit_counters`, `rate_buckets`, `job_leases`): what several
//! Arbor nodes on one database agree on. Every write is one upsert whose `WHERE` decides, so two
//! nodes racing on one key cannot both pass a check the other's write already failed (decisions.md
//! › Several nodes). No GREATEST/LEAST: the same SQL runs on SQLite and PostgreSQL.

use crate::error::AppError;
use sqlx::AnyPool;

/// The window that opens at the first hit: a new one when the old has expired at `$2`.
const OPENS: &str = "limit_counters.expires_at <= $2";

/// Counts one hit of `key` at `now_ms` in a window of `window_ms` that opens at its first hit.
pub async fn hit(pool: &AnyPool, key: &str, now_ms: i64, window_ms: i64) -> Result<(), AppError> {
    sqlx::query(&format!(
        "INSERT INTO limit_counters (key, window_start, hits, expires_at) VALUES ($1, $2, 1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE SET \
         hits = CASE WHEN {OPENS} THEN 1 ELSE limit_counters.hits + 1 END, \
         window_start = CASE WHEN {OPENS} THEN $2 ELSE limit_counters.window_start END, \
         expires_at = CASE WHEN {OPENS} THEN $2 + $3 ELSE limit_counters.expires_at END"
    ))
    .bind(key)
    .bind(now_ms)
    .bind(window_ms)
    .execute(pool)
    .await?;
    Ok(())
}

/// `hit` only while `key` has fewer than `limit` hits in its window: `None` when it is full, else
/// the hits now counted.
pub async fn hit_below(
    pool: &AnyPool,
    key: &str,
    now_ms: i64,
    window_ms: i64,
    limit: i64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO limit_counters (key, window_start, hits, expires_at) VALUES ($1, $2, 1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE SET \
         hits = CASE WHEN {OPENS} THEN 1 ELSE limit_counters.hits + 1 END, \
         window_start = CASE WHEN {OPENS} THEN $2 ELSE limit_counters.window_start END, \
         expires_at = CASE WHEN {OPENS} THEN $2 + $3 ELSE limit_counters.expires_at END \
         WHERE {OPENS} OR limit_counters.hits < $4 \
         RETURNING hits"
    ))
    .bind(key)
    .bind(now_ms)
    .bind(window_ms)
    .bind(limit)
    .fetch_optional(pool)
    .await?)
}

/// The hits of `key` in its live window and when that window ends; `None`: no live window.
pub async fn window(
    pool: &AnyPool,
    key: &str,
    now_ms: i64,
) -> Result<Option<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT hits, expires_at FROM limit_counters WHERE key = $1 AND expires_at > $2",
    )
    .bind(key)
    .bind(now_ms)
    .fetch_optional(pool)
    .await?)
}

/// Forgets `key`'s hits (a successful sign-in clears its email's failures).
pub async fn clear(pool: &AnyPool, key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM limit_counters WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// A bucket's starting point: its theoretical arrival time, or now when that has passed (full).
const BASE: &str = "(CASE WHEN rate_buckets.tat_ns > $2 THEN rate_buckets.tat_ns ELSE $2 END)";

/// Leases up to `chunk` tokens of `key`'s bucket (GCRA: a token every `spacing_ns`, at most
/// `window_ns / spacing_ns` at once) at `now_ns`. Answers how many were granted (≥ 1), or `None`
/// when not one is left. A bucket seen for the first time is full (`chunk` ≤ its capacity).
pub async fn lease(
    pool: &AnyPool,
    key: &str,
    now_ns: i64,
    spacing_ns: i64,
    window_ns: i64,
    chunk: i64,
) -> Result<Option<i64>, AppError> {
    let available = format!("(($2 + $4 - {BASE}) / $3)");
    let granted = format!("(CASE WHEN {available} < $5 THEN {available} ELSE $5 END)");
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO rate_buckets (key, tat_ns, granted) VALUES ($1, $2 + $5 * $3, $5) \
         ON CONFLICT (key) DO UPDATE SET granted = {granted}, tat_ns = {BASE} + {granted} * $3 \
         WHERE {available} >= 1 \
         RETURNING granted"
    ))
    .bind(key)
    .bind(now_ns)
    .bind(spacing_ns)
    .bind(window_ns)
    .bind(chunk)
    .fetch_optional(pool)
    .await?)
}

/// `key`'s theoretical arrival time (for a refused lease's wait).
pub async fn bucket_tat(pool: &AnyPool, key: &str) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT tat_ns FROM rate_buckets WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?,
    )
}

/// Deletes counters whose window has ended and buckets that are full again (both would answer
/// exactly as a missing row does). Answers how many rows went.
pub async fn purge(pool: &AnyPool, now_ms: i64, now_ns: i64) -> Result<u64, AppError> {
    let counters = sqlx::query("DELETE FROM limit_counters WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
    let buckets = sqlx::query("DELETE FROM rate_buckets WHERE tat_ns <= $1")
        .bind(now_ns)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(counters + buckets)
}

/// Takes `job`'s lease for `owner` until `until_ms` when nobody holds it at `now_ms`: the run
/// number when taken, `None` when another node holds it.
pub async fn claim_job(
    pool: &AnyPool,
    job: &str,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO job_leases (job, owner, lease_until, runs) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (job) DO UPDATE SET owner = $2, lease_until = $3, runs = job_leases.runs + 1 \
         WHERE job_leases.lease_until <= $4 \
         RETURNING runs",
    )
    .bind(job)
    .bind(owner)
    .bind(until_ms)
    .bind(now_ms)
    .fetch_optional(pool)
    .await?)
}
