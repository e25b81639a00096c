//! Pages and endpoints whose request carries a single-use secret (an invite, password-reset or
//! email-verification token), listed in one place. Their answers say `Referrer-Policy:
//! no-referrer` (the page's URL, token included, is never sent on to another site) and
//! `Cache-Control: no-store` (no browser or proxy keeps a copy), and the request log shows their
//! path without the query string that carries the token (decisions.md › Invites and email).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

/// Every path whose URL or body carries a token.
pub const TOKEN_PATHS: &[&str] = &[
    "/accept-invite",
    "/accept-admin-invite",
    "/signin/reset",
    "/signup/verify",
    "/reset-password",
    "/verify-email",
    "/v1/identity/auth/invite-info",
    "/v1/identity/auth/accept-invite",
    "/v1/identity/auth/reset-password",
    "/v1/identity/auth/verify-email",
];

pub fn is_token_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    TOKEN_PATHS.contains(&path)
}

/// The layer: the two headers on every answer of a token path.
pub async fn protect(request: Request, next: Next) -> Response {
    let token_path = is_token_path(request.uri().path());
    let mut response = next.run(request).await;
    if token_path {
        let headers = response.headers_mut();
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The request log's span (as `tower_http`'s default at INFO): method, URI, version and request
/// id — the URI of a token path without its query.
pub fn make_span<B>(request: &http::Request<B>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %logged_uri(request.uri()),
        version = ?request.version(),
        request_id = %request
            .headers()
            .get(&crate::edge::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-"),
    )
}

/// The URI as the log shows it.
fn logged_uri(uri: &http::Uri) -> String {
    if is_token_path(uri.path()) {
        uri.path().to_owned()
    } else {
        uri.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths_log_without_their_query() {
        assert!(is_token_path("/accept-invite"));
        assert!(is_token_path("/reset-password/"));
        assert!(!is_token_path("/signin"));
        let uri = |text: &str| text.parse::<http::Uri>().unwrap_or_default();
        assert_eq!(
            logged_uri(&uri("/accept-invite?token=secret-value")),
            "/accept-invite"
        );
        assert_eq!(logged_uri(&uri("/signin?next=/x")), "/signin?next=/x");
    }
}
