//! Items changed under optimistic concurrency (roles, permissions, nodes): a write that means
//! "whatever version is current" first locks the row, so the version it then reads cannot be
//! overtaken before its `UPDATE … AND version = $n` runs (PostgreSQL; SQLite has one writer).

use crate::error::AppError;
use crate::model::EnvScope;
use crate::store::Tx;

#[derive(Debug, Clone, Copy)]
pub enum Versioned {
    Role,
    Permission,
    Node,
}

impl Versioned {
    fn lock_sql(self) -> &'static str {
        // A no-op write takes the row lock on both engines without a dialect-specific clause.
        match self {
            Versioned::Role => {
                "UPDATE roles SET version = version \
                 WHERE account_id = $1 AND environment_id = $2 AND id = $3"
            }
            Versioned::Permission => {
                "UPDATE permissions SET version = version \
                 WHERE account_id = $1 AND environment_id = $2 AND id = $3"
            }
            Versioned::Node => {
                "UPDATE nodes SET version = version \
                 WHERE account_id = $1 AND environment_id = $2 AND id = $3"
            }
        }
    }
}

/// Locks the item for the rest of `tx`; `false` when there is no such item.
pub async fn lock(
    tx: &mut Tx,
    kind: Versioned,
    env: &EnvScope,
    id: &str,
) -> Result<bool, AppError> {
    let done = sqlx::query(kind.lock_sql())
        .bind(&env.account_id)
        .bind(&env.environment_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Before reading an item a change will be judged against: with `If-Match: *` the row is locked
/// first, so "current" stays current until the write.
pub async fn prepare(
    tx: &mut Tx,
    kind: Versioned,
    env: &EnvScope,
    id: &str,
    precondition: crate::model::Precondition,
) -> Result<(), AppError> {
    if precondition == crate::model::Precondition::Any {
        lock(tx, kind, env, id).await?;
    }
    Ok(())
}

/// Locks an identity of the account for the rest of `tx` (identities are account-wide).
pub async fn lock_identity(tx: &mut Tx, account_id: &str, id: &str) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE identities SET version = version WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() > 0)
}
