//! The hosted identity pages' server functions (`/login`, `/forgot-password`,
//! `/reset-password`, `/verify-email`): the same operations as `/v1/identity/auth/…`. Sign-in
//! sets the same refresh cookie (Path=/v1/identity/auth); the page keeps the access token in
//! memory only.

use crate::error::AppError;
use crate::model::{
    AccountEmailForm, AuthMessage, IdentityLoginForm, LoginAnswer, ResetPasswordForm,
    SelectApplicationForm, TokenPreview,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
fn grant(
    s: &crate::services::Services,
    grant: crate::services::identity_auth::Grant,
) -> Result<LoginAnswer, AppError> {
    if let Some(refresh) = grant.refresh {
        super::context::set_cookie(refresh.header(s.identity_sessions.secure_cookie))?;
    }
    Ok(grant.answer)
}

#[server(endpoint = "identity_sign_in", input = Json)]
pub async fn identity_sign_in(form: IdentityLoginForm) -> Result<LoginAnswer, AppError> {
    use super::context::*;
    let s = services()?;
    let outcome = crate::services::identity_auth::login(&s, &form, &client_info()?).await?;
    grant(&s, outcome)
}

#[server(endpoint = "identity_select_application", input = Json)]
pub async fn identity_select_application(
    selection_token: String,
    form: SelectApplicationForm,
) -> Result<LoginAnswer, AppError> {
    let s = super::context::services()?;
    let outcome =
        crate::services::identity_auth::select_application(&s, &selection_token, &form).await?;
    grant(&s, outcome)
}

#[server(endpoint = "identity_sign_out", input = Json)]
pub async fn identity_sign_out(access_token: String) -> Result<AuthMessage, AppError> {
    use crate::services::identity_auth::{RefreshCookie, logout};
    let s = super::context::services()?;
    let message = logout(&s, Some(&access_token), None).await?;
    super::context::set_cookie(RefreshCookie::clear(s.identity_sessions.secure_cookie))?;
    Ok(message)
}

#[server(endpoint = "identity_forgot_password", input = Json)]
pub async fn identity_forgot_password(form: AccountEmailForm) -> Result<AuthMessage, AppError> {
    use super::context::*;
    let s = services()?;
    crate::services::identity_auth::forgot_password(&s, &form, &client_info()?).await
}

/// The reset page's read-only check of its link (never spends the token).
#[server(endpoint = "reset_link_preview", input = Json)]
pub async fn reset_link_preview(token: String) -> Result<TokenPreview, AppError> {
    let s = super::context::services()?;
    crate::services::identity_auth::preview_token(&s, &token, true).await
}

/// The verification page's read-only check of its link (never spends the token).
#[server(endpoint = "verification_link_preview", input = Json)]
pub async fn verification_link_preview(token: String) -> Result<TokenPreview, AppError> {
    let s = super::context::services()?;
    crate::services::identity_auth::preview_token(&s, &token, false).await
}

#[server(endpoint = "identity_reset_password", input = Json)]
pub async fn identity_reset_password(form: ResetPasswordForm) -> Result<AuthMessage, AppError> {
    let s = super::context::services()?;
    crate::services::identity_auth::reset_password(&s, &form).await
}

#[server(endpoint = "identity_verify_email", input = Json)]
pub async fn identity_verify_email(token: String) -> Result<AuthMessage, AppError> {
    let s = super::context::services()?;
    crate::services::identity_auth::verify_email(&s, &token).await
}
