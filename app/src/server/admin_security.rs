//! Admin account security's server functions: forgot / reset password and email verification
//! (signed-out token pages: the token is the credential), and the signed-in admin's own password,
//! verification email, sessions and Account picker.

use crate::error::AppError;
use crate::model::{
    AdminForgotForm, AdminLinkPreview, AdminPasswordChangeForm, AdminResetForm, AdminSession,
    AuthMessage, Landing,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "admin_forgot_password", input = Json)]
pub async fn admin_forgot_password(form: AdminForgotForm) -> Result<AuthMessage, AppError> {
    use super::context::*;
    let s = services()?;
    crate::services::admin_security::forgot_password(&s, &form, &client_info()?).await
}

/// The reset page's read-only check of its link (never spends the token).
#[server(endpoint = "admin_reset_link_preview", input = Json)]
pub async fn admin_reset_link_preview(token: String) -> Result<AdminLinkPreview, AppError> {
    let s = super::context::services()?;
    crate::services::admin_security::preview_link(&s, &token, true).await
}

/// The verification page's read-only check of its link (never spends the token).
#[server(endpoint = "admin_verification_link_preview", input = Json)]
pub async fn admin_verification_link_preview(token: String) -> Result<AdminLinkPreview, AppError> {
    let s = super::context::services()?;
    crate::services::admin_security::preview_link(&s, &token, false).await
}

/// Spends the reset link: the new password, every session of the admin ends (this browser's
/// cookie too).
#[server(endpoint = "admin_reset_password", input = Json)]
pub async fn admin_reset_password(form: AdminResetForm) -> Result<AuthMessage, AppError> {
    use super::context::*;
    let s = services()?;
    let message = crate::services::admin_security::reset_password(&s, &form).await?;
    clear_session_cookie(s.sessions.secure_cookie)?;
    Ok(message)
}

#[server(endpoint = "verify_admin_email", input = Json)]
pub async fn verify_admin_email(token: String) -> Result<AuthMessage, AppError> {
    let s = super::context::services()?;
    crate::services::admin_security::verify_email(&s, &token).await
}

#[server(endpoint = "resend_admin_verification", input = Json)]
pub async fn resend_admin_verification() -> Result<AuthMessage, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::admin_security::resend_verification(&services()?, &admin).await
}

#[server(endpoint = "change_admin_password", input = Json)]
pub async fn change_admin_password(form: AdminPasswordChangeForm) -> Result<AuthMessage, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::admin_security::change_password(&services()?, &admin, &form).await
}

#[server(endpoint = "admin_sessions", input = Json)]
pub async fn admin_sessions() -> Result<Vec<AdminSession>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::admin_security::list_sessions(&services()?, &admin).await
}

#[server(endpoint = "end_admin_session", input = Json)]
pub async fn end_admin_session(id: String) -> Result<(), AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::admin_security::end_session(&services()?, &admin, &id).await
}

/// Signs out every other session of the admin; how many ended.
#[server(endpoint = "end_other_admin_sessions", input = Json)]
pub async fn end_other_admin_sessions() -> Result<u64, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::admin_security::end_other_sessions(&services()?, &admin).await
}

/// The header's Account picker: where to go in the chosen Account (remembered for sign-in).
#[server(endpoint = "switch_account", input = Json)]
pub async fn switch_account(account: String) -> Result<Landing, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::workspace::switch_account(&services()?, &admin, &account).await
}
