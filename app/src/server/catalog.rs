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
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::list_permissions(&services()?, &admin, &env).await
}

#[server(endpoint = "create_permission", input = Json)]
pub async fn create_permission(env: EnvPath, form: PermissionForm) -> Result<Permission, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::create_permission(&services()?, &admin, &env, &form).await
}

#[server(endpoint = "create_permission_group", input = Json)]
pub async fn create_permission_group(
    env: EnvPath,
    form: PermissionGroupForm,
) -> Result<PermissionGroupOutcome, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::create_permission_group(&services()?, &admin, &env, &form).await
}

#[server(endpoint = "update_permission", input = Json)]
pub async fn update_permission(
    env: EnvPath,
    id: String,
    version: i64,
    form: PermissionForm,
) -> Result<Permission, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::update_permission(&services()?, &admin, &env, &id, version, &form)
        .await
}

#[server(endpoint = "delete_permission", input = Json)]
pub async fn delete_permission(env: EnvPath, id: String, version: i64) -> Result<(), AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::delete_permission(&services()?, &admin, &env, &id, version).await
}

#[server(endpoint = "roles", input = Json)]
pub async fn list_roles(env: EnvPath) -> Result<Vec<Role>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::list_roles(&services()?, &admin, &env).await
}

#[server(endpoint = "create_role", input = Json)]
pub async fn create_role(env: EnvPath, form: RoleForm) -> Result<Role, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::create_role(&services()?, &admin, &env, &form).await
}

#[server(endpoint = "update_role", input = Json)]
pub async fn update_role(
    env: EnvPath,
    id: String,
    version: i64,
    form: RoleForm,
    active: bool,
) -> Result<Role, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::update_role(&services()?, &admin, &env, &id, version, &form, active)
        .await
}

#[server(endpoint = "delete_role", input = Json)]
pub async fn delete_role(env: EnvPath, id: String, version: i64) -> Result<(), AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::delete_role(&services()?, &admin, &env, &id, version).await
}

#[server(endpoint = "role_permissions", input = Json)]
pub async fn role_permissions(env: EnvPath, id: String) -> Result<Vec<String>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::role_permissions(&services()?, &admin, &env, &id).await
}

#[server(endpoint = "set_role_permissions", input = Json)]
pub async fn set_role_permissions(
    env: EnvPath,
    id: String,
    permission_keys: Vec<String>,
) -> Result<Vec<String>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::catalog::set_role_permissions(
        &services()?,
        &admin,
        &env,
        &id,
        &permission_keys,
    )
    .await
}
