//! `/api/v1/assignments` (+ bulk forms) and an identity's assignments and permissions.

use super::bulk::{Bulk, DryRun, DryRunQuery, Removed, bulk, bulk_in};
use super::collection::{Collection, List, ListQuery};
use super::doc::{
    AssignmentNotFound, BodyTooLarge, IdentityNotFound, KeyErrors, ListErrors, RoleNotFound,
};
use super::extract::{ApiError, Body, Key};
use crate::envelope::ErrorEnvelope;
use app::model::api_bodies::{AssignmentChange, AssignmentIds, BulkCreateAssignments};
use app::model::{Assignment, AssignmentForm};
use app::services::Services;
use app::services::assignments;
use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;

#[utoipa::path(
    post,
    operation_id = "createAssignment",
    path = "/assignments",
    tag = "assignments",
    summary = "Assign a role to an identity at a node",
    description = "The identity must be an active member of the key's application; the role and \
        node must be in the key's environment. Times are RFC 3339; `effective_from` defaults to \
        now and `effective_to` to never.",
    request_body = AssignmentForm,
    responses(
        (status = 201, description = "Assigned.", body = Assignment),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), or the role is a system or inactive role (`rbac.system_role_not_assignable`, `rbac.role_inactive`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "rbac.role_inactive", "message": "This role is inactive. Activate it before assigning it.", "path": "/api/v1/assignments", "method": "POST" } })),
        (status = 404, description = "The identity (`identities.not_found`), role (`roles.not_found`) or node (`nodes.not_found`) is not in this environment.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "nodes.not_found", "message": "Node not found.", "path": "/api/v1/assignments", "method": "POST" } })),
        (status = 409, description = "The identity already has this role at this node, or is not a member of the application.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "rbac.assignment_conflict", "message": "Identity already has this role at this node.", "path": "/api/v1/assignments", "method": "POST" } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn create(
    State(s): State<Services>,
    Key(caller): Key,
    Body(form): Body<AssignmentForm>,
) -> Result<(StatusCode, Json<Assignment>), ApiError> {
    let created = assignments::create_assignment(&s, &caller, &form).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    operation_id = "updateAssignment",
    path = "/assignments/{id}",
    tag = "assignments",
    summary = "Change an assignment's role or time window",
    description = "The identity and the node of an assignment cannot change: remove it and create \
        another.",
    params(("id" = String, Path, description = "The assignment's id.")),
    request_body = AssignmentChange,
    responses(
        (status = 200, description = "The assignment as it now is.", body = Assignment),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), or the role cannot be assigned (`rbac.system_role_not_assignable`, `rbac.role_inactive`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/assignments/0193a1f0-3333-7c00-ae50-7f4d9b2c1e64", "method": "PATCH", "details": { "errors": [{ "field": "effective_to", "rule": "order", "message": "The end must be after the start." }] } } })),
        (status = 404, description = "No such assignment (`assignments.not_found`) or role (`roles.not_found`) in this environment.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "assignments.not_found", "message": "Assignment not found.", "path": "/api/v1/assignments/0193a1f0-3333-7c00-ae50-7f4d9b2c1e64", "method": "PATCH" } })),
        (status = 409, description = "The identity already has that role at this node.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "rbac.assignment_conflict", "message": "Identity already has this role at this node.", "path": "/api/v1/assignments/0193a1f0-3333-7c00-ae50-7f4d9b2c1e64", "method": "PATCH" } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn change(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    Body(change): Body<AssignmentChange>,
) -> Result<Json<Assignment>, ApiError> {
    let form = change.into_form();
    Ok(Json(
        assignments::change_assignment(&s, &caller, &id, &form).await?,
    ))
}

#[utoipa::path(
    delete,
    operation_id = "deleteAssignment",
    path = "/assignments/{id}",
    tag = "assignments",
    summary = "Remove an assignment",
    params(("id" = String, Path, description = "The assignment's id.")),
    responses(
        (status = 204, description = "Removed."),
        AssignmentNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn remove(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    assignments::remove_assignment(&s, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    operation_id = "bulkCreateAssignments",
    path = "/assignments/bulk-create",
    tag = "assignments",
    summary = "Create up to 200 assignments",
    description = "Each row is checked and written on its own; 200 when every row succeeded, 207 \
        otherwise, with one result per row in request order. `?dry_run=true` answers the same \
        verdicts a real run would give now and writes nothing.",
    params(DryRunQuery),
    request_body(content = BulkCreateAssignments, example = json!({ "assignments": [
        { "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53" },
        { "identity_id": "0193a1f0-6666-7f00-9b83-0c7a2e5f4b97", "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53", "effective_to": "2027-06-30T23:59:59Z" }
    ] })),
    responses(
        (status = 200, description = "Every row succeeded.", body = Bulk<Assignment>),
        (status = 207, description = "At least one row failed; each row says what happened to it.", body = Bulk<Assignment>),
        (status = 400, description = "Not 1 to 200 rows (nothing was written), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/assignments/bulk-create", "method": "POST", "details": { "errors": [{ "field": "assignments", "rule": "count", "message": "Send 1 to 200 rows; this request has 0." }] } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn bulk_create(
    State(s): State<Services>,
    Key(caller): Key,
    DryRun(mode): DryRun,
    Body(body): Body<BulkCreateAssignments>,
) -> Result<(StatusCode, Json<Bulk<Assignment>>), ApiError> {
    let results = assignments::bulk_create(&s, &caller, &body.assignments, mode).await?;
    Ok(bulk_in(results, "assignments.created", mode))
}

#[utoipa::path(
    post,
    operation_id = "bulkDeleteAssignments",
    path = "/assignments/bulk-remove",
    tag = "assignments",
    summary = "Remove up to 200 assignments",
    description = "One result per id, in request order; 200 when every row succeeded, 207 \
        otherwise.",
    request_body(content = AssignmentIds, example = json!({ "assignment_ids": ["0193a1f0-3333-7c00-ae50-7f4d9b2c1e64", "0193a1f0-7777-7000-8c94-1d8b3f6a5ca8"] })),
    responses(
        (status = 200, description = "Every assignment was removed.", body = Bulk<Removed>),
        (status = 207, description = "At least one row failed (e.g. `assignments.not_found`).", body = Bulk<Removed>),
        (status = 400, description = "Not 1 to 200 ids (nothing was removed), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/assignments/bulk-remove", "method": "POST", "details": { "errors": [{ "field": "assignment_ids", "rule": "count", "message": "Send 1 to 200 rows; this request has 0." }] } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn bulk_remove(
    State(s): State<Services>,
    Key(caller): Key,
    Body(body): Body<AssignmentIds>,
) -> Result<(StatusCode, Json<Bulk<Removed>>), ApiError> {
    let results = assignments::bulk_remove(&s, &caller, &body.assignment_ids).await?;
    let results = results.into_iter().map(|r| r.map(|()| Removed)).collect();
    Ok(bulk(results, "assignments.removed"))
}

#[utoipa::path(
    post,
    operation_id = "bulkChangeAssignmentRole",
    path = "/assignments/bulk-change-role",
    tag = "assignments",
    summary = "Give up to 200 assignments another role",
    description = "Every listed assignment gets `role_id`; one result per id, in request order; \
        200 when every row succeeded, 207 otherwise.",
    request_body = AssignmentIds,
    responses(
        (status = 200, description = "Every assignment was changed.", body = Bulk<Assignment>),
        (status = 207, description = "At least one row failed.", body = Bulk<Assignment>),
        (status = 400, description = "Not 1 to 200 ids, no `role_id`, or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/assignments/bulk-change-role", "method": "POST", "details": { "errors": [{ "field": "assignment_ids", "rule": "count", "message": "Send 1 to 200 rows; this request has 0." }] } } })),
        RoleNotFound,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.manage"])),
)]
pub async fn bulk_change_role(
    State(s): State<Services>,
    Key(caller): Key,
    Body(body): Body<AssignmentIds>,
) -> Result<(StatusCode, Json<Bulk<Assignment>>), ApiError> {
    let role_id = body.role_id.unwrap_or_default();
    let results =
        assignments::bulk_change_role(&s, &caller, &body.assignment_ids, &role_id).await?;
    Ok(bulk(results, "assignments.updated"))
}

#[utoipa::path(
    get,
    operation_id = "listIdentityAssignments",
    path = "/identities/{id}/assignments",
    tag = "assignments",
    summary = "List an identity's assignments",
    description = "Its assignments in the key's environment (scheduled, active and expired); `q` \
        matches role and node names.",
    params(("id" = String, Path, description = "The identity's id."), ListQuery),
    responses(
        (status = 200, description = "The assignments.", body = Collection<Assignment>),
        ListErrors,
        IdentityNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["assignment.read"])),
)]
pub async fn identity_assignments(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<Assignment>>, ApiError> {
    let held = assignments::identity_assignments(&s, &caller, &id).await?;
    Ok(Json(Collection::of_list(held, &query, |a| {
        format!("{} {}", a.role_name, a.node_name)
    })))
}

/// What the identity may do anywhere in this environment (the union over the tree), by key.
#[utoipa::path(
    get,
    operation_id = "listIdentityPermissions",
    path = "/identities/{id}/permissions",
    tag = "assignments",
    summary = "List an identity's effective permissions",
    description = "Every permission key its assignments in force grant in the key's environment, \
        at any node.",
    params(("id" = String, Path, description = "The identity's id."), ListQuery),
    responses(
        (status = 200, description = "The permission keys, sorted.", body = Collection<String>),
        ListErrors,
        IdentityNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["identity.read"])),
)]
pub async fn identity_permissions(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<String>>, ApiError> {
    let keys = app::services::access_checks::effective_permissions(&s, &caller, &id).await?;
    Ok(Json(Collection::of_list(
        keys.into_iter().collect(),
        &query,
        String::clone,
    )))
}
