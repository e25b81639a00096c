//! Cross-site request refusal: every state-changing request that a browser marks as coming from
//! another origin is rejected before it reaches a handler. Together with SameSite=Strict cookies
//! this closes CSRF. Requests without browser markers (curl, server-to-server) pass: they carry
//! no ambient cookies an attacker could borrow.

use app::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{Method, header};
use std::sync::Arc;

#[derive(Clone)]
pub struct AllowedOrigin(pub Arc<str>);

pub async fn refuse_cross_origin(
    State(allowed): State<AllowedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || is_same_origin(&request, &allowed.0) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "refused a cross-origin request");
    crate::envelope::error_response(
        &AppError::CrossOrigin,
        request.method(),
        request.uri().path(),
    )
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_same_origin(request: &Request, allowed: &str) -> bool {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        return origin == allowed || origin_matches_host(origin, headers.get(header::HOST));
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// Also accept the origin the request was addressed to (e.g. `localhost` vs `127.0.0.1` during
/// development); a cross-site page cannot make a browser send a foreign Host header.
fn origin_matches_host(origin: &str, host: Option<&http::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority == host)
}
