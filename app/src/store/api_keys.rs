//! API key rows. Keys are found by the SHA-256 of the whole key (an index probe on a digest),
//! never by comparing secrets in memory.

use crate::error::AppError;
use crate::model::EnvScope;
use crate::store::Tx;
use crate::store::access::Head;
use sqlx::AnyPool;

pub struct ApiKeyRow {
    pub account_id: String,
    pub id: String,
    pub application_id: String,
    pub environment_id: String,
    pub name: String,
    pub description: String,
    pub key_preview: String,
    pub scopes: Vec<String>,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    pub created_ms: i64,
}

const COLUMNS: &str = "account_id, id, application_id, environment_id, name, description, key_preview, \
     scopes, expires_at, revoked_at, last_used_at, created_at";

/// An `api_keys` row as stored (`scopes` is a JSON list).
#[derive(sqlx::FromRow)]
struct Stored {
    account_id: String,
    id: String,
    application_id: String,
    environment_id: String,
    name: String,
    description: String,
    key_preview: String,
    scopes: String,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
    created_at: i64,
}

impl From<Stored> for ApiKeyRow {
    fn from(r: Stored) -> Self {
        ApiKeyRow {
            account_id: r.account_id,
            id: r.id,
            application_id: r.application_id,
            environment_id: r.environment_id,
            name: r.name,
            description: r.description,
            key_preview: r.key_preview,
            scopes: serde_json::from_str(&r.scopes).unwrap_or_default(),
            expires_ms: r.expires_at,
            revoked_ms: r.revoked_at,
            last_used_ms: r.last_used_at,
            created_ms: r.created_at,
        }
    }
}

pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub key_hash: &'a str,
    pub key_preview: &'a str,
    pub scopes: &'a [String],
    pub expires_ms: Option<i64>,
    pub created_by: &'a str,
    pub now_ms: i64,
}

pub async fn insert(tx: &mut Tx, env: &EnvScope, k: NewApiKey<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO api_keys (account_id, id, application_id, environment_id, name, description, key_hash, \
           key_preview, scopes, expires_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&env.account_id)
    .bind(k.id)
    .bind(&env.application_id)
    .bind(&env.environment_id)
    .bind(k.name)
    .bind(k.description)
    .bind(k.key_hash)
    .bind(k.key_preview)
    .bind(serde_json::to_string(k.scopes).unwrap_or_else(|_| "[]".to_owned()))
    .bind(k.expires_ms)
    .bind(k.created_by)
    .bind(k.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A key row with its account's journal head, read by one statement.
#[derive(sqlx::FromRow)]
struct StoredWithHead {
    #[sqlx(flatten)]
    key: Stored,
    head_seq: i64,
    head_key_seq: i64,
}

/// The key with this digest and its account's journal head, read together: one statement reads
/// one snapshot on both engines, so the row is at least as new as that head — what a cached copy
/// is then checked against (`services::api_keys`).
pub async fn by_hash_with_head(
    pool: &AnyPool,
    key_hash: &str,
) -> Result<Option<(ApiKeyRow, Head)>, AppError> {
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("k.{}", c.trim()))
        .collect();
    let found: Option<StoredWithHead> = sqlx::query_as(&format!(
        "SELECT {}, COALESCE(h.seq, 0) AS head_seq, COALESCE(h.key_seq, 0) AS head_key_seq \
         FROM api_keys k LEFT JOIN access_heads h ON h.account_id = k.account_id \
         WHERE k.key_hash = $1",
        columns.join(", ")
    ))
    .bind(key_hash)
    .fetch_optional(pool)
    .await?;
    Ok(found.map(|r| {
        let head = Head {
            seq: r.head_seq,
            key_seq: r.head_key_seq,
        };
        (ApiKeyRow::from(r.key), head)
    }))
}

pub async fn by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    id: &str,
) -> Result<Option<ApiKeyRow>, AppError> {
    let found: Option<Stored> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE account_id = $1 AND environment_id = $2 AND id = $3"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(found.map(ApiKeyRow::from))
}

pub async fn of_environment(pool: &AnyPool, env: &EnvScope) -> Result<Vec<ApiKeyRow>, AppError> {
    let rows: Vec<Stored> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE account_id = $1 AND environment_id = $2 \
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ApiKeyRow::from).collect())
}

/// `Ok(false)` when it was already revoked.
pub async fn revoke(tx: &mut Tx, env: &EnvScope, id: &str, now_ms: i64) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND environment_id = $3 AND id = $4 \
         AND revoked_at IS NULL",
    )
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records use; callers coalesce so this runs at most once a minute per key.
pub async fn touch(tx: &mut Tx, account_id: &str, id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE account_id = $2 AND id = $3")
        .bind(now_ms)
        .bind(account_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `(account_id, application_id, environment_id, kind)` of the environment with these slugs.
pub async fn environment_by_slugs(
    pool: &AnyPool,
    account: &str,
    application: &str,
    environment: &str,
) -> Result<Option<(String, String, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT e.account_id, e.application_id, e.id, e.kind FROM environments e \
         JOIN applications ap ON ap.account_id = e.account_id AND ap.id = e.application_id \
         JOIN accounts ac ON ac.id = e.account_id \
         WHERE ac.slug = $1 AND ap.slug = $2 AND e.slug = $3",
    )
    .bind(account)
    .bind(application)
    .bind(environment)
    .fetch_optional(pool)
    .await?)
}

pub async fn environment_kind(pool: &AnyPool, env: &EnvScope) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT kind FROM environments WHERE account_id = $1 AND id = $2")
            .bind(&env.account_id)
            .bind(&env.environment_id)
            .fetch_one(pool)
            .await?,
    )
}
