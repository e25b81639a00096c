//! Access Control › Permissions and Roles.

use crate::error::AppError;
use crate::model::{
    Permission, PermissionForm, PermissionGroupForm, PermissionGroupOutcome, Role, RoleForm,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

pub use crate::model::EnvPath;

#[server(endpoint = "permissions", input = Json)]
pub async fn list_permissions(env: EnvPath) -> Result<Vec<Permission>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::list_permissions(&s, &caller).await
}

#[server(endpoint = "create_permission", input = Json)]
pub async fn create_permission(env: EnvPath, form: PermissionForm) -> Result<Permission, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::create_permission(&s, &caller, &form).await
}

#[server(endpoint = "create_permission_group", input = Json)]
pub async fn create_permission_group(
    env: EnvPath,
    form: PermissionGroupForm,
) -> Result<PermissionGroupOutcome, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::create_permission_group(&s, &caller, &form).await
}

/// The dashboard edits every field it shows, against the version it showed.
#[server(endpoint = "update_permission", input = Json)]
pub async fn update_permission(
    env: EnvPath,
    id: String,
    version: i64,
    form: PermissionForm,
) -> Result<Permission, AppError> {
    use crate::model::{PermissionPatch, Precondition};
    let (s, caller) = super::context::caller_in(&env).await?;
    let patch = PermissionPatch {
        description: Some(form.description),
        category: Some(form.category),
    };
    crate::services::catalog::update_permission(
        &s,
        &caller,
        &id,
        Precondition::Version(version),
        &patch,
    )
    .await
}

#[server(endpoint = "delete_permission", input = Json)]
pub async fn delete_permission(env: EnvPath, id: String, version: i64) -> Result<(), AppError> {
    use crate::model::Precondition;
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::delete_permission(&s, &caller, &id, Precondition::Version(version))
        .await
}

#[server(endpoint = "roles", input = Json)]
pub async fn list_roles(env: EnvPath) -> Result<Vec<Role>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::list_roles(&s, &caller).await
}

#[server(endpoint = "create_role", input = Json)]
pub async fn create_role(env: EnvPath, form: RoleForm) -> Result<Role, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::create_role(&s, &caller, &form).await
}

#[server(endpoint = "update_role", input = Json)]
pub async fn update_role(
    env: EnvPath,
    id: String,
    version: i64,
    form: RoleForm,
    active: bool,
) -> Result<Role, AppError> {
    use crate::model::{Precondition, RolePatch};
    let (s, caller) = super::context::caller_in(&env).await?;
    let patch = RolePatch {
        name: Some(form.name),
        description: Some(form.description),
        is_active: Some(active),
    };
    crate::services::catalog::update_role(&s, &caller, &id, Precondition::Version(version), &patch)
        .await
}

#[server(endpoint = "delete_role", input = Json)]
pub async fn delete_role(env: EnvPath, id: String, version: i64) -> Result<(), AppError> {
    use crate::model::Precondition;
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::delete_role(&s, &caller, &id, Precondition::Version(version)).await
}

#[server(endpoint = "role_permissions", input = Json)]
pub async fn role_permissions(env: EnvPath, id: String) -> Result<Vec<String>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::catalog::role_permissions(&s, &caller, &id).await
}

#[server(endpoint = "set_role_permissions", input = Json)]
pub async fn set_role_permissions(
    env: EnvPath,
    id: String,
    permission_keys: Vec<String>,
) -> Result<Vec<String>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    let (_, keys) =
        crate::services::catalog::set_role_permissions(&s, &caller, &id, &permission_keys).await?;
    Ok(keys)
}
