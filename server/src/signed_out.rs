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
    if !is_dashboard_page {
        return next.run(request).await;
    }
    let token = app::server::session_token_in(request.headers());
    match session(&services, token).await {
        Session::Admin(admin) => {
            if workspace_gone(&services, &admin, request.uri().path()).await {
                return not_found();
            }
            return next.run(request).await;
        }
        Session::Unknown => return next.run(request).await,
        Session::SignedOut => {}
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

enum Session {
    Admin(admin_auth::AdminPrincipal),
    SignedOut,
    /// The session could not be checked (the database): the page renders and shows it.
    Unknown,
}

/// No session, or one that is unknown or expired, is signed out. Any other failure (the database)
/// lets the page render and show it, rather than sending a signed-in admin to sign in again.
async fn session(services: &Services, session_token: Option<String>) -> Session {
    let Some(token) = session_token else {
        return Session::SignedOut;
    };
    match admin_auth::authenticate(services, &token).await {
        Ok(admin) => Session::Admin(admin),
        Err(AppError::Unauthenticated) => Session::SignedOut,
        Err(_) => Session::Unknown,
    }
}

/// Whether the page's `/{account}/{application}/{environment}` does not exist for this admin (a
/// deleted environment or application, a mistyped slug, an account they are not in): such a page
/// answers 404 instead of a frame around errors. The dashboard's links then lead home, which
/// lands in the application's default environment.
async fn workspace_gone(
    services: &Services,
    admin: &admin_auth::AdminPrincipal,
    path: &str,
) -> bool {
    let mut segments = path.split('/').skip(1);
    let (Some(account), Some(application), Some(environment)) =
        (segments.next(), segments.next(), segments.next())
    else {
        return false;
    };
    matches!(
        app::services::workspace::environment_scope(
            services,
            admin,
            account,
            application,
            environment
        )
        .await,
        Err(AppError::NotFound { .. })
    )
}

/// The not-found page of a dashboard URL whose environment does not exist.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        concat!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>Page not found</title><link rel=\"stylesheet\" href=\"/pkg/arbor.css\"></head>",
            "<body><main class=\"centered\"><div class=\"card narrow\"><h1>Page not found</h1>",
            "<p class=\"muted\">This application or environment does not exist (it may have been deleted).</p>",
            "<a class=\"btn btn-primary\" href=\"/\">Go to your dashboard</a></div></main></body></html>",
        ),
    )
        .into_response()
}
