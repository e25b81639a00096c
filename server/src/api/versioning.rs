//! Optimistic concurrency over HTTP: versioned items (roles, permissions, nodes) carry their
//! `version` as a strong `ETag`, and a change must send it back in `If-Match` (reference
//! §2.9–2.11). No `If-Match` → 428; a stale one → 409 `common.version_conflict` (the same answer
//! the dashboard gets). `If-Match: *` means "whatever version is current".

use super::extract::ApiError;
use app::model::Precondition;
use app::services::Services;
use axum::extract::FromRequestParts;
use http::HeaderValue;
use http::request::Parts;

/// What the caller said it read, as the service judges it (`Precondition`): inside the write
/// transaction, after the permission and the item, so a missing scope (403) or item (404) is
/// reported before a missing `If-Match`.
pub struct IfMatch(pub Precondition);

impl FromRequestParts<Services> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Services) -> Result<Self, Self::Rejection> {
        Ok(IfMatch(match parts.headers.get(http::header::IF_MATCH) {
            None => Precondition::Missing,
            Some(header) => parse(header).unwrap_or(Precondition::Malformed),
        }))
    }
}

fn parse(header: &HeaderValue) -> Option<Precondition> {
    let raw = header.to_str().ok()?.trim();
    if raw == "*" {
        return Some(Precondition::Any);
    }
    // A weak tag names the same version here; quotes are optional for hand-written requests.
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    let tag = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    tag.parse()
        .ok()
        .filter(|v: &i64| *v > 0)
        .map(Precondition::Version)
}

/// The `ETag` of an item at `version`.
pub fn etag(version: i64) -> [(http::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    [(http::header::ETAG, value)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(raw: &'static str) -> Option<i64> {
        parse(&HeaderValue::from_static(raw)).and_then(|m| m.version(99).ok())
    }

    #[test]
    fn if_match_takes_the_etag_in_its_usual_spellings() {
        assert_eq!(version("\"3\""), Some(3));
        assert_eq!(version("W/\"3\""), Some(3));
        assert_eq!(version("3"), Some(3));
        assert_eq!(version("*"), Some(99));
        assert_eq!(version("\"abc\""), None);
        assert_eq!(version("\"0\""), None);
        assert_eq!(version(""), None);
    }
}
