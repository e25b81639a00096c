use crate::error::FieldError;
use serde::{Deserialize, Serialize};

fn clean(field: &str, raw: &str, what: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required", format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("This can be at most {max} characters."),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid",
            "Remove the invisible control characters.",
        ));
    }
    Ok(value.to_owned())
}

/// A person's first or last name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    /// `what` completes "Enter …" in the message, e.g. "a first name".
    pub fn parse(field: &str, raw: &str, what: &str) -> Result<Self, FieldError> {
        clean(field, raw, what, Self::MAX_LEN).map(PersonName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The display name of an account, application or environment: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(field: &str, raw: &str, what: &str) -> Result<Self, FieldError> {
        let value = clean(field, raw, what, Self::MAX_LEN)?;
        if !value.chars().any(char::is_alphanumeric) {
            return Err(FieldError::new(
                field,
                "invalid",
                "Use at least one letter or digit.",
            ));
        }
        Ok(DisplayName(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        let name = PersonName::parse("first_name", "  Zoë ", "a first name");
        assert_eq!(name.map(|n| n.0), Ok("Zoë".to_owned()));
        assert_eq!(
            PersonName::parse("f", "", "a first name").map_err(|e| e.message),
            Err("Enter a first name.".to_owned())
        );
        assert!(PersonName::parse("f", &"é".repeat(100), "x").is_ok());
        assert_eq!(
            PersonName::parse("f", &"é".repeat(101), "x").map_err(|e| e.rule),
            Err("too_long".to_owned())
        );
        assert_eq!(
            PersonName::parse("f", "a\u{0007}b", "x").map_err(|e| e.rule),
            Err("invalid".to_owned())
        );
    }

    #[test]
    fn display_names_need_a_letter_or_digit() {
        assert!(DisplayName::parse("n", "Acme 株式会社", "x").is_ok());
        assert_eq!(
            DisplayName::parse("n", "---", "x").map_err(|e| e.rule),
            Err("invalid".to_owned())
        );
    }
}
