//! The outbox: email queued inside the transaction of the write that causes it.

use crate::error::AppError;
use crate::model::{MailMessage, MailStatus, MailboxRow};
use crate::store::{Tx, rfc3339};
use sqlx::AnyPool;

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

// Delivery (decisions.md › Email delivery). Each write below is one statement; the claim's WHERE
// is the whole lock: on SQLite writers are serialised, on PostgreSQL the row lock makes a second
// UPDATE re-check the WHERE against the first one's result, so exactly one claimer wins.

/// Due: queued and its time has come, or claimed by a worker whose lease ran out.
const DUE: &str =
    "((status = 'queued' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1))";

/// The ids of up to `limit` due messages, oldest due first.
pub async fn due_ids(pool: &AnyPool, now_ms: i64, limit: i64) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Messages waiting to leave, by status (`queued`, `sending`), for the metrics.
pub async fn depth(pool: &AnyPool) -> Result<Vec<(String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT status, COUNT(*) FROM outbox WHERE status IN ('queued', 'sending') GROUP BY status",
    )
    .fetch_all(pool)
    .await?)
}

/// A message a worker holds the lease of.
#[derive(sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub html_body: Option<String>,
    pub text_body: Option<String>,
    /// Including this attempt.
    pub attempts: i64,
}

/// Takes the lease of message `id` for `owner` until `lease_until_ms` if it is still due; `None`
/// when another worker got it first. The attempt is counted here, so a process that dies while
/// sending still uses up a try.
pub async fn claim(
    tx: &mut Tx,
    id: &str,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Option<Claimed>, AppError> {
    Ok(sqlx::query_as(&format!(
        "UPDATE outbox SET status = 'sending', lease_until = $2, lease_owner = $3, \
         attempts = attempts + 1 WHERE id = $4 AND {DUE} \
         RETURNING id, recipient, subject, html_body, text_body, attempts"
    ))
    .bind(now_ms)
    .bind(lease_until_ms)
    .bind(owner)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// How an attempt ended.
pub enum Outcome<'a> {
    /// Accepted by the server: the bodies are emptied (they carry single-use links).
    Sent { at_ms: i64 },
    /// A temporary failure: try again at `next_ms`.
    Retry { next_ms: i64, error: &'a str },
    /// Refused for good, or out of tries.
    Failed { error: &'a str },
}

/// Records the outcome of `owner`'s attempt; false when the lease was no longer `owner`'s (it
/// expired and another worker took the message), so that worker's outcome stands.
pub async fn finish(
    tx: &mut Tx,
    id: &str,
    owner: &str,
    message_id: &str,
    outcome: &Outcome<'_>,
) -> Result<bool, AppError> {
    const WHERE: &str = "WHERE id = $1 AND lease_owner = $2 AND status = 'sending'";
    let result = match outcome {
        Outcome::Sent { at_ms } => {
            sqlx::query(&format!(
                "UPDATE outbox SET status = 'sent', sent_at = $4, html_body = NULL, \
                 text_body = NULL, last_error = NULL, lease_until = NULL, lease_owner = NULL, \
                 message_id = $3 {WHERE}"
            ))
            .bind(id)
            .bind(owner)
            .bind(message_id)
            .bind(*at_ms)
            .execute(&mut **tx)
            .await?
        }
        Outcome::Retry { next_ms, error } => {
            sqlx::query(&format!(
                "UPDATE outbox SET status = 'queued', next_attempt_at = $4, last_error = $5, \
                 lease_until = NULL, lease_owner = NULL, message_id = $3 {WHERE}"
            ))
            .bind(id)
            .bind(owner)
            .bind(message_id)
            .bind(*next_ms)
            .bind(*error)
            .execute(&mut **tx)
            .await?
        }
        Outcome::Failed { error } => {
            sqlx::query(&format!(
                "UPDATE outbox SET status = 'failed', last_error = $4, lease_until = NULL, \
                 lease_owner = NULL, message_id = $3 {WHERE}"
            ))
            .bind(id)
            .bind(owner)
            .bind(message_id)
            .bind(*error)
            .execute(&mut **tx)
            .await?
        }
    };
    Ok(result.rows_affected() == 1)
}

/// Without an SMTP server, every due message stays in the Dev mailbox; returns how many.
pub async fn hold_due(tx: &mut Tx, now_ms: i64) -> Result<u64, AppError> {
    Ok(sqlx::query(&format!(
        "UPDATE outbox SET status = 'held', lease_until = NULL, lease_owner = NULL WHERE {DUE}"
    ))
    .bind(now_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Deletes finished messages (sent, failed, held) created before `before_ms`.
pub async fn purge(tx: &mut Tx, before_ms: i64) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "DELETE FROM outbox WHERE created_at < $1 AND status IN ('sent', 'failed', 'held')",
    )
    .bind(before_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

// The mailbox: an Account's messages, newest first.

const ROW_COLUMNS: &str = "o.id, o.recipient, o.subject, o.kind, o.status, o.attempts, \
     o.last_error, o.created_at, o.sent_at, o.next_attempt_at, \
     p.name AS application_name, e.name AS environment_name";
const ROW_FROM: &str = "FROM outbox o \
     LEFT JOIN applications p ON p.account_id = o.account_id AND p.id = o.application_id \
     LEFT JOIN environments e ON e.account_id = o.account_id AND e.id = o.environment_id";

#[derive(sqlx::FromRow)]
struct StoredRow {
    id: String,
    recipient: String,
    subject: String,
    kind: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
    next_attempt_at: i64,
    application_name: Option<String>,
    environment_name: Option<String>,
}

impl From<StoredRow> for MailboxRow {
    fn from(r: StoredRow) -> Self {
        let status = MailStatus::from_stored(&r.status);
        MailboxRow {
            id: r.id,
            recipient: r.recipient,
            subject: r.subject,
            kind: r.kind,
            status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: rfc3339(r.created_at),
            sent_at: r.sent_at.map(rfc3339),
            next_attempt_at: (status == MailStatus::Queued).then(|| rfc3339(r.next_attempt_at)),
            application_name: r.application_name,
            environment_name: r.environment_name,
        }
    }
}

/// One page of the account's messages and how many there are.
pub async fn page(
    pool: &AnyPool,
    account_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MailboxRow>, i64), AppError> {
    let rows: Vec<StoredRow> = sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS} {ROW_FROM} WHERE o.account_id = $1 \
         ORDER BY o.created_at DESC, o.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(account_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(pool)
        .await?;
    Ok((rows.into_iter().map(MailboxRow::from).collect(), total))
}

#[derive(sqlx::FromRow)]
struct StoredMessage {
    #[sqlx(flatten)]
    row: StoredRow,
    html_body: Option<String>,
    text_body: Option<String>,
    message_id: Option<String>,
}

/// One message of the account, with its bodies.
pub async fn message(
    pool: &AnyPool,
    account_id: &str,
    id: &str,
) -> Result<Option<MailMessage>, AppError> {
    let stored: Option<StoredMessage> = sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS}, o.html_body, o.text_body, o.message_id {ROW_FROM} \
         WHERE o.account_id = $1 AND o.id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(stored.map(|m| MailMessage {
        row: m.row.into(),
        html_body: m.html_body,
        text_body: m.text_body,
        message_id: m.message_id,
    }))
}

/// The id of the account with this slug.
pub async fn account_id_by_slug(pool: &AnyPool, slug: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE slug = $1")
            .bind(slug)
            .fetch_optional(pool)
            .await?,
    )
}
