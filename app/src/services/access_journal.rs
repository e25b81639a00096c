//! The evaluation change journal: what each write changed for evaluation, written in the write's
//! own transaction, and how this process hears of other processes' writes.
//!
//! No write can forget it: `audit::commit` derives the entries from the write's audit events
//! ([`entries_of`]), so a write is journaled exactly when it is audited. Resource types that
//! cannot change an answer journal nothing; unknown ones journal a whole reload of the account's
//! environments (correct, only slower), so a new kind of write is never missed.
//!
//! Other processes on the same database (several nodes on one PostgreSQL, or `arbor` commands
//! beside a server on SQLite) learn of commits from [`run_sync`]: PostgreSQL `LISTEN/NOTIFY` (the
//! commit notifies `<account> <seq>`) and, as the fallback that needs no listener, a poll of
//! every account's head every `POLL`. Rate limits and sign-in throttles are shared through the
//! database too (`shared_limits`, `rate_limit`); the prune runs on one node at a time (`jobs`).

use crate::error::AppError;
use crate::services::audit::Event;
use crate::services::{Services, jobs};
use crate::store::batch::Batch;
use crate::store::{self, access as store_access};
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

pub use crate::store::access::{Entry, Head};

/// How often every account's head is read: bounds how late another process's write (an API key
/// revocation, a grant) reaches this one when no notification arrived.
pub const POLL: Duration = Duration::from_millis(500);
/// Journal rows are kept this long; a snapshot further behind is reloaded whole.
pub const KEEP: time::Duration = time::Duration::minutes(10);
/// Polls between two prunes.
const PRUNE_EVERY_POLLS: u32 = 120;

pub const IDENTITY: &str = "identity";
pub const STRUCTURE: &str = "structure";
pub const ENVIRONMENT: &str = "environment";
pub const KEY: &str = "key";

fn entry(kind: &str, environment_id: Option<&str>, identity_id: Option<&str>) -> Entry {
    Entry {
        kind: kind.to_owned(),
        environment_id: environment_id.map(str::to_owned),
        identity_id: identity_id.map(str::to_owned),
    }
}

/// What one audited change means for evaluation; `None`: nothing.
fn effect(event: &Event) -> Option<Entry> {
    let env = event.environment_id.as_deref();
    let named_identity = || {
        event
            .metadata
            .get("identity_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    match event.resource_type {
        // Status, profile, deletion: the identity's standing in every environment.
        "identity" => Some(match &event.resource_id {
            Some(id) => entry(IDENTITY, None, Some(id)),
            None => entry(ENVIRONMENT, None, None),
        }),
        // Memberships are per application: the identity in every environment.
        "app_membership" => Some(match named_identity() {
            Some(id) => entry(IDENTITY, None, Some(&id)),
            None => entry(ENVIRONMENT, None, None),
        }),
        "assignment" => Some(match named_identity() {
            Some(id) => entry(IDENTITY, env, Some(&id)),
            None => entry(ENVIRONMENT, env, None),
        }),
        "node" | "role" | "permission" => Some(entry(STRUCTURE, env, None)),
        "environment" | "application" => Some(entry(ENVIRONMENT, env, None)),
        // Nothing to re-read, but cached keys must notice (a revocation on another node).
        "api_key" => Some(entry(KEY, env, None)),
        // An accepted invite may change the identity it names (its email is confirmed): nothing
        // for evaluation, but the directory's stat cards are keyed on this head.
        "identity_invite" => named_identity().map(|id| entry(IDENTITY, None, Some(&id))),
        // Who administers, mail, the account's own record.
        "account" | "admin_user" | "admin_invite" | "outbox" => None,
        // A resource type this list does not know yet: reload rather than miss it.
        _ => Some(entry(ENVIRONMENT, None, None)),
    }
}

/// The journal entries of a write's audit events, per account (sorted: heads are locked in a
/// fixed order), without duplicates.
pub fn entries_of<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeMap<String, Vec<Entry>> {
    let mut by_account: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    // A bulk write audits hundreds of events: a set keeps finding duplicates linear in them.
    let mut seen: HashSet<(&str, Entry)> = HashSet::new();
    for event in events {
        if let Some(entry) = effect(event)
            && seen.insert((event.account_id.as_str(), entry.clone()))
        {
            by_account
                .entry(event.account_id.clone())
                .or_default()
                .push(entry);
        }
    }
    by_account
}

/// Whether a write with these entries can change an API key row: a key's own change, or an
/// environment or application (whose removal takes its keys), or a change not classified.
/// Cached keys are re-read after these only (`Head::key_seq`).
fn changes_keys(entries: &[Entry]) -> bool {
    entries
        .iter()
        .any(|e| e.kind == KEY || e.kind == ENVIRONMENT)
}

/// Journals `entries` in `batch`: each account's next seq and its entries. The batch's rows,
/// once run, go to `heads_taken`.
pub fn push<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    entries: &'q BTreeMap<String, Vec<Entry>>,
    now_ms: i64,
) {
    for (account_id, entries) in entries {
        store_access::push_bump_head(batch, conn, account_id, changes_keys(entries));
        store_access::push_append(batch, conn, account_id, entries, now_ms);
    }
}

/// The heads `push` took: the last rows of the batch's answer, one per account of `entries`, in
/// order. Returns the heads, to `advance` after the commit.
pub fn heads_taken(
    entries: &BTreeMap<String, Vec<Entry>>,
    rows: &[AnyRow],
) -> Result<Vec<(String, Head)>, AppError> {
    let Some(first) = rows.len().checked_sub(entries.len()) else {
        return Err(AppError::internal(
            "access journal",
            format!("{} rows for {} heads", rows.len(), entries.len()),
        ));
    };
    entries
        .keys()
        .zip(&rows[first..])
        .map(|(account_id, row)| Ok((account_id.clone(), store_access::head_of_row(row)?)))
        .collect()
}

/// Reads every account's head: what other processes committed.
pub async fn catch_up(s: &Services) -> Result<(), AppError> {
    for (account_id, head) in store_access::heads(s.db.reader()).await? {
        s.access_cache.advance(&account_id, head);
    }
    Ok(())
}

/// A notification's `<account id> <seq> <key_seq>`. A payload without `key_seq` (a node of the
/// previous release) counts as one that changed keys: a cached key is re-read, never trusted.
fn parse_notification(payload: &str) -> Option<(&str, Head)> {
    let mut parts = payload.split(' ');
    let account_id = parts.next()?;
    let seq = parts.next()?.parse::<i64>().ok()?;
    let key_seq = match parts.next() {
        Some(key_seq) => key_seq.parse::<i64>().ok()?,
        None => seq,
    };
    Some((account_id, Head { seq, key_seq }))
}

/// Keeps this process told of other processes' commits and prunes old journal rows; runs for
/// the life of the process. `listen_url`: the PostgreSQL URL to `LISTEN` on (none on SQLite,
/// where the poll alone serves the `arbor` commands run beside a server).
pub async fn run_sync(s: Services, listen_url: Option<String>) {
    if let Some(url) = listen_url {
        tokio::spawn(listen(s.clone(), url));
    }
    let mut polls: u32 = 0;
    loop {
        if let Err(error) = catch_up(&s).await {
            tracing::warn!(code = error.code(), %error, "access journal poll failed");
        }
        polls = polls.wrapping_add(1);
        if polls % PRUNE_EVERY_POLLS == 1 {
            prune_once(&s).await;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Prunes the journal if this node takes the prune's lease (one node prunes per period).
async fn prune_once(s: &Services) {
    match jobs::claim(s, jobs::ACCESS_JOURNAL_PRUNE, POLL * PRUNE_EVERY_POLLS).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(code = error.code(), %error, "access journal prune lease failed");
            return;
        }
    }
    let before = store::ms(s.now() - KEEP);
    match store_access::prune(s.db.writer(), before).await {
        Ok(0) => {}
        Ok(pruned) => tracing::debug!(pruned, "access journal pruned"),
        Err(error) => {
            tracing::warn!(code = error.code(), %error, "access journal prune failed")
        }
    }
}

/// `LISTEN`s for commits; on every (re)connect it catches up first, since notifications sent
/// while it was away are lost.
async fn listen(s: Services, url: String) {
    use sqlx::postgres::PgListener;
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "access journal listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(store_access::CHANNEL).await {
            tracing::warn!(%error, "access journal LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if let Err(error) = catch_up(&s).await {
            tracing::warn!(code = error.code(), %error, "access journal catch-up failed");
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    if let Some((account_id, head)) = parse_notification(notification.payload()) {
                        s.access_cache.advance(account_id, head);
                    }
                }
                // The connection dropped: what was sent meanwhile is lost, so catch up.
                Ok(None) => {
                    if let Err(error) = catch_up(&s).await {
                        tracing::warn!(code = error.code(), %error, "access journal catch-up failed");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "access journal listener failed; reconnecting");
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::audit::Actor;

    fn event(resource: &'static str) -> Event {
        Event::new("acct", &Actor::System, "x.changed", "test")
            .resource(resource, "r1", "")
            .scope(Some("app"), Some("env"))
    }

    #[test]
    fn each_kind_of_write_journals_what_it_touched() {
        let with_identity = |e: Event| e.metadata(serde_json::json!({ "identity_id": "i1" }));
        let cases = [
            (event("identity"), Some(entry(IDENTITY, None, Some("r1")))),
            (
                with_identity(event("app_membership")),
                Some(entry(IDENTITY, None, Some("i1"))),
            ),
            (
                with_identity(event("assignment")),
                Some(entry(IDENTITY, Some("env"), Some("i1"))),
            ),
            (
                event("assignment"),
                Some(entry(ENVIRONMENT, Some("env"), None)),
            ),
            (event("node"), Some(entry(STRUCTURE, Some("env"), None))),
            (event("role"), Some(entry(STRUCTURE, Some("env"), None))),
            (
                event("permission"),
                Some(entry(STRUCTURE, Some("env"), None)),
            ),
            (
                event("environment"),
                Some(entry(ENVIRONMENT, Some("env"), None)),
            ),
            (event("api_key"), Some(entry(KEY, Some("env"), None))),
            (event("admin_user"), None),
            (event("identity_invite"), None),
            (
                with_identity(event("identity_invite")),
                Some(entry(IDENTITY, None, Some("i1"))),
            ),
            (event("something_new"), Some(entry(ENVIRONMENT, None, None))),
        ];
        for (event, expected) in cases {
            assert_eq!(effect(&event), expected, "{}", event.resource_type);
        }
    }

    #[test]
    fn entries_are_grouped_per_account_without_duplicates() {
        let a = event("node");
        let b = event("node");
        let mut c = event("identity");
        c.account_id = "other".into();
        let grouped = entries_of([&a, &b, &c]);
        assert_eq!(grouped.keys().collect::<Vec<_>>(), ["acct", "other"]);
        assert_eq!(grouped["acct"].len(), 1);
    }

    #[test]
    fn only_key_and_environment_changes_move_what_cached_keys_depend_on() {
        let kinds = |events: Vec<Event>| {
            entries_of(events.iter())
                .remove("acct")
                .is_some_and(|entries| changes_keys(&entries))
        };
        let with_identity = |e: Event| e.metadata(serde_json::json!({ "identity_id": "i1" }));
        assert!(!kinds(vec![
            event("identity"),
            with_identity(event("app_membership")),
        ]));
        assert!(!kinds(vec![
            with_identity(event("assignment")),
            event("role")
        ]));
        // An assignment event that names no identity re-reads the environment: keys too.
        assert!(kinds(vec![event("assignment")]));
        assert!(kinds(vec![event("identity"), event("api_key")]));
        assert!(kinds(vec![event("environment")]));
        assert!(kinds(vec![event("application")]));
        // Unclassified: reloaded, and keys re-read.
        assert!(kinds(vec![event("something_new")]));
    }

    #[test]
    fn notifications_carry_both_seqs_and_an_old_one_counts_as_a_key_change() {
        assert_eq!(
            parse_notification("acct 7 3"),
            Some(("acct", Head { seq: 7, key_seq: 3 }))
        );
        assert_eq!(
            parse_notification("acct 7"),
            Some(("acct", Head { seq: 7, key_seq: 7 }))
        );
        assert_eq!(parse_notification("acct"), None);
        assert_eq!(parse_notification("acct x 1"), None);
        assert_eq!(parse_notification("acct 7 y"), None);
    }
}
