//! Audit events, appended inside the transaction of the write they describe.

use crate::error::AppError;
use crate::services::{Services, access_journal};
use crate::store::batch::{Batch, OneTrip};
use crate::store::{self, Tx};
use sqlx::any::AnyRow;
use sqlx::error::ErrorKind;

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
    commit_each_after(s, tx, Batch::default(), vec![events]).await
}

/// Appends the events of several operations written in one transaction (a bulk create's rows),
/// each group under its own correlation id, as if each had committed on its own.
pub async fn append_each(s: &Services, tx: &mut Tx, groups: &[Vec<Event>]) -> Result<(), AppError> {
    let rows = rows_of(s, groups);
    store::audit::insert_rows(tx, &as_refs(&rows), store::ms(s.now())).await
}

/// `commit` for the operations of `append_each`, with `writes` (the operations' own rows that
/// nothing reads back before the commit) sent first, in the same trip as the bookkeeping.
pub async fn commit_each_after(
    s: &Services,
    tx: Tx,
    writes: Batch<'_>,
    groups: Vec<Vec<Event>>,
) -> Result<(), AppError> {
    let rows = rows_of(s, &groups);
    commit_with(s, tx, writes, &groups, &as_refs(&rows)).await
}

/// The commit of `commit_each_after` for events already appended (a batch's rows, each as it
/// ended).
pub async fn commit_appended(s: &Services, tx: Tx, groups: &[Vec<Event>]) -> Result<(), AppError> {
    commit_with(s, tx, Batch::default(), groups, &[]).await
}

/// Each event with its id and its group's correlation id.
fn rows_of<'e>(s: &Services, groups: &'e [Vec<Event>]) -> Vec<(String, &'e Event, String)> {
    let mut rows = Vec::with_capacity(groups.iter().map(Vec::len).sum());
    for group in groups {
        let correlation_id = s.new_id();
        for event in group {
            rows.push((s.new_id(), event, correlation_id.clone()));
        }
    }
    rows
}

fn as_refs<'r>(rows: &'r [(String, &'r Event, String)]) -> Vec<(&'r str, &'r Event, &'r str)> {
    rows.iter()
        .map(|(id, event, correlation_id)| (id.as_str(), *event, correlation_id.as_str()))
        .collect()
}

/// Runs `batch` (writes nothing reads back), appends `unwritten` (the events of `groups` not yet
/// in `tx`), journals what `groups` changed for evaluation, and commits: all but the commit
/// travel as one batch.
async fn commit_with(
    s: &Services,
    mut tx: Tx,
    mut batch: Batch<'_>,
    groups: &[Vec<Event>],
    unwritten: &[(&str, &Event, &str)],
) -> Result<(), AppError> {
    let entries = access_journal::entries_of(groups.iter().flatten());
    push_bookkeeping(s, &mut batch, &tx, unwritten, &entries);
    let rows = batch.run(&mut tx).await?;
    let heads = access_journal::heads_taken(&entries, &rows)?;
    tx.commit().await?;
    committed(s, &heads);
    Ok(())
}

/// A whole write in one trip (`OneTrip`): `writes` (its rows, none read back before the
/// commit), the events of `groups`, the journal and the commit. Answers the rows `writes`
/// returned; `Ok(None)` when a constraint refused a row (a unique key taken, a referenced row
/// gone, a checked reference that came back NULL): nothing was kept, and the caller finds out
/// which the way a transaction would.
pub async fn write_in_one_trip(
    s: &Services,
    trip: OneTrip,
    mut writes: Batch<'_>,
    groups: Vec<Vec<Event>>,
) -> Result<Option<Vec<AnyRow>>, AppError> {
    let rows = rows_of(s, &groups);
    let entries = access_journal::entries_of(groups.iter().flatten());
    push_bookkeeping(s, &mut writes, trip.conn(), &as_refs(&rows), &entries);
    let mut answer = match trip.commit_with(writes).await {
        Ok(answer) => answer,
        Err(sqlx::Error::Database(e))
            if matches!(
                e.kind(),
                ErrorKind::UniqueViolation
                    | ErrorKind::ForeignKeyViolation
                    | ErrorKind::NotNullViolation
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let heads = access_journal::heads_taken(&entries, &answer)?;
    answer.truncate(answer.len() - heads.len());
    committed(s, &heads);
    Ok(Some(answer))
}

/// The end of every write's batch: its audit rows (`unwritten`), then the journal.
fn push_bookkeeping<'q>(
    s: &Services,
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    unwritten: &[(&'q str, &'q Event, &'q str)],
    entries: &'q std::collections::BTreeMap<String, Vec<access_journal::Entry>>,
) {
    let now_ms = store::ms(s.now());
    store::audit::push_rows(batch, conn, unwritten, now_ms);
    // Last before the commit: the account's head row stays locked only for the commit itself.
    access_journal::push(batch, conn, entries, now_ms);
}

/// What follows every commit in this process.
fn committed(s: &Services, heads: &[(String, store::access::Head)]) {
    // After the commit, never before: a snapshot read in between is tagged with an older seq and
    // so is not served once this one is known.
    for (account_id, head) in heads {
        s.access_cache.advance(account_id, *head);
    }
    // Any email the write queued is now visible to the delivery worker.
    s.mail_wake.notify_one();
}
