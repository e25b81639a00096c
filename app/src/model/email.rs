use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// A normalised email address: trimmed, lower-cased, at most 254 characters, exactly one `@`,
/// a dot in the domain and no whitespace (decisions.md › Identities).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "Enter an email address.",
            ));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                format!(
                    "An email address can be at most {} characters.",
                    Self::MAX_LEN
                ),
            ));
        }
        let invalid = || {
            FieldError::new(
                field,
                "invalid",
                "Enter a valid email address, like name@example.com.",
            )
        };
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let mut parts = value.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse("email", &value).map_err(|e| e.message)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        Email::parse("email", raw)
            .map(|e| e.0)
            .unwrap_or_else(|e| e.rule)
    }

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(ok("  Pat.Lee@Example.COM "), "pat.lee@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        assert_eq!(ok(""), "required");
        assert_eq!(ok("   "), "required");
        assert_eq!(ok("a@b"), "invalid");
        assert_eq!(ok("a@@b.com"), "invalid");
        assert_eq!(ok("a b@c.com"), "invalid");
        assert_eq!(ok("@c.com"), "invalid");
        assert_eq!(ok("a@.com"), "invalid");
        assert_eq!(ok("a@c..com"), "invalid");
        assert_eq!(ok("no-at.example.com"), "invalid");
    }

    #[test]
    fn length_boundary_is_254() {
        let at_limit = format!("{}@example.com", "a".repeat(254 - 12));
        assert_eq!(at_limit.len(), 254);
        assert_eq!(ok(&at_limit), at_limit);
        let over = format!("{}@example.com", "a".repeat(255 - 12));
        assert_eq!(ok(&over), "too_long");
    }

    #[test]
    fn unicode_addresses_are_accepted_and_lowercased() {
        assert_eq!(ok("ÉLODIE@exemple.fr"), "élodie@exemple.fr");
    }
}
