//! The audit log: who did what, where, appended in the transaction of the write it describes.

use crate::error::AppError;
use crate::store::Tx;

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
const BINDS_PER_ROW: usize = 16;
/// Rows per statement: well under both engines' bind-parameter limits.
const ROWS_PER_STATEMENT: usize = 100;

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
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let n = row * BINDS_PER_ROW;
                let p: Vec<String> = (1..=BINDS_PER_ROW).map(|i| format!("${}", n + i)).collect();
                // `severity` is always 'info' here; it sits between outcome and correlation_id.
                format!("({}, 'info', {})", p[..13].join(", "), p[13..].join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, event) in chunk {
            let (actor_type, actor_id, actor_label) = match &event.actor {
                Actor::Admin { id, label } => ("admin", Some(id.as_str()), label.as_str()),
                Actor::ApiKey { id, label } => ("api_key", Some(id.as_str()), label.as_str()),
                Actor::Identity { id, label } => ("identity", Some(id.as_str()), label.as_str()),
                Actor::System => ("system", None, "Arbor"),
            };
            query = query
                .bind(&event.account_id)
                .bind(id.as_str())
                .bind(event.application_id.as_deref())
                .bind(event.environment_id.as_deref())
                .bind(actor_type)
                .bind(actor_id)
                .bind(actor_label)
                .bind(event.action)
                .bind(event.category)
                .bind(event.resource_type)
                .bind(event.resource_id.as_deref())
                .bind(&event.resource_label)
                .bind(event.outcome)
                .bind(correlation_id)
                .bind(event.metadata.to_string())
                .bind(at_ms);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
