//! `Idempotency-Key` for API requests that must not run twice (bulk create): the first request
//! with a key runs and its answer is stored; a replay within 24 hours gets that answer back
//! without running again; the same key with another body is refused (422); a replay while the
//! first is still running is told so (409).

use crate::error::{AppError, FieldError};
use crate::services::Caller;
use crate::services::Services;
use crate::store::{self, idempotency};

pub const KEY_MAX: usize = 255;
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

pub enum Begin {
    /// Run the request, then `finish`.
    Fresh,
    /// Answer with what the first request answered.
    Replay { status: u16, body: String },
}

fn check_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > KEY_MAX || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::validation(vec![FieldError::new(
            "Idempotency-Key",
            "invalid",
            format!("Use 1 to {KEY_MAX} visible ASCII characters, e.g. a UUID."),
        )]));
    }
    Ok(())
}

pub async fn begin(
    s: &Services,
    caller: &Caller,
    key: &str,
    request_hash: &str,
) -> Result<Begin, AppError> {
    check_key(key)?;
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let account = caller.account_id();
    let owner = caller.principal_id();
    if idempotency::claim(&mut tx, account, owner, key, request_hash, now_ms).await? {
        tx.commit().await?;
        return Ok(Begin::Fresh);
    }
    let Some(record) = idempotency::find(&mut tx, owner, key).await? else {
        return Err(AppError::IdempotencyInProgress);
    };
    if now_ms - record.created_ms >= KEEP_MS {
        // Expired: the key is free again.
        idempotency::forget(&mut tx, owner, key).await?;
        idempotency::claim(&mut tx, account, owner, key, request_hash, now_ms).await?;
        tx.commit().await?;
        return Ok(Begin::Fresh);
    }
    if record.request_hash != request_hash {
        return Err(AppError::IdempotencyKeyReused);
    }
    match (record.status, record.body) {
        (status, Some(body)) if status > 0 => Ok(Begin::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
        }),
        _ => Err(AppError::IdempotencyInProgress),
    }
}

/// Stores the answer of a `Fresh` request for its replays.
pub async fn finish(
    s: &Services,
    caller: &Caller,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    let mut tx = s.db.begin().await?;
    idempotency::complete(&mut tx, caller.principal_id(), key, status, body).await?;
    tx.commit().await?;
    Ok(())
}
