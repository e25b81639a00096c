//! Admin account security (decisions.md › Admin account security): forgot and reset password,
//! change password, email verification, the admin's sessions. The forms validate here, once, for
//! the pages (inline), the server functions and the CLI.

use super::{AdminPassword, Email, validate_password_change};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// The one answer of forgot-password, whether or not the email has an admin.
pub const ADMIN_FORGOT_ANSWER: &str = "If an admin account uses this email, we sent it a link to choose a new password. The link works once, for 1 hour.";

fn first_error<T>(result: Result<T, Vec<FieldError>>, field: &str) -> Option<FieldError> {
    result
        .err()
        .and_then(|errors| errors.into_iter().find(|e| e.field == field))
}

/// `/signin/forgot`: the email to send a reset link to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminForgotForm {
    pub email: String,
}

impl AdminForgotForm {
    pub fn validate(&self) -> Result<Email, Vec<FieldError>> {
        Email::parse("email", &self.email).map_err(|e| vec![e])
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        first_error(self.validate(), field)
    }
}

/// `/signin/reset?token=…`: the emailed token and the new password (the sign-up policy).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminResetForm {
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for AdminResetForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminResetForm(***)")
    }
}

impl AdminResetForm {
    pub fn validate(&self) -> Result<AdminPassword, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.token.is_empty() {
            errors.push(FieldError::new(
                "token",
                "required",
                "The link is incomplete: open it again from the email.",
            ));
        }
        let password = AdminPassword::parse("password", &self.password)
            .map_err(|e| errors.push(e))
            .ok();
        match password {
            Some(password) if errors.is_empty() => Ok(password),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        first_error(self.validate(), field)
    }
}

/// Profile › Password: the current password (checked on the server) and the new one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPasswordChangeForm {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for AdminPasswordChangeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminPasswordChangeForm(***)")
    }
}

impl AdminPasswordChangeForm {
    pub fn validate(&self) -> Result<(String, AdminPassword), Vec<FieldError>> {
        validate_password_change(
            &self.current_password,
            &self.new_password,
            AdminPassword::parse,
        )
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        first_error(self.validate(), field)
    }
}

/// What a reset or verification page shows before its form is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminLinkPreview {
    pub email: String,
}

/// One of the signed-in admin's sessions (Profile › Sessions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSession {
    pub id: String,
    /// A short summary of the browser's User-Agent ("Chrome on Linux").
    pub device: String,
    pub ip: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub last_seen_at: String,
    /// The session of the request that asked: "This device".
    pub current: bool,
}

/// "Chrome on Linux" from a User-Agent: the browser family and the operating system, enough to
/// recognise a device without showing the whole header.
pub fn device_summary(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "Unknown device".to_owned();
    };
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => ua.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_summarised() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_summary(Some(chrome)), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_summary(Some(safari)), "Safari on iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device_summary(Some(edge)), "Edge on Windows");
        assert_eq!(device_summary(None), "Unknown device");
        assert_eq!(device_summary(Some("reqwest")), "reqwest");
    }

    #[test]
    fn the_new_password_follows_the_signup_policy_and_differs() {
        let form = |current: &str, new: &str| AdminPasswordChangeForm {
            current_password: current.into(),
            new_password: new.into(),
        };
        assert!(
            form("old one", "short")
                .field_error("new_password")
                .is_some()
        );
        assert!(
            form("same passphrase", "same passphrase")
                .field_error("new_password")
                .is_some()
        );
        assert!(
            form("", "a new long passphrase")
                .field_error("current_password")
                .is_some()
        );
        assert!(form("old one", "a new long passphrase").validate().is_ok());
        let reset = AdminResetForm {
            token: String::new(),
            password: "a new long passphrase".into(),
        };
        assert!(reset.field_error("token").is_some());
    }
}
