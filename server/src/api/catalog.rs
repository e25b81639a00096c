//! `/api/v1/roles` and `/api/v1/permissions`: the environment's catalog. Custom items are
//! created, changed (with `If-Match`) and deleted here; system items are read-only
//! (`rbac.system_item_readonly`). The same services and rules as the dashboard's Roles and
//! Permissions pages.

use super::bulk::{Bulk, bulk};
use super::collection::{Collection, List, ListQuery};
use super::doc::{
    BodyTooLarge, KeyErrors, ListErrors, PermissionNotFound, PreconditionRequired, RoleNotFound,
    VersionErrors,
};
use super::extract::{ApiError, Body, Key};
use super::versioning::{IfMatch, tagged};
use crate::envelope::ErrorEnvelope;
use app::model::api_bodies::{CreatePermissions, PermissionKeys};
use app::model::{Permission, PermissionPatch, Role, RoleForm, RolePatch};
use app::services::Services;
use app::services::catalog;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;

#[utoipa::path(
    get,
    operation_id = "listRoles",
    path = "/roles",
    tag = "roles",
    summary = "List the environment's roles",
    description = "System and custom roles of the key's environment, by name; `q` matches name and \
        description.",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of roles.", body = Collection<Role>),
        ListErrors,
        KeyErrors,
    ),
    security(("api_key" = ["role.read"])),
)]
pub async fn list_roles(
    State(s): State<Services>,
    Key(caller): Key,
    List(query): List,
) -> Result<Json<Collection<Role>>, ApiError> {
    let roles = catalog::list_roles(&s, &caller).await?;
    Ok(Json(Collection::of_list(roles, &query, |r| {
        format!("{} {}", r.name, r.description)
    })))
}

#[utoipa::path(
    post,
    operation_id = "createRole",
    path = "/roles",
    tag = "roles",
    summary = "Create a custom role",
    description = "Names are unique in the environment, in any case. The new role grants nothing \
        until `PUT /roles/{id}/permissions`.",
    request_body = RoleForm,
    responses(
        (status = 201, description = "Created; `ETag` is its version.", body = Role,
            headers(("ETag" = String, description = "The role's version, for `If-Match`."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/roles", "method": "POST", "details": { "errors": [{ "field": "name", "rule": "required", "message": "Enter a role name." }] } } })),
        (status = 409, description = "A role of that name exists.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "roles.name_taken", "message": "A role named \"Auditor\" already exists in this environment.", "path": "/api/v1/roles", "method": "POST" } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["role.manage"])),
)]
pub async fn create_role(
    State(s): State<Services>,
    Key(caller): Key,
    Body(form): Body<RoleForm>,
) -> Result<Response, ApiError> {
    let role = catalog::create_role(&s, &caller, &form).await?;
    Ok(tagged(StatusCode::CREATED, role.version, role))
}

#[utoipa::path(
    get,
    operation_id = "getRole",
    path = "/roles/{id}",
    tag = "roles",
    summary = "Get a role",
    params(("id" = String, Path, description = "The role's id.")),
    responses(
        (status = 200, description = "The role; `ETag` is its version.", body = Role,
            headers(("ETag" = String, description = "The role's version, for `If-Match`."))),
        RoleNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["role.read"])),
)]
pub async fn show_role(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let role = catalog::get_role(&s, &caller, &id).await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

#[utoipa::path(
    patch,
    operation_id = "updateRole",
    path = "/roles/{id}",
    tag = "roles",
    summary = "Rename, describe, activate or deactivate a role",
    description = "Absent fields stay as they are. Needs `If-Match` with the version read (`*`: \
        whatever is current). An inactive role grants nothing and cannot be assigned. System roles \
        are read-only.",
    params(
        ("id" = String, Path, description = "The role's id."),
        ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),
    ),
    request_body = RolePatch,
    responses(
        (status = 200, description = "The role as it now is.", body = Role,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), the role is a system role (`rbac.system_item_readonly`), or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "rbac.system_item_readonly", "message": "Built-in items cannot be changed or deleted.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "PATCH" } })),
        RoleNotFound,
        (status = 409, description = "The role changed since it was read (`common.version_conflict`), or the new name is taken (`roles.name_taken`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "common.version_conflict", "message": "This item was changed by someone else. Refresh and try again.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "PATCH" } })),
        PreconditionRequired,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["role.manage"])),
)]
pub async fn update_role(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
    Body(patch): Body<RolePatch>,
) -> Result<Response, ApiError> {
    let role = catalog::update_role(&s, &caller, &id, precondition, &patch).await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

#[utoipa::path(
    delete,
    operation_id = "deleteRole",
    path = "/roles/{id}",
    tag = "roles",
    summary = "Delete a custom role",
    description = "Its grants and its assignments go with it. Needs `If-Match`.",
    params(
        ("id" = String, Path, description = "The role's id."),
        ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "A system role, or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "rbac.system_item_readonly", "message": "Built-in items cannot be changed or deleted.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "DELETE" } })),
        RoleNotFound,
        VersionErrors,
        KeyErrors,
    ),
    security(("api_key" = ["role.manage"])),
)]
pub async fn delete_role(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
) -> Result<StatusCode, ApiError> {
    catalog::delete_role(&s, &caller, &id, precondition).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    operation_id = "listRolePermissions",
    path = "/roles/{id}/permissions",
    tag = "roles",
    summary = "The permission keys a role grants",
    params(("id" = String, Path, description = "The role's id."), ListQuery),
    responses(
        (status = 200, description = "The keys, sorted.", body = Collection<String>),
        ListErrors,
        RoleNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["role.read"])),
)]
pub async fn role_permissions(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<String>>, ApiError> {
    let keys = catalog::role_permissions(&s, &caller, &id).await?;
    Ok(Json(Collection::of_list(keys, &query, String::clone)))
}

/// `PUT /roles/{id}/permissions`: replaces the whole set; answers the role as it now is.
#[utoipa::path(
    put,
    operation_id = "setRolePermissions",
    path = "/roles/{id}/permissions",
    tag = "roles",
    summary = "Replace what a role grants",
    description = "The role grants exactly these keys afterwards (duplicates ignored). One unknown \
        key refuses the whole set and changes nothing.",
    params(("id" = String, Path, description = "The role's id.")),
    request_body = PermissionKeys,
    responses(
        (status = 200, description = "The role, with its new `permission_count`.", body = Role),
        (status = 400, description = "An unknown key, or a system role.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70/permissions", "method": "PUT", "details": { "errors": [{ "field": "permission_keys", "rule": "unknown", "message": "These permissions do not exist in this environment: report.sign." }] } } })),
        RoleNotFound,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["role.manage"])),
)]
pub async fn set_role_permissions(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    Body(body): Body<PermissionKeys>,
) -> Result<Response, ApiError> {
    let (role, _) = catalog::set_role_permissions(&s, &caller, &id, &body.permission_keys).await?;
    Ok(tagged(StatusCode::OK, role.version, role))
}

#[utoipa::path(
    get,
    operation_id = "listPermissions",
    path = "/permissions",
    tag = "permissions",
    summary = "List the permission catalog",
    description = "System (management) and custom permissions of the key's environment, by key; \
        `q` matches key, description and category.",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of permissions.", body = Collection<Permission>),
        ListErrors,
        KeyErrors,
    ),
    security(("api_key" = ["permission.read"])),
)]
pub async fn list_permissions(
    State(s): State<Services>,
    Key(caller): Key,
    List(query): List,
) -> Result<Json<Collection<Permission>>, ApiError> {
    let permissions = catalog::list_permissions(&s, &caller).await?;
    Ok(Json(Collection::of_list(permissions, &query, |p| {
        format!("{} {} {}", p.key, p.description, p.category)
    })))
}

/// The bulk answer of a permission batch.
pub type PermissionBulk = Bulk<Permission>;

/// `POST /permissions`: a batch, answered per row (bulk envelope); good rows are written together.
#[utoipa::path(
    post,
    operation_id = "createPermissions",
    path = "/permissions",
    tag = "permissions",
    summary = "Create custom permissions (a batch)",
    description = "1 to 200 rows, each answered on its own: a key that exists — system or custom — \
        or came earlier in the batch is `permissions.key_taken` on its row. The good rows are \
        written together. 200 when every row succeeded, 207 otherwise.",
    request_body = CreatePermissions,
    responses(
        (status = 200, description = "Every row was created.", body = PermissionBulk),
        (status = 207, description = "Some rows failed; each says why.", body = PermissionBulk),
        (status = 400, description = "No rows, or more than 200.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/permissions", "method": "POST", "details": { "errors": [{ "field": "permissions", "rule": "count", "message": "Send 1 to 200 rows; this request has 0." }] } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["permission.manage"])),
)]
pub async fn create_permissions(
    State(s): State<Services>,
    Key(caller): Key,
    Body(body): Body<CreatePermissions>,
) -> Result<(StatusCode, Json<Bulk<Permission>>), ApiError> {
    let results = catalog::create_permissions(&s, &caller, &body.permissions).await?;
    Ok(bulk(results, "permissions.created"))
}

#[utoipa::path(
    get,
    operation_id = "getPermission",
    path = "/permissions/{id}",
    tag = "permissions",
    summary = "Get a permission",
    params(("id" = String, Path, description = "The permission's id.")),
    responses(
        (status = 200, description = "The permission; `ETag` is its version.", body = Permission,
            headers(("ETag" = String, description = "The permission's version, for `If-Match`."))),
        PermissionNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["permission.read"])),
)]
pub async fn show_permission(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let permission = catalog::get_permission(&s, &caller, &id).await?;
    Ok(tagged(StatusCode::OK, permission.version, permission))
}

#[utoipa::path(
    patch,
    operation_id = "updatePermission",
    path = "/permissions/{id}",
    tag = "permissions",
    summary = "Change a permission's description or category",
    description = "The key never changes. Absent fields stay. Needs `If-Match`. System \
        permissions are read-only.",
    params(
        ("id" = String, Path, description = "The permission's id."),
        ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),
    ),
    request_body = PermissionPatch,
    responses(
        (status = 200, description = "The permission as it now is.", body = Permission,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), a system permission (`rbac.system_item_readonly`), or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/permissions/0193a1f0-6666-7f00-9b21-3c4d5e6f7081", "method": "PATCH", "details": { "errors": [{ "field": "description", "rule": "too_long", "message": "This can be at most 500 characters." }] } } })),
        PermissionNotFound,
        VersionErrors,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["permission.manage"])),
)]
pub async fn update_permission(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
    Body(patch): Body<PermissionPatch>,
) -> Result<Response, ApiError> {
    let permission = catalog::update_permission(&s, &caller, &id, precondition, &patch).await?;
    Ok(tagged(StatusCode::OK, permission.version, permission))
}

#[utoipa::path(
    delete,
    operation_id = "deletePermission",
    path = "/permissions/{id}",
    tag = "permissions",
    summary = "Delete a custom permission",
    description = "Roles stop granting it at once. Needs `If-Match`.",
    params(
        ("id" = String, Path, description = "The permission's id."),
        ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "A system permission, or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "rbac.system_item_readonly", "message": "Built-in items cannot be changed or deleted.", "path": "/api/v1/permissions/0193a1f0-6666-7f00-9b21-3c4d5e6f7081", "method": "DELETE" } })),
        PermissionNotFound,
        VersionErrors,
        KeyErrors,
    ),
    security(("api_key" = ["permission.manage"])),
)]
pub async fn delete_permission(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
) -> Result<StatusCode, ApiError> {
    catalog::delete_permission(&s, &caller, &id, precondition).await?;
    Ok(StatusCode::NO_CONTENT)
}
