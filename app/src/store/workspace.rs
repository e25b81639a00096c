//! Reads behind the dashboard shell: memberships, applications, environments, counts.

use crate::error::AppError;
use crate::model::{AccountRef, AccountRole, EnvironmentCounts, EnvironmentKind, EnvironmentRef};
use crate::store::{Flag, Tx};
use sqlx::AnyPool;

pub struct Membership {
    pub account: AccountRef,
    pub role: AccountRole,
}

#[derive(sqlx::FromRow)]
struct StoredMembership {
    id: String,
    name: String,
    slug: String,
    role: String,
}

impl From<StoredMembership> for Membership {
    fn from(r: StoredMembership) -> Self {
        Membership {
            account: AccountRef {
                id: r.id,
                name: r.name,
                slug: r.slug,
            },
            role: AccountRole::parse(&r.role).unwrap_or(AccountRole::Viewer),
        }
    }
}

/// The accounts an admin belongs to, oldest membership first.
pub async fn memberships(pool: &AnyPool, admin_id: &str) -> Result<Vec<Membership>, AppError> {
    let rows: Vec<StoredMembership> = sqlx::query_as(
        "SELECT a.id, a.name, a.slug, m.role FROM account_members m \
         JOIN accounts a ON a.id = m.account_id WHERE m.admin_user_id = $1 ORDER BY m.created_at, a.id",
    )
    .bind(admin_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Membership::from).collect())
}

#[derive(sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub default_environment_id: Option<String>,
    #[sqlx(rename = "created_at")]
    pub created_at_ms: i64,
}

pub async fn applications(
    pool: &AnyPool,
    account_id: &str,
) -> Result<Vec<ApplicationRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, slug, default_environment_id, created_at FROM applications \
         WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?)
}

#[derive(sqlx::FromRow)]
struct StoredEnvironment {
    application_id: String,
    id: String,
    name: String,
    slug: String,
    kind: String,
    is_default: Flag,
}

/// Every environment of the account, with its application id, Development before Production.
pub async fn environments(
    pool: &AnyPool,
    account_id: &str,
) -> Result<Vec<(String, EnvironmentRef)>, AppError> {
    let rows: Vec<StoredEnvironment> = sqlx::query_as(
        "SELECT e.application_id, e.id, e.name, e.slug, e.kind, \
         CASE WHEN a.default_environment_id = e.id THEN 1 ELSE 0 END AS is_default \
         FROM environments e JOIN applications a ON a.account_id = e.account_id AND a.id = e.application_id \
         WHERE e.account_id = $1 ORDER BY e.created_at, e.id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.application_id,
                EnvironmentRef {
                    id: r.id,
                    name: r.name,
                    slug: r.slug,
                    kind: EnvironmentKind::parse(&r.kind),
                    is_default: r.is_default.into(),
                },
            )
        })
        .collect())
}

/// One application's environments, as `environments` reads them, in a transaction.
pub async fn environments_of(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<Vec<EnvironmentRef>, AppError> {
    let rows: Vec<StoredEnvironment> = sqlx::query_as(
        "SELECT e.application_id, e.id, e.name, e.slug, e.kind, \
         CASE WHEN a.default_environment_id = e.id THEN 1 ELSE 0 END AS is_default \
         FROM environments e JOIN applications a ON a.account_id = e.account_id AND a.id = e.application_id \
         WHERE e.account_id = $1 AND e.application_id = $2 ORDER BY e.created_at, e.id",
    )
    .bind(account_id)
    .bind(application_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EnvironmentRef {
            id: r.id,
            name: r.name,
            slug: r.slug,
            kind: EnvironmentKind::parse(&r.kind),
            is_default: r.is_default.into(),
        })
        .collect())
}

/// An API key with the account, application and environment it is bound to.
#[derive(sqlx::FromRow)]
pub struct KeyEnvironmentRow {
    pub account_name: String,
    pub account_slug: String,
    pub application_name: String,
    pub application_slug: String,
    pub environment_name: String,
    pub environment_slug: String,
    pub environment_kind: String,
    pub is_default: Flag,
    pub key_name: String,
    pub key_preview: String,
    pub key_scopes: String,
}

pub async fn key_environment(
    pool: &AnyPool,
    account_id: &str,
    key_id: &str,
    environment_id: &str,
) -> Result<Option<KeyEnvironmentRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.name AS account_name, c.slug AS account_slug, a.name AS application_name, \
           a.slug AS application_slug, e.name AS environment_name, e.slug AS environment_slug, \
           e.kind AS environment_kind, \
           CASE WHEN a.default_environment_id = e.id THEN 1 ELSE 0 END AS is_default, \
           k.name AS key_name, k.key_preview, k.scopes AS key_scopes \
         FROM api_keys k \
         JOIN environments e ON e.account_id = k.account_id AND e.id = k.environment_id \
         JOIN applications a ON a.account_id = e.account_id AND a.id = e.application_id \
         JOIN accounts c ON c.id = k.account_id \
         WHERE k.account_id = $1 AND k.id = $2 AND k.environment_id = $3",
    )
    .bind(account_id)
    .bind(key_id)
    .bind(environment_id)
    .fetch_optional(pool)
    .await?)
}

/// Counts for one environment. One round trip: every count is a scalar sub-query.
pub async fn counts(
    pool: &AnyPool,
    account_id: &str,
    application_id: &str,
    environment_id: &str,
    now_ms: i64,
) -> Result<EnvironmentCounts, AppError> {
    Ok(sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM app_memberships WHERE account_id = $1 AND application_id = $2 AND status = 'active') AS identities, \
           (SELECT COUNT(*) FROM roles WHERE account_id = $1 AND environment_id = $3 AND is_system = 0) AS custom_roles, \
           (SELECT COUNT(*) FROM permissions WHERE account_id = $1 AND environment_id = $3 AND source = 'custom') AS custom_permissions, \
           (SELECT COUNT(*) FROM permissions WHERE account_id = $1 AND environment_id = $3 AND source = 'system') AS system_permissions, \
           (SELECT COUNT(*) FROM nodes WHERE account_id = $1 AND environment_id = $3) AS nodes, \
           (SELECT COUNT(*) FROM assignments WHERE account_id = $1 AND environment_id = $3) AS assignments, \
           (SELECT COUNT(*) FROM roles r WHERE r.account_id = $1 AND r.environment_id = $3 AND r.is_system = 0 \
              AND EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.account_id = r.account_id AND rp.role_id = r.id)) AS roles_with_permissions, \
           (SELECT COUNT(*) FROM identity_invites WHERE account_id = $1 AND environment_id = $3) AS invites, \
           (SELECT COUNT(*) FROM identity_invites WHERE account_id = $1 AND environment_id = $3 \
              AND status = 'pending' AND expires_at > $4 AND role_id IS NOT NULL) AS pending_invites_with_role",
    )
    .bind(account_id)
    .bind(application_id)
    .bind(environment_id)
    .bind(now_ms)
    .fetch_one(pool)
    .await?)
}

/// The environment an admin last used in an application, if still there.
pub async fn last_environment(
    pool: &AnyPool,
    account_id: &str,
    admin_id: &str,
    application_id: &str,
) -> Result<Option<String>, AppError> {
    let env: Option<String> = sqlx::query_scalar(
        "SELECT environment_id FROM admin_app_state WHERE account_id = $1 AND admin_user_id = $2 AND application_id = $3",
    )
    .bind(account_id)
    .bind(admin_id)
    .bind(application_id)
    .fetch_optional(pool)
    .await?;
    Ok(env)
}

pub async fn remember_environment(
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
    application_id: &str,
    environment_id: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO admin_app_state (account_id, admin_user_id, application_id, environment_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, admin_user_id, application_id) \
         DO UPDATE SET environment_id = excluded.environment_id, updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(admin_id)
    .bind(application_id)
    .bind(environment_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
