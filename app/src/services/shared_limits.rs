//! The limits every node on the database shares (decisions.md › Several nodes): failed admin
//! sign-ins per email and per address, the per-address limits of the identity API and of admin
//! forgot-password, and the per-address limit of the costly public routes.
//!
//! Each check first asks this node's bounded in-memory limiter (`throttle`, `edge_limit`), which
//! stops a flood before it reaches the database; what it lets through is then counted in
//! `limit_counters` by one single-statement upsert, so an email's or an address's budget is the
//! same whether its requests reach one node or several. A shared window opens at its first hit and
//! lasts the limit's window. Rows hold `<limit>:<sha256 of the subject>`, never an email or an
//! address, and are purged once their window has ended (`run_purge`, once across nodes).
//!
//! The per-API-key budgets are shared too, by chunked leases (`rate_limit`).

use crate::error::AppError;
use crate::services::{Services, edge_limit, jobs, throttle, tokens};
use crate::store::{self, limits};
use std::time::Duration;

/// How often expired counters and full buckets are deleted.
pub const PURGE_EVERY: Duration = Duration::from_secs(60);

/// The per-address window of the costly public routes.
const EDGE_WINDOW_MS: i64 = 60_000;

fn key(limit: &str, subject: &str) -> String {
    format!("{limit}:{}", tokens::digest(subject))
}

fn wait_secs(until_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((until_ms - now_ms + 999) / 1000)
        .unwrap_or(1)
        .max(1)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn window_ms(window: time::Duration) -> i64 {
    i64::try_from(window.whole_milliseconds()).unwrap_or(i64::MAX)
}

/// Seconds until `key`'s shared window has room for another hit, if it holds `limit` already.
async fn shared_wait(
    s: &Services,
    key: &str,
    limit: usize,
    now_ms: i64,
) -> Result<Option<u64>, AppError> {
    Ok(limits::window(s.db.reader(), key, now_ms)
        .await?
        .filter(|(hits, _)| *hits >= count(limit))
        .map(|(_, until_ms)| wait_secs(until_ms, now_ms)))
}

/// Counts a hit of `key` unless its window is full; the wait when it is.
async fn shared_take(
    s: &Services,
    key: &str,
    limit: usize,
    window_ms: i64,
    now_ms: i64,
) -> Result<Option<u64>, AppError> {
    let pool = s.db.writer();
    if limits::hit_below(pool, key, now_ms, window_ms, count(limit))
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let until_ms = limits::window(pool, key, now_ms)
        .await?
        .map_or(now_ms, |(_, until)| until);
    Ok(Some(wait_secs(until_ms, now_ms)))
}

fn sign_in_keys(email: &str, address: Option<&str>) -> [(String, usize); 2] {
    [
        (
            key("admin_sign_in_email", email),
            throttle::MAX_FAILURES_PER_EMAIL,
        ),
        (
            key("admin_sign_in_address", address.unwrap_or("unknown")),
            throttle::MAX_FAILURES_PER_ADDRESS,
        ),
    ]
}

/// Seconds before another admin sign-in attempt for `email` from `address` is accepted, if any.
pub async fn sign_in_retry_after(
    s: &Services,
    email: &str,
    address: Option<&str>,
) -> Result<Option<u64>, AppError> {
    let now = s.now();
    if let Some(wait) = s.throttle.retry_after(email, address, now) {
        return Ok(Some(wait));
    }
    let now_ms = store::ms(now);
    let mut wait: Option<u64> = None;
    for (key, limit) in sign_in_keys(email, address) {
        if let Some(w) = shared_wait(s, &key, limit, now_ms).await? {
            wait = Some(wait.map_or(w, |v| v.max(w)));
        }
    }
    if wait.is_some() {
        metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "admin_sign_in")
            .increment(1);
    }
    Ok(wait)
}

/// Counts a failed admin sign-in for `email` and for `address`.
pub async fn sign_in_failed(
    s: &Services,
    email: &str,
    address: Option<&str>,
) -> Result<(), AppError> {
    let now = s.now();
    s.throttle.record_failure(email, address, now);
    let window = window_ms(throttle::WINDOW);
    for (key, _) in sign_in_keys(email, address) {
        limits::hit(s.db.writer(), &key, store::ms(now), window).await?;
    }
    Ok(())
}

/// A successful sign-in (or a new password) clears the email's failures on every node.
pub async fn sign_in_succeeded(s: &Services, email: &str) -> Result<(), AppError> {
    s.throttle.record_success(email);
    let [(email_key, _), _] = sign_in_keys(email, None);
    limits::clear(s.db.writer(), &email_key).await
}

/// Seconds until `subject` may try again under `limiter`, if it is over its limit now.
pub async fn retry_after(
    s: &Services,
    limiter: &throttle::AddressLimiter,
    subject: &str,
) -> Result<Option<u64>, AppError> {
    let now = s.now();
    if let Some(wait) = limiter.retry_after(subject, now) {
        return Ok(Some(wait));
    }
    let wait = shared_wait(
        s,
        &key(limiter.name(), subject),
        limiter.limit(),
        store::ms(now),
    )
    .await?;
    Ok(counted_refusal(wait))
}

/// `wait`, with a refusal counted in the rejections metric.
fn counted_refusal(wait: Option<u64>) -> Option<u64> {
    if wait.is_some() {
        metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "identity_address")
            .increment(1);
    }
    wait
}

/// Counts one attempt of `subject` under `limiter`.
pub async fn record(
    s: &Services,
    limiter: &throttle::AddressLimiter,
    subject: &str,
) -> Result<(), AppError> {
    let now = s.now();
    limiter.record(subject, now);
    limits::hit(
        s.db.writer(),
        &key(limiter.name(), subject),
        store::ms(now),
        window_ms(limiter.window()),
    )
    .await
}

/// `retry_after`, and counting the attempt when it is allowed: for limits on every request.
pub async fn take(
    s: &Services,
    limiter: &throttle::AddressLimiter,
    subject: &str,
) -> Result<Option<u64>, AppError> {
    let now = s.now();
    if let Some(wait) = limiter.take(subject, now) {
        return Ok(Some(wait));
    }
    let wait = shared_take(
        s,
        &key(limiter.name(), subject),
        limiter.limit(),
        window_ms(limiter.window()),
        store::ms(now),
    )
    .await?;
    Ok(counted_refusal(wait))
}

/// Takes one costly public request of `address` (`server::edge::LIMITED_PATHS`): this node's
/// GCRA first, then the address's shared count of `per_minute` a minute.
pub async fn edge_take(s: &Services, address: Option<&str>) -> Result<(), AppError> {
    s.edge_limit.take(address)?;
    let subject = edge_limit::key_of(address);
    let limit = usize::try_from(s.edge_limit.per_minute()).unwrap_or(usize::MAX);
    let now_ms = store::ms(s.now());
    match shared_take(s, &key("edge", &subject), limit, EDGE_WINDOW_MS, now_ms).await? {
        None => Ok(()),
        Some(retry_after_secs) => {
            metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "address")
                .increment(1);
            Err(AppError::TooManyRequests { retry_after_secs })
        }
    }
}

/// Deletes expired counters and full buckets.
pub async fn purge(s: &Services) -> Result<u64, AppError> {
    let now = s.now();
    let now_ns = i64::try_from(now.unix_timestamp_nanos()).unwrap_or(i64::MAX);
    limits::purge(s.db.writer(), store::ms(now), now_ns).await
}

/// Runs `purge` every `PURGE_EVERY` on one node at a time, for the life of the process.
pub async fn run_purge(s: Services) {
    jobs::run_every(s, jobs::LIMIT_PURGE, PURGE_EVERY, |s| async move {
        purge(&s).await
    })
    .await;
}
