use super::{AdminPassword, DisplayName, Email, PersonName};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// The sign-up form as typed. `validate` turns it into `ValidSignup` or per-field errors; the
/// page calls `field_error` on blur so the same rules show inline before anything is sent.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupForm {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub account_name: String,
    pub application_name: String,
}

/// A sign-up whose every field passed its rule.
#[derive(Debug, Clone)]
pub struct ValidSignup {
    pub email: Email,
    pub password: AdminPassword,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub account_name: DisplayName,
    pub application_name: DisplayName,
}

impl SignupForm {
    pub const FIELDS: [&'static str; 6] = [
        "email",
        "password",
        "first_name",
        "last_name",
        "account_name",
        "application_name",
    ];

    /// The rule for one field, as the form shows it next to that field.
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        let result = match field {
            "email" => Email::parse(field, &self.email).map(drop),
            "password" => AdminPassword::parse(field, &self.password).map(drop),
            "first_name" => PersonName::parse(field, &self.first_name, "your first name").map(drop),
            "last_name" => PersonName::parse(field, &self.last_name, "your last name").map(drop),
            "account_name" => {
                DisplayName::parse(field, &self.account_name, "your company name").map(drop)
            }
            "application_name" => {
                DisplayName::parse(field, &self.application_name, "an application name").map(drop)
            }
            _ => Ok(()),
        };
        result.err()
    }

    pub fn validate(&self) -> Result<ValidSignup, Vec<FieldError>> {
        let email = Email::parse("email", &self.email);
        let password = AdminPassword::parse("password", &self.password);
        let first_name = PersonName::parse("first_name", &self.first_name, "your first name");
        let last_name = PersonName::parse("last_name", &self.last_name, "your last name");
        let account_name =
            DisplayName::parse("account_name", &self.account_name, "your company name");
        let application_name = DisplayName::parse(
            "application_name",
            &self.application_name,
            "an application name",
        );
        match (
            email,
            password,
            first_name,
            last_name,
            account_name,
            application_name,
        ) {
            (
                Ok(email),
                Ok(password),
                Ok(first_name),
                Ok(last_name),
                Ok(account_name),
                Ok(application_name),
            ) => Ok(ValidSignup {
                email,
                password,
                first_name,
                last_name,
                account_name,
                application_name,
            }),
            (a, b, c, d, e, f) => Err([a.err(), b.err(), c.err(), d.err(), e.err(), f.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// The sign-in form. Only shape is checked here: the answer to a wrong email or password is
/// always the same generic error.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
}

impl SignInForm {
    pub fn validate(&self) -> Result<(Email, String), Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = Email::parse("email", &self.email)
            .map_err(|e| errors.push(e))
            .ok();
        if self.password.is_empty() {
            errors.push(FieldError::new(
                "password",
                "required",
                "Enter your password.",
            ));
        }
        match email {
            Some(email) if errors.is_empty() => Ok((email, self.password.clone())),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SignupForm {
        SignupForm {
            email: "Ada@Example.com".into(),
            password: "a long passphrase".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            account_name: "Analytical Engines".into(),
            application_name: "Mill".into(),
        }
    }

    #[test]
    fn a_complete_form_validates() {
        let ok = valid().validate();
        assert!(ok.is_ok());
        assert_eq!(
            ok.map(|v| v.email.to_string()).ok(),
            Some("ada@example.com".to_owned())
        );
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let errors = SignupForm::default().validate().err().unwrap_or_default();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, SignupForm::FIELDS);
    }

    #[test]
    fn field_error_matches_validate() {
        let mut form = valid();
        form.password = "short".into();
        assert_eq!(
            form.field_error("password").map(|e| e.rule),
            Some("too_short".to_owned())
        );
        assert!(form.field_error("email").is_none());
    }
}

// The forms carry a password: their `Debug` (logs, panics, traces) leaves it out.
impl std::fmt::Debug for SignupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupForm")
            .field("email", &self.email)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("account_name", &self.account_name)
            .field("application_name", &self.application_name)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_password() {
        let secret = "correct horse battery staple";
        let signup = SignupForm {
            email: "a@example.com".into(),
            password: secret.into(),
            ..SignupForm::default()
        };
        let sign_in = SignInForm {
            email: "a@example.com".into(),
            password: secret.into(),
        };
        for shown in [format!("{signup:?}"), format!("{sign_in:?}")] {
            assert!(shown.contains("a@example.com"), "{shown}");
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
