//! Sign-up, sign-in and sign-out for dashboard admins.

use crate::error::AppError;
use crate::model::{Landing, SignInForm, SignupForm};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Creates the account, its owner, application and environments, and signs the owner in.
#[server(endpoint = "sign_up", input = Json)]
pub async fn sign_up(form: SignupForm) -> Result<Landing, AppError> {
    use super::context::*;
    use crate::services::{admin_auth, tenancy};
    let s = services()?;
    let valid = form.validate().map_err(AppError::validation)?;
    let created = tenancy::create_account(&s, &valid).await?;
    let grant = admin_auth::start_session(&s, &created.admin_id, &client_info()?).await?;
    set_session_cookie(&grant, s.sessions.secure_cookie)?;
    Ok(created.landing)
}

/// Signs an admin in and says where to go. A previous session on this browser is ended, so
/// the session id always changes at sign-in.
#[server(endpoint = "sign_in", input = Json)]
pub async fn sign_in(form: SignInForm) -> Result<Landing, AppError> {
    use super::context::*;
    use crate::services::{admin_auth, workspace};
    let s = services()?;
    let (email, password) = form.validate().map_err(AppError::validation)?;
    if let Ok(previous) = require_admin().await {
        admin_auth::sign_out(&s, &previous).await?;
    }
    let (_, grant) = admin_auth::sign_in(&s, &email, password, &client_info()?).await?;
    let admin = admin_auth::authenticate(&s, &grant.token).await?;
    set_session_cookie(&grant, s.sessions.secure_cookie)?;
    workspace::landing(&s, &admin).await
}

#[server(endpoint = "sign_out", input = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    use super::context::*;
    use crate::services::admin_auth;
    let s = services()?;
    if let Ok(admin) = require_admin().await {
        admin_auth::sign_out(&s, &admin).await?;
    }
    clear_session_cookie(s.sessions.secure_cookie)
}

/// Where the signed-in admin should land, or `None` when nobody is signed in.
#[server(endpoint = "current_landing", input = Json)]
pub async fn current_landing() -> Result<Option<Landing>, AppError> {
    use super::context::*;
    use crate::services::workspace;
    match require_admin().await {
        Ok(admin) => Ok(Some(workspace::landing(&services()?, &admin).await?)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(other) => Err(other),
    }
}
