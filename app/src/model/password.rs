use crate::error::FieldError;

/// Lower-cased passwords of 8+ characters from the ranked list shipped inside the `zxcvbn` crate
/// (v3.1.1, MIT; 11,611 entries). See `docs/decisions.md`.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `candidate` (compared case-insensitively) is on the common-password blocklist.
pub fn is_common_password(candidate: &str) -> bool {
    let lowered = candidate.to_lowercase();
    COMMON_PASSWORDS.lines().any(|line| line == lowered)
}

fn check(field: &str, raw: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let len = raw.chars().count();
    if len == 0 {
        return Err(FieldError::new(field, "required", "Enter a password."));
    }
    if len < min {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("Use at least {min} characters."),
        ));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Use at most {max} characters."),
        ));
    }
    if is_common_password(raw) {
        return Err(FieldError::new(
            field,
            "too_common",
            "This password is too common. Choose one that is harder to guess.",
        ));
    }
    Ok(())
}

/// A dashboard admin's password: 8–128 characters, not on the common list, no composition rules
/// (ASVS 5.0 6.2.5). Never trimmed or truncated. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminPassword(String);

impl AdminPassword {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        check(field, raw, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(AdminPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(raw: &str) -> String {
        AdminPassword::parse("password", raw)
            .map(|_| "ok".to_owned())
            .unwrap_or_else(|e| e.rule)
    }

    #[test]
    fn length_boundaries() {
        assert_eq!(rule(""), "required");
        assert_eq!(rule("kq7#vbn"), "too_short");
        assert_eq!(rule("kq7#vbnx"), "ok");
        assert_eq!(rule(&"kq7#vbnx".repeat(16)), "ok");
        assert_eq!(rule(&format!("{}z", "kq7#vbnx".repeat(16))), "too_long");
    }

    #[test]
    fn no_composition_rules_and_no_trimming() {
        assert_eq!(rule("correct horse battery staple"), "ok");
        assert_eq!(rule("   spaces count   "), "ok");
        assert_eq!(rule("пароль-надёжный"), "ok");
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(rule("password"), "too_common");
        assert_eq!(rule("PassWord1"), "too_common");
        assert_eq!(rule("qwertyuiop"), "too_common");
        assert!(COMMON_PASSWORDS.lines().count() >= 10_000);
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let pw = AdminPassword::parse("p", "a-secret-value");
        assert!(!format!("{pw:?}").contains("secret-value"));
    }
}
