//! The Account directory's reads: counts, the filtered and sorted list, an identity's
//! memberships, assignments in every environment and history.

use crate::error::AppError;
use crate::model::{
    AuditEntry, DirectoryQuery, DirectoryRow, DirectorySort, DirectorySummary, MembershipInfo,
    MembershipStatus,
};
use crate::store::assignments::{AssignmentRow, COLUMNS as ASSIGNMENT_COLUMNS, FROM};
use crate::store::identities::{COLUMNS, StoredIdentity};
use crate::store::rfc3339;
use sqlx::AnyPool;

pub async fn summary(pool: &AnyPool, account_id: &str) -> Result<DirectorySummary, AppError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*) AS total, \
           COUNT(*) FILTER (WHERE i.status = 'active') AS active, \
           COUNT(*) FILTER (WHERE i.status = 'pending') AS pending, \
           COUNT(*) FILTER (WHERE i.status = 'inactive') AS inactive, \
           COUNT(*) FILTER (WHERE i.email_verified_at IS NULL) AS email_unverified, \
           COUNT(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM app_memberships m \
             WHERE m.account_id = i.account_id AND m.identity_id = i.id AND m.status = 'active')) AS no_memberships \
         FROM identities i WHERE i.account_id = $1",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await?)
}

const MEMBERSHIPS: &str = "(SELECT COUNT(*) FROM app_memberships m WHERE m.account_id = i.account_id \
     AND m.identity_id = i.id AND m.status = 'active')";
const ASSIGNMENTS: &str = "(SELECT COUNT(*) FROM assignments a WHERE a.account_id = i.account_id AND a.identity_id = i.id)";

/// A directory row: the identity and its counts.
#[derive(sqlx::FromRow)]
struct StoredRow {
    #[sqlx(flatten)]
    identity: StoredIdentity,
    memberships: i64,
    assignments: i64,
}

/// One page of the directory (`limit`/`offset`) with the total, filtered and sorted as asked.
pub async fn page(
    pool: &AnyPool,
    account_id: &str,
    query: &DirectoryQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DirectoryRow>, i64), AppError> {
    // Placeholders are numbered as conditions are added; values are bound in the same order.
    let mut conditions = vec!["i.account_id = $1".to_owned()];
    let mut binds: Vec<String> = vec![account_id.to_owned()];
    let next = |value: String, binds: &mut Vec<String>| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if !query.q.trim().is_empty() {
        let p = next(format!("%{}%", query.q.trim().to_lowercase()), &mut binds);
        conditions.push(format!(
            "(LOWER(i.email) LIKE {p} OR LOWER(i.first_name || ' ' || i.last_name) LIKE {p} \
             OR LOWER(COALESCE(i.external_id, '')) LIKE {p})"
        ));
    }
    if let Some(status) = query.status {
        let p = next(status.as_str().to_owned(), &mut binds);
        conditions.push(format!("i.status = {p}"));
    }
    match query.has_any_assignment {
        Some(true) => conditions.push(format!("{ASSIGNMENTS} > 0")),
        Some(false) => conditions.push(format!("{ASSIGNMENTS} = 0")),
        None => {}
    }
    if query.without_membership {
        conditions.push(format!("{MEMBERSHIPS} = 0"));
    }
    if let Some(app) = query
        .not_in_application
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        let p = next(app.to_owned(), &mut binds);
        conditions.push(format!(
            "NOT EXISTS (SELECT 1 FROM app_memberships m JOIN applications ap \
               ON ap.account_id = m.account_id AND ap.id = m.application_id \
             WHERE m.account_id = i.account_id AND m.identity_id = i.id AND ap.slug = {p} \
               AND m.status = 'active')"
        ));
    }
    let filter = conditions.join(" AND ");
    let order = match query.sort {
        DirectorySort::Created => "i.created_at",
        DirectorySort::Name => "LOWER(i.first_name || ' ' || i.last_name)",
        DirectorySort::Email => "i.email",
        DirectorySort::Status => "i.status",
    };
    let direction = if query.descending { "DESC" } else { "ASC" };
    let count_sql = format!("SELECT COUNT(*) FROM identities i WHERE {filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = count.fetch_one(pool).await?;
    let list_sql = format!(
        "SELECT {COLUMNS}, {MEMBERSHIPS} AS memberships, {ASSIGNMENTS} AS assignments FROM identities i \
         WHERE {filter} ORDER BY {order} {direction}, i.id {direction} LIMIT {limit} OFFSET {offset}"
    );
    let mut list = sqlx::query_as::<_, StoredRow>(&list_sql);
    for b in &binds {
        list = list.bind(b.clone());
    }
    let rows = list.fetch_all(pool).await?;
    let items = rows
        .into_iter()
        .map(|r| DirectoryRow {
            identity: r.identity.into(),
            membership_count: r.memberships,
            assignment_count: r.assignments,
        })
        .collect();
    Ok((items, total))
}

#[derive(sqlx::FromRow)]
struct StoredMembership {
    id: String,
    application_id: String,
    name: String,
    status: String,
    assignments: i64,
}

pub async fn memberships(
    pool: &AnyPool,
    account_id: &str,
    identity_id: &str,
) -> Result<Vec<MembershipInfo>, AppError> {
    let rows: Vec<StoredMembership> = sqlx::query_as(
        "SELECT m.id, m.application_id, ap.name, m.status, \
           (SELECT COUNT(*) FROM assignments a JOIN environments e ON e.account_id = a.account_id AND e.id = a.environment_id \
             WHERE a.account_id = m.account_id AND a.identity_id = m.identity_id AND e.application_id = m.application_id) AS assignments \
         FROM app_memberships m JOIN applications ap ON ap.account_id = m.account_id AND ap.id = m.application_id \
         WHERE m.account_id = $1 AND m.identity_id = $2 ORDER BY ap.name",
    )
    .bind(account_id)
    .bind(identity_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MembershipInfo {
            id: r.id,
            application_id: r.application_id,
            application_name: r.name,
            status: MembershipStatus::from_stored(&r.status),
            assignment_count: r.assignments,
        })
        .collect())
}

/// An assignment with the environment it is in.
#[derive(sqlx::FromRow)]
struct Placed {
    #[sqlx(flatten)]
    assignment: AssignmentRow,
    application_id: String,
    environment_id: String,
    environment_name: String,
}

/// Every assignment of the identity with its environment: `(application_id, environment_id,
/// environment name, row)`.
pub async fn assignments_everywhere(
    pool: &AnyPool,
    account_id: &str,
    identity_id: &str,
) -> Result<Vec<(String, String, String, AssignmentRow)>, AppError> {
    let rows: Vec<Placed> = sqlx::query_as(&format!(
        "SELECT {ASSIGNMENT_COLUMNS}, e.application_id, e.id AS environment_id, \
           ap.name || ' · ' || e.name AS environment_name {FROM} \
         JOIN environments e ON e.account_id = a.account_id AND e.id = a.environment_id \
         JOIN applications ap ON ap.account_id = e.account_id AND ap.id = e.application_id \
         WHERE a.account_id = $1 AND a.identity_id = $2 ORDER BY ap.name, e.name, r.name"
    ))
    .bind(account_id)
    .bind(identity_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.application_id,
                r.environment_id,
                r.environment_name,
                r.assignment,
            )
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct StoredEntry {
    action: String,
    actor_label: String,
    created_at: i64,
}

/// The newest audit events about the identity: on it, or naming it in their metadata.
pub async fn history(
    pool: &AnyPool,
    account_id: &str,
    identity_id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let rows: Vec<StoredEntry> = sqlx::query_as(
        "SELECT action, actor_label, created_at FROM audit_events \
         WHERE account_id = $1 AND ((resource_type = 'identity' AND resource_id = $2) OR metadata LIKE $3) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(account_id)
    .bind(identity_id)
    .bind(format!("%\"identity_id\":\"{identity_id}\"%"))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at: rfc3339(r.created_at),
            action: r.action,
            actor: r.actor_label,
        })
        .collect())
}
