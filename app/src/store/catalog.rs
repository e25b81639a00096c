//! Permissions, roles and their grants, per environment.

use crate::error::AppError;
use crate::model::{ActiveStatus, EnvScope, Permission, Role};
use crate::store::{Flag, Tx, insert_unique, rfc3339, unless_unique_violation};
use sqlx::AnyPool;

const PERMISSION_COLUMNS: &str =
    "id, environment_id, key, description, category, source, version, created_at";

#[derive(sqlx::FromRow)]
struct StoredPermission {
    id: String,
    environment_id: String,
    key: String,
    description: String,
    category: String,
    source: String,
    version: i64,
    created_at: i64,
}

impl StoredPermission {
    /// Rows do not carry the application: the environment in scope names it.
    fn into_permission(self, application_id: &str) -> Permission {
        Permission {
            id: self.id,
            application_id: application_id.to_owned(),
            environment_id: self.environment_id,
            key: self.key,
            description: self.description,
            category: self.category,
            source: self.source,
            version: self.version,
            created_at: rfc3339(self.created_at),
        }
    }
}

pub async fn permissions(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
) -> Result<Vec<Permission>, AppError> {
    let rows: Vec<StoredPermission> = sqlx::query_as(&format!(
        "SELECT {PERMISSION_COLUMNS} FROM permissions WHERE account_id = $1 AND environment_id = $2 ORDER BY category, key"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_permission(&env.application_id))
        .collect())
}

pub async fn permission_by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    id: &str,
) -> Result<Option<Permission>, AppError> {
    let row: Option<StoredPermission> = sqlx::query_as(&format!(
        "SELECT {PERMISSION_COLUMNS} FROM permissions WHERE account_id = $1 AND environment_id = $2 AND id = $3"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| r.into_permission(&env.application_id)))
}

/// Every key in the environment's catalog.
pub async fn existing_keys(tx: &mut Tx, env: &EnvScope) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT key FROM permissions WHERE account_id = $1 AND environment_id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn update_permission(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    version: i64,
    description: &str,
    category: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE permissions SET description = $1, category = $2, version = version + 1, updated_at = $3 \
         WHERE account_id = $4 AND environment_id = $5 AND id = $6 AND version = $7",
    )
    .bind(description)
    .bind(category)
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_permission(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    version: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "DELETE FROM permissions WHERE account_id = $1 AND environment_id = $2 AND id = $3 AND version = $4",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

const ROLE_SELECT: &str = "SELECT r.id, r.environment_id, r.name, r.description, r.is_system, r.status, r.version, \
     r.created_at, r.updated_at, \
     (SELECT COUNT(*) FROM role_permissions rp WHERE rp.account_id = r.account_id AND rp.role_id = r.id) AS permission_count \
     FROM roles r";

#[derive(sqlx::FromRow)]
struct StoredRole {
    id: String,
    environment_id: String,
    name: String,
    description: String,
    is_system: Flag,
    status: String,
    permission_count: i64,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl StoredRole {
    fn into_role(self, application_id: &str) -> Role {
        Role {
            id: self.id,
            application_id: application_id.to_owned(),
            environment_id: self.environment_id,
            name: self.name,
            description: self.description,
            is_system_role: self.is_system.into(),
            is_active: ActiveStatus::from_stored(&self.status).is_active(),
            permission_count: self.permission_count,
            version: self.version,
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

pub async fn roles(pool: &AnyPool, env: &EnvScope) -> Result<Vec<Role>, AppError> {
    let rows: Vec<StoredRole> = sqlx::query_as(&format!(
        "{ROLE_SELECT} WHERE r.account_id = $1 AND r.environment_id = $2 ORDER BY lower(r.name)"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_role(&env.application_id))
        .collect())
}

pub async fn role_by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    id: &str,
) -> Result<Option<Role>, AppError> {
    let row: Option<StoredRole> = sqlx::query_as(&format!(
        "{ROLE_SELECT} WHERE r.account_id = $1 AND r.environment_id = $2 AND r.id = $3"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| r.into_role(&env.application_id)))
}

/// Inserts a role; `Ok(false)` when the name is taken (case-insensitively).
pub async fn insert_role(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    name: &str,
    description: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO roles (account_id, id, environment_id, name, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&env.account_id)
    .bind(id)
    .bind(&env.environment_id)
    .bind(name)
    .bind(description)
    .bind(now_ms);
    insert_unique(tx, insert).await
}

/// `Ok(false)` = the version no longer matches (or the role is gone).
#[allow(clippy::too_many_arguments)]
pub async fn update_role(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    version: i64,
    name: &str,
    description: &str,
    active: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    let update = sqlx::query(
        "UPDATE roles SET name = $1, description = $2, status = $3, version = version + 1, updated_at = $4 \
         WHERE account_id = $5 AND environment_id = $6 AND id = $7 AND version = $8",
    )
    .bind(name)
    .bind(description)
    .bind(ActiveStatus::from_active(active).as_str())
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .bind(version);
    match unless_unique_violation(tx, update).await? {
        Some(done) => Ok(done.rows_affected() == 1),
        None => Err(AppError::RoleNameTaken {
            name: name.to_owned(),
        }),
    }
}

pub async fn role_name_taken(
    tx: &mut Tx,
    env: &EnvScope,
    name: &str,
    except_id: &str,
) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM roles WHERE account_id = $1 AND environment_id = $2 AND lower(name) = lower($3) AND id <> $4",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(name)
    .bind(except_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

pub async fn delete_role(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    version: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "DELETE FROM roles WHERE account_id = $1 AND environment_id = $2 AND id = $3 AND version = $4",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The keys granted to a role, sorted.
pub async fn role_permission_keys(
    pool: &AnyPool,
    account_id: &str,
    role_id: &str,
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT p.key FROM role_permissions rp JOIN permissions p ON p.account_id = rp.account_id AND p.id = rp.permission_id \
         WHERE rp.account_id = $1 AND rp.role_id = $2 ORDER BY p.key",
    )
    .bind(account_id)
    .bind(role_id)
    .fetch_all(pool)
    .await?)
}

pub async fn clear_role_permissions(
    tx: &mut Tx,
    account_id: &str,
    role_id: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM role_permissions WHERE account_id = $1 AND role_id = $2")
        .bind(account_id)
        .bind(role_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn grant(
    tx: &mut Tx,
    account_id: &str,
    role_id: &str,
    permission_id: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO role_permissions (account_id, role_id, permission_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(role_id)
    .bind(permission_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `(id, key)` of every permission in the environment.
pub async fn permission_ids(
    tx: &mut Tx,
    env: &EnvScope,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, key FROM permissions WHERE account_id = $1 AND environment_id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(&mut **tx)
    .await?)
}
