//! Tenant › Applications: manage applications and their environments.

use crate::error::AppError;
use crate::model::{
    ApplicationForm, ApplicationRef, DeletionImpact, EnvironmentForm, EnvironmentRef,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "create_application", input = Json)]
pub async fn create_application(
    account: String,
    form: ApplicationForm,
) -> Result<ApplicationRef, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::create_application(&s, &caller, &form).await
}

#[server(endpoint = "rename_application", input = Json)]
pub async fn rename_application(
    account: String,
    id: String,
    form: ApplicationForm,
) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::rename_application(&s, &caller, &id, &form).await
}

#[server(endpoint = "application_impact", input = Json)]
pub async fn application_impact(account: String, id: String) -> Result<DeletionImpact, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::application_impact(&s, &caller, &id).await
}

#[server(endpoint = "delete_application", input = Json)]
pub async fn delete_application(
    account: String,
    id: String,
    confirm: String,
) -> Result<DeletionImpact, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::delete_application(&s, &caller, &id, &confirm).await
}

#[server(endpoint = "create_environment", input = Json)]
pub async fn create_environment(
    account: String,
    application_id: String,
    form: EnvironmentForm,
) -> Result<EnvironmentRef, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::create_environment(&s, &caller, &application_id, &form).await
}

#[server(endpoint = "update_environment", input = Json)]
pub async fn update_environment(
    account: String,
    id: String,
    form: EnvironmentForm,
) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::update_environment(&s, &caller, &id, &form).await
}

#[server(endpoint = "set_default_environment", input = Json)]
pub async fn set_default_environment(account: String, id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::set_default_environment(&s, &caller, &id).await
}

#[server(endpoint = "environment_impact", input = Json)]
pub async fn environment_impact(account: String, id: String) -> Result<DeletionImpact, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::environment_impact(&s, &caller, &id).await
}

#[server(endpoint = "delete_environment", input = Json)]
pub async fn delete_environment(
    account: String,
    id: String,
    confirm: String,
) -> Result<DeletionImpact, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::applications::delete_environment(&s, &caller, &id, &confirm).await
}
