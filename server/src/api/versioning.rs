//! Optimistic concurrency over HTTP: versioned items (roles, permissions, nodes) carry their
//! `version` as a strong `ETag`, and a change must send it back in `If-Match` (reference
//! §2.9–2.11). No `If-Match` → 428; a stale one → 409 `common.version_conflict` (the same answer
//! the dashboard gets). `If-Match: *` means "whatever version is current". An identity carries
//! its version the same way, but its edits take `If-Match` only when sent (`or_current`): they
//! were served without one before identities were versioned over HTTP, and clients rely on it.

use super::extract::ApiError;
use app::model::{Precondition, entity_tag_of, parse_if_match};
use app::services::Services;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
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

impl IfMatch {
    /// The precondition where a change may also be made without one: none sent means whatever
    /// version is current; a sent one is judged as everywhere else (stale 409, unreadable 400).
    pub fn or_current(self) -> Precondition {
        match self.0 {
            Precondition::Missing => Precondition::Any,
            sent => sent,
        }
    }
}

pub use app::model::IF_MATCH_PATTERN;

/// The header as the model reads it (`app::model::parse_if_match`, fuzzed by `if_match`).
fn parse(header: &HeaderValue) -> Option<Precondition> {
    parse_if_match(header.as_bytes())
}

/// A versioned item with its `ETag`.
pub fn tagged<T: serde::Serialize>(status: http::StatusCode, version: i64, item: T) -> Response {
    (status, etag(version), axum::Json(item)).into_response()
}

/// The `ETag` of an item at `version`.
pub fn etag(version: i64) -> [(http::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&entity_tag_of(version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    [(http::header::ETAG, value)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::error::AppError;
    use app::model::EntityTags;

    fn version(raw: &'static str) -> Option<i64> {
        parse(&HeaderValue::from_static(raw)).and_then(|m| m.version(99).ok())
    }

    #[test]
    fn if_match_takes_the_etag_in_its_usual_spellings() {
        assert_eq!(version("\"3\""), Some(3));
        assert_eq!(version("W/\"3\""), Some(3));
        assert_eq!(version("3"), Some(3));
        assert_eq!(version("*"), Some(99));
        assert_eq!(version(""), None);
        assert_eq!(version("\"3"), None, "an unterminated tag is malformed");
        assert_eq!(version("\"a b\""), None, "a space is not an etagc");
    }

    #[test]
    fn only_the_exact_spelling_of_an_etag_names_its_version() {
        for other in ["\"03\"", "\"+3\"", "03", "W/\"003\""] {
            let precondition = parse(&HeaderValue::from_static(other));
            assert!(precondition.is_some(), "{other} is a well-formed tag");
            assert_eq!(version(other), None, "{other} must not match version 3");
        }
    }

    #[test]
    fn if_match_takes_a_list_of_entity_tags() {
        let judged = |raw: &'static str, current: i64| {
            parse(&HeaderValue::from_static(raw)).map(|p| p.version(current))
        };
        assert_eq!(judged("\"3\", \"5\"", 5), Some(Ok(5)));
        assert_eq!(judged("\"3\", W/\"5\"", 3), Some(Ok(3)));
        assert_eq!(judged(" , \"3\" ,, \"x,y\" ", 3), Some(Ok(3)));
        assert_eq!(
            judged("\"3\", \"5\"", 4),
            Some(Err(AppError::VersionConflict))
        );
        // Well-formed tags that are no version of ours match nothing: a conflict, not a 400.
        assert_eq!(judged("\"abc\"", 4), Some(Err(AppError::VersionConflict)));
        assert_eq!(judged("\"0\"", 4), Some(Err(AppError::VersionConflict)));
        assert_eq!(
            judged("\"\", W/\"\"", 4),
            Some(Err(AppError::VersionConflict))
        );
        let many = "\"1\",".repeat(EntityTags::MAX + 1);
        assert_eq!(
            parse(&HeaderValue::from_str(&many).unwrap_or(HeaderValue::from_static(""))),
            None
        );
        assert_eq!(
            parse(&HeaderValue::from_static("\"1\" \"2\"")),
            None,
            "tags need commas"
        );
    }

    #[test]
    fn the_documented_pattern_accepts_what_the_parser_accepts() {
        let schema = serde_json::json!({ "type": "string", "pattern": IF_MATCH_PATTERN });
        let pattern = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
        let matches = |text: &str| pattern.is_valid(&serde_json::json!(text));
        // Empty list elements are valid (RFC 9110 §5.6.1): the document said otherwise until the
        // `if_match` fuzz target compared the two.
        for accepted in [
            "*",
            "\"3\"",
            "W/\"3\"",
            "3",
            "\"3\", \"abc\"",
            "\"\"",
            " , \"3\" ,, \"x,y\" ",
            ",\"3\",",
        ] {
            assert!(matches(accepted), "{accepted}");
            assert!(
                parse(&HeaderValue::from_static(accepted)).is_some(),
                "{accepted}"
            );
        }
        let seventeen = "\"1\",".repeat(EntityTags::MAX + 1);
        for refused in ["", ",", "\"3", "abc", "\"1\" \"2\"", "*, \"3\"", &seventeen] {
            assert!(!matches(refused), "{refused}");
            assert!(
                parse(&HeaderValue::from_str(refused).unwrap_or(HeaderValue::from_static("x")))
                    .is_none(),
                "{refused}"
            );
        }
    }
}
