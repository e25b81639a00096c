//! The outbox: email queued inside the transaction of the write that causes it.

use crate::error::AppError;
use crate::store::Tx;

/// A message as queued.
pub struct QueuedMessage<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub application_id: Option<&'a str>,
    pub environment_id: Option<&'a str>,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub html_body: &'a str,
    pub text_body: &'a str,
    pub created_ms: i64,
}

pub async fn insert(tx: &mut Tx, m: &QueuedMessage<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO outbox (id, account_id, application_id, environment_id, kind, recipient, \
         subject, html_body, text_body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $10)",
    )
    .bind(m.id)
    .bind(m.account_id)
    .bind(m.application_id)
    .bind(m.environment_id)
    .bind(m.kind)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.html_body)
    .bind(m.text_body)
    .bind(m.created_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The names a letter is signed with.
#[derive(sqlx::FromRow)]
pub struct SenderNames {
    pub account_name: String,
    pub application_name: Option<String>,
    pub environment_name: Option<String>,
    pub environment_kind: Option<String>,
}

/// The Account's name and, when given, the Application's and Environment's.
pub async fn sender_names(
    tx: &mut Tx,
    account_id: &str,
    application_id: Option<&str>,
    environment_id: Option<&str>,
) -> Result<SenderNames, AppError> {
    let names = sqlx::query_as::<_, SenderNames>(
        "SELECT a.name AS account_name, p.name AS application_name, \
         e.name AS environment_name, e.kind AS environment_kind \
         FROM accounts a \
         LEFT JOIN applications p ON p.account_id = a.id AND p.id = $2 \
         LEFT JOIN environments e ON e.account_id = a.id AND e.id = $3 \
         WHERE a.id = $1",
    )
    .bind(account_id)
    .bind(application_id)
    .bind(environment_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(names)
}
