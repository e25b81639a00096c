//! Audit events, appended inside the transaction of the write they describe.

use crate::error::AppError;
use crate::services::Services;
use crate::store::{self, Tx};

// The record's shape belongs to the audit store; services build it through these names.
pub use crate::store::audit::{Actor, Event};

/// Appends `event` in `tx`, stamped with `now` and the transaction's correlation id.
pub async fn record(
    tx: &mut Tx,
    id: String,
    now: time::OffsetDateTime,
    correlation_id: &str,
    event: Event,
) -> Result<(), AppError> {
    store::audit::insert(tx, &id, store::ms(now), correlation_id, &event).await
}

/// Appends `events` (one correlation id for the operation), commits `tx` and invalidates the
/// evaluation snapshots of the accounts written to: the end of every service write.
pub async fn commit(s: &Services, mut tx: Tx, events: Vec<Event>) -> Result<(), AppError> {
    let now = s.now();
    let correlation_id = s.new_id();
    let mut accounts: Vec<String> = events.iter().map(|e| e.account_id.clone()).collect();
    accounts.dedup();
    let rows: Vec<(String, &Event)> = events.iter().map(|e| (s.new_id(), e)).collect();
    store::audit::insert_many(&mut tx, &rows, store::ms(now), &correlation_id).await?;
    tx.commit().await?;
    // After the commit, never before: a snapshot loaded in between must not outlive the write.
    for account_id in &accounts {
        s.access_cache.invalidate(account_id);
    }
    // Any email the write queued is now visible to the delivery worker.
    s.mail_wake.notify_one();
    Ok(())
}
