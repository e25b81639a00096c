//! Reading the audit log (Tenant › Audit log, `GET /api/v1/audit-events`, the CSV and JSON Lines
//! exports), the account's retention setting, and the background purge.
//!
//! Reading is not audited (it changes nothing); changing the retention is. An API key reads the
//! events of its own environment only; an admin reads the whole account.

use crate::error::{AppError, FieldError, Resource};
use crate::model::{
    AUDIT_PAGE_MAX, AuditEvent, AuditEventDetail, AuditFilter, AuditPage, AuditRetention,
    RetentionForm, SystemPermission, ValidAuditFilter,
};
use crate::services::audit::{self, Event};
use crate::services::{Caller, Services};
use crate::store::{self, audit as store_a};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Events related by correlation shown with one event.
const RELATED_MAX: i64 = 50;
/// Rows deleted per purge statement: short transactions that never hold the writer for long.
pub const PURGE_BATCH: i64 = 1_000;
/// How often `arbor serve` purges.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

fn to_dto(row: store_a::AuditRow) -> AuditEvent {
    AuditEvent {
        created_at: store::rfc3339(row.created_at),
        metadata: serde_json::from_str(&row.metadata).unwrap_or(serde_json::Value::Null),
        id: row.id,
        actor_type: row.actor_type,
        actor_id: row.actor_id,
        actor_label: row.actor_label,
        action: row.action,
        category: row.category,
        outcome: row.outcome,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        resource_label: row.resource_label,
        application_id: row.application_id,
        environment_id: row.environment_id,
        correlation_id: row.correlation_id,
    }
}

fn cursor_error() -> AppError {
    AppError::Validation {
        errors: vec![FieldError::new(
            "cursor",
            "invalid",
            "This cursor is not one we issued. Start again from the first page.",
        )],
    }
}

/// The opaque cursor of the page after `row`: base64url of `<ms>.<id>`.
fn encode_cursor(row: &store_a::AuditRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", row.created_at, row.id))
}

fn decode_cursor(raw: &str) -> Result<store_a::Position, AppError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| cursor_error())?;
    let text = String::from_utf8(bytes).map_err(|_| cursor_error())?;
    let (at, id) = text.split_once('.').ok_or_else(cursor_error)?;
    let at_ms = at.parse().map_err(|_| cursor_error())?;
    if id.is_empty() || id.len() > 64 {
        return Err(cursor_error());
    }
    Ok(store_a::Position {
        at_ms,
        id: id.to_owned(),
    })
}

/// The filter as this caller may apply it: a key is held to its environment. `None`: the caller
/// asked for another environment, which it cannot see (an empty answer, not an error).
fn scoped(caller: &Caller, filter: &AuditFilter) -> Result<Option<ValidAuditFilter>, AppError> {
    let mut valid = filter.validate().map_err(AppError::validation)?;
    if let Some(env) = caller.env_scope() {
        if valid
            .environment_id
            .as_deref()
            .is_some_and(|asked| asked != env.environment_id)
        {
            return Ok(None);
        }
        valid.environment_id = Some(env.environment_id.clone());
    }
    Ok(Some(valid))
}

/// A page of events matching `filter`, newest first; `limit` is clamped to 1–200.
pub async fn list(
    s: &Services,
    caller: &Caller,
    filter: &AuditFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<AuditPage, AppError> {
    caller.require(SystemPermission::AuditRead)?;
    let after = cursor
        .filter(|c| !c.trim().is_empty())
        .map(decode_cursor)
        .transpose()?;
    let Some(filter) = scoped(caller, filter)? else {
        return Ok(AuditPage {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let limit = limit.clamp(1, AUDIT_PAGE_MAX);
    // One more than asked says whether a next page exists without a count.
    let mut rows = store_a::page(
        s.db.reader(),
        caller.account_id(),
        &filter,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more.then(|| rows.last().map(encode_cursor)).flatten();
    Ok(AuditPage {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
    })
}

/// One event with the other events of its operation.
pub async fn detail(s: &Services, caller: &Caller, id: &str) -> Result<AuditEventDetail, AppError> {
    caller.require(SystemPermission::AuditRead)?;
    let reader = s.db.reader();
    let not_found = AppError::NotFound {
        resource: Resource::AuditEvent,
    };
    let row = store_a::by_id(reader, caller.account_id(), id)
        .await?
        .ok_or(not_found.clone())?;
    if let Some(env) = caller.env_scope()
        && row.environment_id.as_deref() != Some(env.environment_id.as_str())
    {
        return Err(not_found);
    }
    let related = store_a::by_correlation(
        reader,
        caller.account_id(),
        &row.correlation_id,
        RELATED_MAX + 1,
    )
    .await?
    .into_iter()
    .filter(|r| r.id != row.id)
    .take(usize::try_from(RELATED_MAX).unwrap_or(0))
    .map(to_dto)
    .collect();
    Ok(AuditEventDetail {
        event: to_dto(row),
        related,
    })
}

pub async fn retention(s: &Services, caller: &Caller) -> Result<AuditRetention, AppError> {
    caller.require(SystemPermission::AuditRead)?;
    let days = store_a::retention_days(s.db.reader(), caller.account_id()).await?;
    Ok(AuditRetention { days })
}

/// Sets how long the account keeps audit events (owners and admins); audited with before/after.
pub async fn set_retention(
    s: &Services,
    caller: &Caller,
    form: &RetentionForm,
) -> Result<AuditRetention, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let retention = form.validate().map_err(|e| AppError::validation(vec![e]))?;
    let mut tx = s.db.begin().await?;
    let before = store_a::set_retention_days(
        &mut tx,
        caller.account_id(),
        retention.days,
        store::ms(s.now()),
    )
    .await?;
    if before == retention.days {
        tx.rollback().await?;
        return Ok(retention);
    }
    let event = Event::new(
        caller.account_id(),
        &caller.actor(),
        "audit.retention_changed",
        "audit",
    )
    .resource("account", caller.account_id(), "Audit retention")
    .metadata(serde_json::json!({
        "before": { "retention_days": before },
        "after": { "retention_days": retention.days },
    }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(retention)
}

/// Deletes every account's events older than its retention, in batches of `PURGE_BATCH` (one
/// short transaction each). Bookkeeping, like the mail purge: not itself audited. Answers how
/// many events went.
pub async fn purge_expired(s: &Services) -> Result<u64, AppError> {
    let now_ms = store::ms(s.now());
    let mut purged = 0;
    for (account_id, days) in store_a::retentions(s.db.reader()).await? {
        let before_ms = now_ms - days.max(AuditRetention::MIN_DAYS) * 86_400_000;
        loop {
            let mut tx = s.db.begin().await?;
            let done = store_a::purge_batch(&mut tx, &account_id, before_ms, PURGE_BATCH).await?;
            tx.commit().await?;
            purged += done;
            if done < u64::try_from(PURGE_BATCH).unwrap_or(0) {
                break;
            }
        }
    }
    Ok(purged)
}

/// Runs the purge now and then every `PURGE_EVERY` until the process ends, on one node at a time
/// (`jobs`: with several nodes, each run happens once).
pub async fn run_purge(s: Services) {
    crate::services::jobs::run_every(
        s,
        crate::services::jobs::AUDIT_PURGE,
        PURGE_EVERY,
        |s| async move { purge_expired(&s).await },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_others() {
        let row = store_a::AuditRow {
            id: "0193a1f3-0000-7000-8000-000000000001".into(),
            created_at: 1_764_000_000_000,
            actor_type: String::new(),
            actor_id: None,
            actor_label: String::new(),
            action: String::new(),
            category: String::new(),
            outcome: String::new(),
            resource_type: String::new(),
            resource_id: None,
            resource_label: String::new(),
            application_id: None,
            environment_id: None,
            correlation_id: String::new(),
            metadata: String::new(),
        };
        let position = decode_cursor(&encode_cursor(&row)).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(position.at_ms, row.created_at);
        assert_eq!(position.id, row.id);
        assert!(decode_cursor("not a cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x.y")).is_err());
    }
}
