use crate::error::AppError;
use crate::store::Tx;
use sqlx::{AnyPool, Row};

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
    let result = sqlx::query(
        "INSERT INTO admin_users (id, email, first_name, last_name, password_hash, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
    )
    .bind(admin.id)
    .bind(admin.email)
    .bind(admin.first_name)
    .bind(admin.last_name)
    .bind(admin.password_hash)
    .bind(admin.now_ms)
    .execute(&mut **tx)
    .await;
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
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

pub async fn credentials(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<AdminCredentials>, AppError> {
    let row = sqlx::query("SELECT id, password_hash, status FROM admin_users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        Ok(AdminCredentials {
            id: r.try_get("id")?,
            password_hash: r.try_get("password_hash")?,
            active: r.try_get::<String, _>("status")? == "active",
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}
