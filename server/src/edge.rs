//! The hardened edge of the HTTP surface (decisions.md › Hardened edges), one middleware per
//! concern, applied to the whole router by `server::router`:
//!
//! - `request_id`: every request gets an `x-request-id` (the client's when well formed, else a
//!   fresh UUIDv7), echoed on the answer, in the request's log span, and quoted as the
//!   reference of an `internal.unexpected` answer.
//! - `limit_costly`: per-address limits on the routes in `LIMITED_PATHS` (429, `Retry-After`).
//! - `timeout`: answers `request.timeout` (503) when a handler runs past the configured time.
//! - `body_limit`: refuses bodies over `BODY_LIMIT_BYTES` on every route (413).
//! - `refuse_nul`: refuses a NUL character in the URL or in a JSON or form body (400), which
//!   PostgreSQL's text cannot hold: every engine answers it the same way, before any handler.
//! - `security_headers`: CSP with a per-response nonce, `frame-ancestors 'none'`, `nosniff`,
//!   `Referrer-Policy`, HSTS on https.
//!
//! Failures answer the API's envelope, or — on a server function's path — the serialized
//! `AppError` the dashboard's client decodes.

use crate::envelope::error_response;
use app::error::AppError;
use app::services::Services;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The routes that cost a CPU-heavy password hash or may send an email and that anyone may call
/// without signing in. A new such route (say, an admin forgot-password) joins this list — that is
/// all it takes to limit it per address.
pub const LIMITED_PATHS: &[&str] = &[
    // Server functions of the dashboard and the identity pages.
    "/api/sign_up",
    "/api/sign_in",
    "/api/accept_admin_invite",
    "/api/accept_invite",
    "/api/identity_sign_in",
    "/api/identity_forgot_password",
    "/api/identity_reset_password",
    "/api/admin_forgot_password",
    "/api/admin_reset_password",
    "/api/verify_admin_email",
    // The public identity API.
    "/v1/identity/auth/login",
    "/v1/identity/auth/forgot-password",
    "/v1/identity/auth/reset-password",
    "/v1/identity/auth/resend-verification",
    "/v1/identity/auth/accept-invite",
];

pub fn is_limited(method: &Method, path: &str) -> bool {
    *method == Method::POST && LIMITED_PATHS.contains(&path.trim_end_matches('/'))
}

/// Server functions live at `/api/<name>`; the REST API at `/api/v1/…`.
fn is_server_fn_path(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/") && path != "/api/v1"
}

/// The failure answer for `path`: a server function's client decodes a serialized `AppError`
/// (with server_fn's error marker), everyone else gets the envelope.
pub fn failure(error: &AppError, method: &Method, path: &str) -> Response {
    if !is_server_fn_path(path) {
        return error_response(error, method, path);
    }
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(path) {
        headers.insert("serverfnerror", value);
    }
    if let AppError::TooManyRequests { retry_after_secs } = error
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        headers.insert(header::RETRY_AFTER, value);
    }
    response
}

/// The request id: the client's `x-request-id` when well formed, else a fresh UUIDv7 from the
/// services' clock. Set on the request (the log span reads it), scoped for `AppError::internal`,
/// and echoed on the answer.
pub async fn request_id(State(s): State<Services>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| app::services::request_id::is_well_formed(v))
        .map(str::to_owned)
        .unwrap_or_else(|| s.new_id());
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let mut response = app::services::request_id::scope(id, next.run(request)).await;
    if let Some(value) = value {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Per-address limits on `LIMITED_PATHS`.
pub async fn limit_costly(State(s): State<Services>, request: Request, next: Next) -> Response {
    if !is_limited(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let address = s.client_address(peer, request.headers());
    match app::services::shared_limits::edge_take(&s, address.as_deref()).await {
        Ok(()) => next.run(request).await,
        Err(error) => {
            tracing::warn!(path = %request.uri().path(), "per-address limit reached");
            failure(&error, request.method(), request.uri().path())
        }
    }
}

/// The longest a handler may take to start its answer (`ARBOR_REQUEST_TIMEOUT`). A streamed body
/// (the audit export) is not cut: the limit covers the time to the answer's head.
#[derive(Clone, Copy)]
pub struct RequestTimeout(pub Duration);

pub async fn timeout(
    State(RequestTimeout(limit)): State<RequestTimeout>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%path, limit_secs = limit.as_secs(), "request timed out");
            failure(&AppError::Timeout, &method, &path)
        }
    }
}

/// The largest request body any route takes (the REST API keeps its own 1 MiB limit; server
/// functions and forms are held to this one).
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// Refuses a declared `Content-Length` over the limit with the envelope; a body without one is
/// cut at the limit as it is read (`RequestBodyLimitLayer` inside).
pub async fn body_limit(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT_BYTES as u64) {
        let error = AppError::PayloadTooLarge {
            limit_bytes: BODY_LIMIT_BYTES as u64,
        };
        return failure(&error, request.method(), request.uri().path());
    }
    next.run(request).await
}

/// Refuses a NUL character (U+0000) in the URL or in a JSON or form body with 400
/// `request.malformed`. PostgreSQL's text cannot hold one, so a NUL that reached a query there
/// would fail it; SQLite would take it. Refused here, it is one answer on both engines and for
/// every route, server functions included. Other bodies (a CSV upload) pass untouched: their
/// own readers refuse control characters.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let refused = || failure(&AppError::nul_in_text(), &method, &path);
    let url = request.uri().path_and_query().map_or("", |pq| pq.as_str());
    if has_percent_nul(url.as_bytes()) {
        return refused();
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let scan: fn(&[u8]) -> bool = if content_type.starts_with("application/json") {
        has_json_nul
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        has_percent_nul
    } else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    // The body is already held to `BODY_LIMIT_BYTES` by the layer outside this one.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = AppError::PayloadTooLarge {
                limit_bytes: BODY_LIMIT_BYTES as u64,
            };
            return failure(&error, &method, &path);
        }
    };
    if scan(&bytes) {
        return refused();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// `%00` in percent-encoded text (a URL, a form): a NUL once decoded.
fn has_percent_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w == b"%00")
}

/// `\u0000` in JSON text, read escape by escape so that an escaped backslash followed by
/// `u0000` (the six characters, not a NUL) is not mistaken for one. A raw NUL byte is not valid
/// JSON and is left to the parser.
fn has_json_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1..i + 6) == Some(b"u0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// A page's CSP nonce, chosen here and handed to Leptos (which puts it on its inline hydration
/// scripts) through the request's extensions.
#[derive(Clone)]
pub struct CspNonce(pub Arc<str>);

/// What the security headers depend on.
#[derive(Clone)]
pub struct SecurityHeaders {
    /// `Strict-Transport-Security` when the public URL is https.
    pub hsts: bool,
}

/// The Content-Security-Policy of an HTML page: only Arbor's own script, wasm, style sheet and
/// images; the inline hydration scripts carry the nonce; no framing, plugins or foreign forms.
/// `style-src-attr 'unsafe-inline'` allows `style` attributes only (two widths set from data:
/// a progress bar and tree indentation), never a `<style>` element or a style sheet elsewhere.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn security_headers(
    State(config): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce: Arc<str> = Arc::from(app::services::tokens::new_token().as_str());
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let is_bundle = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if is_html && let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    // Every answer: no MIME sniffing, no framing (old browsers), a referrer policy unless the
    // route chose a stricter one (token pages say `no-referrer`).
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    // The bundle's files (the wasm, its glue, the per-page chunks) carry no content hash in their
    // names, so the browser revalidates them on each use (a 304 while unchanged): a cached chunk
    // of the previous release must never meet the main module of the next.
    if is_bundle {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    }
    if config.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The nonce Leptos renders with: this request's `CspNonce` (provided in place of the one
/// `leptos_axum` generates, so the header and the page agree).
pub fn provide_request_nonce() {
    use leptos::prelude::use_context;
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    #[test]
    fn a_nul_is_found_only_where_it_decodes_to_one() {
        assert!(has_json_nul(br#"{"role_id":"r\u0000"}"#));
        assert!(
            has_json_nul(br#"{"a":"\\\u0000"}"#),
            "an escaped backslash, then a NUL"
        );
        assert!(
            !has_json_nul(br#"{"a":"\\u0000"}"#),
            "a backslash, then the text u0000"
        );
        assert!(!has_json_nul(br#"{"a":"\u0001 \u00a0 u0000"}"#));
        assert!(!has_json_nul(br#"{"a":"\u0001 u0000 \"x"}"#));
        assert!(has_percent_nul(b"/api/v1/roles/x%00"));
        assert!(
            !has_percent_nul(b"/api/v1/identities?q=%2500"),
            "a percent sign, then 00"
        );
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "late"
    }

    async fn answer(router: Router, path: &str) -> (u16, Option<String>, serde_json::Value) {
        let request = http::Request::post(path)
            .body(Body::empty())
            .unwrap_or_default();
        let response = router.oneshot(request).await;
        let response = response.unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let marker = response
            .headers()
            .get("serverfnerror")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await;
        let json = bytes
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        (status, marker, json)
    }

    #[tokio::test]
    async fn a_slow_request_is_answered_503_in_the_envelope_of_its_path() {
        let router = Router::new()
            .route("/api/v1/slow", post(slow))
            .route("/api/slow_fn", post(slow))
            .layer(axum::middleware::from_fn_with_state(
                RequestTimeout(Duration::from_millis(50)),
                timeout,
            ));
        let (status, marker, json) = answer(router.clone(), "/api/v1/slow").await;
        assert_eq!(status, 503);
        assert_eq!(marker, None);
        assert_eq!(json["error"]["code"], "request.timeout");
        assert_eq!(json["error"]["path"], "/api/v1/slow");

        let (status, marker, json) = answer(router, "/api/slow_fn").await;
        assert_eq!(status, 503);
        assert_eq!(marker.as_deref(), Some("/api/slow_fn"));
        assert_eq!(json["kind"], "timeout");
    }

    #[test]
    fn only_posts_to_the_listed_paths_are_limited() {
        assert!(is_limited(&Method::POST, "/api/sign_up"));
        assert!(is_limited(&Method::POST, "/v1/identity/auth/login/"));
        assert!(!is_limited(&Method::GET, "/api/sign_up"));
        assert!(!is_limited(&Method::POST, "/api/current_landing"));
        assert!(is_server_fn_path("/api/sign_in"));
        assert!(!is_server_fn_path("/api/v1/identities"));
        assert!(!is_server_fn_path("/v1/identity/auth/login"));
    }

    #[test]
    fn the_policy_allows_nothing_inline_but_nonced_scripts() {
        let csp = content_security_policy("abc");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc';"));
        let scripts = csp
            .split(';')
            .find(|d| d.trim_start().starts_with("script-src"))
            .unwrap_or_default();
        assert!(!scripts.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
