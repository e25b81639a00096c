//! The invited person's endpoints, `/v1/identity/auth/invite-info` and `…/accept-invite`: public
//! (the token is the credential), JSON, POST only — so no link preview or mail scanner can reach
//! them by opening a URL, and the token never sits in a URL that is logged. The hosted
//! `/accept-invite` page calls the same two service operations through its server functions.

use crate::api::{ApiError, Body};
use crate::envelope::ErrorEnvelope;
use app::model::{AcceptInviteForm, AcceptedInvite, InviteInfo, InviteToken};
use app::services::{Services, invites};
use axum::extract::State;
use axum::{Json, Router, middleware};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where these endpoints live (next to the identity sign-in endpoints).
pub const BASE: &str = "/v1/identity/auth";

#[utoipa::path(
    post,
    operation_id = "getInviteInfo",
    path = "/v1/identity/auth/invite-info",
    tag = "invite-acceptance",
    summary = "Read an invite by its token",
    description = "What an accept page shows: the email, the intent (which decides the form: \
        `activate` — names and a new password; `add_to_app` — the current password; \
        `password_reset` — a new password), the names, the application and who invited. A read: \
        it never spends the token. Public: no API key.",
    request_body = InviteToken,
    responses(
        (status = 200, description = "The invite can be accepted.", body = InviteInfo),
        (status = 400, description = "The JSON is malformed (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "request.malformed", "message": "The request was malformed: missing field `token`", "path": "/v1/identity/auth/invite-info", "method": "POST" } })),
        (status = 404, description = "No invite has this token (`invites.invalid_token`): mistyped, or replaced by a resend.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "invites.invalid_token", "message": "This invite link is not valid. It may have been replaced by a newer invite; use the latest link you received.", "path": "/v1/identity/auth/invite-info", "method": "POST" } })),
        (status = 410, description = "The invite expired (`invites.expired`), was revoked (`invites.revoked`) or was already accepted (`invites.already_accepted`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 410, "code": "invites.expired", "message": "This invite has expired. Ask the person who invited you to send a new one.", "path": "/v1/identity/auth/invite-info", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/invite-info", "method": "POST" } })),
    ),
    security(()),
)]
pub async fn invite_info(
    State(s): State<Services>,
    Body(body): Body<InviteToken>,
) -> Result<Json<InviteInfo>, ApiError> {
    Ok(Json(invites::info(&s, &body.token).await?))
}

#[utoipa::path(
    post,
    operation_id = "acceptInvite",
    path = "/v1/identity/auth/accept-invite",
    tag = "invite-acceptance",
    summary = "Accept an invite",
    description = "Spends the token. In one transaction: the identity (created for `activate`; \
        for `add_to_app` the current password is checked and left unchanged; for `password_reset` \
        the new password is set), its active membership in the application, the invite's role \
        assignment, the email marked verified, and the invite `accepted`. A wrong current \
        password or an invalid field spends nothing. Public: no API key.",
    request_body = AcceptInviteForm,
    responses(
        (status = 200, description = "Accepted: the person can sign in.", body = AcceptedInvite),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, or `identities.password_too_common`), or the JSON is malformed.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/accept-invite", "method": "POST",
                "details": { "errors": [{ "field": "password", "rule": "too_short", "message": "Use at least 8 characters." }] } } })),
        (status = 401, description = "`add_to_app`: the current password is wrong (`auth.invalid_credentials`). Nothing was spent.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.invalid_credentials", "message": "Incorrect email or password.", "path": "/v1/identity/auth/accept-invite", "method": "POST" } })),
        (status = 404, description = "No invite has this token (`invites.invalid_token`), or its role or node was deleted meanwhile.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "invites.invalid_token", "message": "This invite link is not valid. It may have been replaced by a newer invite; use the latest link you received.", "path": "/v1/identity/auth/accept-invite", "method": "POST" } })),
        (status = 409, description = "An identity with this email was created since the invite was sent (`identities.email_taken`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "identities.email_taken", "message": "Email already exists in this Application.", "path": "/v1/identity/auth/accept-invite", "method": "POST" } })),
        (status = 410, description = "The invite expired, was revoked or was already accepted.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 410, "code": "invites.already_accepted", "message": "This invite was already accepted. Sign in instead.", "path": "/v1/identity/auth/accept-invite", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/accept-invite", "method": "POST" } })),
        (status = 429, description = "Too many requests from this address (`request.rate_limited`, past `ARBOR_PUBLIC_RATE_LIMIT` a minute).",
            headers(("Retry-After" = u64, description = "Seconds to wait.")), body = ErrorEnvelope,
            example = json!({ "error": { "status": 429, "code": "request.rate_limited", "message": "Too many requests from your network. Retry in 1 seconds.", "path": "/v1/identity/auth/accept-invite", "method": "POST", "details": { "retry_after_secs": 1 } } })),
    ),
    security(()),
)]
pub async fn accept_invite(
    State(s): State<Services>,
    Body(form): Body<AcceptInviteForm>,
) -> Result<Json<AcceptedInvite>, ApiError> {
    Ok(Json(invites::accept(&s, &form).await?))
}

/// The operations, registered by their documentation (as `api::operations`).
pub fn operations() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(invite_info))
        .routes(routes!(accept_invite))
}

/// The routes, with errors rendered as the API's envelope; merged at the root by `server::router`.
pub fn routes(services: Services) -> Router {
    let (routes, _) = operations().split_for_parts();
    routes
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::api::BODY_LIMIT_BYTES,
        ))
        .layer(middleware::from_fn(crate::api::render_errors))
        .with_state(services)
}
