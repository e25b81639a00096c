//! The small grammars every surface parses: slugs, permission keys, emails, names, passwords,
//! imported password hashes (PHC and bcrypt strings), audit times and metadata text. None may
//! panic, and what one accepts it accepts again in its normal form.

#![no_main]

use app::model::PermissionKey;
use app::model::Email;
use app::model::{DisplayName, PersonName};
use app::model::{AdminPassword, IdentityPassword};
use app::model::{HashAlgorithm, PrehashedPassword};
use app::model::Slug;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };

    // A slug derived from any name is a valid slug.
    let derived = Slug::derive(raw, "app");
    assert!(Slug::parse(derived.as_str()).is_some(), "{derived}");
    if let Some(slug) = Slug::parse(raw) {
        assert_eq!(slug.as_str(), raw);
    }
    if let Ok(slug) = Slug::choose("slug", raw) {
        assert!(Slug::parse(slug.as_str()).is_some());
    }

    if let Ok(key) = PermissionKey::parse("key", raw) {
        let again = PermissionKey::parse("key", key.as_str()).map(|k| k.as_str().to_owned());
        assert_eq!(again.as_deref(), Ok(key.as_str()));
        assert!(!key.resource().is_empty());
    }

    if let Ok(email) = Email::parse("email", raw) {
        // The limit counts characters, as the API document's maxLength does.
        assert!(email.as_str().chars().count() <= Email::MAX_LEN);
        let again = Email::parse("email", email.as_str()).map(|e| e.as_str().to_owned());
        assert_eq!(again.as_deref(), Ok(email.as_str()));
    }

    let _ = PersonName::parse("first_name", raw, "first name");
    let _ = DisplayName::parse("name", raw, "name");
    let _ = AdminPassword::parse("password", raw);
    let _ = IdentityPassword::parse("password", raw);

    let _ = HashAlgorithm::of(raw);
    if let Ok(hash) = PrehashedPassword::parse(raw) {
        assert_eq!(HashAlgorithm::of(hash.expose()), Some(hash.algorithm()));
    }

    let _ = app::model::parse_time(raw);
    let _ = app::model::parse_metadata_text(raw);
});
