//! `/api/v1/roles` and `/api/v1/permissions`: the environment's catalog. Custom items are
//! created, changed (with `If-Match`) and deleted here; system items are read-only
//! (`rbac.system_item_readonly`). The same services and rules as the dashboard's Roles and
//! Permissions pages.

use super::bulk::{Bulk, bulk, count_rule};
use super::collection::{Collection, List};
use super::extract::{ApiError, Body, Key};
use super::versioning::{IfMatch, etag};
use app::model::{Permission, PermissionForm, Role, RoleForm};
use app::services::Services;
use app::services::catalog;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

/// A versioned item with its `ETag`.
fn tagged<T: serde::Serialize>(status: StatusCode, version: i64, item: T) -> Response {
    (status, etag(version), Json(item)).into_response()
}

pub async fn list_roles(
    State(s): State<Services>,
    Key(key): Key,
    List(query): List,
) -> Result<Json<Collection<Role>>, ApiError> {
    key.require("role.read")?;
    let roles = catalog::roles_in(&s, &key.scope).await?;
    Ok(Json(Collection::of_list(roles, &query, |r| {
        format!("{} {}", r.name, r.description)
    })))
}

pub async fn create_role(
    State(s): State<Services>,
    Key(key): Key,
    Body(form): Body<RoleForm>,
) -> Result<Response, ApiError> {
    key.require("role.manage")?;
    let role = catalog::create_role_in(&s, &key.actor(), &key.scope, &form).await?;
    Ok(tagged(StatusCode::CREATED, role.version, role))
}

pub async fn show_role(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    key.require("role.read")?;
    let role = catalog::role_in(&s, &key.scope, &id).await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

/// `PATCH /roles/{id}`: any of name, description, is_active (absent = unchanged).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    is_active: Option<bool>,
}

pub async fn update_role(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(patch): Body<RolePatch>,
) -> Result<Response, ApiError> {
    key.require("role.manage")?;
    let current = catalog::role_in(&s, &key.scope, &id).await?;
    let form = RoleForm {
        name: patch.name.unwrap_or(current.name),
        description: patch.description.unwrap_or(current.description),
    };
    let role = catalog::update_role_in(
        &s,
        &key.actor(),
        &key.scope,
        &id,
        if_match.version(current.version)?,
        &form,
        patch.is_active.unwrap_or(current.is_active),
    )
    .await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

pub async fn delete_role(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> Result<StatusCode, ApiError> {
    key.require("role.manage")?;
    let current = catalog::role_in(&s, &key.scope, &id).await?;
    let version = if_match.version(current.version)?;
    catalog::delete_role_in(&s, &key.actor(), &key.scope, &id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn role_permissions(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<String>>, ApiError> {
    key.require("role.read")?;
    let keys = catalog::role_permissions_in(&s, &key.scope, &id).await?;
    Ok(Json(Collection::of_list(keys, &query, String::clone)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionKeys {
    permission_keys: Vec<String>,
}

/// `PUT /roles/{id}/permissions`: replaces the whole set; answers the role as it now is.
pub async fn set_role_permissions(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    Body(body): Body<PermissionKeys>,
) -> Result<Response, ApiError> {
    key.require("role.manage")?;
    catalog::set_role_permissions_in(&s, &key.actor(), &key.scope, &id, &body.permission_keys)
        .await?;
    let role = catalog::role_in(&s, &key.scope, &id).await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

pub async fn list_permissions(
    State(s): State<Services>,
    Key(key): Key,
    List(query): List,
) -> Result<Json<Collection<Permission>>, ApiError> {
    key.require("permission.read")?;
    let permissions = catalog::permissions_in(&s, &key.scope).await?;
    Ok(Json(Collection::of_list(permissions, &query, |p| {
        format!("{} {} {}", p.key, p.description, p.category)
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePermissions {
    permissions: Vec<PermissionForm>,
}

/// `POST /permissions`: a batch, answered per row (bulk envelope); good rows are written together.
pub async fn create_permissions(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<CreatePermissions>,
) -> Result<(StatusCode, Json<Bulk<Permission>>), ApiError> {
    key.require("permission.manage")?;
    count_rule("permissions", body.permissions.len())?;
    let results =
        catalog::create_permissions_in(&s, &key.actor(), &key.scope, &body.permissions).await?;
    Ok(bulk(results, "permissions.created"))
}

pub async fn show_permission(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    key.require("permission.read")?;
    let permission = catalog::permission_in(&s, &key.scope, &id).await?;
    Ok(tagged(StatusCode::OK, permission.version, permission))
}

/// `PATCH /permissions/{id}`: description and/or category; the key never changes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionPatch {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

pub async fn update_permission(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(patch): Body<PermissionPatch>,
) -> Result<Response, ApiError> {
    key.require("permission.manage")?;
    let current = catalog::permission_in(&s, &key.scope, &id).await?;
    let form = PermissionForm {
        key: current.key,
        description: patch.description.unwrap_or(current.description),
        category: patch.category.unwrap_or(current.category),
    };
    let version = if_match.version(current.version)?;
    let permission =
        catalog::update_permission_in(&s, &key.actor(), &key.scope, &id, version, &form).await?;
    Ok(tagged(StatusCode::OK, permission.version, permission))
}

pub async fn delete_permission(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> Result<StatusCode, ApiError> {
    key.require("permission.manage")?;
    let current = catalog::permission_in(&s, &key.scope, &id).await?;
    let version = if_match.version(current.version)?;
    catalog::delete_permission_in(&s, &key.actor(), &key.scope, &id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
