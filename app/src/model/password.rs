use crate::error::FieldError;

/// Lower-cased passwords of 8+ characters from the ranked list shipped inside the `zxcvbn` crate
/// (v3.1.1, MIT; 11,611 entries). Server only: the browser checks length locally and asks the
/// server about this list, so its 106 KB stay out of the wasm bundle. See `docs/decisions.md`.
#[cfg(feature = "ssr")]
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `candidate` (compared case-insensitively) is on the common-password blocklist.
#[cfg(feature = "ssr")]
pub fn is_common_password(candidate: &str) -> bool {
    let lowered = candidate.to_lowercase();
    COMMON_PASSWORDS.lines().any(|line| line == lowered)
}

/// The error for a password on the common list (`None` when it is not on it).
#[cfg(feature = "ssr")]
pub fn common_password_error(field: &str, raw: &str) -> Option<FieldError> {
    is_common_password(raw).then(|| {
        FieldError::new(
            field,
            "too_common",
            "This password is too common. Choose one that is harder to guess.",
        )
    })
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
    // In the browser the list is absent: the server answers this part (on blur and on submit).
    #[cfg(feature = "ssr")]
    if let Some(error) = common_password_error(field, raw) {
        return Err(error);
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

/// An identity's password: 8–64 characters, not on the common list, no composition rules
/// (decisions.md › Identities). Never trimmed or truncated. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityPassword(String);

impl IdentityPassword {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 64;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        check(field, raw, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(IdentityPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IdentityPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityPassword(***)")
    }
}

/// The characters a generated password draws from: no look-alikes (0/O, 1/l/I).
const GENERATED_ALPHABET: &[u8] =
    b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!@#%+=";

/// The length of a generated password: ~120 bits from the 65-symbol alphabet.
pub const GENERATED_PASSWORD_LEN: usize = 20;

/// The rule of every change-password form (admins' and identities'): the current password is
/// required, the new one passes its policy (`parse`) and differs from the current one.
pub fn validate_password_change<P>(
    current: &str,
    new: &str,
    parse: impl FnOnce(&str, &str) -> Result<P, FieldError>,
) -> Result<(String, P), Vec<FieldError>> {
    let mut errors = Vec::new();
    if current.is_empty() {
        errors.push(FieldError::new(
            "current_password",
            "required",
            "Enter your current password.",
        ));
    }
    let parsed = parse("new_password", new).map_err(|e| errors.push(e)).ok();
    if parsed.is_some() && new == current {
        errors.push(FieldError::new(
            "new_password",
            "unchanged",
            "Choose a password different from the current one.",
        ));
    }
    match parsed {
        Some(parsed) if errors.is_empty() => Ok((current.to_owned(), parsed)),
        _ => Err(errors),
    }
}

/// A password from uniformly random bytes (the browser's `crypto.getRandomValues`). Bytes that
/// would bias the choice are skipped, so pass a few more than `GENERATED_PASSWORD_LEN`; returns
/// `None` if they ran out.
pub fn generate_password(random: &[u8]) -> Option<String> {
    let n = GENERATED_ALPHABET.len();
    let limit = 256 - 256 % n;
    let password: String = random
        .iter()
        .filter(|b| usize::from(**b) < limit)
        .take(GENERATED_PASSWORD_LEN)
        .map(|b| char::from(GENERATED_ALPHABET[usize::from(*b) % n]))
        .collect();
    (password.len() == GENERATED_PASSWORD_LEN).then_some(password)
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

    #[cfg(feature = "ssr")]
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

    fn identity_rule(raw: &str) -> String {
        IdentityPassword::parse("password", raw)
            .map(|_| "ok".to_owned())
            .unwrap_or_else(|e| e.rule)
    }

    #[test]
    fn identity_passwords_are_8_to_64_characters() {
        assert_eq!(identity_rule(""), "required");
        assert_eq!(identity_rule("kq7#vbn"), "too_short");
        assert_eq!(identity_rule("kq7#vbnx"), "ok");
        assert_eq!(identity_rule(&"kq7#vbnx".repeat(8)), "ok");
        assert_eq!(
            identity_rule(&format!("{}z", "kq7#vbnx".repeat(8))),
            "too_long"
        );
        // Characters, not bytes: 64 two-byte letters are fine.
        assert_eq!(identity_rule(&"ж".repeat(64)), "ok");
        #[cfg(feature = "ssr")]
        assert_eq!(identity_rule("iloveyou1"), "too_common");
        assert!(
            !format!("{:?}", IdentityPassword::parse("p", "a-secret-value")).contains("secret")
        );
    }

    #[test]
    fn generated_passwords_pass_the_rule_and_skip_biased_bytes() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(64).collect();
        let generated = generate_password(&bytes).unwrap_or_default();
        assert_eq!(generated.chars().count(), GENERATED_PASSWORD_LEN);
        assert_eq!(identity_rule(&generated), "ok");
        // 255 is above the unbiased limit (195 for 65 symbols) and is skipped.
        assert_eq!(generate_password(&[255; 40]), None);
    }
}
