//! Identities of the active application, as the environment-scoped pages use them.

use crate::error::AppError;
use crate::model::{CreatedIdentity, EnvPath, IdentityForm, MemberRow, Page, RowResult};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Create Identity: Identity + membership + optional assignment, in one transaction.
#[server(endpoint = "create_identity", input = Json)]
pub async fn create_identity(
    env: EnvPath,
    form: IdentityForm,
) -> Result<CreatedIdentity, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::identities::create(&s, &caller, &form).await
}

/// "Add to this application instead" for an identity already in the account.
#[server(endpoint = "add_identity_to_application", input = Json)]
pub async fn add_identity_to_application(
    env: EnvPath,
    identity_id: String,
    role_id: Option<String>,
    node_id: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::identities::add_to_application(&s, &caller, &identity_id, role_id, node_id)
        .await
}

#[server(endpoint = "list_members", input = Json)]
pub async fn list_members(
    env: EnvPath,
    q: String,
    #[server(default)] has_role: Option<bool>,
    page: i64,
) -> Result<Page<MemberRow>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    use crate::services::identities::{MEMBERS_PER_PAGE, members};
    members(&s, &caller, &q, has_role, page, MEMBERS_PER_PAGE).await
}

/// "Add from directory": memberships for up to 200 identities, one result per row.
#[server(endpoint = "add_from_directory", input = Json)]
pub async fn add_from_directory(
    env: EnvPath,
    identity_ids: Vec<String>,
) -> Result<Vec<RowResult<CreatedIdentity>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::identities::bulk_add_to_application(&s, &caller, &identity_ids)
        .await
        .map(RowResult::from_results)
}
