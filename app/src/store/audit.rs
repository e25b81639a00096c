//! The audit log: who did what, where, appended in the transaction of the write it describes.

use crate::error::AppError;
use crate::store::Tx;
use crate::store::batch::{Batch, Bind};
use sqlx::AnyPool;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    Admin {
        id: String,
        label: String,
    },
    /// A request authenticated by an API key (label: the key's name and preview).
    ApiKey {
        id: String,
        label: String,
    },
    /// An end user acting on their own behalf (accepting an invite, resetting a password).
    Identity {
        id: String,
        label: String,
    },
    System,
}

/// One audit record; `Event::new` fills the defaults.
#[derive(Debug, Clone)]
pub struct Event {
    pub account_id: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub actor: Actor,
    pub action: &'static str,
    pub category: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    pub resource_label: String,
    pub outcome: &'static str,
    pub metadata: serde_json::Value,
}

impl Event {
    pub fn new(
        account_id: &str,
        actor: &Actor,
        action: &'static str,
        category: &'static str,
    ) -> Self {
        Event {
            account_id: account_id.to_owned(),
            application_id: None,
            environment_id: None,
            actor: actor.clone(),
            action,
            category,
            resource_type: "account",
            resource_id: None,
            resource_label: String::new(),
            outcome: "success",
            metadata: serde_json::json!({}),
        }
    }

    pub fn resource(mut self, kind: &'static str, id: &str, label: &str) -> Self {
        self.resource_type = kind;
        self.resource_id = Some(id.to_owned());
        self.resource_label = label.to_owned();
        self
    }

    pub fn scope(mut self, application_id: Option<&str>, environment_id: Option<&str>) -> Self {
        self.application_id = application_id.map(str::to_owned);
        self.environment_id = environment_id.map(str::to_owned);
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = "failure";
        self
    }

    pub fn metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = metadata;
        self
    }
}

const COLUMNS: &str = "account_id, id, application_id, environment_id, actor_type, actor_id, \
    actor_label, action, category, resource_type, resource_id, resource_label, outcome, severity, \
    correlation_id, metadata, created_at";
/// Every column is a bind, `severity` too (always `info` here), so the rows go through
/// `values_list`.
const BINDS_PER_ROW: usize = 17;

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    at_ms: i64,
    correlation_id: &str,
    event: &Event,
) -> Result<(), AppError> {
    insert_many(tx, &[(id.to_owned(), event)], at_ms, correlation_id).await
}

/// Appends `events` with as few statements as possible (a write's events travel to the database
/// together instead of one round trip each).
pub async fn insert_many(
    tx: &mut Tx,
    events: &[(String, &Event)],
    at_ms: i64,
    correlation_id: &str,
) -> Result<(), AppError> {
    let rows: Vec<(&str, &Event, &str)> = events
        .iter()
        .map(|(id, event)| (id.as_str(), *event, correlation_id))
        .collect();
    insert_rows(tx, &rows, at_ms).await
}

/// `insert_many` for the events of several operations at once (a bulk create's rows), each
/// `(id, event, correlation id)`.
pub async fn insert_rows(
    tx: &mut Tx,
    events: &[(&str, &Event, &str)],
    at_ms: i64,
) -> Result<(), AppError> {
    let mut batch = Batch::default();
    push_rows(&mut batch, tx, events, at_ms);
    batch.run(tx).await?;
    Ok(())
}

/// The statements of `insert_rows`, added to `batch` (to travel with a write's other
/// bookkeeping).
pub fn push_rows<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    events: &[(&'q str, &'q Event, &'q str)],
    at_ms: i64,
) {
    for chunk in events.chunks(crate::store::rows_per_insert(conn, BINDS_PER_ROW)) {
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
            crate::store::values_list(conn, chunk.len(), BINDS_PER_ROW)
        );
        let mut binds = Vec::with_capacity(chunk.len() * BINDS_PER_ROW);
        for &(id, event, correlation_id) in chunk {
            let (actor_type, actor_id, actor_label) = match &event.actor {
                Actor::Admin { id, label } => ("admin", Some(id.as_str()), label.as_str()),
                Actor::ApiKey { id, label } => ("api_key", Some(id.as_str()), label.as_str()),
                Actor::Identity { id, label } => ("identity", Some(id.as_str()), label.as_str()),
                Actor::System => ("system", None, "Arbor"),
            };
            binds.extend([
                Bind::Text(&event.account_id),
                Bind::Text(id),
                Bind::MaybeText(event.application_id.as_deref()),
                Bind::MaybeText(event.environment_id.as_deref()),
                Bind::Text(actor_type),
                Bind::MaybeText(actor_id),
                Bind::Text(actor_label),
                Bind::Text(event.action),
                Bind::Text(event.category),
                Bind::Text(event.resource_type),
                Bind::MaybeText(event.resource_id.as_deref()),
                Bind::Text(&event.resource_label),
                Bind::Text(event.outcome),
                Bind::Text("info"),
                Bind::Text(correlation_id),
                Bind::Owned(event.metadata.to_string()),
                Bind::Int(at_ms),
            ]);
        }
        batch.push(sql, binds);
    }
}

// ---- Reading the log (Tenant › Audit log, the API, the exports) and the retention purge. ----

/// One stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub created_at: i64,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub category: String,
    pub outcome: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub resource_label: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub correlation_id: String,
    pub metadata: String,
}

const READ_COLUMNS: &str = "id, created_at, actor_type, actor_id, actor_label, action, category, \
    outcome, resource_type, resource_id, resource_label, application_id, environment_id, \
    correlation_id, metadata";

/// Where a page starts: after the event at (`at_ms`, `id`), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub at_ms: i64,
    pub id: String,
}

/// A page of the account's events matching `filter`, newest first, after `after`. Keyset order
/// on (created_at, id), which every audit index ends with, so the page is one index range read.
pub async fn page<'q>(
    pool: &AnyPool,
    account_id: &'q str,
    filter: &'q crate::model::ValidAuditFilter,
    after: Option<&'q Position>,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let mut binds = vec![Bind::Text(account_id)];
    let mut sql = format!("SELECT {READ_COLUMNS} FROM audit_events WHERE account_id = $1");
    let mut push = |sql: &mut String, clause: &str, value: Bind<'q>| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    let text_filters = [
        ("actor_type", &filter.actor_type),
        ("actor_id", &filter.actor_id),
        ("action", &filter.action),
        ("category", &filter.category),
        ("application_id", &filter.application_id),
        ("environment_id", &filter.environment_id),
        ("resource_type", &filter.resource_type),
        ("resource_id", &filter.resource_id),
        ("correlation_id", &filter.correlation_id),
    ];
    for (column, value) in text_filters {
        if let Some(value) = value {
            push(&mut sql, &format!(" AND {column} = ?"), Bind::Text(value));
        }
    }
    if let Some(from) = filter.from_ms {
        push(&mut sql, " AND created_at >= ?", Bind::Int(from));
    }
    if let Some(to) = filter.to_ms {
        push(&mut sql, " AND created_at < ?", Bind::Int(to));
    }
    if let Some(after) = after {
        // (created_at, id) < (a, b), spelled out; the first term bounds the index range.
        push(&mut sql, " AND created_at <= ?", Bind::Int(after.at_ms));
        push(&mut sql, " AND (created_at < ?", Bind::Int(after.at_ms));
        push(&mut sql, " OR id < ?)", Bind::Text(&after.id));
    }
    push(
        &mut sql,
        " ORDER BY created_at DESC, id DESC LIMIT ?",
        Bind::Int(limit),
    );
    let mut query = sqlx::query_as::<_, AuditRow>(&sql);
    for bind in binds {
        query = bind.bind_to(query);
    }
    Ok(query.fetch_all(pool).await?)
}

pub async fn by_id(
    pool: &AnyPool,
    account_id: &str,
    id: &str,
) -> Result<Option<AuditRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {READ_COLUMNS} FROM audit_events WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The events of one operation, oldest first.
pub async fn by_correlation(
    pool: &AnyPool,
    account_id: &str,
    correlation_id: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {READ_COLUMNS} FROM audit_events WHERE account_id = $1 AND correlation_id = $2 \
         ORDER BY created_at, id LIMIT $3"
    ))
    .bind(account_id)
    .bind(correlation_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn retention_days(pool: &AnyPool, account_id: &str) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT audit_retention_days FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(pool)
            .await?,
    )
}

/// Sets the retention; answers the previous value.
pub async fn set_retention_days(
    tx: &mut Tx,
    account_id: &str,
    days: i64,
    now_ms: i64,
) -> Result<i64, AppError> {
    let before: i64 = sqlx::query_scalar("SELECT audit_retention_days FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("UPDATE accounts SET audit_retention_days = $1, updated_at = $2 WHERE id = $3")
        .bind(days)
        .bind(now_ms)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(before)
}

/// Every account with its retention, for the purge.
pub async fn retentions(pool: &AnyPool) -> Result<Vec<(String, i64)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, audit_retention_days FROM accounts ORDER BY id")
            .fetch_all(pool)
            .await?,
    )
}

/// Deletes up to `batch` of the account's events older than `before_ms`; answers how many.
pub async fn purge_batch(
    tx: &mut Tx,
    account_id: &str,
    before_ms: i64,
    batch: i64,
) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM audit_events WHERE account_id = $1 AND id IN \
         (SELECT id FROM audit_events WHERE account_id = $1 AND created_at < $2 \
          ORDER BY created_at, id LIMIT $3)",
    )
    .bind(account_id)
    .bind(before_ms)
    .bind(batch)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
