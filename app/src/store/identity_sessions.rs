//! Identity sessions, the refresh tokens they rotated away, the emailed single-use tokens, and
//! the sign-in state of an identity (lockout counters, active applications).

use crate::error::AppError;
use crate::model::{ApplicationChoice, IdentityStatus};
use crate::store::{Flag, Tx};
use sqlx::AnyPool;

/// What sign-in needs to know about an identity beyond its password.
#[derive(sqlx::FromRow)]
pub struct SignInState {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    status: String,
    pub password_change_required: Flag,
    pub locked_until: Option<i64>,
    pub email_verified_at: Option<i64>,
}

impl SignInState {
    pub fn status(&self) -> IdentityStatus {
        IdentityStatus::parse(&self.status)
    }
}

pub async fn sign_in_state(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    identity_id: &str,
) -> Result<Option<SignInState>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, email, first_name, last_name, status, password_change_required, locked_until, email_verified_at \
         FROM identities WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(identity_id)
    .fetch_optional(db)
    .await?)
}

/// The identity's lockout state by email (`None`: no such identity).
pub async fn locked_until_by_email(
    pool: &AnyPool,
    account_id: &str,
    email: &str,
) -> Result<Option<(String, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, locked_until FROM identities WHERE account_id = $1 AND email = $2",
    )
    .bind(account_id)
    .bind(email)
    .fetch_optional(pool)
    .await?)
}

/// Counts one more consecutive failure; the `max`-th locks the identity until `lock_until_ms`
/// and starts the count again. Returns whether this failure locked it.
pub async fn record_failed_login(
    tx: &mut Tx,
    account_id: &str,
    identity_id: &str,
    max: i64,
    lock_until_ms: i64,
) -> Result<bool, AppError> {
    let locked: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE identities SET \
           locked_until = CASE WHEN failed_login_count + 1 >= $1 THEN $2 ELSE locked_until END, \
           failed_login_count = CASE WHEN failed_login_count + 1 >= $1 THEN 0 ELSE failed_login_count + 1 END \
         WHERE account_id = $3 AND id = $4 RETURNING locked_until",
    )
    .bind(max)
    .bind(lock_until_ms)
    .bind(account_id)
    .bind(identity_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(locked.flatten() == Some(lock_until_ms))
}

/// A successful sign-in ends the run of failures.
pub async fn clear_failed_logins(
    tx: &mut Tx,
    account_id: &str,
    identity_id: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE identities SET failed_login_count = 0, locked_until = NULL \
         WHERE account_id = $1 AND id = $2 AND (failed_login_count <> 0 OR locked_until IS NOT NULL)",
    )
    .bind(account_id)
    .bind(identity_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct StoredChoice {
    id: String,
    name: String,
    slug: String,
    environment_id: Option<String>,
}

/// The applications the identity is an active member of, each with the environment a session
/// binds to: its default one (or, should it have none, its first).
pub async fn active_applications(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    identity_id: &str,
) -> Result<Vec<(ApplicationChoice, Option<String>)>, AppError> {
    let rows: Vec<StoredChoice> = sqlx::query_as(
        "SELECT a.id, a.name, a.slug, COALESCE(a.default_environment_id, \
           (SELECT e.id FROM environments e WHERE e.account_id = a.account_id AND e.application_id = a.id \
            ORDER BY e.created_at, e.id LIMIT 1)) AS environment_id \
         FROM app_memberships m JOIN applications a ON a.account_id = m.account_id AND a.id = m.application_id \
         WHERE m.account_id = $1 AND m.identity_id = $2 AND m.status = 'active' \
         ORDER BY a.name, a.id",
    )
    .bind(account_id)
    .bind(identity_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                ApplicationChoice {
                    id: r.id,
                    name: r.name,
                    slug: r.slug,
                },
                r.environment_id,
            )
        })
        .collect())
}

pub struct NewSession<'a> {
    pub account_id: &'a str,
    pub id: &'a str,
    pub identity_id: &'a str,
    pub access_hash: &'a str,
    pub access_expires_ms: i64,
    pub now_ms: i64,
    pub expires_ms: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// A session not bound to an application yet (its access token is a selection token).
pub async fn insert(tx: &mut Tx, s: NewSession<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO identity_sessions (account_id, id, identity_id, access_hash, access_expires_at, \
           created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
    )
    .bind(s.account_id)
    .bind(s.id)
    .bind(s.identity_id)
    .bind(s.access_hash)
    .bind(s.access_expires_ms)
    .bind(s.now_ms)
    .bind(s.expires_ms)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// New tokens for a session: a fresh access token and refresh token (and, on selection, the
/// application it is bound to from now on).
pub struct Issue<'a> {
    pub access_hash: &'a str,
    pub access_expires_ms: i64,
    pub refresh_hash: &'a str,
    pub now_ms: i64,
}

/// Binds a selecting session to an application and its environment and gives it real tokens.
/// `false` when the session is gone or already bound.
pub async fn bind_application(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    application_id: &str,
    environment_id: &str,
    issue: Issue<'_>,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identity_sessions SET application_id = $1, environment_id = $2, access_hash = $3, \
           access_expires_at = $4, refresh_hash = $5, last_seen_at = $6 \
         WHERE account_id = $7 AND id = $8 AND application_id IS NULL",
    )
    .bind(application_id)
    .bind(environment_id)
    .bind(issue.access_hash)
    .bind(issue.access_expires_ms)
    .bind(issue.refresh_hash)
    .bind(issue.now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Rotates a bound session's tokens; the refresh token it replaces is remembered as spent.
/// `false` when `old_refresh_hash` is no longer the session's (a concurrent refresh won).
pub async fn rotate(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    old_refresh_hash: &str,
    issue: Issue<'_>,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identity_sessions SET access_hash = $1, access_expires_at = $2, refresh_hash = $3, \
           last_seen_at = $4 WHERE account_id = $5 AND id = $6 AND refresh_hash = $7",
    )
    .bind(issue.access_hash)
    .bind(issue.access_expires_ms)
    .bind(issue.refresh_hash)
    .bind(issue.now_ms)
    .bind(account_id)
    .bind(id)
    .bind(old_refresh_hash)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO identity_spent_refresh_tokens (token_hash, account_id, session_id, spent_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(old_refresh_hash)
    .bind(account_id)
    .bind(id)
    .bind(issue.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// A session with its identity and application, as an authenticated request sees it.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub account_id: String,
    pub id: String,
    pub identity_id: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub access_expires_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    identity_status: String,
    pub password_change_required: Flag,
    pub email_verified_at: Option<i64>,
    pub application_name: Option<String>,
    pub application_slug: Option<String>,
    pub membership_status: Option<String>,
}

impl SessionRow {
    pub fn identity_status(&self) -> IdentityStatus {
        IdentityStatus::parse(&self.identity_status)
    }
}

const SESSION_COLUMNS: &str = "s.account_id, s.id, s.identity_id, s.application_id, s.environment_id, \
     s.access_expires_at, s.last_seen_at, s.expires_at, i.email, i.first_name, i.last_name, \
     i.status AS identity_status, i.password_change_required, i.email_verified_at, \
     a.name AS application_name, a.slug AS application_slug, m.status AS membership_status \
     FROM identity_sessions s \
     JOIN identities i ON i.account_id = s.account_id AND i.id = s.identity_id \
     LEFT JOIN applications a ON a.account_id = s.account_id AND a.id = s.application_id \
     LEFT JOIN app_memberships m ON m.account_id = s.account_id AND m.application_id = s.application_id \
       AND m.identity_id = s.identity_id";

pub async fn by_access_hash(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    hash: &str,
) -> Result<Option<SessionRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} WHERE s.access_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(db)
    .await?)
}

pub async fn by_refresh_hash(tx: &mut Tx, hash: &str) -> Result<Option<SessionRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} WHERE s.refresh_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The session that once held this (since rotated) refresh token.
pub async fn spent_refresh(
    tx: &mut Tx,
    hash: &str,
) -> Result<Option<(String, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.account_id, t.session_id, s.identity_id FROM identity_spent_refresh_tokens t \
         JOIN identity_sessions s ON s.account_id = t.account_id AND s.id = t.session_id \
         WHERE t.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn delete(tx: &mut Tx, account_id: &str, id: &str) -> Result<bool, AppError> {
    let result = sqlx::query("DELETE FROM identity_sessions WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends every session of the identity but `keep` (the one changing its password); returns how
/// many ended.
pub async fn delete_for_identity(
    tx: &mut Tx,
    account_id: &str,
    identity_id: &str,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let result = sqlx::query(
        "DELETE FROM identity_sessions WHERE account_id = $1 AND identity_id = $2 AND id <> $3",
    )
    .bind(account_id)
    .bind(identity_id)
    .bind(keep.unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected())
}

/// Removes the identity's sessions that can no longer be used, so the table does not grow
/// without bound.
pub async fn delete_expired(
    tx: &mut Tx,
    account_id: &str,
    identity_id: &str,
    now_ms: i64,
    idle_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM identity_sessions WHERE account_id = $1 AND identity_id = $2 \
         AND (expires_at <= $3 OR last_seen_at <= $4 OR (application_id IS NULL AND access_expires_at <= $3))",
    )
    .bind(account_id)
    .bind(identity_id)
    .bind(now_ms)
    .bind(now_ms - idle_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What an emailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    EmailVerification,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::EmailVerification => "email_verification",
        }
    }
}

pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub account_id: &'a str,
    pub id: &'a str,
    pub identity_id: &'a str,
    pub purpose: TokenPurpose,
    pub application_id: Option<&'a str>,
    pub environment_id: Option<&'a str>,
    pub now_ms: i64,
    pub expires_ms: i64,
}

/// Stores a new emailed token; the identity's older unused tokens of the same purpose stop
/// working (only the newest link does).
pub async fn insert_token(tx: &mut Tx, t: NewToken<'_>) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM identity_tokens WHERE account_id = $1 AND identity_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(t.account_id)
    .bind(t.identity_id)
    .bind(t.purpose.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO identity_tokens (token_hash, account_id, id, identity_id, purpose, application_id, \
           environment_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.token_hash)
    .bind(t.account_id)
    .bind(t.id)
    .bind(t.identity_id)
    .bind(t.purpose.as_str())
    .bind(t.application_id)
    .bind(t.environment_id)
    .bind(t.now_ms)
    .bind(t.expires_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An emailed token as stored, with the identity it was sent to.
#[derive(sqlx::FromRow)]
pub struct TokenRow {
    pub account_id: String,
    pub id: String,
    pub identity_id: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub email: String,
    pub account_name: String,
}

pub async fn token(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    token_hash: &str,
    purpose: TokenPurpose,
) -> Result<Option<TokenRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.account_id, t.id, t.identity_id, t.application_id, t.environment_id, t.expires_at, \
           t.used_at, i.email, a.name AS account_name \
         FROM identity_tokens t \
         JOIN identities i ON i.account_id = t.account_id AND i.id = t.identity_id \
         JOIN accounts a ON a.id = t.account_id \
         WHERE t.token_hash = $1 AND t.purpose = $2",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?)
}

/// Spends a token; `false` when it was spent meanwhile (two submissions race: one wins).
pub async fn use_token(
    tx: &mut Tx,
    account_id: &str,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identity_tokens SET used_at = $1 WHERE account_id = $2 AND token_hash = $3 AND used_at IS NULL",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The account with this slug: id and name.
pub async fn account_by_slug(
    pool: &AnyPool,
    slug: &str,
) -> Result<Option<(String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name FROM accounts WHERE slug = $1")
            .bind(slug)
            .fetch_optional(pool)
            .await?,
    )
}

/// The identity's id, email and whether its email is verified, by email in the account.
pub async fn identity_by_email(
    pool: &AnyPool,
    account_id: &str,
    email: &str,
) -> Result<Option<(String, String, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, status, email_verified_at FROM identities WHERE account_id = $1 AND email = $2",
    )
    .bind(account_id)
    .bind(email)
    .fetch_optional(pool)
    .await?)
}
