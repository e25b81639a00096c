//! `/api/v1/identity-invites`: invite (optionally with a role + node), bulk invite, list with a
//! status filter, summary, resend (a new link; the old one dies) and revoke. The same
//! `InviteForm` rules and the same service as the dashboard's Invite dialogs.

use super::bulk::{Bulk, DryRun, DryRunQuery};
use super::collection::{Collection, check_bounds, default_take, first_page};
use super::doc::{BodyTooLarge, KeyErrors};
use super::extract::{ApiError, Body, Key};
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use app::model::api_bodies::BulkCreateInvites;
use app::model::{
    Invite, InviteForm, InviteStatus, InviteSummary, ResentInvite, SystemPermission, count_rule,
};
use app::services::{Services, invites};
use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use http::StatusCode;
use http::request::Parts;
use serde::{Deserialize, Serialize};

/// An invite as created: the invite, and its link when the caller delivers it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = InviteCreated, example = json!({
    "id": "0193a1f0-8888-7b00-8d43-5e6f708192a3", "email": "pat.lee@example.com", "intent": "activate",
    "first_name": "Pat", "last_name": "Lee", "name": "Pat Lee",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f", "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "role_id": null, "node_id": null, "has_initial_assignment": false, "status": "pending", "send_email": false,
    "expires_at": "2026-12-04T09:00:00Z", "invited_by": "0193a1ee-9999-7000-8000-000000000001",
    "accepted_at": null, "created_at": "2026-11-27T09:00:00Z",
    "accept_url": "https://arbor.example.com/accept-invite?token=Zq3vN8kLr0w2YbT5xHc9PdEaUf1GmJi7oS4qVnB6yKz"
}))]
pub struct CreatedResponse {
    #[serde(flatten)]
    invite: Invite,
    /// The link to deliver yourself; only when the invite was sent with `send_email: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    accept_url: Option<String>,
}

impl From<app::model::CreatedInvite> for CreatedResponse {
    fn from(created: app::model::CreatedInvite) -> Self {
        CreatedResponse {
            invite: created.invite,
            accept_url: created.accept_url,
        }
    }
}

const PENDING_EXISTS: &str = "A pending invite for this email already exists. Resend it instead.";

#[utoipa::path(
    post,
    operation_id = "createIdentityInvite",
    path = "/identity-invites",
    tag = "invites",
    summary = "Invite an identity",
    description = "Writes a pending invite in the key's environment and emails its link (valid 7 days), \
        all committed before the answer. With `role_id` + `node_id` (both or neither) the role is \
        assigned at that node when the invite is accepted. An `activate` invite for an email that \
        already belongs to an identity of the account becomes `add_to_app` (the person confirms with \
        their current password, which is not changed). With `send_email: false` nothing is emailed \
        and the answer carries `accept_url` for you to deliver.",
    request_body = InviteForm,
    responses(
        (status = 201, description = "Created (and its email queued), committed before this answer.", body = CreatedResponse),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`: e.g. half a role + node pair, or a role with `password_reset`), the role cannot be assigned (`rbac.role_inactive`, `rbac.system_role_not_assignable`), or the JSON is malformed (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/identity-invites", "method": "POST",
                "details": { "errors": [{ "field": "node_id", "rule": "pair", "message": "Choose both a role and a node, or neither: the assignment needs both." }] } } })),
        (status = 404, description = "The role (`roles.not_found`) or node (`nodes.not_found`) is not in this environment, or (`password_reset`) no identity has this email (`identities.not_found`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "roles.not_found", "message": "Role not found.", "path": "/api/v1/identity-invites", "method": "POST" } })),
        (status = 409, description = "A pending invite for this email exists in this environment (`invites.pending_exists`, with `details.invite_id`: resend it), or the email already belongs to an active member of the application (`identities.email_taken`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "invites.pending_exists", "message": PENDING_EXISTS, "path": "/api/v1/identity-invites", "method": "POST",
                "details": { "invite_id": "0193a1f0-8888-7b00-8d43-5e6f708192a3" } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["invite.manage"])),
)]
pub async fn create(
    State(s): State<Services>,
    Key(caller): Key,
    Body(form): Body<InviteForm>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let created = invites::create(&s, &caller, &form).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(
    post,
    operation_id = "bulkCreateIdentityInvites",
    path = "/identity-invites/bulk-create",
    tag = "invites",
    summary = "Invite up to 200 identities",
    description = "Each row runs the single invite in its own transaction, in order; a second row \
        for the same email fails with `invites.pending_exists`. 200 when every row succeeded, 207 \
        otherwise. With `Idempotency-Key` a repeat within 24 hours gets the stored answer \
        (`Idempotent-Replayed: true`) without running again — no second email is sent. \
        `?dry_run=true` answers the same verdicts a real run would give now and writes (and \
        sends) nothing.",
    params(DryRunQuery, ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, description = "1–255 visible ASCII characters, scoped to the API key and kept 24 hours, e.g. `invites-2026-11-27-001`.")),
    request_body(content = BulkCreateInvites, example = json!({ "invites": [
        { "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee" },
        { "email": "sam.ortiz@example.com", "first_name": "Sam", "last_name": "Ortiz",
          "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53" }
    ] })),
    responses(
        (status = 200, description = "Every row succeeded.", body = Bulk<CreatedResponse>,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 207, description = "At least one row failed; each row says what happened to it.", body = Bulk<CreatedResponse>,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replayed answer.")),
            example = json!({
                "summary": { "total": 2, "succeeded": 1, "failed": 1 },
                "results": [
                    { "index": 0, "status": "success", "code": "invites.created", "data": {
                        "id": "0193a1f0-8888-7b00-8d43-5e6f708192a3", "email": "pat.lee@example.com", "intent": "activate",
                        "first_name": "Pat", "last_name": "Lee", "name": "Pat Lee",
                        "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f", "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
                        "role_id": null, "node_id": null, "has_initial_assignment": false, "status": "pending", "send_email": true,
                        "expires_at": "2026-12-04T09:00:00Z", "invited_by": "0193a1ee-9999-7000-8000-000000000001",
                        "accepted_at": null, "created_at": "2026-11-27T09:00:00Z" } },
                    { "index": 1, "status": "error", "code": "invites.pending_exists", "error": {
                        "status": 409, "code": "invites.pending_exists", "message": PENDING_EXISTS,
                        "details": { "invite_id": "0193a1f0-9999-7b00-8d43-5e6f708192a4" } } }
                ]
            })),
        (status = 400, description = "Not 1 to 200 rows (`validation.invalid_input`; nothing was written), malformed JSON, or an `Idempotency-Key` that is not visible ASCII (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/identity-invites/bulk-create", "method": "POST",
                "details": { "errors": [{ "field": "invites", "rule": "count", "message": "Send 1 to 200 rows; this request has 0." }] } } })),
        (status = 409, description = "The first request with this `Idempotency-Key` is still running.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "idempotency.in_progress", "message": "A request with this Idempotency-Key is still being processed. Retry in a moment.", "path": "/api/v1/identity-invites/bulk-create", "method": "POST" } })),
        BodyTooLarge,
        (status = 422, description = "This `Idempotency-Key` was used with a different body.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 422, "code": "idempotency.key_reused", "message": "This Idempotency-Key was already used with a different request. Use a new key.", "path": "/api/v1/identity-invites/bulk-create", "method": "POST" } })),
        KeyErrors,
    ),
    security(("api_key" = ["invite.manage"])),
)]
pub async fn bulk_create(
    State(s): State<Services>,
    Key(caller): Key,
    DryRun(mode): DryRun,
    headers: http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::response::Response, ApiError> {
    caller.require(SystemPermission::InviteManage)?;
    let batch_services = s.clone();
    let batch_caller = caller.clone();
    super::bulk::idempotent(
        &s,
        &caller,
        mode,
        &headers,
        body,
        |request: &BulkCreateInvites| count_rule("invites", request.invites.len()),
        move |request: BulkCreateInvites, claim| async move {
            let mut recorder =
                super::bulk::recorder::<_, CreatedResponse>(claim, "invites.created", mode);
            let results = invites::bulk_create_answered(
                &batch_services,
                &batch_caller,
                &request.invites,
                mode,
                &mut recorder,
            )
            .await?;
            recorder.answer(&results)
        },
    )
    .await
}

/// `?page=&take=&status=` of the invite list; anything else is refused.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InviteListQuery {
    /// The page, from 1 to 10000000.
    #[serde(default = "first_page")]
    #[param(minimum = 1, maximum = 10_000_000, default = 1, example = 1)]
    page: i64,
    /// Items per page, 1 to 100.
    #[serde(default = "default_take")]
    #[param(minimum = 1, maximum = 100, default = 20, example = 20)]
    take: i64,
    /// Only invites in this status (`expired` includes pending ones past `expires_at`).
    #[serde(default)]
    #[param(inline, example = "pending")]
    status: Option<InviteStatus>,
}

/// The invite list's query, checked like every list's.
pub struct InviteList(InviteListQuery);

impl FromRequestParts<Services> for InviteList {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<InviteListQuery>::from_request_parts(parts, s)
            .await
            .map_err(|e| AppError::BadRequest {
                detail: e.body_text(),
            })?;
        check_bounds(query.page, query.take)?;
        Ok(InviteList(query))
    }
}

#[utoipa::path(
    get,
    operation_id = "listIdentityInvites",
    path = "/identity-invites",
    tag = "invites",
    summary = "List invites",
    description = "The key's environment's invites, newest first, a page at a time, optionally of \
        one status. Never a token or link.",
    params(InviteListQuery),
    responses(
        (status = 200, description = "One page of invites.", body = Collection<Invite>),
        (status = 400, description = "`page` or `take` out of range (`validation.invalid_input`), or an unknown parameter or status (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "request.malformed", "message": "The request was malformed: Failed to deserialize query string: status: unknown variant `sent`, expected one of `pending`, `accepted`, `revoked`, `expired`", "path": "/api/v1/identity-invites", "method": "GET" } })),
        KeyErrors,
    ),
    security(("api_key" = ["identity.read"])),
)]
pub async fn list(
    State(s): State<Services>,
    Key(caller): Key,
    InviteList(query): InviteList,
) -> Result<Json<Collection<Invite>>, ApiError> {
    let page = invites::list(&s, &caller, query.status, query.page, query.take).await?;
    Ok(Json(Collection::of_page(page)))
}

#[utoipa::path(
    get,
    operation_id = "getIdentityInviteSummary",
    path = "/identity-invites/summary",
    tag = "invites",
    summary = "Count invites by status",
    description = "The key's environment's invites by status as read now (a pending invite past \
        `expires_at` counts as expired); `pending_with_role_count` counts pending invites whose \
        acceptance will create an assignment.",
    responses(
        (status = 200, description = "The counts.", body = InviteSummary),
        KeyErrors,
    ),
    security(("api_key" = ["identity.read"])),
)]
pub async fn summary(
    State(s): State<Services>,
    Key(caller): Key,
) -> Result<Json<InviteSummary>, ApiError> {
    Ok(Json(invites::summary(&s, &caller).await?))
}

#[utoipa::path(
    post,
    operation_id = "resendIdentityInvite",
    path = "/identity-invites/{id}/resend",
    tag = "invites",
    summary = "Resend an invite",
    description = "Gives a pending invite a new link — the previous one stops working — and 7 new \
        days. The link is emailed again; for an invite created with `send_email: false` it is in \
        the answer's `accept_url` instead.",
    params(("id" = String, Path, description = "The invite's id.")),
    responses(
        (status = 200, description = "Resent.", body = ResentInvite),
        (status = 400, description = "The invite is accepted, revoked or expired (`invites.not_pending`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "invites.not_pending", "message": "Invite is no longer pending.", "path": "/api/v1/identity-invites/0193a1f0-8888-7b00-8d43-5e6f708192a3/resend", "method": "POST" } })),
        (status = 404, description = "No such invite in the key's environment (`invites.not_found`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "invites.not_found", "message": "Invite not found.", "path": "/api/v1/identity-invites/0193a1f0-8888-7b00-8d43-5e6f708192a3/resend", "method": "POST" } })),
        KeyErrors,
    ),
    security(("api_key" = ["invite.manage"])),
)]
pub async fn resend(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Json<ResentInvite>, ApiError> {
    Ok(Json(invites::resend(&s, &caller, &id).await?))
}

#[utoipa::path(
    delete,
    operation_id = "revokeIdentityInvite",
    path = "/identity-invites/{id}",
    tag = "invites",
    summary = "Revoke an invite",
    description = "The pending invite's link stops working; the invite stays listed as `revoked`.",
    params(("id" = String, Path, description = "The invite's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "The invite is accepted, revoked or expired (`invites.not_pending`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "invites.not_pending", "message": "Invite is no longer pending.", "path": "/api/v1/identity-invites/0193a1f0-8888-7b00-8d43-5e6f708192a3", "method": "DELETE" } })),
        (status = 404, description = "No such invite in the key's environment (`invites.not_found`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "invites.not_found", "message": "Invite not found.", "path": "/api/v1/identity-invites/0193a1f0-8888-7b00-8d43-5e6f708192a3", "method": "DELETE" } })),
        KeyErrors,
    ),
    security(("api_key" = ["invite.manage"])),
)]
pub async fn revoke(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    invites::revoke(&s, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
