use crate::error::AppError;
use crate::services::audit::{Actor, Event};
use crate::store::Tx;

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    at_ms: i64,
    correlation_id: &str,
    event: &Event,
) -> Result<(), AppError> {
    let (actor_type, actor_id, actor_label) = match &event.actor {
        Actor::Admin { id, label } => ("admin", Some(id.as_str()), label.as_str()),
        Actor::ApiKey { id, label } => ("api_key", Some(id.as_str()), label.as_str()),
        Actor::System => ("system", None, "Arbor"),
    };
    sqlx::query(
        "INSERT INTO audit_events (account_id, id, application_id, environment_id, actor_type, \
         actor_id, actor_label, action, category, resource_type, resource_id, resource_label, \
         outcome, severity, correlation_id, metadata, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'info', $14, $15, $16)",
    )
    .bind(&event.account_id)
    .bind(id)
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
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
