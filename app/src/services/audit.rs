//! Audit events, appended inside the transaction of the write they describe.

use crate::error::AppError;
use crate::services::Services;
use crate::store::{self, Tx};

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
    Ok(())
}
