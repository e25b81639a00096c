//! Tenant › Team (the Account's admins and admin invites) and the hosted accept page's two calls
//! — public: the token is the credential.

use crate::error::AppError;
use crate::model::{
    AcceptAdminInviteForm, AcceptedAdminInvite, AccountRole, AdminInvite, AdminInviteForm,
    AdminInviteInfo, Team,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "load_team", input = Json)]
pub async fn load_team(account: String) -> Result<Team, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::list(&s, &caller).await
}

#[server(endpoint = "invite_admin", input = Json)]
pub async fn invite_admin(account: String, form: AdminInviteForm) -> Result<AdminInvite, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::invite(&s, &caller, &form).await
}

#[server(endpoint = "resend_admin_invite", input = Json)]
pub async fn resend_admin_invite(account: String, id: String) -> Result<String, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::resend(&s, &caller, &id).await
}

#[server(endpoint = "revoke_admin_invite", input = Json)]
pub async fn revoke_admin_invite(account: String, id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::revoke(&s, &caller, &id).await
}

#[server(endpoint = "change_admin_role", input = Json)]
pub async fn change_admin_role(
    account: String,
    admin_id: String,
    role: AccountRole,
) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::change_role(&s, &caller, &admin_id, role).await
}

#[server(endpoint = "remove_admin", input = Json)]
pub async fn remove_admin(account: String, admin_id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::team::remove(&s, &caller, &admin_id).await
}

/// What the accept page shows; reads only (opening the link never spends it).
#[server(endpoint = "admin_invite_info", input = Json)]
pub async fn load_admin_invite_info(token: String) -> Result<AdminInviteInfo, AppError> {
    let s = super::context::services()?;
    crate::services::team::info(&s, &token).await
}

/// The accept page's submit: spends the token and signs the admin in (ending any other session
/// of this browser, as sign-in does).
#[server(endpoint = "accept_admin_invite", input = Json)]
pub async fn accept_admin_invite(
    form: AcceptAdminInviteForm,
) -> Result<AcceptedAdminInvite, AppError> {
    use super::context::*;
    use crate::services::{admin_auth, team};
    let s = services()?;
    let (accepted, grant) = team::accept(&s, &form, &client_info()?).await?;
    if let Ok(previous) = require_admin().await {
        admin_auth::sign_out(&s, &previous).await?;
    }
    set_session_cookie(&grant, s.sessions.secure_cookie)?;
    Ok(accepted)
}
