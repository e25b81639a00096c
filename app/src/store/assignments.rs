//! Assignment rows and what evaluation reads of an environment.

use crate::error::AppError;
use crate::model::{ActiveStatus, EnvScope, MembershipStatus};
use crate::store::batch::{Batch, Bind, marks};
use crate::store::{Tx, insert_unique, unless_unique_violation};
use sqlx::AnyPool;
use std::collections::HashMap;

/// The identity's status and whether it is an active member of the application, if it exists.
pub async fn identity_standing(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    identity_id: &str,
) -> Result<Option<(String, bool)>, AppError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT i.status, (SELECT COUNT(*) FROM app_memberships m WHERE m.account_id = i.account_id \
           AND m.identity_id = i.id AND m.application_id = $3 AND m.status = 'active') AS member \
         FROM identities i WHERE i.account_id = $1 AND i.id = $2",
    )
    .bind(&env.account_id)
    .bind(identity_id)
    .bind(&env.application_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(status, memberships)| (status, memberships > 0)))
}

pub struct NewAssignment<'a> {
    pub id: &'a str,
    pub identity_id: &'a str,
    pub role_id: &'a str,
    pub node_id: &'a str,
    pub from_ms: i64,
    pub to_ms: Option<i64>,
    pub now_ms: i64,
}

/// `Ok(false)` when the identity already has this role at this node.
pub async fn insert(tx: &mut Tx, env: &EnvScope, a: NewAssignment<'_>) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO assignments (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, effective_to, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING",
    )
    .bind(&env.account_id)
    .bind(a.id)
    .bind(&env.environment_id)
    .bind(a.identity_id)
    .bind(a.role_id)
    .bind(a.node_id)
    .bind(a.from_ms)
    .bind(a.to_ms)
    .bind(a.now_ms);
    insert_unique(tx, insert).await
}

/// One assignment with the names pages show (`COLUMNS` selects it).
#[derive(sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: String,
    pub identity_id: String,
    pub role_id: String,
    pub role_name: String,
    pub node_id: String,
    pub node_name: String,
    #[sqlx(rename = "effective_from")]
    pub from_ms: i64,
    #[sqlx(rename = "effective_to")]
    pub to_ms: Option<i64>,
    #[sqlx(rename = "created_at")]
    pub created_ms: i64,
}

pub(crate) const COLUMNS: &str = "a.id, a.identity_id, a.role_id, r.name AS role_name, a.node_id, n.name AS node_name, \
     a.effective_from, a.effective_to, a.created_at";
pub(crate) const FROM: &str = "FROM assignments a \
     JOIN roles r ON r.account_id = a.account_id AND r.id = a.role_id \
     JOIN nodes n ON n.account_id = a.account_id AND n.id = a.node_id";

pub async fn by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    env: &EnvScope,
    id: &str,
) -> Result<Option<AssignmentRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.account_id = $1 AND a.environment_id = $2 AND a.id = $3"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id)
    .fetch_optional(executor)
    .await?)
}

pub async fn of_identity(
    pool: &AnyPool,
    env: &EnvScope,
    identity_id: &str,
) -> Result<Vec<AssignmentRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.account_id = $1 AND a.environment_id = $2 AND a.identity_id = $3 ORDER BY a.created_at, a.id"
    ))
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(identity_id)
    .fetch_all(pool)
    .await?)
}

/// An assignment with its identity's email and names.
#[derive(sqlx::FromRow)]
struct WithIdentity {
    #[sqlx(flatten)]
    assignment: AssignmentRow,
    email: String,
    first_name: String,
    last_name: String,
}

/// Every assignment sitting on one of `node_ids`, with its identity's email and name.
pub async fn at_nodes(
    pool: &AnyPool,
    env: &EnvScope,
    node_ids: &[&str],
) -> Result<Vec<(AssignmentRow, String, String)>, AppError> {
    let placeholders: Vec<String> = (0..node_ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT {COLUMNS}, i.email, i.first_name, i.last_name {FROM} \
         JOIN identities i ON i.account_id = a.account_id AND i.id = a.identity_id \
         WHERE a.account_id = $1 AND a.environment_id = $2 AND a.node_id IN ({}) \
         ORDER BY i.email, r.name, a.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, WithIdentity>(&sql)
        .bind(&env.account_id)
        .bind(&env.environment_id);
    for id in node_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = format!("{} {}", r.first_name, r.last_name);
            (r.assignment, r.email, name)
        })
        .collect())
}

/// The assignments of several identities in the environment (one query for a page of members).
pub async fn of_identities(
    pool: &AnyPool,
    env: &EnvScope,
    identity_ids: &[&str],
) -> Result<Vec<AssignmentRow>, AppError> {
    if identity_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..identity_ids.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE a.account_id = $1 AND a.environment_id = $2 \
         AND a.identity_id IN ({}) ORDER BY a.created_at, a.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(&sql)
        .bind(&env.account_id)
        .bind(&env.environment_id);
    for id in identity_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(pool).await?)
}

/// Changes role and window; `Ok(false)` when the new (identity, role, node) already exists.
pub async fn update(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    role_id: &str,
    from_ms: i64,
    to_ms: Option<i64>,
    now_ms: i64,
) -> Result<bool, AppError> {
    let update = sqlx::query(
        "UPDATE assignments SET role_id = $1, effective_from = $2, effective_to = $3, version = version + 1, updated_at = $4 \
         WHERE account_id = $5 AND environment_id = $6 AND id = $7",
    )
    .bind(role_id)
    .bind(from_ms)
    .bind(to_ms)
    .bind(now_ms)
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(id);
    Ok(unless_unique_violation(tx, update).await?.is_some())
}

/// The roles of the environment with their status and permission keys, for evaluation.
pub async fn role_grants(
    pool: &AnyPool,
    env: &EnvScope,
) -> Result<Vec<(String, String, bool, Option<String>)>, AppError> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT r.id, r.name, r.status, p.key FROM roles r \
         LEFT JOIN role_permissions rp ON rp.account_id = r.account_id AND rp.role_id = r.id \
         LEFT JOIN permissions p ON p.account_id = rp.account_id AND p.id = rp.permission_id \
         WHERE r.account_id = $1 AND r.environment_id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, status, key)| {
            (
                id,
                name,
                ActiveStatus::from_stored(&status).is_active(),
                key,
            )
        })
        .collect())
}

/// The id of the account's identity with this (normalised) email.
pub async fn identity_id_by_email(
    pool: &AnyPool,
    account_id: &str,
    email: &str,
) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM identities WHERE account_id = $1 AND email = $2")
            .bind(account_id)
            .bind(email)
            .fetch_optional(pool)
            .await?,
    )
}

/// One assignment of the environment with its identity's standing, for the evaluation snapshot.
pub struct GrantRow {
    pub identity_id: String,
    pub identity_status: String,
    pub membership_active: bool,
    pub role_id: String,
    pub node_id: String,
    pub from_ms: i64,
    pub to_ms: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StoredGrant {
    identity_id: String,
    status: String,
    membership: Option<String>,
    role_id: String,
    node_id: String,
    effective_from: i64,
    effective_to: Option<i64>,
}

impl From<StoredGrant> for GrantRow {
    fn from(r: StoredGrant) -> Self {
        GrantRow {
            identity_id: r.identity_id,
            identity_status: r.status,
            membership_active: r
                .membership
                .as_deref()
                .is_some_and(|m| MembershipStatus::from_stored(m).is_active()),
            role_id: r.role_id,
            node_id: r.node_id,
            from_ms: r.effective_from,
            to_ms: r.effective_to,
        }
    }
}

pub async fn environment_grants(pool: &AnyPool, env: &EnvScope) -> Result<Vec<GrantRow>, AppError> {
    let rows: Vec<StoredGrant> = sqlx::query_as(
        "SELECT a.identity_id, i.status, m.status AS membership, a.role_id, a.node_id, a.effective_from, a.effective_to \
         FROM assignments a \
         JOIN identities i ON i.account_id = a.account_id AND i.id = a.identity_id \
         LEFT JOIN app_memberships m ON m.account_id = a.account_id AND m.identity_id = a.identity_id \
           AND m.application_id = $3 \
         WHERE a.account_id = $1 AND a.environment_id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.environment_id)
    .bind(&env.application_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(GrantRow::from).collect())
}

/// A role as an assignment's target: what `assignments::check_target` judges it by.
#[derive(Debug, Clone)]
pub struct RoleTarget {
    pub name: String,
    pub is_system: bool,
    pub is_active: bool,
}

/// The roles (by id) and the node names (by id) of the environment among `role_ids` and
/// `node_ids`, in one round trip: what a batch's assignments point at. Ids not there are absent.
pub async fn targets(
    tx: &mut Tx,
    env: &EnvScope,
    role_ids: &[&str],
    node_ids: &[&str],
) -> Result<(HashMap<String, RoleTarget>, HashMap<String, String>), AppError> {
    let mut roles = HashMap::new();
    let mut nodes = HashMap::new();
    if role_ids.is_empty() && node_ids.is_empty() {
        return Ok((roles, nodes));
    }
    // An empty `IN ()` is not SQL on PostgreSQL: an id that matches nothing stands in.
    let (role_ids, node_ids) = (
        if role_ids.is_empty() {
            &[""][..]
        } else {
            role_ids
        },
        if node_ids.is_empty() {
            &[""][..]
        } else {
            node_ids
        },
    );
    let sql = format!(
        "SELECT CAST(1 AS BIGINT) AS kind, id, name, is_system, \
           CAST(CASE WHEN status = 'active' THEN 1 ELSE 0 END AS BIGINT) AS active \
         FROM roles WHERE account_id = $1 AND environment_id = $2 AND id IN ({}) \
         UNION ALL \
         SELECT CAST(2 AS BIGINT), id, name, CAST(0 AS BIGINT), CAST(1 AS BIGINT) \
         FROM nodes WHERE account_id = $1 AND environment_id = $2 AND id IN ({})",
        crate::store::in_list(role_ids.len(), 3),
        crate::store::in_list(node_ids.len(), 3 + role_ids.len()),
    );
    let mut query = sqlx::query_as::<_, (i64, String, String, i64, i64)>(&sql)
        .bind(&env.account_id)
        .bind(&env.environment_id);
    for id in role_ids.iter().chain(node_ids) {
        query = query.bind(*id);
    }
    for (kind, id, name, is_system, active) in query.fetch_all(&mut **tx).await? {
        if kind == 1 {
            let role = RoleTarget {
                name,
                is_system: is_system != 0,
                is_active: active != 0,
            };
            roles.insert(id, role);
        } else {
            nodes.insert(id, name);
        }
    }
    Ok((roles, nodes))
}

/// The insert of an open-ended assignment made with its identity (`push_new`, `push_new_checked`).
const INSERT_NEW: &str = "INSERT INTO assignments \
    (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, created_at, updated_at)";

/// One new assignment whose role and node are checked in the statement itself, for a write that
/// reads nothing before it is sent: the role must be an active, assignable (not system) role of
/// the environment and the node one of its nodes (the rules `targets` reads for a verdict), else
/// that column is NULL and the NOT NULL constraint refuses the row, and with it the whole write
/// (the caller then finds the verdict). Returns one row, `(role name, node name)`: see
/// `names_of_row`.
pub fn push_new_checked<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    env: &'q EnvScope,
    (id, identity_id, role_id, node_id): (&'q str, &'q str, &'q str, &'q str),
    now_ms: i64,
) {
    let m = marks(conn, 13);
    batch.push(
        format!(
            "{INSERT_NEW} VALUES ({}, {}, {}, {}, \
               (SELECT id FROM roles WHERE account_id = {} AND environment_id = {} AND id = {} AND is_system = 0 AND status = 'active'), \
               (SELECT id FROM nodes WHERE account_id = {} AND environment_id = {} AND id = {}), \
               {}, {}, {}) \
             RETURNING \
               (SELECT name FROM roles r WHERE r.account_id = assignments.account_id AND r.id = assignments.role_id), \
               (SELECT name FROM nodes n WHERE n.account_id = assignments.account_id AND n.id = assignments.node_id)",
            m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12]
        ),
        vec![
            Bind::Text(&env.account_id),
            Bind::Text(id),
            Bind::Text(&env.environment_id),
            Bind::Text(identity_id),
            Bind::Text(&env.account_id),
            Bind::Text(&env.environment_id),
            Bind::Text(role_id),
            Bind::Text(&env.account_id),
            Bind::Text(&env.environment_id),
            Bind::Text(node_id),
            Bind::Int(now_ms),
            Bind::Int(now_ms),
            Bind::Int(now_ms),
        ],
    );
}

/// The `(role name, node name)` row of `push_new_checked`.
pub fn names_of_row(row: &sqlx::any::AnyRow) -> Result<(String, String), AppError> {
    use sqlx::Row;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Assignments of identities that hold none yet (just created), open-ended from `now_ms`:
/// multi-row inserts of `(id, identity_id, role_id, node_id)` added to `batch`.
pub fn push_new<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    env: &'q EnvScope,
    rows: &[(&'q str, &'q str, &'q str, &'q str)],
    now_ms: i64,
) {
    for chunk in rows.chunks(crate::store::rows_per_insert(conn, 9)) {
        let sql = format!(
            "{INSERT_NEW} VALUES {}",
            crate::store::values_list(conn, chunk.len(), 9)
        );
        let mut binds = Vec::with_capacity(chunk.len() * 9);
        for &(id, identity_id, role_id, node_id) in chunk {
            binds.extend([
                Bind::Text(&env.account_id),
                Bind::Text(id),
                Bind::Text(&env.environment_id),
                Bind::Text(identity_id),
                Bind::Text(role_id),
                Bind::Text(node_id),
                Bind::Int(now_ms),
                Bind::Int(now_ms),
                Bind::Int(now_ms),
            ]);
        }
        batch.push(sql, binds);
    }
}
