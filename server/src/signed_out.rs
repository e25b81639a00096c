//! Signed-out requests for dashboard pages, answered before any page renders: a browser (its
//! `Accept` names `text/html`) gets a real `302` to `/signin?next=<the page>`, so it comes back
//! after signing in; any other client (curl, a monitoring probe) gets `401` with a short text —
//! never a `200` with a `Location` header.

use app::error::AppError;
use app::model::signin_path;
use app::services::Services;
use app::services::admin_auth;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Dashboard pages are the routes under `/:account/:application/:environment` (app::App), which
/// the router spells with braces.
const DASHBOARD_ROUTE: &str = "/{account}/";

/// A route layer of the page routes: lets a signed-in admin through, answers everyone else.
pub async fn require_admin(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    let is_dashboard_page = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|matched| matched.as_str().starts_with(DASHBOARD_ROUTE));
    let token = app::server::session_token_in(request.headers());
    if !is_dashboard_page || !signed_out(&services, token).await {
        return next.run(request).await;
    }
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        let asked = request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path(), |p| p.as_str());
        let location = HeaderValue::from_str(&signin_path(asked))
            .unwrap_or(HeaderValue::from_static("/signin"));
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "Sign in to see this page: this dashboard page needs an admin session.\n",
        )
            .into_response()
    }
}

/// No session, or one that is unknown or expired. Any other failure (the database) lets the page
/// render and show it, rather than sending a signed-in admin to sign in again.
async fn signed_out(services: &Services, session_token: Option<String>) -> bool {
    match session_token {
        Some(token) => matches!(
            admin_auth::authenticate(services, &token).await,
            Err(AppError::Unauthenticated)
        ),
        None => true,
    }
}
