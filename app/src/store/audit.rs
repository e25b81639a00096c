use crate::error::AppError;
use crate::services::audit::{Actor, Event};
use crate::store::Tx;

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
