//! Permissions, roles and their grants, per environment.

use crate::error::AppError;
use crate::model::{Permission, Role};
use crate::store::{Tx, flag, rfc3339};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// Identifies an environment inside its account.
#[derive(Debug, Clone, Copy)]
pub struct EnvKey<'a> {
    pub account_id: &'a str,
    pub application_id: &'a str,
    pub environment_id: &'a str,
}

const PERMISSION_COLUMNS: &str =
    "id, environment_id, key, description, category, source, version, created_at";

fn permission(row: &AnyRow, application_id: &str) -> Result<Permission, sqlx::Error> {
    Ok(Permission {
        id: row.try_get("id")?,
        application_id: application_id.to_owned(),
        environment_id: row.try_get("environment_id")?,
        key: row.try_get("key")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        source: row.try_get("source")?,
        version: row.try_get("version")?,
        created_at: rfc3339(row.try_get("created_at")?),
    })
}

pub async fn permissions(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: EnvKey<'_>,
) -> Result<Vec<Permission>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {PERMISSION_COLUMNS} FROM permissions WHERE account_id = $1 AND environment_id = $2 ORDER BY category, key"
    ))
    .bind(env.account_id)
    .bind(env.environment_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|r| permission(r, env.application_id))
        .collect::<Result<_, _>>()?)
}

pub async fn permission_by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: EnvKey<'_>,
    id: &str,
) -> Result<Option<Permission>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {PERMISSION_COLUMNS} FROM permissions WHERE account_id = $1 AND environment_id = $2 AND id = $3"
    ))
    .bind(env.account_id)
    .bind(env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row
        .map(|r| permission(&r, env.application_id))
        .transpose()?)
}

/// Every key in the environment's catalog.
pub async fn existing_keys(tx: &mut Tx, env: EnvKey<'_>) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT key FROM permissions WHERE account_id = $1 AND environment_id = $2",
    )
    .bind(env.account_id)
    .bind(env.environment_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn update_permission(
    tx: &mut Tx,
    env: EnvKey<'_>,
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
    .bind(env.account_id)
    .bind(env.environment_id)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_permission(
    tx: &mut Tx,
    env: EnvKey<'_>,
    id: &str,
    version: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "DELETE FROM permissions WHERE account_id = $1 AND environment_id = $2 AND id = $3 AND version = $4",
    )
    .bind(env.account_id)
    .bind(env.environment_id)
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

fn role(row: &AnyRow, application_id: &str) -> Result<Role, sqlx::Error> {
    Ok(Role {
        id: row.try_get("id")?,
        application_id: application_id.to_owned(),
        environment_id: row.try_get("environment_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        is_system_role: flag(row, "is_system")?,
        is_active: row.try_get::<String, _>("status")? == "active",
        permission_count: row.try_get("permission_count")?,
        version: row.try_get("version")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

pub async fn roles(pool: &AnyPool, env: EnvKey<'_>) -> Result<Vec<Role>, AppError> {
    let rows = sqlx::query(&format!(
        "{ROLE_SELECT} WHERE r.account_id = $1 AND r.environment_id = $2 ORDER BY lower(r.name)"
    ))
    .bind(env.account_id)
    .bind(env.environment_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| role(r, env.application_id))
        .collect::<Result<_, _>>()?)
}

pub async fn role_by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: EnvKey<'_>,
    id: &str,
) -> Result<Option<Role>, AppError> {
    let row = sqlx::query(&format!(
        "{ROLE_SELECT} WHERE r.account_id = $1 AND r.environment_id = $2 AND r.id = $3"
    ))
    .bind(env.account_id)
    .bind(env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| role(&r, env.application_id)).transpose()?)
}

/// Inserts a role; `Ok(false)` when the name is taken (case-insensitively).
pub async fn insert_role(
    tx: &mut Tx,
    env: EnvKey<'_>,
    id: &str,
    name: &str,
    description: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "INSERT INTO roles (account_id, id, environment_id, name, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(env.account_id)
    .bind(id)
    .bind(env.environment_id)
    .bind(name)
    .bind(description)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// `Ok(false)` = the version no longer matches (or the role is gone).
#[allow(clippy::too_many_arguments)]
pub async fn update_role(
    tx: &mut Tx,
    env: EnvKey<'_>,
    id: &str,
    version: i64,
    name: &str,
    description: &str,
    active: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE roles SET name = $1, description = $2, status = $3, version = version + 1, updated_at = $4 \
         WHERE account_id = $5 AND environment_id = $6 AND id = $7 AND version = $8",
    )
    .bind(name)
    .bind(description)
    .bind(if active { "active" } else { "inactive" })
    .bind(now_ms)
    .bind(env.account_id)
    .bind(env.environment_id)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await;
    match result {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(AppError::RoleNameTaken {
            name: name.to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}

pub async fn role_name_taken(
    tx: &mut Tx,
    env: EnvKey<'_>,
    name: &str,
    except_id: &str,
) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM roles WHERE account_id = $1 AND environment_id = $2 AND lower(name) = lower($3) AND id <> $4",
    )
    .bind(env.account_id)
    .bind(env.environment_id)
    .bind(name)
    .bind(except_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

pub async fn delete_role(
    tx: &mut Tx,
    env: EnvKey<'_>,
    id: &str,
    version: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "DELETE FROM roles WHERE account_id = $1 AND environment_id = $2 AND id = $3 AND version = $4",
    )
    .bind(env.account_id)
    .bind(env.environment_id)
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
    env: EnvKey<'_>,
) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT id, key FROM permissions WHERE account_id = $1 AND environment_id = $2",
    )
    .bind(env.account_id)
    .bind(env.environment_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("key")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}
