use serde::{Deserialize, Serialize};

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
    fn parse_accepts_only_canonical_slugs() {
        assert!(Slug::parse("development").is_some());
        assert!(Slug::parse("acme-2").is_some());
        assert!(Slug::parse("Acme").is_none());
        assert!(Slug::parse("-a").is_none());
        assert!(Slug::parse("a--b").is_none());
        assert!(Slug::parse("").is_none());
    }
}
