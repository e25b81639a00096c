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
pub async fn commit(s: &Services, tx: Tx, events: Vec<Event>) -> Result<(), AppError> {
    commit_each(s, tx, vec![events]).await
}

/// Appends the events of several operations written in one transaction (a bulk create's rows),
/// each group under its own correlation id, as if each had committed on its own.
pub async fn append_each(s: &Services, tx: &mut Tx, groups: &[Vec<Event>]) -> Result<(), AppError> {
    let now = store::ms(s.now());
    let mut ids = Vec::with_capacity(groups.iter().map(Vec::len).sum());
    for group in groups {
        let correlation_id = s.new_id();
        for event in group {
            ids.push((s.new_id(), event, correlation_id.clone()));
        }
    }
    let rows: Vec<(&str, &Event, &str)> = ids
        .iter()
        .map(|(id, event, correlation_id)| (id.as_str(), *event, correlation_id.as_str()))
        .collect();
    store::audit::insert_rows(tx, &rows, now).await
}

/// `commit` for the operations of `append_each`.
pub async fn commit_each(
    s: &Services,
    mut tx: Tx,
    groups: Vec<Vec<Event>>,
) -> Result<(), AppError> {
    let mut accounts: Vec<String> = groups
        .iter()
        .flatten()
        .map(|e| e.account_id.clone())
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    append_each(s, &mut tx, &groups).await?;
    tx.commit().await?;
    // After the commit, never before: a snapshot loaded in between must not outlive the write.
    for account_id in &accounts {
        s.access_cache.invalidate(account_id);
    }
    // Any email the write queued is now visible to the delivery worker.
    s.mail_wake.notify_one();
    Ok(())
}
