//! Role assignments in an environment.
//!
//! Rules: the identity exists in the account with an active membership in the environment's
//! application; the role is a custom, active role of the environment; the node is one of its
//! nodes; one assignment per (identity, role, node).

use crate::error::{AppError, Resource};
use crate::model::{
    Assignment, AssignmentForm, AssignmentStatus, EXPIRING_SOON_DAYS, EnvScope, NodeAccess,
    NodeAccessEntry, NodeAccessSummary, SystemPermission, ValidAssignment, count_rule, new_role_id,
};
use crate::services::audit::{self, Event};
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services};
use crate::store::assignments::{self as store_a, AssignmentRow};
use crate::store::{self, Tx, catalog, hierarchy as store_h};
use std::collections::{HashMap, HashSet};

pub(crate) fn to_dto(s: &Services, scope: &EnvScope, row: AssignmentRow) -> Assignment {
    assignment_at(
        s.now(),
        scope.application_id.clone(),
        scope.environment_id.clone(),
        row,
    )
}

/// The wire form of a stored assignment, its lifecycle state read from `now`.
pub(crate) fn assignment_at(
    now: time::OffsetDateTime,
    application_id: String,
    environment_id: String,
    row: AssignmentRow,
) -> Assignment {
    Assignment {
        status: AssignmentStatus::at(
            now,
            store::from_ms(row.from_ms),
            row.to_ms.map(store::from_ms),
        ),
        id: row.id,
        application_id,
        environment_id,
        identity_id: row.identity_id,
        role_id: row.role_id,
        role_name: row.role_name,
        node_id: row.node_id,
        node_name: row.node_name,
        effective_from: store::rfc3339(row.from_ms),
        effective_to: row.to_ms.map(store::rfc3339),
        created_at: store::rfc3339(row.created_ms),
    }
}

/// The role must be custom and active to be newly assigned.
async fn assignable_role(tx: &mut Tx, scope: &EnvScope, role_id: &str) -> Result<String, AppError> {
    let role = catalog::role_by_id(&mut **tx, scope, role_id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Role,
        })?;
    if role.is_system_role {
        return Err(AppError::SystemRoleNotAssignable);
    }
    if !role.is_active {
        return Err(AppError::RoleInactive);
    }
    Ok(role.name)
}

/// The role can be assigned (custom, active) and the node exists, in the environment: the rules
/// of an assignment's target, also checked when an invite that carries one is sent.
pub(crate) async fn check_target(
    tx: &mut Tx,
    scope: &EnvScope,
    role_id: &str,
    node_id: &str,
) -> Result<(), AppError> {
    assignable_role(tx, scope, role_id).await?;
    let nodes = store_h::nodes(&mut **tx, scope).await?;
    if !nodes.iter().any(|n| n.id == node_id) {
        return Err(AppError::NotFound {
            resource: Resource::Node,
        });
    }
    Ok(())
}

/// Checks every rule and inserts, inside `tx`. Shared by single and bulk create.
pub(crate) async fn insert_checked(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    valid: &ValidAssignment,
) -> Result<String, AppError> {
    match store_a::identity_standing(&mut **tx, scope, &valid.identity_id).await? {
        None => {
            return Err(AppError::NotFound {
                resource: Resource::Identity,
            });
        }
        Some((_, false)) => return Err(AppError::MembershipRequired),
        Some(_) => {}
    }
    check_target(tx, scope, &valid.role_id, &valid.node_id).await?;
    let now = s.now();
    let id = s.new_id();
    let inserted = store_a::insert(
        tx,
        scope,
        store_a::NewAssignment {
            id: &id,
            identity_id: &valid.identity_id,
            role_id: &valid.role_id,
            node_id: &valid.node_id,
            from_ms: store::ms(valid.effective_from.unwrap_or(now)),
            to_ms: valid.effective_to.map(store::ms),
            now_ms: store::ms(now),
        },
    )
    .await?;
    if !inserted {
        return Err(AppError::AssignmentConflict);
    }
    Ok(id)
}

/// An assignment's audit event; it names the identity so the identity's history finds it.
pub(crate) fn event(caller: &Caller, action: &'static str, id: &str, identity_id: &str) -> Event {
    caller
        .event(action, "rbac")
        .resource("assignment", id, "")
        .metadata(serde_json::json!({ "identity_id": identity_id }))
}

/// The assignment `id` of this environment, or `assignments.not_found`.
async fn existing(tx: &mut Tx, scope: &EnvScope, id: &str) -> Result<AssignmentRow, AppError> {
    store_a::by_id(&mut **tx, scope, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Assignment,
        })
}

pub async fn create_assignment(
    s: &Services,
    caller: &Caller,
    form: &AssignmentForm,
) -> Result<Assignment, AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    let scope = caller.env()?;
    let valid = form.validate().map_err(AppError::validation)?;
    let mut tx = s.db.begin().await?;
    let id = insert_checked(s, &mut tx, scope, &valid).await?;
    let row = store_a::by_id(&mut *tx, scope, &id)
        .await?
        .ok_or_else(|| AppError::internal("assignment", "vanished"))?;
    let e =
        event(caller, "assignment.created", &id, &valid.identity_id).metadata(serde_json::json!({
            "identity_id": valid.identity_id, "role_id": valid.role_id, "node_id": valid.node_id,
        }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(to_dto(s, scope, row))
}

/// One result per row, in order; each row is written in its own transaction. `Mode::Dry` runs
/// the same rows in one rolled-back transaction (`services::rows`).
pub async fn bulk_create(
    s: &Services,
    caller: &Caller,
    forms: &[AssignmentForm],
    mode: Mode,
) -> Result<Vec<Result<Assignment, AppError>>, AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    count_rule("assignments", forms.len())?;
    let scope = caller.env()?;
    let mut rows = Rows::start(s, mode).await?;
    let mut results = Vec::with_capacity(forms.len());
    for form in forms {
        let one = async {
            let valid = form.validate().map_err(AppError::validation)?;
            let mut tx = rows.begin(s).await?;
            let id = insert_checked(s, &mut tx, scope, &valid).await?;
            let row = store_a::by_id(&mut **tx, scope, &id)
                .await?
                .ok_or_else(|| AppError::internal("assignment", "vanished"))?;
            let e = event(caller, "assignment.created", &id, &valid.identity_id);
            tx.commit(s, vec![e]).await?;
            Ok(to_dto(s, scope, row))
        };
        results.push(one.await);
    }
    rows.finish(s).await?;
    Ok(results)
}

/// Changes the role and/or the window of an assignment.
pub async fn change_assignment(
    s: &Services,
    caller: &Caller,
    id: &str,
    form: &AssignmentForm,
) -> Result<Assignment, AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let current = existing(&mut tx, scope, id).await?;
    let valid = AssignmentForm {
        identity_id: current.identity_id.clone(),
        node_id: current.node_id.clone(),
        ..form.clone()
    }
    .validate()
    .map_err(AppError::validation)?;
    if valid.role_id != current.role_id {
        assignable_role(&mut tx, scope, &valid.role_id).await?;
    }
    let from_ms = valid.effective_from.map_or(current.from_ms, store::ms);
    let to_ms = valid.effective_to.map(store::ms);
    if to_ms.is_some_and(|to| to <= from_ms) {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "effective_to",
            "before_start",
            "The end must come after the start.",
        )]));
    }
    if !store_a::update(
        &mut tx,
        scope,
        id,
        &valid.role_id,
        from_ms,
        to_ms,
        store::ms(s.now()),
    )
    .await?
    {
        return Err(AppError::AssignmentConflict);
    }
    let row = existing(&mut tx, scope, id).await?;
    let e = event(caller, "assignment.updated", id, &row.identity_id);
    audit::commit(s, tx, vec![e]).await?;
    Ok(to_dto(s, scope, row))
}

pub async fn remove_assignment(s: &Services, caller: &Caller, id: &str) -> Result<(), AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let row = existing(&mut tx, scope, id).await?;
    store_h::delete_assignment(&mut tx, scope, id).await?;
    let e = event(caller, "assignment.removed", id, &row.identity_id);
    audit::commit(s, tx, vec![e]).await
}

/// An identity's assignments in the caller's environment (none for an identity of the account
/// that is not, or no longer, a member; `identities.not_found` for one the account lacks).
pub async fn identity_assignments(
    s: &Services,
    caller: &Caller,
    identity_id: &str,
) -> Result<Vec<Assignment>, AppError> {
    caller.require(SystemPermission::AssignmentRead)?;
    let scope = caller.env()?;
    if crate::store::identities::by_id(s.db.reader(), &scope.account_id, identity_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound {
            resource: Resource::Identity,
        });
    }
    let rows = store_a::of_identity(s.db.reader(), scope, identity_id).await?;
    Ok(rows.into_iter().map(|r| to_dto(s, scope, r)).collect())
}

/// Node detail: the assignments that give access at `node_id` — on it (direct) or on an
/// ancestor (inherited) — nearest first, with counts by lifecycle state.
pub async fn node_access(
    s: &Services,
    caller: &Caller,
    node_id: &str,
) -> Result<NodeAccess, AppError> {
    caller.require(SystemPermission::AssignmentRead)?;
    let scope = caller.env()?;
    let nodes = store_h::nodes(s.db.reader(), scope).await?;
    let by_id: HashMap<&str, &crate::model::Node> =
        nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut lineage: Vec<&crate::model::Node> = Vec::new();
    let mut current = by_id.get(node_id).copied();
    while let Some(node) = current {
        if lineage.len() > nodes.len() {
            break;
        }
        lineage.push(node);
        current = node
            .parent_node_id
            .as_deref()
            .and_then(|p| by_id.get(p).copied());
    }
    if lineage.is_empty() {
        return Err(AppError::NotFound {
            resource: Resource::Node,
        });
    }
    let ids: Vec<&str> = lineage.iter().map(|n| n.id.as_str()).collect();
    let now = s.now();
    let soon = now + time::Duration::days(EXPIRING_SOON_DAYS);
    let mut summary = NodeAccessSummary::default();
    let mut with_access = HashSet::new();
    let mut entries: Vec<(usize, NodeAccessEntry)> = Vec::new();
    for (row, email, name) in store_a::at_nodes(s.db.reader(), scope, &ids).await? {
        let distance = ids.iter().position(|id| *id == row.node_id).unwrap_or(0);
        let ends_soon = row.to_ms.is_some_and(|to| to <= store::ms(soon));
        let assignment = to_dto(s, scope, row);
        let expiring_soon = assignment.status == AssignmentStatus::Active && ends_soon;
        match assignment.status {
            AssignmentStatus::Active => {
                summary.active += 1;
                with_access.insert(assignment.identity_id.clone());
            }
            AssignmentStatus::Scheduled => summary.scheduled += 1,
            AssignmentStatus::Expired => summary.expired += 1,
        }
        summary.expiring_soon += usize::from(expiring_soon);
        entries.push((
            distance,
            NodeAccessEntry {
                assignment,
                identity_email: email,
                identity_name: name,
                inherited: distance > 0,
                expiring_soon,
            },
        ));
    }
    summary.identities_with_access = with_access.len();
    // Stable: within one distance the store's order (email, role) stays.
    entries.sort_by_key(|(distance, _)| *distance);
    let truncated = entries.len() > NodeAccess::LIMIT;
    Ok(NodeAccess {
        node_id: node_id.to_owned(),
        path: lineage.iter().rev().map(|n| n.name.clone()).collect(),
        summary,
        entries: entries
            .into_iter()
            .take(NodeAccess::LIMIT)
            .map(|(_, e)| e)
            .collect(),
        truncated,
    })
}

/// Removes each listed assignment; one result per id, in order (unknown ids are reported, the
/// rest still go).
pub async fn bulk_remove(
    s: &Services,
    caller: &Caller,
    ids: &[String],
) -> Result<Vec<Result<(), AppError>>, AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    count_rule("assignment_ids", ids.len())?;
    let scope = caller.env()?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let one = async {
            let mut tx = s.db.begin().await?;
            let row = existing(&mut tx, scope, id).await?;
            store_h::delete_assignment(&mut tx, scope, id).await?;
            let e = event(caller, "assignment.removed", id, &row.identity_id);
            audit::commit(s, tx, vec![e]).await
        };
        results.push(one.await);
    }
    Ok(results)
}

/// Gives each listed assignment `role_id` (windows unchanged); one result per id, in order.
pub async fn bulk_change_role(
    s: &Services,
    caller: &Caller,
    ids: &[String],
    role_id: &str,
) -> Result<Vec<Result<Assignment, AppError>>, AppError> {
    caller.require(SystemPermission::AssignmentManage)?;
    count_rule("assignment_ids", ids.len())?;
    // A missing role is the request's fault, not each row's (it was a 207 of `roles.not_found`).
    let role_id = &new_role_id(role_id).map_err(|e| AppError::validation(vec![e]))?;
    let scope = caller.env()?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let one = async {
            let mut tx = s.db.begin().await?;
            let current = existing(&mut tx, scope, id).await?;
            assignable_role(&mut tx, scope, role_id).await?;
            let now_ms = store::ms(s.now());
            if !store_a::update(
                &mut tx,
                scope,
                id,
                role_id,
                current.from_ms,
                current.to_ms,
                now_ms,
            )
            .await?
            {
                return Err(AppError::AssignmentConflict);
            }
            let row = existing(&mut tx, scope, id).await?;
            let e = event(caller, "assignment.updated", id, &row.identity_id);
            audit::commit(s, tx, vec![e]).await?;
            Ok(to_dto(s, scope, row))
        };
        results.push(one.await);
    }
    Ok(results)
}
