//! Request plumbing shared by the server functions: services, the session cookie, the caller.

use crate::error::AppError;
use crate::services::Services;
use crate::services::admin_auth::{self, AdminPrincipal, ClientInfo, SessionGrant};
use axum::extract::ConnectInfo;
use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use http::{HeaderValue, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "arbor_session";

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| AppError::internal("context", "services missing"))
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| AppError::internal("context", "request parts missing"))
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    session_token_in(&use_context::<Parts>()?.headers)
}

/// The session token in these request headers' cookies, if any.
pub fn session_token_in(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The signed-in admin, or `Unauthenticated`.
pub async fn require_admin() -> Result<AdminPrincipal, AppError> {
    let token = session_token().ok_or(AppError::Unauthenticated)?;
    admin_auth::authenticate(&services()?, &token).await
}

pub fn client_info() -> Result<ClientInfo, AppError> {
    let parts = parts()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    Ok(ClientInfo {
        address: services()?.client_address(peer, &parts.headers),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(255).collect()),
    })
}

pub fn set_cookie(value: String) -> Result<(), AppError> {
    let response = use_context::<ResponseOptions>()
        .ok_or_else(|| AppError::internal("context", "response options missing"))?;
    let header = HeaderValue::from_str(&value).map_err(|e| AppError::internal("cookie", e))?;
    response.append_header(SET_COOKIE, header);
    Ok(())
}

/// HttpOnly + SameSite=Strict: scripts cannot read it and other sites cannot send it.
pub fn set_session_cookie(grant: &SessionGrant, secure: bool) -> Result<(), AppError> {
    set_cookie(format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        grant.token,
        grant.max_age.whole_seconds(),
        if secure { "; Secure" } else { "" }
    ))
}

pub fn clear_session_cookie(secure: bool) -> Result<(), AppError> {
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    ))
}

/// The signed-in admin as the caller of an operation in the environment of `env`.
pub async fn caller_in(
    env: &crate::model::EnvPath,
) -> Result<(Services, crate::services::Caller), AppError> {
    let s = services()?;
    let admin = require_admin().await?;
    let caller = crate::services::Caller::admin_in_environment(&s, &admin, env).await?;
    Ok((s, caller))
}

/// The signed-in admin as the caller of an Account-tier operation.
pub async fn caller_in_account(
    account: &str,
) -> Result<(Services, crate::services::Caller), AppError> {
    let s = services()?;
    let admin = require_admin().await?;
    let caller = crate::services::Caller::admin_in_account(&s, &admin, account).await?;
    Ok((s, caller))
}
