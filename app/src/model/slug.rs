use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// First path segments that belong to Arbor itself (the REST API, static assets, sign-in and
/// future hosted pages, health, protocol endpoints). The dashboard lives at
/// `/{account}/{application}/{environment}/…`, so no account, application or environment may
/// take one of these as its slug: generation skips them, an explicit choice is refused.
/// Adding one needs a migration that renames existing holders (see `0005_reserved_slugs.sql`,
/// `0009_identity_sessions.sql`).
pub const RESERVED_SLUGS: &[&str] = &[
    "api",
    "pkg",
    "assets",
    "static",
    "signin",
    "signup",
    "signout",
    "healthz",
    "readyz",
    "metrics",
    "oauth",
    "oidc",
    ".well-known",
    "accept-invite",
    "reset-password",
    "verify-email",
    "forgot-password",
    "v1",
    "login",
    "logout",
    "admin",
    "settings",
    "new",
];

/// A URL-safe identifier: lower-case ASCII letters and digits separated by single dashes, no
/// leading or trailing dash, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 63;

    /// Derives a slug from a display name: accents folded where simple, everything else that is
    /// not a letter or digit becomes a dash. Falls back to `fallback` when nothing is left.
    pub fn derive(name: &str, fallback: &str) -> Slug {
        let mut out = String::new();
        for c in name.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.truncate(Self::MAX_LEN - 8); // leave room for a uniqueness suffix
        let trimmed = out.trim_end_matches('-');
        if trimmed.is_empty() {
            Slug(fallback.to_owned())
        } else {
            Slug(trimmed.to_owned())
        }
    }

    /// The first of `base`, `base-2`, `base-3`, … that is neither reserved nor `taken`.
    pub fn first_free(base: &Slug, taken: impl Fn(&str) -> bool) -> Slug {
        let usable = |candidate: &Slug| !candidate.is_reserved() && !taken(candidate.as_str());
        if usable(base) {
            return base.clone();
        }
        (2..)
            .map(|n| base.with_suffix(n))
            .find(usable)
            .unwrap_or_else(|| base.clone())
    }

    /// Whether this slug is one of Arbor's own first path segments (`RESERVED_SLUGS`).
    pub fn is_reserved(&self) -> bool {
        is_reserved(&self.0)
    }

    /// A slug a person typed for `field` (a rename, a new environment): it must be canonical and
    /// not reserved. Each refusal says what to do.
    pub fn choose(field: &str, raw: &str) -> Result<Slug, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required", "Enter a slug."));
        }
        if is_reserved(raw) {
            return Err(FieldError::new(
                field,
                "reserved",
                format!("\"{raw}\" is reserved for Arbor's own pages. Choose another slug."),
            ));
        }
        Slug::parse(raw).ok_or_else(|| {
            FieldError::new(
                field,
                "invalid",
                format!(
                    "Use lower-case letters, digits and single dashes (at most {} characters), \
                     not starting or ending with a dash.",
                    Self::MAX_LEN
                ),
            )
        })
    }

    /// The `n`-th alternative when the plain slug is taken: `acme-2`, `acme-3`, ...
    pub fn with_suffix(&self, n: u32) -> Slug {
        Slug(format!("{}-{n}", self.0))
    }

    /// Accepts an existing slug from a URL or a command line.
    pub fn parse(raw: &str) -> Option<Slug> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--")
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        ok.then(|| Slug(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `raw` is one of Arbor's own first path segments.
pub fn is_reserved(raw: &str) -> bool {
    RESERVED_SLUGS.contains(&raw)
}

fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &[char] = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => &['a'],
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => &['e'],
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => &['i'],
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => &['o'],
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => &['u'],
        'ç' | 'Ç' => &['c'],
        'ñ' | 'Ñ' => &['n'],
        'ß' => &['s', 's'],
        'æ' | 'Æ' => &['a', 'e'],
        _ => &[],
    };
    let own = if folded.is_empty() { Some(c) } else { None };
    folded.iter().copied().chain(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_readable_slugs() {
        assert_eq!(Slug::derive("Acme Corp.", "x").0, "acme-corp");
        assert_eq!(
            Slug::derive("  Café Müller & Söhne ", "x").0,
            "cafe-muller-sohne"
        );
        assert_eq!(Slug::derive("株式会社", "account").0, "account");
        assert_eq!(Slug::derive("a--b", "x").0, "a-b");
        assert!(Slug::derive(&"long ".repeat(40), "x").0.len() <= Slug::MAX_LEN - 8);
    }

    #[test]
    fn generation_skips_reserved_slugs_like_taken_ones() {
        let nothing_taken = |_: &str| false;
        let api = Slug::derive("API", "account");
        assert_eq!(Slug::first_free(&api, nothing_taken).0, "api-2");
        assert_eq!(
            Slug::first_free(&api, |s| s == "api-2").0,
            "api-3",
            "a taken suffix is skipped too"
        );
        let acme = Slug::derive("Acme", "account");
        assert_eq!(Slug::first_free(&acme, nothing_taken).0, "acme");
        assert_eq!(Slug::first_free(&acme, |s| s == "acme").0, "acme-2");
        for reserved in RESERVED_SLUGS {
            let derived = Slug::derive(reserved, "x");
            let free = Slug::first_free(&derived, nothing_taken);
            assert!(!is_reserved(free.as_str()), "{reserved} → {free}");
        }
    }

    #[test]
    fn the_reserved_list_covers_arbors_own_paths() {
        for path in [
            "api",
            "pkg",
            "signin",
            "signup",
            "healthz",
            "readyz",
            ".well-known",
        ] {
            assert!(is_reserved(path), "{path}");
        }
        assert!(!is_reserved("development"));
        assert!(!is_reserved("production"));
        assert!(!is_reserved("api-2"));
    }

    #[test]
    fn an_explicit_reserved_slug_is_refused_with_a_field_error() {
        let refused = Slug::choose("slug", "api").err();
        assert_eq!(
            refused
                .as_ref()
                .map(|e| (e.field.as_str(), e.rule.as_str())),
            Some(("slug", "reserved"))
        );
        assert!(refused.is_some_and(|e| e.message.contains("\"api\" is reserved")));
        assert_eq!(
            Slug::choose("slug", "Bad Slug").map_err(|e| e.rule),
            Err("invalid".to_owned())
        );
        assert_eq!(
            Slug::choose("slug", " ").map_err(|e| e.rule),
            Err("required".to_owned())
        );
        assert_eq!(
            Slug::choose("slug", "api-2").map(|s| s.0),
            Ok("api-2".into())
        );
    }

    #[test]
    fn the_migration_renames_every_reserved_slug_a_row_could_hold() {
        let migrations = [
            include_str!("../../../migrations/0005_reserved_slugs.sql"),
            include_str!("../../../migrations/0009_identity_sessions.sql"),
        ];
        for reserved in RESERVED_SLUGS.iter().filter(|r| Slug::parse(r).is_some()) {
            assert!(
                migrations
                    .iter()
                    .any(|m| m.contains(&format!("'{reserved}'"))),
                "{reserved} is reserved but no migration renames it"
            );
        }
    }

    #[test]
    fn parse_accepts_only_canonical_slugs() {
        assert!(Slug::parse("development").is_some());
        assert!(Slug::parse("acme-2").is_some());
        assert!(Slug::parse("Acme").is_none());
        assert!(Slug::parse("-a").is_none());
        assert!(Slug::parse("a--b").is_none());
        assert!(Slug::parse("").is_none());
    }
}
