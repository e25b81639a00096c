//! Accounts, applications, environments and what each environment is seeded with.

use crate::error::AppError;
use crate::store::{Tx, insert_unique};

/// Slugs already taken that start like `base` (`base`, `base-2`, ...).
pub async fn slugs_like(tx: &mut Tx, base: &str) -> Result<Vec<String>, AppError> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM accounts WHERE slug = $1 OR slug LIKE $2")
            .bind(base)
            .bind(format!("{base}-%"))
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows)
}

/// Inserts an account; `Ok(false)` when its slug was taken meanwhile.
pub async fn insert_account(
    tx: &mut Tx,
    id: &str,
    name: &str,
    slug: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO accounts (id, name, slug, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id)
    .bind(name)
    .bind(slug)
    .bind(now_ms);
    insert_unique(tx, insert).await
}

pub async fn insert_application(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    name: &str,
    slug: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO applications (account_id, id, name, slug, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(account_id)
    .bind(id)
    .bind(name)
    .bind(slug)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_default_environment(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
    environment_id: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE applications SET default_environment_id = $1 WHERE account_id = $2 AND id = $3",
    )
    .bind(environment_id)
    .bind(account_id)
    .bind(application_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct NewEnvironment<'a> {
    pub account_id: &'a str,
    pub application_id: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub kind: &'a str,
    pub settings: &'a serde_json::Value,
    pub now_ms: i64,
}

pub async fn insert_environment(tx: &mut Tx, env: NewEnvironment<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO environments (account_id, id, application_id, name, slug, kind, settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(env.account_id)
    .bind(env.id)
    .bind(env.application_id)
    .bind(env.name)
    .bind(env.slug)
    .bind(env.kind)
    .bind(env.settings.to_string())
    .bind(env.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct NewRootNode<'a> {
    pub account_id: &'a str,
    pub environment_id: &'a str,
    pub id: &'a str,
    pub node_type: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub now_ms: i64,
}

pub async fn insert_root_node(tx: &mut Tx, node: NewRootNode<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO nodes (account_id, id, environment_id, parent_node_id, node_type, name, slug, depth, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, 1, $7, $7)",
    )
    .bind(node.account_id)
    .bind(node.id)
    .bind(node.environment_id)
    .bind(node.node_type)
    .bind(node.name)
    .bind(node.slug)
    .bind(node.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct NewPermission<'a> {
    pub account_id: &'a str,
    pub environment_id: &'a str,
    pub id: String,
    pub key: &'a str,
    pub description: &'a str,
    pub category: &'a str,
    pub source: &'a str,
    pub now_ms: i64,
}

pub async fn insert_permission(tx: &mut Tx, p: NewPermission<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO permissions (account_id, id, environment_id, key, description, category, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(p.account_id)
    .bind(&p.id)
    .bind(p.environment_id)
    .bind(p.key)
    .bind(p.description)
    .bind(p.category)
    .bind(p.source)
    .bind(p.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
