//! The `If-Match` parser (`app::model::parse_if_match`, what `server/src/api/versioning.rs` runs
//! on the header) on every header value HTTP can carry. It never panics; it accepts exactly what
//! `IF_MATCH_PATTERN` — the grammar the OpenAPI document states — allows; an accepted list names
//! at most `EntityTags::MAX` tags, each version only in the one spelling Arbor sends; and the
//! `ETag` of any version reads back as that version.

#![no_main]

use app::model::{EntityTags, IF_MATCH_PATTERN, Precondition, entity_tag_of, parse_if_match};
use libfuzzer_sys::fuzz_target;
use regex::Regex;
use std::sync::OnceLock;

fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| Regex::new(IF_MATCH_PATTERN).unwrap_or_else(|e| panic!("{e}")))
}

fuzz_target!(|data: &[u8]| {
    // Round trip: the first 8 bytes as a version, its `ETag` back through the parser.
    if let Some(bytes) = data.first_chunk::<8>() {
        let version = i64::from_le_bytes(*bytes);
        let parsed = parse_if_match(entity_tag_of(version).as_bytes());
        if version > 0 {
            assert_eq!(parsed, Some(Precondition::Version(version)));
        } else {
            // `"0"` or `"-3"` is a well-formed tag that names no version: it matches nothing.
            assert_eq!(parsed, Some(Precondition::AnyOf(EntityTags::new())));
        }
    }

    // Only a valid header value (visible ASCII, space, tab, obs-text) reaches the parser.
    let Ok(header) = http::HeaderValue::from_bytes(data) else {
        return;
    };
    let parsed = parse_if_match(header.as_bytes());

    // The document's pattern is text: obs-text (bytes ≥ 0x80), which RFC 9110 allows inside a
    // quoted tag, stands there as `!`, another tag character.
    let text: String = data
        .iter()
        .map(|b| if b.is_ascii() { char::from(*b) } else { '!' })
        .collect();
    assert_eq!(
        parsed.is_some(),
        pattern().is_match(&text),
        "parser and documented pattern disagree on {text:?}"
    );

    match parsed {
        None | Some(Precondition::Any) => {}
        Some(Precondition::Version(version)) => {
            assert!(version > 0);
            let tag = entity_tag_of(version);
            let bare = version.to_string();
            // One tag, maybe among empty list elements (`, "3" ,`).
            let one = text.trim_matches([' ', '\t', ',']);
            let one = one.strip_prefix("W/").unwrap_or(one);
            assert!(
                one == tag || one == bare,
                "{text:?} read as version {version}"
            );
        }
        Some(Precondition::AnyOf(tags)) => {
            assert!(tags.len() <= EntityTags::MAX);
            // A version it names is written in it exactly so.
            if let Some(version) = tags.first() {
                assert!(version > 0);
                assert!(
                    text.contains(&version.to_string()),
                    "{text:?} named {version}"
                );
            }
        }
        Some(other @ (Precondition::Missing | Precondition::Malformed)) => {
            panic!("the parser answered {other:?}: those are the extractor's to say")
        }
    }
});
