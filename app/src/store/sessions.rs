use crate::error::AppError;
use crate::model::ActiveStatus;
use crate::store::Tx;
use sqlx::AnyPool;

pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub admin_id: &'a str,
    pub now_ms: i64,
    pub expires_ms: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, s: NewSession<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO admin_sessions (id, token_hash, admin_user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(s.id)
    .bind(s.token_hash)
    .bind(s.admin_id)
    .bind(s.now_ms)
    .bind(s.expires_ms)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A live session with the admin it belongs to.
pub struct SessionRow {
    pub id: String,
    pub admin_id: String,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub admin_active: bool,
}

#[derive(sqlx::FromRow)]
struct StoredSession {
    id: String,
    admin_user_id: String,
    last_seen_at: i64,
    expires_at: i64,
    email: String,
    first_name: String,
    last_name: String,
    status: String,
}

impl From<StoredSession> for SessionRow {
    fn from(r: StoredSession) -> Self {
        SessionRow {
            id: r.id,
            admin_id: r.admin_user_id,
            last_seen_ms: r.last_seen_at,
            expires_ms: r.expires_at,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            admin_active: ActiveStatus::from_stored(&r.status).is_active(),
        }
    }
}

pub async fn find_by_token_hash(
    pool: &AnyPool,
    token_hash: &str,
) -> Result<Option<SessionRow>, AppError> {
    let row: Option<StoredSession> = sqlx::query_as(
        "SELECT s.id, s.admin_user_id, s.last_seen_at, s.expires_at, a.email, a.first_name, a.last_name, a.status \
         FROM admin_sessions s JOIN admin_users a ON a.id = s.admin_user_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(SessionRow::from))
}

pub async fn touch(tx: &mut Tx, id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE admin_sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM admin_sessions WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes sessions that can no longer be used, so the table does not grow without bound.
pub async fn delete_expired(
    tx: &mut Tx,
    admin_id: &str,
    now_ms: i64,
    idle_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM admin_sessions WHERE admin_user_id = $1 AND (expires_at <= $2 OR last_seen_at <= $3)",
    )
    .bind(admin_id)
    .bind(now_ms)
    .bind(now_ms - idle_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One of an admin's sessions, for the Sessions page.
#[derive(sqlx::FromRow)]
pub struct ListedSession {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The admin's sessions that are still usable, most recently seen first.
pub async fn live_for_admin(
    pool: &AnyPool,
    admin_id: &str,
    now_ms: i64,
    idle_ms: i64,
) -> Result<Vec<ListedSession>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, created_at, last_seen_at, ip, user_agent FROM admin_sessions \
         WHERE admin_user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
         ORDER BY last_seen_at DESC, id DESC",
    )
    .bind(admin_id)
    .bind(now_ms)
    .bind(now_ms - idle_ms)
    .fetch_all(pool)
    .await?)
}

/// Ends the admin's sessions (all but `keep`, when given); how many ended.
pub async fn delete_for_admin(
    tx: &mut Tx,
    admin_id: &str,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM admin_sessions WHERE admin_user_id = $1 AND id <> $2")
        .bind(admin_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

/// Ends one session of the admin; `false` when it is not (or no longer) theirs.
pub async fn delete_of_admin(tx: &mut Tx, admin_id: &str, id: &str) -> Result<bool, AppError> {
    let result = sqlx::query("DELETE FROM admin_sessions WHERE admin_user_id = $1 AND id = $2")
        .bind(admin_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}
