//! "May identity X do P at node N?" over the stored environment, through the evaluation cache.

use crate::error::{AppError, FieldError};
use crate::model::{EnvScope, IdentityStatus, SystemPermission};
use crate::services::evaluate::{
    AssignmentInfo, Decision, IdentityInfo, NodeInfo, RoleInfo, Scope, Snapshot,
};
use crate::services::{Caller, Services};
use crate::store::{self, assignments as store_a, hierarchy as store_h};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Reads the whole environment as evaluation sees it.
async fn load(s: &Services, scope: &EnvScope) -> Result<Snapshot, AppError> {
    let reader = s.db.reader();
    let mut snapshot = Snapshot::default();
    for node in store_h::nodes(reader, scope).await? {
        let active = node.is_active();
        snapshot.nodes.insert(
            node.id,
            NodeInfo {
                parent: node.parent_node_id,
                active,
            },
        );
    }
    for (id, name, active, key) in store_a::role_grants(reader, scope).await? {
        let role = snapshot.roles.entry(id).or_insert_with(|| RoleInfo {
            name,
            active,
            permissions: BTreeSet::new(),
        });
        if let Some(key) = key {
            role.permissions.insert(key);
        }
    }
    for grant in store_a::environment_grants(reader, scope).await? {
        let identity = snapshot
            .identities
            .entry(grant.identity_id)
            .or_insert_with(|| IdentityInfo {
                active: IdentityStatus::parse(&grant.identity_status) != IdentityStatus::Inactive,
                member: grant.membership_active,
                assignments: Vec::new(),
            });
        identity.assignments.push(AssignmentInfo {
            role_id: grant.role_id,
            node_id: grant.node_id,
            effective_from_ms: grant.from_ms,
            effective_to_ms: grant.to_ms,
        });
    }
    Ok(snapshot)
}

/// The environment's snapshot: cached while no write has touched the account since it was read.
pub(crate) async fn snapshot(s: &Services, scope: &EnvScope) -> Result<Arc<Snapshot>, AppError> {
    let generation = s.access_cache.generation(&scope.account_id);
    if let Some(snapshot) = s.access_cache.get(&scope.environment_id, generation) {
        metrics::counter!("arbor_evaluation_cache_hits_total").increment(1);
        return Ok(snapshot);
    }
    metrics::counter!("arbor_evaluation_cache_misses_total").increment(1);
    let loader = s.access_cache.loader(&scope.environment_id);
    let _loading = loader.lock().await;
    // Whoever held the lock before may have just loaded what this check needs.
    let generation = s.access_cache.generation(&scope.account_id);
    if let Some(snapshot) = s.access_cache.get(&scope.environment_id, generation) {
        return Ok(snapshot);
    }
    // A wall-clock measure for the metric only; domain time comes from `s.now()`.
    let started = std::time::Instant::now();
    let snapshot = Arc::new(load(s, scope).await?);
    metrics::histogram!("arbor_evaluation_cache_reload_seconds")
        .record(started.elapsed().as_secs_f64());
    s.access_cache
        .put(&scope.environment_id, generation, snapshot.clone());
    Ok(snapshot)
}

/// The identity as evaluation sees it: from the snapshot when it holds assignments here, else
/// its standing from the directory (no assignments), else `None` (unknown identity).
async fn with_identity<T>(
    s: &Services,
    scope: &EnvScope,
    snapshot: &Snapshot,
    identity_id: &str,
    answer: impl FnOnce(Option<&IdentityInfo>) -> T,
) -> Result<T, AppError> {
    if let Some(identity) = snapshot.identities.get(identity_id) {
        return Ok(answer(Some(identity)));
    }
    let standing = store_a::identity_standing(s.db.reader(), scope, identity_id).await?;
    let identity = standing.map(|(status, member)| IdentityInfo {
        active: IdentityStatus::parse(&status) != IdentityStatus::Inactive,
        member,
        assignments: Vec::new(),
    });
    Ok(answer(identity.as_ref()))
}

/// The most checks one `evaluate_many` takes.
pub const EVALUATE_MANY_MAX: usize = 100;

/// One question to evaluation: may `identity_id` do `permission` at `node_id` (anywhere, when
/// `None`)?
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub identity_id: &'a str,
    pub permission: &'a str,
    pub node_id: Option<&'a str>,
}

async fn decide(
    s: &Services,
    scope: &EnvScope,
    snapshot: &Snapshot,
    check: Check<'_>,
) -> Result<Decision, AppError> {
    let eval_scope = check
        .node_id
        .map_or(Scope::AppWide, |n| Scope::Node(n.to_owned()));
    let now_ms = store::ms(s.now());
    with_identity(s, scope, snapshot, check.identity_id, |identity| {
        snapshot.evaluate_for(identity, check.permission, &eval_scope, now_ms)
    })
    .await
}

/// "May this identity do this here?" with the reason and the path that decided it.
pub async fn evaluate(
    s: &Services,
    caller: &Caller,
    check: Check<'_>,
) -> Result<Decision, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    let scope = caller.env()?;
    let snapshot = snapshot(s, scope).await?;
    decide(s, scope, &snapshot, check).await
}

/// Up to `EVALUATE_MANY_MAX` checks against one snapshot, answered in order.
pub async fn evaluate_many(
    s: &Services,
    caller: &Caller,
    checks: &[Check<'_>],
) -> Result<Vec<Decision>, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    if checks.is_empty() || checks.len() > EVALUATE_MANY_MAX {
        return Err(AppError::validation(vec![FieldError::new(
            "checks",
            "count",
            format!("Send 1 to {EVALUATE_MANY_MAX} checks."),
        )]));
    }
    let scope = caller.env()?;
    let snapshot = snapshot(s, scope).await?;
    let mut decisions = Vec::with_capacity(checks.len());
    for check in checks {
        decisions.push(decide(s, scope, &snapshot, *check).await?);
    }
    Ok(decisions)
}

/// The dashboard's Access checker: like `evaluate`, but `identity` may also be an email, which
/// names the same identity as its id.
pub async fn check_access(
    s: &Services,
    caller: &Caller,
    identity: &str,
    permission: &str,
    node_id: Option<&str>,
) -> Result<Decision, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    let scope = caller.env()?;
    let identity_id = match crate::model::Email::parse("identity", identity) {
        Ok(email) if identity.contains('@') => {
            store_a::identity_id_by_email(s.db.reader(), &scope.account_id, email.as_str())
                .await?
                .unwrap_or_else(|| identity.to_owned())
        }
        _ => identity.to_owned(),
    };
    let check = Check {
        identity_id: &identity_id,
        permission,
        node_id,
    };
    evaluate(s, caller, check).await
}

/// Every permission a member of the caller's application holds anywhere in the environment now.
pub async fn effective_permissions(
    s: &Services,
    caller: &Caller,
    identity_id: &str,
) -> Result<BTreeSet<String>, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let scope = caller.env()?;
    crate::services::identities::member_of(s, scope, identity_id).await?;
    let snapshot = snapshot(s, scope).await?;
    Ok(snapshot.effective_permissions(identity_id, store::ms(s.now())))
}
