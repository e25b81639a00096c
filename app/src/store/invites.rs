//! Identity invites. An invite is found by id within its scope (the dashboard, the API) or by the
//! SHA-256 of its link's token (the accept page): an index probe on a digest, never a comparison
//! of secrets in memory. Every change of state is a guarded UPDATE (`status = 'pending'` and not
//! expired), so two requests racing on one invite cannot both win.

use crate::error::AppError;
use crate::model::{Invite, InviteIntent, InviteStatus, InviteSummary};
use crate::store::{Flag, Tx, insert_unique, rfc3339};
use sqlx::AnyPool;

const COLUMNS: &str = "account_id, id, application_id, environment_id, email, intent, first_name, \
     last_name, role_id, node_id, status, send_email, expires_at, invited_by, inviter_email, \
     accepted_at, created_at";

/// An invite row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredInvite {
    pub account_id: String,
    pub id: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub email: String,
    intent: String,
    pub first_name: String,
    pub last_name: String,
    pub role_id: Option<String>,
    pub node_id: Option<String>,
    status: String,
    send_email: Flag,
    pub expires_at: i64,
    pub invited_by: String,
    pub inviter_email: Option<String>,
    pub accepted_at: Option<i64>,
    pub created_at: i64,
}

impl StoredInvite {
    pub fn intent(&self) -> InviteIntent {
        InviteIntent::from_stored(&self.intent)
    }

    pub fn status(&self, now_ms: i64) -> InviteStatus {
        InviteStatus::derive(&self.status, self.expires_at, now_ms)
    }

    pub fn send_email(&self) -> bool {
        self.send_email.into()
    }

    /// `(role_id, node_id)` when the invite carries an assignment.
    pub fn assignment(&self) -> Option<(&str, &str)> {
        self.role_id.as_deref().zip(self.node_id.as_deref())
    }

    pub fn to_dto(&self, now_ms: i64) -> Invite {
        Invite {
            id: self.id.clone(),
            email: self.email.clone(),
            intent: self.intent(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            name: format!("{} {}", self.first_name, self.last_name),
            application_id: self.application_id.clone(),
            environment_id: self.environment_id.clone(),
            role_id: self.role_id.clone(),
            node_id: self.node_id.clone(),
            has_initial_assignment: self.assignment().is_some(),
            status: self.status(now_ms),
            send_email: self.send_email(),
            expires_at: rfc3339(self.expires_at),
            invited_by: self.invited_by.clone(),
            accepted_at: self.accepted_at.map(rfc3339),
            created_at: rfc3339(self.created_at),
        }
    }
}

pub struct NewInvite<'a> {
    pub account_id: &'a str,
    pub id: &'a str,
    pub application_id: Option<&'a str>,
    pub environment_id: Option<&'a str>,
    pub email: &'a str,
    pub intent: InviteIntent,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub assignment: Option<(&'a str, &'a str)>,
    pub token_hash: &'a str,
    pub send_email: bool,
    pub expires_ms: i64,
    pub invited_by: &'a str,
    pub inviter_email: Option<&'a str>,
    pub now_ms: i64,
}

/// The scope filter: an environment's invites, or the Account tier's (`environment_id` NULL).
const SCOPE: &str = "account_id = $1 AND COALESCE(environment_id, '') = $2";

/// Marks the scope's pending invites for `email` that ran out as `expired`, so the one-pending
/// rule only counts live ones.
pub async fn expire_stale(
    tx: &mut Tx,
    account_id: &str,
    environment_id: Option<&str>,
    email: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(&format!(
        "UPDATE identity_invites SET status = 'expired', updated_at = $3 \
         WHERE {SCOPE} AND email = $4 AND status = 'pending' AND expires_at <= $3"
    ))
    .bind(account_id)
    .bind(environment_id.unwrap_or_default())
    .bind(now_ms)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts the invite; `Ok(false)` when the scope already has a pending one for the email.
pub async fn insert(tx: &mut Tx, n: &NewInvite<'_>) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO identity_invites (account_id, id, application_id, environment_id, email, intent, \
           first_name, last_name, role_id, node_id, status, token_hash, send_email, expires_at, \
           invited_by, inviter_email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $14, $15, $16, $16) \
         ON CONFLICT DO NOTHING",
    )
    .bind(n.account_id)
    .bind(n.id)
    .bind(n.application_id)
    .bind(n.environment_id)
    .bind(n.email)
    .bind(n.intent.as_str())
    .bind(n.first_name)
    .bind(n.last_name)
    .bind(n.assignment.map(|(role, _)| role))
    .bind(n.assignment.map(|(_, node)| node))
    .bind(n.token_hash)
    .bind(i64::from(n.send_email))
    .bind(n.expires_ms)
    .bind(n.invited_by)
    .bind(n.inviter_email)
    .bind(n.now_ms);
    insert_unique(tx, insert).await
}

/// The id of the scope's pending invite for `email`, if any.
pub async fn pending_id(
    tx: &mut Tx,
    account_id: &str,
    environment_id: Option<&str>,
    email: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM identity_invites WHERE {SCOPE} AND email = $3 AND status = 'pending'"
    ))
    .bind(account_id)
    .bind(environment_id.unwrap_or_default())
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The environment's invite `id`.
pub async fn by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    environment_id: &str,
    id: &str,
) -> Result<Option<StoredInvite>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM identity_invites WHERE {SCOPE} AND id = $3"
    ))
    .bind(account_id)
    .bind(environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?)
}

/// The invite whose link carries the token with this digest.
pub async fn by_token_hash(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    token_hash: &str,
) -> Result<Option<StoredInvite>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM identity_invites WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(executor)
    .await?)
}

/// A new link for a live pending invite: the old token stops working and the seven days start
/// over. `false` when it is no longer pending.
pub async fn rotate_token(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    token_hash: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE identity_invites SET token_hash = $1, expires_at = $2, updated_at = $3 \
         WHERE account_id = $4 AND id = $5 AND status = 'pending' AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(expires_ms)
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a live pending invite; `false` when it is no longer pending.
pub async fn revoke(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE identity_invites SET status = 'revoked', revoked_at = $1, updated_at = $1 \
         WHERE account_id = $2 AND id = $3 AND status = 'pending' AND expires_at > $1",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends the token: the invite is accepted by `identity_id` — only if it is still pending, live
/// and still carries this token (a concurrent acceptance or a resend makes this `false`).
pub async fn mark_accepted(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    token_hash: &str,
    identity_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE identity_invites SET status = 'accepted', accepted_at = $1, identity_id = $2, updated_at = $1 \
         WHERE account_id = $3 AND id = $4 AND token_hash = $5 AND status = 'pending' AND expires_at > $1",
    )
    .bind(now_ms)
    .bind(identity_id)
    .bind(account_id)
    .bind(id)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The SQL condition for a status as read (expiry derived from `$now`).
fn status_condition(status: InviteStatus, now: &str) -> String {
    match status {
        InviteStatus::Pending => format!("status = 'pending' AND expires_at > {now}"),
        InviteStatus::Expired => {
            format!("(status = 'expired' OR (status = 'pending' AND expires_at <= {now}))")
        }
        InviteStatus::Accepted => "status = 'accepted'".to_owned(),
        InviteStatus::Revoked => "status = 'revoked'".to_owned(),
    }
}

/// One page of the environment's invites, newest first, optionally of one status, with the total.
pub async fn page(
    pool: &AnyPool,
    account_id: &str,
    environment_id: &str,
    status: Option<InviteStatus>,
    now_ms: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<StoredInvite>, i64), AppError> {
    // `$3` (now) is only bound when the status filter uses it.
    let condition = match status {
        Some(s) => format!("{SCOPE} AND {}", status_condition(s, "$3")),
        None => SCOPE.to_owned(),
    };
    let count_sql = format!("SELECT COUNT(*) FROM identity_invites WHERE {condition}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
        .bind(account_id)
        .bind(environment_id);
    // Limit and offset are numbers we computed, so they are written into the text.
    let list_sql = format!(
        "SELECT {COLUMNS} FROM identity_invites WHERE {condition} \
         ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut list = sqlx::query_as::<_, StoredInvite>(&list_sql)
        .bind(account_id)
        .bind(environment_id);
    if status.is_some() {
        count = count.bind(now_ms);
        list = list.bind(now_ms);
    }
    let total = count.fetch_one(pool).await?;
    let rows = list.fetch_all(pool).await?;
    Ok((rows, total))
}

/// The environment's invite counts by status as read.
pub async fn summary(
    pool: &AnyPool,
    account_id: &str,
    environment_id: &str,
    now_ms: i64,
) -> Result<InviteSummary, AppError> {
    let count = |status: InviteStatus| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT)",
            status_condition(status, "$3")
        )
    };
    Ok(sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS total_invites, {} AS pending_count, \
           CAST(COALESCE(SUM(CASE WHEN {} AND role_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending_with_role_count, \
           {} AS accepted_count, {} AS expired_count, {} AS revoked_count \
         FROM identity_invites WHERE {SCOPE}",
        count(InviteStatus::Pending),
        status_condition(InviteStatus::Pending, "$3"),
        count(InviteStatus::Accepted),
        count(InviteStatus::Expired),
        count(InviteStatus::Revoked),
    ))
    .bind(account_id)
    .bind(environment_id)
    .bind(now_ms)
    .fetch_one(pool)
    .await?)
}

/// What the accept page names: the account (and its slug, for the sign-in link) and the
/// application.
#[derive(sqlx::FromRow)]
pub struct InviteNames {
    pub account_name: String,
    pub account_slug: String,
    pub application_name: Option<String>,
}

pub async fn names(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    application_id: Option<&str>,
) -> Result<InviteNames, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.name AS account_name, a.slug AS account_slug, p.name AS application_name \
         FROM accounts a LEFT JOIN applications p ON p.account_id = a.id AND p.id = $2 \
         WHERE a.id = $1",
    )
    .bind(account_id)
    .bind(application_id)
    .fetch_one(executor)
    .await?)
}
