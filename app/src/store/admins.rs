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
