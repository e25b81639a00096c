//! Tenant › Identities: the Account directory.

use crate::error::AppError;
use crate::model::{
    DirectoryIdentityForm, DirectoryQuery, DirectoryRow, DirectorySummary, Identity,
    IdentityDetail, Page, ProfileForm,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "directory_summary", input = Json)]
pub async fn load_directory_summary(account: String) -> Result<DirectorySummary, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::summary(&services()?, &admin, &account).await
}

#[server(endpoint = "list_directory", input = Json)]
pub async fn list_directory(
    account: String,
    query: DirectoryQuery,
) -> Result<Page<DirectoryRow>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::list(&services()?, &admin, &account, &query).await
}

#[server(endpoint = "create_directory_identity", input = Json)]
pub async fn create_directory_identity(
    account: String,
    form: DirectoryIdentityForm,
) -> Result<Identity, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::create(&services()?, &admin, &account, &form).await
}

#[server(endpoint = "identity_detail", input = Json)]
pub async fn load_identity_detail(account: String, id: String) -> Result<IdentityDetail, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::detail(&services()?, &admin, &account, &id).await
}

#[server(endpoint = "update_identity_profile", input = Json)]
pub async fn update_identity_profile(
    account: String,
    id: String,
    form: ProfileForm,
) -> Result<Identity, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::update_profile(&services()?, &admin, &account, &id, &form).await
}

#[server(endpoint = "set_identity_status", input = Json)]
pub async fn set_identity_status(
    account: String,
    id: String,
    active: bool,
) -> Result<Identity, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::set_status(&services()?, &admin, &account, &id, active).await
}

#[server(endpoint = "add_identity_membership", input = Json)]
pub async fn add_identity_membership(
    account: String,
    id: String,
    application_id: String,
) -> Result<IdentityDetail, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::add_membership(&services()?, &admin, &account, &id, &application_id)
        .await
}

/// Returns how many assignments were revoked with the membership.
#[server(endpoint = "remove_identity_membership", input = Json)]
pub async fn remove_identity_membership(
    account: String,
    id: String,
    application_id: String,
) -> Result<u64, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::directory::remove_membership(
        &services()?,
        &admin,
        &account,
        &id,
        &application_id,
    )
    .await
}
