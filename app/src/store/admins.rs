use crate::error::AppError;
use crate::model::ActiveStatus;
use crate::store::{Tx, insert_unique};
use sqlx::AnyPool;

/// An admin as sign-in needs it.
pub struct AdminCredentials {
    pub id: String,
    pub password_hash: String,
    pub active: bool,
}

pub async fn email_exists(tx: &mut Tx, email: &str) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM admin_users WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

pub struct NewAdmin<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
    pub now_ms: i64,
}

/// Inserts an admin; `Ok(false)` when the email is taken (a concurrent sign-up won the race).
pub async fn insert(tx: &mut Tx, admin: NewAdmin<'_>) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO admin_users (id, email, first_name, last_name, password_hash, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
    )
    .bind(admin.id)
    .bind(admin.email)
    .bind(admin.first_name)
    .bind(admin.last_name)
    .bind(admin.password_hash)
    .bind(admin.now_ms);
    insert_unique(tx, insert).await
}

pub async fn add_member(
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
    role: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO account_members (account_id, admin_user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(admin_id)
    .bind(role)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    id: String,
    password_hash: String,
    status: String,
}

impl From<CredentialsRow> for AdminCredentials {
    fn from(row: CredentialsRow) -> Self {
        AdminCredentials {
            id: row.id,
            password_hash: row.password_hash,
            active: ActiveStatus::from_stored(&row.status).is_active(),
        }
    }
}

pub async fn credentials(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<AdminCredentials>, AppError> {
    let row: Option<CredentialsRow> =
        sqlx::query_as("SELECT id, password_hash, status FROM admin_users WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(AdminCredentials::from))
}

/// When the admin last started a session (Tenant › Team shows it).
pub async fn record_sign_in(tx: &mut Tx, admin_id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE admin_users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(admin_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The admin behind an email, as forgot-password needs it (any status: the service decides).
pub struct AdminContact {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub active: bool,
    pub email_verified: bool,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: String,
    email: String,
    first_name: String,
    status: String,
    email_verified_at: Option<i64>,
}

impl From<ContactRow> for AdminContact {
    fn from(row: ContactRow) -> Self {
        AdminContact {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            active: ActiveStatus::from_stored(&row.status).is_active(),
            email_verified: row.email_verified_at.is_some(),
        }
    }
}

const CONTACT: &str = "SELECT id, email, first_name, status, email_verified_at FROM admin_users";

pub async fn contact_by_email(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    email: &str,
) -> Result<Option<AdminContact>, AppError> {
    let row: Option<ContactRow> = sqlx::query_as(&format!("{CONTACT} WHERE email = $1"))
        .bind(email)
        .fetch_optional(db)
        .await?;
    Ok(row.map(AdminContact::from))
}

pub async fn contact(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    id: &str,
) -> Result<Option<AdminContact>, AppError> {
    let row: Option<ContactRow> = sqlx::query_as(&format!("{CONTACT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(AdminContact::from))
}

/// The stored hash of an admin's password (change-password checks the current one).
pub async fn password_hash(pool: &AnyPool, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM admin_users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn set_password(
    tx: &mut Tx,
    id: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE admin_users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stamps the admin's email as verified (kept as it was when already verified).
pub async fn mark_email_verified(tx: &mut Tx, id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE admin_users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 WHERE id = $2",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The Account an admin last chose in the Account picker.
pub async fn last_account(pool: &AnyPool, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT last_account_id FROM admin_users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .flatten(),
    )
}

pub async fn set_last_account(tx: &mut Tx, id: &str, account_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE admin_users SET last_account_id = $1 WHERE id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub use crate::store::identity_sessions::TokenPurpose;

pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub id: &'a str,
    pub admin_id: &'a str,
    pub purpose: TokenPurpose,
    pub now_ms: i64,
    pub expires_ms: i64,
}

/// Stores a new emailed token; the admin's older unused tokens of the same purpose stop working
/// (only the newest link does: a resend rotates).
pub async fn insert_token(tx: &mut Tx, t: NewToken<'_>) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM admin_tokens WHERE admin_user_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(t.admin_id)
    .bind(t.purpose.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO admin_tokens (token_hash, id, admin_user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(t.token_hash)
    .bind(t.id)
    .bind(t.admin_id)
    .bind(t.purpose.as_str())
    .bind(t.now_ms)
    .bind(t.expires_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An emailed admin token as stored, with the admin it was sent to.
#[derive(sqlx::FromRow)]
pub struct TokenRow {
    pub admin_user_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub email: String,
}

pub async fn token(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    token_hash: &str,
    purpose: TokenPurpose,
) -> Result<Option<TokenRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.admin_user_id, t.expires_at, t.used_at, a.email FROM admin_tokens t \
         JOIN admin_users a ON a.id = t.admin_user_id WHERE t.token_hash = $1 AND t.purpose = $2",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?)
}

/// Spends a token; `false` when it was spent meanwhile (two submissions race: one wins).
pub async fn use_token(tx: &mut Tx, token_hash: &str, now_ms: i64) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE admin_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now_ms)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}
