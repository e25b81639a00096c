//! The dashboard shell's data: workspace, resume state, overview, applications.

use crate::error::AppError;
use crate::model::{ApplicationCard, Overview, Workspace};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "workspace", input = Json)]
pub async fn load_workspace(account: String) -> Result<Workspace, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::workspace::workspace(&services()?, &admin, &account).await
}

/// Records the environment the admin switched to, per application, for the next sign-in.
#[server(endpoint = "remember_environment", input = Json)]
pub async fn remember_environment(
    account: String,
    application: String,
    environment: String,
) -> Result<(), AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::workspace::remember_environment(
        &services()?,
        &admin,
        &account,
        &application,
        &environment,
    )
    .await
}

/// The environment's path when the admin switches application: the environment they last used
/// in it, else its default.
#[server(endpoint = "application_landing", input = Json)]
pub async fn application_landing(account: String, application: String) -> Result<String, AppError> {
    use super::context::*;
    use crate::services::workspace as ws;
    let admin = require_admin().await?;
    let s = services()?;
    let scope = ws::account_scope(&s, &admin, &account).await?;
    let workspace = ws::workspace(&s, &admin, &account).await?;
    let app = workspace
        .application(&application)
        .ok_or(AppError::NotFound {
            resource: crate::error::Resource::Application,
        })?;
    let env = ws::resume_environment(&s, &admin, &scope.account, app).await?;
    Ok(env.slug)
}

#[server(endpoint = "overview", input = Json)]
pub async fn load_overview(
    account: String,
    application: String,
    environment: String,
) -> Result<Overview, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::workspace::overview(&services()?, &admin, &account, &application, &environment)
        .await
}

#[server(endpoint = "applications", input = Json)]
pub async fn load_applications(account: String) -> Result<Vec<ApplicationCard>, AppError> {
    use super::context::*;
    let admin = require_admin().await?;
    crate::services::workspace::application_cards(&services()?, &admin, &account).await
}
