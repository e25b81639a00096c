//! The Account directory's reads: counts, the filtered and sorted list, an identity's
//! memberships, assignments in every environment and history.

use crate::error::AppError;
use crate::model::{
    AuditEntry, DirectoryQuery, DirectoryRow, DirectorySort, DirectorySummary, IdentityStatus,
    MembershipInfo, MembershipStatus,
};
use crate::store::assignments::{AssignmentRow, COLUMNS as ASSIGNMENT_COLUMNS, FROM};
use crate::store::batch::Bind;
use crate::store::identities::{COLUMNS, StoredIdentity};
use crate::store::rfc3339;
use sqlx::AnyPool;

/// The stat cards, each counted from an index that holds exactly what it counts (migration
/// `0016_directory_scale.sql`): the statuses from `identities_by_status`, the unconfirmed emails
/// from the partial `identities_unverified`, and the identities with an active membership from
/// `app_memberships_active` — no read of the identity rows themselves.
pub async fn summary(pool: &AnyPool, account_id: &str) -> Result<DirectorySummary, AppError> {
    // Three independent index reads, run side by side on the reader pool.
    let by_status = sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM identities WHERE account_id = $1 GROUP BY status",
    )
    .bind(account_id)
    .fetch_all(pool);
    let unverified = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM identities WHERE account_id = $1 AND email_verified_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(pool);
    let members = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT identity_id) FROM app_memberships \
         WHERE account_id = $1 AND status = 'active'",
    )
    .bind(account_id)
    .fetch_one(pool);
    let (by_status, email_unverified, members) = tokio::try_join!(by_status, unverified, members)?;
    let mut cards = DirectorySummary {
        email_unverified,
        ..DirectorySummary::default()
    };
    for (status, count) in by_status {
        cards.total += count;
        match IdentityStatus::parse(&status) {
            IdentityStatus::Active => cards.active += count,
            IdentityStatus::Pending => cards.pending += count,
            IdentityStatus::Inactive => cards.inactive += count,
        }
    }
    // Every membership belongs to an identity of the account (foreign key), so the identities
    // without an active one are the rest.
    cards.no_memberships = cards.total - members;
    Ok(cards)
}

const MEMBERSHIPS: &str = "(SELECT COUNT(*) FROM app_memberships m WHERE m.account_id = i.account_id \
     AND m.identity_id = i.id AND m.status = 'active')";
const ASSIGNMENTS: &str = "(SELECT COUNT(*) FROM assignments a WHERE a.account_id = i.account_id AND a.identity_id = i.id)";

/// A directory row: the identity, its counts and its key in the page's sort (as text).
#[derive(sqlx::FromRow)]
struct StoredRow {
    #[sqlx(flatten)]
    identity: StoredIdentity,
    memberships: i64,
    assignments: i64,
    sort_key: String,
    created_ms: i64,
}

/// Placeholders numbered as conditions are added; values bound in the same order.
#[derive(Default)]
pub(crate) struct Binds(Vec<Bind<'static>>);

impl Binds {
    pub(crate) fn text(&mut self, value: impl Into<String>) -> String {
        self.0.push(Bind::Owned(value.into()));
        format!("${}", self.0.len())
    }

    pub(crate) fn int(&mut self, value: i64) -> String {
        self.0.push(Bind::Int(value));
        format!("${}", self.0.len())
    }

    pub(crate) fn apply<'q, O>(
        &self,
        query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        self.0
            .iter()
            .fold(query, |query, bind| bind.clone().bind_to(query))
    }
}

/// The smallest string greater than every string that starts with `prefix` (code-point order:
/// the last character, incremented). `None` when there is none (a last character of U+10FFFF).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `column` starts with `prefix`, as an index range (`>=` and `<`) — what lets a search use the
/// index on `column` — and rechecked exactly, so a collation that orders differently from code
/// points can only make the range wider, never a false match.
fn starts_with(column: &str, prefix: &str, binds: &mut Binds) -> String {
    let low = binds.text(prefix);
    let range = match prefix_end(prefix) {
        Some(end) => format!("{column} >= {low} AND {column} < {}", binds.text(end)),
        None => format!("{column} >= {low}"),
    };
    // A number we computed, written into the text (PostgreSQL has no SUBSTR(text, int, bigint)).
    let length = prefix.chars().count();
    format!("{range} AND SUBSTR({column}, 1, {length}) = {low}")
}

/// The search of both identity lists: `q` (trimmed) is a prefix of the email, the full name
/// ("first last"), the last name or the external id, all compared lowercased (emails are stored
/// normalised). Prefixes, not substrings: each branch is one range of an index, so a search at
/// 100,000 identities reads only what it finds. Each branch names the account (`account`, its
/// placeholder), and the caller adds no `account_id = …` of its own beside it: SQLite without
/// `ANALYZE` statistics (a database that grew in use has none) takes a lone account equality for
/// a narrow range and would walk the whole account along it instead of reading the four ranges.
pub(crate) fn search_condition(q: &str, account: &str, binds: &mut Binds) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let lower = q.to_lowercase();
    let lower = lower.as_str();
    let branches = [
        starts_with("i.email", lower, binds),
        starts_with(NAME_KEY, lower, binds),
        starts_with("LOWER(i.last_name)", lower, binds),
        starts_with("LOWER(i.external_id)", lower, binds),
    ];
    Some(format!(
        "({})",
        branches
            .iter()
            .map(|b| format!("(i.account_id = {account} AND {b})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    ))
}

/// The name as the Name sort and the search compare it (indexed as `identities_by_name`).
const NAME_KEY: &str = "LOWER(i.first_name || ' ' || i.last_name)";

/// Where a page starts: after the row with this sort key (text; unused by the Created sort),
/// creation time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub key: String,
    pub created_ms: i64,
    pub id: String,
}

/// The sort's key expression, if it has one besides the creation time.
fn sort_key(sort: DirectorySort) -> Option<&'static str> {
    match sort {
        DirectorySort::Created => None,
        DirectorySort::Name => Some(NAME_KEY),
        DirectorySort::Email => Some("i.email"),
        DirectorySort::Status => Some("i.status"),
    }
}

/// Whether the sort's key is unique in the account (the email), so it needs no tie-break; the
/// others are broken by creation time, then id — the order each sort's index ends with.
fn unique_key(sort: DirectorySort) -> bool {
    sort == DirectorySort::Email
}

/// `(c1, c2, …) < (v1, v2, …)` (or `>`), spelled out lexicographically and led by `c1 <= v1`,
/// which bounds the index range the way the audit log's cursor does.
fn beyond(columns: &[(&str, String)], descending: bool) -> String {
    let (strict, bound) = if descending { ("<", "<=") } else { (">", ">=") };
    let mut condition = String::new();
    for (column, value) in columns.iter().rev() {
        condition = if condition.is_empty() {
            format!("{column} {strict} {value}")
        } else {
            format!("{column} {strict} {value} OR ({column} = {value} AND ({condition}))")
        };
    }
    match columns.first() {
        Some((column, value)) => format!("{column} {bound} {value} AND ({condition})"),
        None => condition,
    }
}

/// The conditions of the directory list shared by its page and its count.
fn conditions(account_id: &str, query: &DirectoryQuery, binds: &mut Binds) -> Vec<String> {
    let account = binds.text(account_id);
    // A search names the account in each of its branches, and only there: see `search_condition`.
    let mut conditions = vec![
        search_condition(&query.q, &account, binds)
            .unwrap_or_else(|| format!("i.account_id = {account}")),
    ];
    if let Some(status) = query.status {
        conditions.push(format!("i.status = {}", binds.text(status.as_str())));
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
        let p = binds.text(app);
        conditions.push(format!(
            "NOT EXISTS (SELECT 1 FROM app_memberships m JOIN applications ap \
               ON ap.account_id = m.account_id AND ap.id = m.application_id \
             WHERE m.account_id = i.account_id AND m.identity_id = i.id AND ap.slug = {p} \
               AND m.status = 'active')"
        ));
    }
    conditions
}

/// The identities matching the filters, counted up to `cap + 1` (so "more than `cap`" shows).
pub async fn count(
    pool: &AnyPool,
    account_id: &str,
    query: &DirectoryQuery,
    cap: i64,
) -> Result<i64, AppError> {
    let mut binds = Binds::default();
    let filter = conditions(account_id, query, &mut binds).join(" AND ");
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM identities i WHERE {filter} LIMIT {}) AS matching",
        cap.saturating_add(1)
    );
    let (n,): (i64,) = binds.apply(sqlx::query_as(&sql)).fetch_one(pool).await?;
    Ok(n)
}

/// Up to `limit` rows of the directory, filtered and sorted as asked (ties broken by creation
/// time, then id), after `after` (keyset, the order every directory index ends with) or else after
/// `offset` rows. Each row comes with its position, from which the service makes the next cursor.
pub async fn page(
    pool: &AnyPool,
    account_id: &str,
    query: &DirectoryQuery,
    after: Option<&Position>,
    offset: i64,
    limit: i64,
) -> Result<Vec<(DirectoryRow, Position)>, AppError> {
    let mut binds = Binds::default();
    let mut conditions = conditions(account_id, query, &mut binds);
    let key = sort_key(query.sort);
    let unique = unique_key(query.sort);
    if let Some(after) = after {
        let mut columns = Vec::new();
        if let Some(key) = key {
            columns.push((key, binds.text(after.key.clone())));
        }
        if !unique {
            columns.push(("i.created_at", binds.int(after.created_ms)));
            columns.push(("i.id", binds.text(after.id.clone())));
        }
        conditions.push(beyond(&columns, query.descending));
    }
    let filter = conditions.join(" AND ");
    let direction = if query.descending { "DESC" } else { "ASC" };
    let order = match key {
        Some(key) if unique => format!("{key} {direction}"),
        Some(key) => format!("{key} {direction}, i.created_at {direction}, i.id {direction}"),
        None => format!("i.created_at {direction}, i.id {direction}"),
    };
    let skip = if after.is_some() { 0 } else { offset.max(0) };
    let sql = format!(
        "SELECT {COLUMNS}, {MEMBERSHIPS} AS memberships, {ASSIGNMENTS} AS assignments, \
           CAST({} AS TEXT) AS sort_key, i.created_at AS created_ms \
         FROM identities i WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {skip}",
        key.unwrap_or("''")
    );
    let rows: Vec<StoredRow> = binds.apply(sqlx::query_as(&sql)).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let identity: crate::model::Identity = r.identity.into();
            let position = Position {
                key: r.sort_key,
                created_ms: r.created_ms,
                id: identity.id.clone(),
            };
            let row = DirectoryRow {
                identity,
                membership_count: r.memberships,
                assignment_count: r.assignments,
            };
            (row, position)
        })
        .collect())
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
