//! `/api/v1/identities`: create (Identity + membership + optional assignment, one transaction),
//! list, show, bulk create, edit, remove. The same `IdentityForm` rules and the same service as
//! the dashboard's dialog.

use super::bulk::{Bulk, DryRun, DryRunQuery};
use super::collection::{Collection, List, ListQuery};
use super::doc::{BodyTooLarge, IdentityNotFound, KeyErrors, ListErrors};
use super::extract::{ApiError, Body, Key};
use super::versioning::{IfMatch, tagged};
use crate::envelope::ErrorEnvelope;
use app::model::api_bodies::BulkCreateIdentities;
use app::model::{
    Assignment, Identity, IdentityForm, IdentityPatch, MemberRow, SystemPermission, Warning,
    count_rule,
};
use app::services::Services;
use app::services::identities;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use serde::Serialize;

/// An identity as the API returns it: the identity, and what the create bundled.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = IdentityCreated)]
pub struct CreatedResponse {
    #[serde(flatten)]
    identity: Identity,
    /// The identity's membership in the key's application.
    membership_id: String,
    /// The assignment made when `role_id` and `node_id` were sent.
    assignment: Option<Assignment>,
    /// What was asked but not done, e.g. `assignment_skipped` when only one of `role_id` and
    /// `node_id` was sent (the identity is created without an assignment). Empty otherwise.
    warnings: Vec<Warning>,
}

#[utoipa::path(
    post,
    operation_id = "createIdentity",
    path = "/identities",
    tag = "identities",
    summary = "Create an identity",
    description = "Creates the identity in the account's directory, makes it a member of the key's \
        application and, with `role_id` + `node_id`, assigns that role in the key's environment — \
        one transaction. Only one of `role_id` and `node_id` creates the identity without an \
        assignment and says so in `warnings` (`assignment_skipped`). Without a password the \
        identity stays `pending`.",
    request_body = IdentityForm,
    responses(
        (status = 201, description = "Created, and committed before this answer.", body = CreatedResponse),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`), the password is on the common-password list (`identities.password_too_common`; `details.errors` as for a field rule), the role cannot be assigned (`rbac.role_inactive`, `rbac.system_role_not_assignable`), or the JSON is malformed (`request.malformed`).", body = ErrorEnvelope,
            examples(
                ("invalid_input" = (summary = "A field broke a rule", value = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/identities", "method": "POST",
                    "details": { "errors": [{ "field": "email", "rule": "invalid", "message": "Enter a valid email address." }] } } }))),
                ("password_too_common" = (summary = "A common password", value = json!({ "error": { "status": 400, "code": "identities.password_too_common", "message": "This password is too common. Choose one that is harder to guess.", "path": "/api/v1/identities", "method": "POST",
                    "details": { "errors": [{ "field": "password", "rule": "too_common", "message": "This password is too common. Choose one that is harder to guess." }] } } }))),
            )),
        (status = 404, description = "The role (`roles.not_found`) or node (`nodes.not_found`) is not in this environment.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "roles.not_found", "message": "Role not found.", "path": "/api/v1/identities", "method": "POST" } })),
        (status = 409, description = "The email is taken in this application (`identities.email_taken`), belongs to an identity of the account outside it (`identities.exists_in_account`, with `details.identity_id`), or the external id is taken.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "identities.exists_in_account", "message": "This email belongs to an identity in your account that is not in this application. Add it to this application instead.", "path": "/api/v1/identities", "method": "POST",
                "details": { "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01" } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn create(
    State(s): State<Services>,
    Key(caller): Key,
    Body(form): Body<IdentityForm>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let created = identities::create(&s, &caller, &form).await?;
    // Committed before this line: the 201 never runs ahead of the data.
    Ok((StatusCode::CREATED, Json(created.into())))
}

impl From<app::model::CreatedIdentity> for CreatedResponse {
    fn from(created: app::model::CreatedIdentity) -> Self {
        CreatedResponse {
            identity: created.identity,
            membership_id: created.membership_id,
            assignment: created.assignment,
            warnings: created.warnings,
        }
    }
}

#[utoipa::path(
    get,
    operation_id = "listIdentities",
    path = "/identities",
    tag = "identities",
    summary = "List the application's members",
    description = "The members of the key's application, each with its assignments in the key's \
        environment, newest first, a page at a time. Here `q` keeps the members whose email, full \
        name, last name or external id starts with it, in any case: a prefix, read from an index, \
        so a search costs what it finds even among 100,000 identities.",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of members.", body = Collection<MemberRow>),
        ListErrors,
        KeyErrors,
    ),
    security(("api_key" = ["identity.read"])),
)]
pub async fn list(
    State(s): State<Services>,
    Key(caller): Key,
    List(query): List,
) -> Result<Json<Collection<MemberRow>>, ApiError> {
    let page = identities::members(&s, &caller, &query.q, None, query.page, query.take).await?;
    Ok(Json(Collection::of_page(page)))
}

#[utoipa::path(
    get,
    operation_id = "getIdentity",
    path = "/identities/{id}",
    tag = "identities",
    summary = "Get an identity",
    description = "An identity that is a member of the key's application.",
    params(("id" = String, Path, description = "The identity's id.")),
    responses(
        (status = 200, description = "The identity; `ETag` is its version.", body = Identity,
            headers(("ETag" = String, description = "The identity's version, for `If-Match`."))),
        IdentityNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["identity.read"])),
)]
pub async fn show(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let identity = identities::get_member(&s, &caller, &id).await?;
    Ok(tagged(StatusCode::OK, identity.version, identity))
}

/// `POST /identities/bulk-create`: 1–200 rows, each validated and written in its own
/// transaction (duplicates inside the batch are reported per row, never merged); 200 when every
/// row succeeded, 207 otherwise. With `Idempotency-Key` a replay within 24 h returns the stored
/// answer without running again.
#[utoipa::path(
    post,
    operation_id = "bulkCreateIdentities",
    path = "/identities/bulk-create",
    tag = "identities",
    summary = "Create up to 200 identities",
    description = "Each row runs the single create in its own transaction, in order; duplicates \
        inside the batch are reported on the later row, never merged; a row with only one of \
        `role_id` and `node_id` succeeds without an assignment (its `warnings` say so). 200 when \
        every row succeeded, 207 otherwise. With `Idempotency-Key` a repeat within 24 hours gets the stored \
        answer (`Idempotent-Replayed: true`) without running again. `?dry_run=true` answers the \
        same verdicts a real run would give now and writes nothing.",
    params(DryRunQuery, ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, description = "1–255 visible ASCII characters, scoped to the API key and kept 24 hours, e.g. `import-2026-11-27-001`.")),
    request_body(content = BulkCreateIdentities, example = json!({ "identities": [
        { "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee" },
        { "email": "sam.ortiz@example.com", "first_name": "Sam", "last_name": "Ortiz", "external_id": "crm-10443",
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
                    { "index": 0, "status": "success", "code": "identities.created", "data": {
                        "id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee",
                        "status": "pending", "external_id": null, "metadata": null, "has_password": false, "password_change_required": false,
                        "version": 1, "created_at": "2026-11-27T09:00:00Z", "updated_at": "2026-11-27T09:00:00Z",
                        "membership_id": "0193a1f0-5555-7e00-8a72-9b6f1d4e3a86", "assignment": null,
                        "warnings": [{ "code": "assignment_skipped", "field": "node_id", "message": "No assignment was made: a role and a node are both needed, and no node was chosen." }] } },
                    { "index": 1, "status": "error", "code": "identities.email_taken", "error": {
                        "status": 409, "code": "identities.email_taken", "message": "Email already exists in this Application." } }
                ]
            })),
        (status = 400, description = "Not 1 to 200 rows (`validation.invalid_input`; nothing was written), malformed JSON, or an `Idempotency-Key` that is not visible ASCII (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/identities/bulk-create", "method": "POST",
                "details": { "errors": [{ "field": "identities", "rule": "count", "message": "Send 1 to 200 identities; this request has 0." }] } } })),
        (status = 409, description = "The first request with this `Idempotency-Key` is still running.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "idempotency.in_progress", "message": "A request with this Idempotency-Key is still being processed. Retry in a moment.", "path": "/api/v1/identities/bulk-create", "method": "POST" } })),
        BodyTooLarge,
        (status = 422, description = "This `Idempotency-Key` was used with a different body.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 422, "code": "idempotency.key_reused", "message": "This Idempotency-Key was already used with a different request. Use a new key.", "path": "/api/v1/identities/bulk-create", "method": "POST" } })),
        KeyErrors,
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn bulk_create(
    State(s): State<Services>,
    Key(caller): Key,
    DryRun(mode): DryRun,
    headers: http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::response::Response, ApiError> {
    // Checked before the idempotency claim too, so a refused caller claims nothing; the service
    // checks it again as the rule of the operation.
    caller.require(SystemPermission::IdentityManage)?;
    let batch_services = s.clone();
    let batch_caller = caller.clone();
    super::bulk::idempotent(
        &s,
        &caller,
        mode,
        &headers,
        body,
        |request: &BulkCreateIdentities| count_rule("identities", request.identities.len()),
        move |request: BulkCreateIdentities, claim| async move {
            let mut recorder =
                super::bulk::recorder::<_, CreatedResponse>(claim, "identities.created", mode);
            let results = identities::bulk_create_answered(
                &batch_services,
                &batch_caller,
                &request.identities,
                mode,
                &mut recorder,
            )
            .await?;
            recorder.answer(&results)
        },
    )
    .await
}

#[utoipa::path(
    patch,
    operation_id = "updateIdentity",
    path = "/identities/{id}",
    tag = "identities",
    summary = "Edit an identity's names or metadata",
    description = "Fields left out stay as they are; `metadata: null` clears it. Email and \
        `external_id` cannot be changed here (they are refused as unknown fields). With \
        `If-Match` the change applies only to the version it names (the `ETag` read); without \
        it, to whatever version is current.",
    params(
        ("id" = String, Path, description = "The identity's id."),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),
    ),
    request_body = IdentityPatch,
    responses(
        (status = 200, description = "The identity as it now is; `ETag` is its new version.", body = Identity,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), an unknown field was sent, or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "request.malformed", "message": "The request was malformed: unknown field `email`, expected one of `first_name`, `last_name`, `metadata`.", "path": "/api/v1/identities/0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "method": "PATCH" } })),
        IdentityNotFound,
        (status = 409, description = "`If-Match` names a version that is no longer current, or the identity changed while this request ran (`common.version_conflict`): read it again.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "common.version_conflict", "message": "This item was changed by someone else. Refresh and try again.", "path": "/api/v1/identities/0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "method": "PATCH" } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn update(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(patch): Body<IdentityPatch>,
) -> Result<Response, ApiError> {
    let updated =
        identities::update_member(&s, &caller, &id, if_match.or_current(), &patch).await?;
    Ok(tagged(StatusCode::OK, updated.version, updated))
}

/// `DELETE /identities/{id}`: removes the identity from this application — its membership is
/// deactivated and its assignments in the application's environments revoked. The identity stays
/// in the account's directory (and in its other applications).
#[utoipa::path(
    delete,
    operation_id = "deleteIdentity",
    path = "/identities/{id}",
    tag = "identities",
    summary = "Remove an identity from this application",
    description = "Deactivates its membership in the key's application and revokes its \
        assignments in the application's environments. The identity stays in the account's \
        directory and in its other applications.",
    params(("id" = String, Path, description = "The identity's id.")),
    responses(
        (status = 204, description = "Removed."),
        IdentityNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn remove(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identities::remove_from_application(&s, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    operation_id = "sendIdentityPasswordReset",
    path = "/identities/{id}/send-password-reset",
    tag = "identities",
    summary = "Email an identity a password reset link",
    description = "Emails the identity (a member of the key's application) a single-use link to \
        choose a new password, valid for 1 hour; a pending identity becomes active by using it. \
        The token is never in this answer. Not for a deactivated identity.",
    params(("id" = String, Path, description = "The identity's id.")),
    responses(
        (status = 200, description = "The email is queued.", body = app::model::AuthMessage,
            example = json!({ "message": "A password reset link was emailed to pat.lee@example.com." })),
        IdentityNotFound,
        KeyErrors,
        // After KeyErrors, whose 403 it replaces: it names both reasons.
        (status = 403, description = "The identity is deactivated (`identity_auth.identity_inactive`), or the key lacks the scope (`api_keys.scope_missing`, with `details.scope`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "identity_auth.identity_inactive", "message": "This sign-in is deactivated. Contact the administrator of this account.", "path": "/api/v1/identities/0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01/send-password-reset", "method": "POST" } })),
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn send_password_reset(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Json<app::model::AuthMessage>, ApiError> {
    Ok(Json(
        app::services::identity_auth::send_password_reset(&s, &caller, &id).await?,
    ))
}

#[utoipa::path(
    post,
    operation_id = "sendIdentityVerification",
    path = "/identities/{id}/send-verification",
    tag = "identities",
    summary = "Email an identity a verification link",
    description = "Emails the identity (a member of the key's application) a single-use link that \
        verifies its email address, valid for 24 hours (older links stop working). 409 when the \
        email is already verified.",
    params(("id" = String, Path, description = "The identity's id.")),
    responses(
        (status = 200, description = "The email is queued.", body = app::model::AuthMessage,
            example = json!({ "message": "A verification link was emailed to pat.lee@example.com." })),
        IdentityNotFound,
        (status = 409, description = "The email is already verified (`identities.email_already_verified`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "identities.email_already_verified", "message": "This email address is already verified.", "path": "/api/v1/identities/0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01/send-verification", "method": "POST" } })),
        KeyErrors,
    ),
    security(("api_key" = ["identity.manage"])),
)]
pub async fn send_verification(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Json<app::model::AuthMessage>, ApiError> {
    Ok(Json(
        app::services::identity_auth::send_verification(&s, &caller, &id).await?,
    ))
}
