//! Audit events, appended inside the transaction of the write they describe.

use crate::error::AppError;
use crate::services::{Services, access_journal};
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

/// Appends `events` (one correlation id for the operation), journals what they changed for
/// evaluation (`access_journal`), commits `tx` and tells this process's evaluation cache: the end
/// of every service write.
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
    append_each(s, &mut tx, &groups).await?;
    commit_appended(s, tx, &groups).await
}

/// The commit of `commit_each` for events already appended (a batch's rows, each as it ended).
pub async fn commit_appended(
    s: &Services,
    mut tx: Tx,
    groups: &[Vec<Event>],
) -> Result<(), AppError> {
    // Last before the commit: the account's head row stays locked only for the commit itself.
    let entries = access_journal::entries_of(groups.iter().flatten());
    let heads = access_journal::record(s, &mut tx, &entries).await?;
    tx.commit().await?;
    // After the commit, never before: a snapshot read in between is tagged with an older seq and
    // so is not served once this one is known.
    for (account_id, head) in &heads {
        s.access_cache.advance(account_id, *head);
    }
    // Any email the write queued is now visible to the delivery worker.
    s.mail_wake.notify_one();
    Ok(())
}
