//! Pages whose URL carries a secret token (`?token=…` of an emailed link): the browser must not
//! leak it to another site through `Referer` or keep the page in a cache, and our request log
//! must not write it down (decisions.md › Invites and email). Each engineer lists their token
//! pages here; one layer and one span maker apply the rules to all of them.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};
use tower_http::trace::MakeSpan;
use tracing::Span;

/// Paths (exact, without the query) of pages opened from an emailed link.
pub const TOKEN_PAGES: &[&str] = &["/reset-password", "/verify-email", "/accept-invite"];

pub fn is_token_page(path: &str) -> bool {
    TOKEN_PAGES.contains(&path.trim_end_matches('/'))
}

/// `Referrer-Policy: no-referrer` and `Cache-Control: no-store` on every token page answer.
pub async fn no_referrer_no_store(request: Request, next: Next) -> Response {
    let token_page = is_token_page(request.uri().path());
    let mut response = next.run(request).await;
    if token_page {
        let headers = response.headers_mut();
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The request span of the access log: method, URI and version as `DefaultMakeSpan` writes
/// them, except that a token page's URI is its path alone.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &http::Request<B>) -> Span {
        let uri = request.uri();
        let shown = if is_token_page(uri.path()) {
            uri.path().to_owned()
        } else {
            uri.to_string()
        };
        tracing::info_span!(
            "request",
            method = %request.method(),
            uri = %shown,
            version = ?request.version(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_pages_are_matched_by_path_alone() {
        assert!(is_token_page("/reset-password"));
        assert!(is_token_page("/verify-email/"));
        assert!(!is_token_page("/login"));
        assert!(!is_token_page("/acme/app/dev/identities"));
    }
}
