//! Managing applications and environments: lookups, renames, what a deletion removes, deletions.
//! Reads take any executor; every write runs in the service's transaction.

use crate::error::AppError;
use crate::model::DeletionImpact;
use crate::store::Tx;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub default_environment_id: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnvironmentRow {
    pub id: String,
    pub application_id: String,
    pub name: String,
    pub slug: String,
    pub kind: String,
}

/// The account's name and slug: what an environment's root node is named after.
pub async fn account_names(tx: &mut Tx, account_id: &str) -> Result<(String, String), AppError> {
    Ok(
        sqlx::query_as("SELECT name, slug FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

pub async fn application(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
) -> Result<Option<ApplicationRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, slug, default_environment_id FROM applications \
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn environment(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
) -> Result<Option<EnvironmentRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, application_id, name, slug, kind FROM environments \
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn application_slugs(tx: &mut Tx, account_id: &str) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT slug FROM applications WHERE account_id = $1")
            .bind(account_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

pub async fn environment_slugs(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT slug FROM environments WHERE account_id = $1 AND application_id = $2",
    )
    .bind(account_id)
    .bind(application_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn count_applications(tx: &mut Tx, account_id: &str) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

pub async fn count_environments(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM environments WHERE account_id = $1 AND application_id = $2",
    )
    .bind(account_id)
    .bind(application_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn rename_application(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    name: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE applications SET name = $1, version = version + 1, updated_at = $2 \
         WHERE account_id = $3 AND id = $4",
    )
    .bind(name)
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn update_environment(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    name: &str,
    kind: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE environments SET name = $1, kind = $2, version = version + 1, updated_at = $3 \
         WHERE account_id = $4 AND id = $5",
    )
    .bind(name)
    .bind(kind)
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The rows under the environments `scope` selects (`e.application_id = $2` or `e.id = $2`),
/// one scalar sub-query each.
fn impact_sql(scope: &str, memberships: &str, direct: &str) -> String {
    format!(
        "SELECT \
           (SELECT COUNT(*) FROM environments e WHERE e.account_id = $1 AND {scope}) AS environments, \
           ({memberships}) AS memberships, \
           (SELECT COUNT(*) FROM assignments x JOIN environments e ON e.account_id = x.account_id AND e.id = x.environment_id \
              WHERE x.account_id = $1 AND {scope}) AS assignments, \
           (SELECT COUNT(*) FROM api_keys x JOIN environments e ON e.account_id = x.account_id AND e.id = x.environment_id \
              WHERE x.account_id = $1 AND {scope}) AS api_keys, \
           (SELECT COUNT(*) FROM identity_invites x WHERE x.account_id = $1 AND x.{direct} = $2) AS invites, \
           (SELECT COUNT(*) FROM roles x JOIN environments e ON e.account_id = x.account_id AND e.id = x.environment_id \
              WHERE x.account_id = $1 AND {scope} AND x.is_system = 0) AS custom_roles, \
           (SELECT COUNT(*) FROM permissions x JOIN environments e ON e.account_id = x.account_id AND e.id = x.environment_id \
              WHERE x.account_id = $1 AND {scope} AND x.source = 'custom') AS custom_permissions, \
           (SELECT COUNT(*) FROM nodes x JOIN environments e ON e.account_id = x.account_id AND e.id = x.environment_id \
              WHERE x.account_id = $1 AND {scope}) AS nodes, \
           (SELECT COUNT(*) FROM identity_sessions x WHERE x.account_id = $1 AND x.{direct} = $2) AS sessions"
    )
}

pub async fn application_impact(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<DeletionImpact, AppError> {
    let sql = impact_sql(
        "e.application_id = $2",
        "SELECT COUNT(*) FROM app_memberships m WHERE m.account_id = $1 AND m.application_id = $2",
        "application_id",
    );
    Ok(sqlx::query_as(&sql)
        .bind(account_id)
        .bind(application_id)
        .fetch_one(&mut **tx)
        .await?)
}

pub async fn environment_impact(
    tx: &mut Tx,
    account_id: &str,
    environment_id: &str,
) -> Result<DeletionImpact, AppError> {
    // Memberships belong to the application and stay.
    let sql = impact_sql("e.id = $2", "SELECT 0", "environment_id");
    Ok(sqlx::query_as(&sql)
        .bind(account_id)
        .bind(environment_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Deletes the application: its identity sessions (no foreign key: a session may outlive an
/// environment switch), then the row, whose foreign keys cascade to its environments (and their
/// nodes, catalog, roles, assignments, API keys, invites), memberships and resume states.
pub async fn delete_application(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM identity_sessions WHERE account_id = $1 AND application_id = $2")
        .bind(account_id)
        .bind(application_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM applications WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(application_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the environment: its identity sessions, then the row (cascading as above).
pub async fn delete_environment(
    tx: &mut Tx,
    account_id: &str,
    environment_id: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM identity_sessions WHERE account_id = $1 AND environment_id = $2")
        .bind(account_id)
        .bind(environment_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM environments WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(environment_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
