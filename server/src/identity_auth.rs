//! `/v1/identity/auth/…`: the public end-user sign-in API (reference §2.3). Handlers only
//! extract (body, bearer token, refresh cookie, client address), call one operation of
//! `app::services::identity_auth` and shape the answer; every failure is the JSON error envelope.
//! All of it is in the OpenAPI document (tag `identity-auth`).

use crate::api::{ApiError, Body};
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use app::model::{
    AccountEmailForm, AuthMessage, ChangePasswordForm, IdentityLoginForm, IdentityMe, LoginAnswer,
    RefreshAnswer, ResetPasswordForm, SelectApplicationForm, TokenForm,
};
use app::services::Services;
use app::services::admin_auth::ClientInfo;
use app::services::identity_auth::{self, IdentityPrincipal, REFRESH_COOKIE, RefreshCookie};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::response::{AppendHeaders, IntoResponse, Response};
use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE, USER_AGENT};
use http::request::Parts;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the identity API is mounted.
pub const PREFIX: &str = "/v1/identity/auth";

/// The bearer scheme's name in the OpenAPI document.
pub const BEARER: &str = "identity_bearer";

pub fn operations() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(select_application))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
}

pub fn router(services: Services) -> axum::Router {
    let (routes, _) = operations().split_for_parts();
    axum::Router::new().nest(
        PREFIX,
        routes
            .layer(axum::extract::DefaultBodyLimit::max(
                crate::api::BODY_LIMIT_BYTES,
            ))
            .layer(axum::middleware::from_fn(crate::api::render_errors))
            .with_state(services),
    )
}

/// Where the request comes from: the client address (trusted proxies resolved) and user agent.
pub struct Client(pub ClientInfo);

impl FromRequestParts<Services> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts, s)))
    }
}

/// The client of a request, as the services record it.
pub fn client_info(parts: &Parts, s: &Services) -> ClientInfo {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    ClientInfo {
        address: s.client_address(peer, &parts.headers),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(255).collect()),
    }
}

/// The `Authorization: Bearer` token, if any.
pub struct Bearer(pub Option<String>);

impl FromRequestParts<Services> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Services) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        Ok(Bearer(token))
    }
}

/// The signed-in identity behind the bearer token.
pub struct SignedIn(pub IdentityPrincipal);

impl FromRequestParts<Services> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let Bearer(token) = Bearer::from_request_parts(parts, s).await?;
        let token = token.ok_or(AppError::Unauthenticated)?;
        Ok(SignedIn(identity_auth::authenticate(s, &token).await?))
    }
}

/// The refresh cookie, if the browser sent it.
pub struct RefreshToken(pub Option<String>);

impl FromRequestParts<Services> for RefreshToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Services) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
            .map(|(_, value)| value.to_owned());
        Ok(RefreshToken(token))
    }
}

fn with_cookie<T: serde::Serialize>(cookie: Option<String>, body: T) -> Response {
    match cookie {
        Some(cookie) => (AppendHeaders([(SET_COOKIE, cookie)]), Json(body)).into_response(),
        None => Json(body).into_response(),
    }
}

fn grant_response(s: &Services, grant: identity_auth::Grant) -> Response {
    let secure = s.identity_sessions.secure_cookie;
    with_cookie(grant.refresh.map(|r| r.header(secure)), grant.answer)
}

#[utoipa::path(
    post,
    operation_id = "identityLogin",
    path = "/login",
    tag = "identity-auth",
    summary = "Sign an identity in",
    description = "Checks the identity's password in the account (argon2id; an imported hash is \
        verified with its own algorithm and replaced by ours). The identity must be active and an \
        active member of an application. In one application: the session is bound to it and its \
        default environment, the answer carries the bearer `access_token` and the refresh token \
        arrives in the `arbor_identity_refresh` cookie (HttpOnly, SameSite=Strict, Path=/v1/identity/auth). \
        In several: `requires_application_selection` is true, `applications` lists them and \
        `access_token` is a 5-minute selection token for `select-application`. An unknown account or \
        email, a wrong password and an identity without a password all get the same 401. 5 failed \
        logins per client address in 15 minutes, then 429; 10 consecutive failures lock the identity \
        for 15 minutes.",
    request_body = IdentityLoginForm,
    responses(
        (status = 200, description = "Signed in, or an application is to be selected.", body = LoginAnswer,
            headers(("Set-Cookie" = String, description = "`arbor_identity_refresh=…; Path=/v1/identity/auth; HttpOnly; SameSite=Strict` (not while an application is to be selected)."))),
        (status = 400, description = "A field is missing or malformed (`validation.invalid_input`), or the JSON is malformed (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/login", "method": "POST",
                "details": { "errors": [{ "field": "email", "rule": "invalid", "message": "Enter a valid email address." }] } } })),
        (status = 401, description = "Unknown account or email, wrong password, or no password yet (`auth.invalid_credentials`) — deliberately one answer.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.invalid_credentials", "message": "Incorrect email or password.", "path": "/v1/identity/auth/login", "method": "POST" } })),
        (status = 403, description = "The password is right, but the identity is deactivated (`identity_auth.identity_inactive`) or a member of no application (`identity_auth.no_application`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "identity_auth.identity_inactive", "message": "This sign-in is deactivated. Contact the administrator of this account.", "path": "/v1/identity/auth/login", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/login", "method": "POST" } })),
        (status = 429, description = "Too many failed logins from this address (`auth.too_many_attempts`), too many sign-in requests from this address (`request.rate_limited`, `ARBOR_PUBLIC_RATE_LIMIT` a minute), or the identity is locked (`identity_auth.locked`); retry after `Retry-After` seconds.",
            headers(("Retry-After" = u64, description = "Seconds to wait.")), body = ErrorEnvelope,
            example = json!({ "error": { "status": 429, "code": "auth.too_many_attempts", "message": "Too many sign-in attempts. Try again in 840 seconds.", "path": "/v1/identity/auth/login", "method": "POST", "details": { "retry_after_secs": 840 } } })),
    ),
    security(()),
)]
pub async fn login(
    State(s): State<Services>,
    Client(client): Client,
    Body(form): Body<IdentityLoginForm>,
) -> Result<Response, ApiError> {
    let grant = identity_auth::login(&s, &form, &client).await?;
    Ok(grant_response(&s, grant))
}

#[utoipa::path(
    post,
    operation_id = "identitySelectApplication",
    path = "/select-application",
    tag = "identity-auth",
    summary = "Bind a sign-in to one application",
    description = "With the selection token of a login answer (`Authorization: Bearer`), binds the \
        session to one of the offered applications and its default environment; answers like a \
        login and sets the refresh cookie.",
    request_body = SelectApplicationForm,
    responses(
        (status = 200, description = "Signed in to the application.", body = LoginAnswer,
            headers(("Set-Cookie" = String, description = "The refresh cookie."))),
        (status = 400, description = "Not one of the offered applications (`validation.invalid_input`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/select-application", "method": "POST",
                "details": { "errors": [{ "field": "application_id", "rule": "not_allowed", "message": "Choose one of the applications you were offered." }] } } })),
        (status = 401, description = "No selection token, or an expired or used one (`auth.unauthenticated`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.unauthenticated", "message": "Please sign in to continue.", "path": "/v1/identity/auth/select-application", "method": "POST" } })),
        (status = 404, description = "`account_id` is not the session's account (`applications.not_found`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 404, "code": "applications.not_found", "message": "Application not found.", "path": "/v1/identity/auth/select-application", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/select-application", "method": "POST" } })),
    ),
    security(("identity_bearer" = [])),
)]
pub async fn select_application(
    State(s): State<Services>,
    Bearer(token): Bearer,
    Body(form): Body<SelectApplicationForm>,
) -> Result<Response, ApiError> {
    let token = token.ok_or(AppError::Unauthenticated)?;
    let grant = identity_auth::select_application(&s, &token, &form).await?;
    Ok(grant_response(&s, grant))
}

#[utoipa::path(
    post,
    operation_id = "identityRefresh",
    path = "/refresh",
    tag = "identity-auth",
    summary = "Get a new access token",
    description = "Takes the refresh cookie, answers a new access token and sets a new refresh \
        cookie: the old refresh token is spent. Presenting a spent refresh token again ends the \
        session (refresh-token reuse detection). Sessions end after 7 days without a refresh and \
        30 days after sign-in.",
    responses(
        (status = 200, description = "A new access token.", body = RefreshAnswer,
            headers(("Set-Cookie" = String, description = "The new refresh cookie."))),
        (status = 401, description = "No refresh cookie, or an unknown, spent or expired one (`auth.unauthenticated`); the cookie is cleared.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.unauthenticated", "message": "Please sign in to continue.", "path": "/v1/identity/auth/refresh", "method": "POST" } })),
        (status = 403, description = "The identity must change its password first (`identity_auth.password_change_required`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "identity_auth.password_change_required", "message": "You must choose a new password before you continue.", "path": "/v1/identity/auth/refresh", "method": "POST" } })),
    ),
    security(()),
)]
pub async fn refresh(
    State(s): State<Services>,
    RefreshToken(token): RefreshToken,
) -> Result<Response, ApiError> {
    let secure = s.identity_sessions.secure_cookie;
    let outcome = match token {
        Some(token) => identity_auth::refresh(&s, &token).await,
        None => Err(AppError::Unauthenticated),
    };
    match outcome {
        Ok((answer, cookie)) => Ok(with_cookie(Some(cookie.header(secure)), answer)),
        Err(error @ AppError::Unauthenticated) => {
            let mut response = ApiError(error).into_response();
            if let Ok(value) = RefreshCookie::clear(secure).parse() {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(
    post,
    operation_id = "identityLogout",
    path = "/logout",
    tag = "identity-auth",
    summary = "Sign out",
    description = "Ends the session of the bearer token (or, without one, of the refresh cookie) \
        and clears the cookie. Answers 200 whether or not a session was found.",
    responses(
        (status = 200, description = "Signed out.",
            headers(("Set-Cookie" = String, description = "Clears the refresh cookie.")),
            body = AuthMessage, example = json!({ "message": "Signed out." })),
        (status = 403, description = "A browser sent it from another origin (`auth.cross_origin`): the refresh cookie is never honoured cross-site.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "auth.cross_origin", "message": "This request came from another site and was refused.", "path": "/v1/identity/auth/logout", "method": "POST" } })),
    ),
    security(()),
)]
pub async fn logout(
    State(s): State<Services>,
    Bearer(access): Bearer,
    RefreshToken(refresh): RefreshToken,
) -> Result<Response, ApiError> {
    let message = identity_auth::logout(&s, access.as_deref(), refresh.as_deref()).await?;
    let clear = RefreshCookie::clear(s.identity_sessions.secure_cookie);
    Ok(with_cookie(Some(clear), message))
}

#[utoipa::path(
    get,
    operation_id = "getCurrentIdentity",
    path = "/me",
    tag = "identity-auth",
    summary = "The signed-in identity",
    description = "The identity of the bearer token and the application and environment its \
        session is bound to.",
    responses(
        (status = 200, description = "The identity and its session.", body = IdentityMe),
        (status = 401, description = "No bearer token, or an unknown or expired one (`auth.unauthenticated`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.unauthenticated", "message": "Please sign in to continue.", "path": "/v1/identity/auth/me", "method": "GET" } })),
        (status = 403, description = "The session must select an application (`identity_auth.application_selection_required`) or change its password (`identity_auth.password_change_required`) first.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "identity_auth.password_change_required", "message": "You must choose a new password before you continue.", "path": "/v1/identity/auth/me", "method": "GET" } })),
    ),
    security(("identity_bearer" = [])),
)]
pub async fn me(SignedIn(principal): SignedIn) -> Result<Json<IdentityMe>, ApiError> {
    Ok(Json(identity_auth::me(&principal)?))
}

#[utoipa::path(
    post,
    operation_id = "identityChangePassword",
    path = "/change-password",
    tag = "identity-auth",
    summary = "Change the password",
    description = "The current password (verified) and a new one (8–64 characters, not on the \
        common-password list). Every other session of the identity ends; this one stays and is no \
        longer restricted when a new password was required.",
    request_body = ChangePasswordForm,
    responses(
        (status = 200, description = "Changed.", body = AuthMessage),
        (status = 400, description = "The current password is wrong or a rule is broken (`validation.invalid_input`), the new password is too common (`identities.password_too_common`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/change-password", "method": "POST",
                "details": { "errors": [{ "field": "current_password", "rule": "incorrect", "message": "This is not your current password." }] } } })),
        (status = 401, description = "No bearer token, or an unknown or expired one (`auth.unauthenticated`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 401, "code": "auth.unauthenticated", "message": "Please sign in to continue.", "path": "/v1/identity/auth/change-password", "method": "POST" } })),
        (status = 403, description = "The session must select an application first (`identity_auth.application_selection_required`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 403, "code": "identity_auth.application_selection_required", "message": "Choose an application first.", "path": "/v1/identity/auth/change-password", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/change-password", "method": "POST" } })),
    ),
    security(("identity_bearer" = [])),
)]
pub async fn change_password(
    State(s): State<Services>,
    SignedIn(principal): SignedIn,
    Body(form): Body<ChangePasswordForm>,
) -> Result<Json<AuthMessage>, ApiError> {
    Ok(Json(
        identity_auth::change_password(&s, &principal, &form).await?,
    ))
}

#[utoipa::path(
    post,
    operation_id = "identityForgotPassword",
    path = "/forgot-password",
    tag = "identity-auth",
    summary = "Email a password reset link",
    description = "When the email belongs to an identity of the account (not a deactivated one), \
        emails it a single-use link to `/reset-password` valid for 1 hour. The answer is the same \
        — and takes the same time — whether or not it does. 10 requests (with resend-verification) \
        per client address in 15 minutes.",
    request_body = AccountEmailForm,
    responses(
        (status = 200, description = "The one answer.", body = AuthMessage,
            example = json!({ "message": "If this email belongs to an identity of this account, a link to reset its password is on its way." })),
        (status = 400, description = "A field is missing or malformed (`validation.invalid_input`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/forgot-password", "method": "POST",
                "details": { "errors": [{ "field": "email", "rule": "invalid", "message": "Enter a valid email address." }] } } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/forgot-password", "method": "POST" } })),
        (status = 429, description = "Too many requests from this address (`auth.too_many_attempts`, or `request.rate_limited` past `ARBOR_PUBLIC_RATE_LIMIT` a minute).",
            headers(("Retry-After" = u64, description = "Seconds to wait.")), body = ErrorEnvelope,
            example = json!({ "error": { "status": 429, "code": "auth.too_many_attempts", "message": "Too many sign-in attempts. Try again in 840 seconds.", "path": "/v1/identity/auth/forgot-password", "method": "POST", "details": { "retry_after_secs": 840 } } })),
    ),
    security(()),
)]
pub async fn forgot_password(
    State(s): State<Services>,
    Client(client): Client,
    Body(form): Body<AccountEmailForm>,
) -> Result<Json<AuthMessage>, ApiError> {
    Ok(Json(
        identity_auth::forgot_password(&s, &form, &client).await?,
    ))
}

#[utoipa::path(
    post,
    operation_id = "identityResetPassword",
    path = "/reset-password",
    tag = "identity-auth",
    summary = "Choose a new password with an emailed token",
    description = "Spends the reset token (single use, 1 hour) and sets the new password: the email \
        counts as verified, a pending identity becomes active, a lockout ends, and every session of \
        the identity ends.",
    request_body = ResetPasswordForm,
    responses(
        (status = 200, description = "The password is set.", body = AuthMessage,
            example = json!({ "message": "Your password was changed. You can sign in with it now." })),
        (status = 400, description = "The token is unknown (`identity_auth.token_invalid`), the password breaks a rule (`validation.invalid_input`) or is too common (`identities.password_too_common`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "identity_auth.token_invalid", "message": "This link is not valid. It may have been mistyped or replaced by a newer one.", "path": "/v1/identity/auth/reset-password", "method": "POST" } })),
        (status = 410, description = "The token expired (`identity_auth.token_expired`) or was used (`identity_auth.token_used`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 410, "code": "identity_auth.token_used", "message": "This link was already used. Ask for a new one if you still need it.", "path": "/v1/identity/auth/reset-password", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/reset-password", "method": "POST" } })),
        (status = 429, description = "Too many requests from this address (`request.rate_limited`, past `ARBOR_PUBLIC_RATE_LIMIT` a minute).",
            headers(("Retry-After" = u64, description = "Seconds to wait.")), body = ErrorEnvelope,
            example = json!({ "error": { "status": 429, "code": "request.rate_limited", "message": "Too many requests from your network. Retry in 1 seconds.", "path": "/v1/identity/auth/reset-password", "method": "POST", "details": { "retry_after_secs": 1 } } })),
    ),
    security(()),
)]
pub async fn reset_password(
    State(s): State<Services>,
    Body(form): Body<ResetPasswordForm>,
) -> Result<Json<AuthMessage>, ApiError> {
    Ok(Json(identity_auth::reset_password(&s, &form).await?))
}

#[utoipa::path(
    post,
    operation_id = "identityVerifyEmail",
    path = "/verify-email",
    tag = "identity-auth",
    summary = "Verify an email address with an emailed token",
    description = "Spends the verification token (single use, 24 hours) and marks the identity's \
        email as verified.",
    request_body = TokenForm,
    responses(
        (status = 200, description = "Verified.", body = AuthMessage, example = json!({ "message": "Your email address is verified." })),
        (status = 400, description = "The token is unknown (`identity_auth.token_invalid`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "identity_auth.token_invalid", "message": "This link is not valid. It may have been mistyped or replaced by a newer one.", "path": "/v1/identity/auth/verify-email", "method": "POST" } })),
        (status = 410, description = "The token expired (`identity_auth.token_expired`) or was used (`identity_auth.token_used`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 410, "code": "identity_auth.token_expired", "message": "This link has expired. Ask for a new one.", "path": "/v1/identity/auth/verify-email", "method": "POST" } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/verify-email", "method": "POST" } })),
    ),
    security(()),
)]
pub async fn verify_email(
    State(s): State<Services>,
    Body(form): Body<TokenForm>,
) -> Result<Json<AuthMessage>, ApiError> {
    Ok(Json(identity_auth::verify_email(&s, &form.token).await?))
}

#[utoipa::path(
    post,
    operation_id = "identityResendVerification",
    path = "/resend-verification",
    tag = "identity-auth",
    summary = "Email a new verification link",
    description = "When the email belongs to an identity of the account whose email is not verified \
        yet, emails it a new verification link (24 hours; older links stop working). The answer is \
        the same, in the same time, whether or not it does.",
    request_body = AccountEmailForm,
    responses(
        (status = 200, description = "The one answer.", body = AuthMessage,
            example = json!({ "message": "If this email belongs to an identity of this account that is not verified yet, a verification link is on its way." })),
        (status = 400, description = "A field is missing or malformed (`validation.invalid_input`), or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/v1/identity/auth/resend-verification", "method": "POST",
                "details": { "errors": [{ "field": "account_slug", "rule": "required", "message": "Enter your account's name as in its address (e.g. acme)." }] } } })),
        (status = 413, description = "The body is over 1 MiB (`request.too_large`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/v1/identity/auth/resend-verification", "method": "POST" } })),
        (status = 429, description = "Too many requests from this address (`auth.too_many_attempts`, or `request.rate_limited` past `ARBOR_PUBLIC_RATE_LIMIT` a minute).",
            headers(("Retry-After" = u64, description = "Seconds to wait.")), body = ErrorEnvelope,
            example = json!({ "error": { "status": 429, "code": "auth.too_many_attempts", "message": "Too many sign-in attempts. Try again in 840 seconds.", "path": "/v1/identity/auth/resend-verification", "method": "POST", "details": { "retry_after_secs": 840 } } })),
    ),
    security(()),
)]
pub async fn resend_verification(
    State(s): State<Services>,
    Client(client): Client,
    Body(form): Body<AccountEmailForm>,
) -> Result<Json<AuthMessage>, ApiError> {
    Ok(Json(
        identity_auth::resend_verification(&s, &form, &client).await?,
    ))
}
