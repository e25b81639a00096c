//! Identity (end-user) sign-in: the inputs of `/v1/identity/auth/…` and of the hosted pages
//! (`/login`, `/forgot-password`, `/reset-password`, `/verify-email`), and their answers. One
//! `validate` per input, run by the page as the person types and by the server on every surface.

use crate::error::FieldError;
use crate::model::{Email, IdentityPassword, validate_password_change};
use serde::{Deserialize, Serialize};

fn account_slug(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let slug = raw.trim().to_lowercase();
    if slug.is_empty() {
        errors.push(FieldError::new(
            "account_slug",
            "required",
            "Enter your account's name as in its address (e.g. acme).",
        ));
    }
    slug
}

fn required(field: &str, raw: &str, message: &str, errors: &mut Vec<FieldError>) {
    if raw.is_empty() {
        errors.push(FieldError::new(field, "required", message));
    }
}

/// `POST /login`: which account, who, and the password. Only shape is checked: a wrong email or
/// password always gets the same generic answer.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "account_slug": "acme", "email": "pat.lee@example.com", "password": "a long passphrase" })))]
pub struct IdentityLoginForm {
    /// The account's slug (the first segment of its dashboard address).
    pub account_slug: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for IdentityLoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityLoginForm")
            .field("account_slug", &self.account_slug)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A login input that has the right shape.
#[derive(Clone)]
pub struct ValidLogin {
    pub account_slug: String,
    pub email: Email,
    pub password: String,
}

impl IdentityLoginForm {
    pub fn validate(&self) -> Result<ValidLogin, Vec<FieldError>> {
        let mut errors = Vec::new();
        let account_slug = account_slug(&self.account_slug, &mut errors);
        let email = Email::parse("email", &self.email)
            .map_err(|e| errors.push(e))
            .ok();
        required(
            "password",
            &self.password,
            "Enter your password.",
            &mut errors,
        );
        match email {
            Some(email) if errors.is_empty() => Ok(ValidLogin {
                account_slug,
                email,
                password: self.password.clone(),
            }),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// `POST /forgot-password` and `POST /resend-verification`: an account and an email. The answer
/// never says whether the email belongs to anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "account_slug": "acme", "email": "pat.lee@example.com" })))]
pub struct AccountEmailForm {
    pub account_slug: String,
    pub email: String,
}

impl AccountEmailForm {
    pub fn validate(&self) -> Result<(String, Email), Vec<FieldError>> {
        let mut errors = Vec::new();
        let account_slug = account_slug(&self.account_slug, &mut errors);
        let email = Email::parse("email", &self.email)
            .map_err(|e| errors.push(e))
            .ok();
        match email {
            Some(email) if errors.is_empty() => Ok((account_slug, email)),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// `POST /select-application`: the application to bind the session to (one of the login
/// answer's `applications`). `account_id` may be sent as the reference API does; it must then
/// be the session's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "application_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42" })))]
pub struct SelectApplicationForm {
    #[serde(default)]
    pub account_id: Option<String>,
    pub application_id: String,
}

/// `POST /reset-password`: the emailed token and the new password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "token": "q3J0xTbN5kLr8w2YcH7PdEaUf1GmJi9oS4qVnB6yKzA", "password": "a new long passphrase" })))]
pub struct ResetPasswordForm {
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for ResetPasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetPasswordForm(***)")
    }
}

impl ResetPasswordForm {
    pub fn validate(&self) -> Result<IdentityPassword, Vec<FieldError>> {
        let mut errors = Vec::new();
        required(
            "token",
            &self.token,
            "The link is incomplete: open it again from the email.",
            &mut errors,
        );
        let password = IdentityPassword::parse("password", &self.password)
            .map_err(|e| errors.push(e))
            .ok();
        match password {
            Some(password) if errors.is_empty() => Ok(password),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// `POST /verify-email`: the emailed token.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "token": "q3J0xTbN5kLr8w2YcH7PdEaUf1GmJi9oS4qVnB6yKzA" })))]
pub struct TokenForm {
    pub token: String,
}

impl std::fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenForm(***)")
    }
}

/// `POST /change-password`: the current password (verified) and the new one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "current_password": "the old passphrase", "new_password": "a new long passphrase" })))]
pub struct ChangePasswordForm {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordForm(***)")
    }
}

impl ChangePasswordForm {
    pub fn validate(&self) -> Result<(String, IdentityPassword), Vec<FieldError>> {
        validate_password_change(
            &self.current_password,
            &self.new_password,
            IdentityPassword::parse,
        )
    }
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignedInIdentity {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl SignedInIdentity {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// An application the identity may sign in to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApplicationChoice {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// The answer of `login` and `select-application`. With `requires_application_selection` the
/// `access_token` is a selection token (5 minutes) that only `select-application` accepts;
/// otherwise it is the session's bearer token and the refresh token is in the
/// `arbor_identity_refresh` cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "requires_application_selection": false,
    "access_token": "Yk3v…(43 characters)",
    "token_type": "Bearer",
    "expires_in": 900,
    "identity": { "id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee" },
    "applications": [{ "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Billing Portal", "slug": "billing-portal" }],
    "application": { "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Billing Portal", "slug": "billing-portal" },
    "environment_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "password_change_required": false
})))]
pub struct LoginAnswer {
    pub requires_application_selection: bool,
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    pub identity: SignedInIdentity,
    /// The applications the identity is an active member of.
    pub applications: Vec<ApplicationChoice>,
    /// The application the session is bound to (`null` until one is selected).
    pub application: Option<ApplicationChoice>,
    /// Its default environment.
    pub environment_id: Option<String>,
    /// The session may only `change-password` until the identity has chosen a new one.
    pub password_change_required: bool,
}

/// The answer of `refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "access_token": "Yk3v…(43 characters)", "token_type": "Bearer", "expires_in": 900 })))]
pub struct RefreshAnswer {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
}

/// `GET /me`: the signed-in identity and what its session is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "identity": { "id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee" },
    "email_verified": true,
    "application": { "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Billing Portal", "slug": "billing-portal" },
    "environment_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "session_id": "0193a1f0-9999-7c00-8d10-1a2b3c4d5e6f"
})))]
pub struct IdentityMe {
    pub identity: SignedInIdentity,
    pub email_verified: bool,
    pub application: ApplicationChoice,
    pub environment_id: String,
    pub session_id: String,
}

/// A short confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "message": "If this email belongs to an account, a link to reset its password is on its way." })))]
pub struct AuthMessage {
    pub message: String,
}

impl AuthMessage {
    pub fn new(message: impl Into<String>) -> Self {
        AuthMessage {
            message: message.into(),
        }
    }
}

/// What an emailed link's page may show before its form is sent (a read-only check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPreview {
    /// The identity the link was sent to.
    pub email: String,
    pub account_name: String,
}

/// The one answer of forgot-password, whoever asked.
pub const FORGOT_PASSWORD_ANSWER: &str = "If this email belongs to an identity of this account, a link to reset its password is on its way.";
/// The one answer of resend-verification, whoever asked.
pub const RESEND_VERIFICATION_ANSWER: &str = "If this email belongs to an identity of this account that is not verified yet, a verification link is on its way.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_needs_all_three_and_hides_the_password_in_debug() {
        let form = IdentityLoginForm {
            account_slug: " Acme ".into(),
            email: "Pat@Example.com".into(),
            password: "secret-value".into(),
        };
        let valid = form.validate().ok();
        assert_eq!(
            valid.as_ref().map(|v| v.account_slug.as_str()),
            Some("acme")
        );
        assert_eq!(
            valid.as_ref().map(|v| v.email.as_str()),
            Some("pat@example.com")
        );
        assert!(!format!("{form:?}").contains("secret-value"));
        let empty = IdentityLoginForm::default()
            .validate()
            .err()
            .unwrap_or_default();
        let fields: Vec<_> = empty.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["account_slug", "email", "password"]);
    }

    #[test]
    fn a_new_password_follows_the_identity_rules_and_must_differ() {
        let short = ResetPasswordForm {
            token: "t".into(),
            password: "short".into(),
        };
        assert_eq!(
            short.field_error("password").map(|e| e.rule),
            Some("too_short".into())
        );
        let same = ChangePasswordForm {
            current_password: "a long passphrase".into(),
            new_password: "a long passphrase".into(),
        };
        assert!(same.validate().is_err());
    }
}
