//! Tenant › Identities: the Account directory.

use crate::error::AppError;
use crate::model::{
    DirectoryIdentityForm, DirectoryPage, DirectoryQuery, DirectorySummary, Identity,
    IdentityDetail, ProfileForm,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "directory_summary", input = Json)]
pub async fn load_directory_summary(account: String) -> Result<DirectorySummary, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::summary(&s, &caller).await
}

#[server(endpoint = "list_directory", input = Json)]
pub async fn list_directory(
    account: String,
    query: DirectoryQuery,
) -> Result<DirectoryPage, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::list(&s, &caller, &query).await
}

#[server(endpoint = "create_directory_identity", input = Json)]
pub async fn create_directory_identity(
    account: String,
    form: DirectoryIdentityForm,
) -> Result<Identity, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::create(&s, &caller, &form).await
}

#[server(endpoint = "identity_detail", input = Json)]
pub async fn load_identity_detail(account: String, id: String) -> Result<IdentityDetail, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::detail(&s, &caller, &id).await
}

#[server(endpoint = "update_identity_profile", input = Json)]
pub async fn update_identity_profile(
    account: String,
    id: String,
    form: ProfileForm,
) -> Result<Identity, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    use crate::model::{IdentityPatch, Precondition};
    // The drawer edits every field it shows, against the version it showed.
    let patch = IdentityPatch::from_form(&form);
    let precondition = Precondition::Version(form.version);
    crate::services::directory::update_profile(&s, &caller, &id, precondition, &patch).await
}

#[server(endpoint = "set_identity_status", input = Json)]
pub async fn set_identity_status(
    account: String,
    id: String,
    active: bool,
) -> Result<Identity, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::set_status(&s, &caller, &id, active).await
}

#[server(endpoint = "add_identity_membership", input = Json)]
pub async fn add_identity_membership(
    account: String,
    id: String,
    application_id: String,
) -> Result<IdentityDetail, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::add_membership(&s, &caller, &id, &application_id).await
}

/// Returns how many assignments were revoked with the membership.
#[server(endpoint = "remove_identity_membership", input = Json)]
pub async fn remove_identity_membership(
    account: String,
    id: String,
    application_id: String,
) -> Result<u64, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::remove_membership(&s, &caller, &id, &application_id).await
}

/// Send password reset (identity drawer): emails the identity a reset link.
#[server(endpoint = "send_identity_password_reset", input = Json)]
pub async fn send_identity_password_reset(
    account: String,
    id: String,
) -> Result<crate::model::AuthMessage, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::identity_auth::send_password_reset(&s, &caller, &id).await
}

/// Send verification email (identity drawer).
#[server(endpoint = "send_identity_verification", input = Json)]
pub async fn send_identity_verification(
    account: String,
    id: String,
) -> Result<crate::model::AuthMessage, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::identity_auth::send_verification(&s, &caller, &id).await
}
