//! Environment settings, nodes and the assignment rows hierarchy changes touch.

use crate::error::AppError;
use crate::model::EnvScope;
use crate::model::{ActiveStatus, EnvironmentSettings, Node};
use crate::store::Tx;
use sqlx::AnyPool;

pub async fn settings(
    pool: &AnyPool,
    env: &EnvScope,
) -> Result<(EnvironmentSettings, i64), AppError> {
    let (text, version): (String, i64) = sqlx::query_as(
        "SELECT settings, version FROM environments WHERE account_id = $1 AND id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_one(pool)
    .await?;
    let settings =
        serde_json::from_str(&text).map_err(|e| AppError::internal("environment settings", e))?;
    Ok((settings, version))
}

/// Writes settings if `version` is current; `Ok(false)` otherwise.
pub async fn save_settings(
    tx: &mut Tx,
    env: &EnvScope,
    version: i64,
    settings: &EnvironmentSettings,
    now_ms: i64,
) -> Result<bool, AppError> {
    let text = serde_json::to_string(settings)
        .map_err(|e| AppError::internal("environment settings", e))?;
    let result = sqlx::query(
        "UPDATE environments SET settings = $1, version = version + 1, updated_at = $2 \
         WHERE account_id = $3 AND id = $4 AND version = $5",
    )
    .bind(text)
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A node as `NODE_COLUMNS` selects it.
#[derive(sqlx::FromRow)]
struct StoredNode {
    id: String,
    environment_id: String,
    parent_node_id: Option<String>,
    node_type: String,
    name: String,
    slug: String,
    status: String,
    depth: i64,
    version: i64,
}

impl From<StoredNode> for Node {
    fn from(r: StoredNode) -> Self {
        Node {
            id: r.id,
            environment_id: r.environment_id,
            parent_node_id: r.parent_node_id,
            node_type: r.node_type,
            name: r.name,
            slug: r.slug,
            status: ActiveStatus::from_stored(&r.status),
            depth: r.depth,
            version: r.version,
        }
    }
}

const NODE_COLUMNS: &str =
    "id, environment_id, parent_node_id, node_type, name, slug, status, depth, version";

/// Every node of the environment, parents before children.
pub async fn nodes<'c, E>(executor: E, env: &EnvScope) -> Result<Vec<Node>, AppError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows: Vec<StoredNode> = sqlx::query_as(&format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE account_id = $1 AND environment_id = $2 ORDER BY depth, name, id"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(Node::from).collect())
}

pub async fn node_by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    id: &str,
) -> Result<Option<Node>, AppError> {
    let row: Option<StoredNode> = sqlx::query_as(&format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE account_id = $1 AND environment_id = $2 AND id = $3"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Node::from))
}

pub struct NewNode<'a> {
    pub id: &'a str,
    pub parent_id: &'a str,
    pub node_type: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub depth: i64,
    pub now_ms: i64,
}

pub async fn insert_node(tx: &mut Tx, env: &EnvScope, n: NewNode<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO nodes (account_id, id, environment_id, parent_node_id, node_type, name, slug, depth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&env.account_id)
    .bind(n.id)
    .bind(&env.environment_id)
    .bind(n.parent_id)
    .bind(n.node_type)
    .bind(n.name)
    .bind(n.slug)
    .bind(n.depth)
    .bind(n.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets name, status, type, parent and depth of a node if `version` is current (bumping it).
#[allow(clippy::too_many_arguments)]
pub async fn update_node(
    tx: &mut Tx,
    env: &EnvScope,
    node: &Node,
    version: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE nodes SET name = $1, slug = $2, status = $3, node_type = $4, parent_node_id = $5, depth = $6, \
         version = version + 1, updated_at = $7 \
         WHERE account_id = $8 AND environment_id = $9 AND id = $10 AND version = $11",
    )
    .bind(&node.name)
    .bind(&node.slug)
    .bind(node.status.as_str())
    .bind(&node.node_type)
    .bind(node.parent_node_id.as_deref())
    .bind(node.depth)
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(&node.id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_depth(tx: &mut Tx, env: &EnvScope, id: &str, depth: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE nodes SET depth = $1 WHERE account_id = $2 AND environment_id = $3 AND id = $4",
    )
    .bind(depth)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_node(tx: &mut Tx, env: &EnvScope, id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM nodes WHERE account_id = $1 AND environment_id = $2 AND id = $3")
        .bind(&env.account_id)
        .bind(&env.environment_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn assignments_on_node(
    tx: &mut Tx,
    env: &EnvScope,
    node_id: &str,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignments WHERE account_id = $1 AND environment_id = $2 AND node_id = $3",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(node_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// An assignment as revert-to-flat sees it.
#[derive(sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: String,
    pub identity_id: String,
    pub role_id: String,
    pub node_id: String,
    #[sqlx(rename = "effective_to")]
    pub effective_to_ms: Option<i64>,
}

pub async fn assignments(tx: &mut Tx, env: &EnvScope) -> Result<Vec<AssignmentRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, identity_id, role_id, node_id, effective_to FROM assignments \
         WHERE account_id = $1 AND environment_id = $2 ORDER BY created_at, id",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn move_assignment(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    node_id: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE assignments SET node_id = $1, version = version + 1, updated_at = $2 \
         WHERE account_id = $3 AND environment_id = $4 AND id = $5",
    )
    .bind(node_id)
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_assignment(tx: &mut Tx, env: &EnvScope, id: &str) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM assignments WHERE account_id = $1 AND environment_id = $2 AND id = $3",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
