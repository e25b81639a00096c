//! Role assignments and the access check.

use crate::error::AppError;
use crate::model::{Assignment, AssignmentForm, Decision, EnvPath, NodeAccess, RowResult};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "create_assignment", input = Json)]
pub async fn create_assignment(env: EnvPath, form: AssignmentForm) -> Result<Assignment, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::create_assignment(&s, &caller, &form).await
}

/// Changes role and window (`identity_id` and `node_id` of the form are ignored).
#[server(endpoint = "change_assignment", input = Json)]
pub async fn change_assignment(
    env: EnvPath,
    id: String,
    form: AssignmentForm,
) -> Result<Assignment, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::change_assignment(&s, &caller, &id, &form).await
}

#[server(endpoint = "remove_assignment", input = Json)]
pub async fn remove_assignment(env: EnvPath, id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::remove_assignment(&s, &caller, &id).await
}

#[server(endpoint = "identity_assignments", input = Json)]
pub async fn identity_assignments(
    env: EnvPath,
    identity_id: String,
) -> Result<Vec<Assignment>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::identity_assignments(&s, &caller, &identity_id).await
}

/// The Access checker: node-scoped when `node_id` is set, app-wide otherwise.
#[server(endpoint = "check_access", input = Json)]
pub async fn check_access(
    env: EnvPath,
    identity_id: String,
    permission: String,
    node_id: Option<String>,
) -> Result<Decision, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::access_checks::check_access(
        &s,
        &caller,
        &identity_id,
        &permission,
        node_id.as_deref(),
    )
    .await
}

/// Node detail: who has access at the node, direct or inherited.
#[server(endpoint = "node_access", input = Json)]
pub async fn load_node_access(env: EnvPath, node_id: String) -> Result<NodeAccess, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::node_access(&s, &caller, &node_id).await
}

/// One assignment per form, each in its own transaction; one result per row, in order.
#[server(endpoint = "bulk_create_assignments", input = Json)]
pub async fn bulk_create_assignments(
    env: EnvPath,
    forms: Vec<AssignmentForm>,
) -> Result<Vec<RowResult<Assignment>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::bulk_create(
        &s,
        &caller,
        &forms,
        crate::services::rows::Mode::Real,
    )
    .await
    .map(RowResult::from_results)
}

#[server(endpoint = "bulk_remove_assignments", input = Json)]
pub async fn bulk_remove_assignments(
    env: EnvPath,
    ids: Vec<String>,
) -> Result<Vec<RowResult<()>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::bulk_remove(&s, &caller, &ids)
        .await
        .map(RowResult::from_results)
}

#[server(endpoint = "bulk_change_assignment_role", input = Json)]
pub async fn bulk_change_assignment_role(
    env: EnvPath,
    ids: Vec<String>,
    role_id: String,
) -> Result<Vec<RowResult<Assignment>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::assignments::bulk_change_role(&s, &caller, &ids, &role_id)
        .await
        .map(RowResult::from_results)
}
