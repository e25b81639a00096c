//! Identity invites as the dashboard sends them (Access Control › Identities, Tenant ›
//! Identities), and the hosted accept page's two calls — public: the token is the credential.

use crate::error::AppError;
use crate::model::{
    AcceptInviteForm, AcceptedInvite, CreatedInvite, DirectoryInviteForm, EnvPath, Invite,
    InviteForm, InviteInfo, InviteStatus, Page, ResentInvite,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Invite or Invite & Assign in the environment of the page.
#[server(endpoint = "invite_identity", input = Json)]
pub async fn invite_identity(env: EnvPath, form: InviteForm) -> Result<CreatedInvite, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::invites::create(&s, &caller, &form).await
}

/// Invite on Tenant › Identities (Account tier).
#[server(endpoint = "invite_in_account", input = Json)]
pub async fn invite_in_account(
    account: String,
    form: DirectoryInviteForm,
) -> Result<CreatedInvite, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::invites::create_in_account(&s, &caller, &form).await
}

#[server(endpoint = "list_invites", input = Json)]
pub async fn list_invites(
    env: EnvPath,
    #[server(default)] status: Option<InviteStatus>,
    page: i64,
) -> Result<Page<Invite>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    use crate::services::invites::{INVITES_PER_PAGE, list};
    list(&s, &caller, status, page, INVITES_PER_PAGE).await
}

#[server(endpoint = "resend_invite", input = Json)]
pub async fn resend_invite(env: EnvPath, id: String) -> Result<ResentInvite, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::invites::resend(&s, &caller, &id).await
}

#[server(endpoint = "revoke_invite", input = Json)]
pub async fn revoke_invite(env: EnvPath, id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::invites::revoke(&s, &caller, &id).await
}

/// What the accept page shows; reads only (opening the link never spends it).
#[server(endpoint = "invite_info", input = Json)]
pub async fn load_invite_info(token: String) -> Result<InviteInfo, AppError> {
    let s = super::context::services()?;
    crate::services::invites::info(&s, &token).await
}

/// The accept page's submit: spends the token.
#[server(endpoint = "accept_invite", input = Json)]
pub async fn accept_invite(form: AcceptInviteForm) -> Result<AcceptedInvite, AppError> {
    let s = super::context::services()?;
    crate::services::invites::accept(&s, &form).await
}
