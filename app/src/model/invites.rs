//! Identity invites: what every invite surface sends (the Invite and Invite & Assign dialogs, the
//! Tenant › Identities Invite, `POST /api/v1/identity-invites`, bulk rows), what lists show, and
//! the accept page's forms. The person's fields follow Create Identity's rules (`Email`,
//! `PersonName`, `IdentityPassword`); the role + node pair is stricter than Create Identity's:
//! an invite refuses half a pair rather than warn (reference-product.md §2.15, §4.5 rule 32).

use crate::error::FieldError;
use crate::model::{Email, IdentityPassword, PersonName};
use serde::{Deserialize, Serialize};

/// Days an invite link stays valid (decisions.md › Invites and email); a resend starts them over.
pub const INVITE_EXPIRY_DAYS: i64 = 7;

/// What accepting does: `activate` creates the identity and its first password; `add_to_app`
/// admits an identity already in the account (its password is checked, not changed);
/// `password_reset` lets an existing identity choose a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InviteIntent {
    /// Also accepted as the legacy `onboard`.
    #[default]
    #[serde(alias = "onboard")]
    Activate,
    AddToApp,
    PasswordReset,
}

impl InviteIntent {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteIntent::Activate => "activate",
            InviteIntent::AddToApp => "add_to_app",
            InviteIntent::PasswordReset => "password_reset",
        }
    }

    /// The stored word; an unknown one is read as the most demanding form (a new password and
    /// names), never as "sign in with an existing password".
    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "add_to_app" => InviteIntent::AddToApp,
            "password_reset" => InviteIntent::PasswordReset,
            _ => InviteIntent::Activate,
        }
    }
}

/// `pending` → `accepted` | `revoked` | `expired`. A pending invite past `expires_at` reads as
/// `expired` everywhere, whatever is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InviteStatus {
    /// In the order the dashboard's filter lists them.
    pub const ALL: [InviteStatus; 4] = [
        InviteStatus::Pending,
        InviteStatus::Accepted,
        InviteStatus::Expired,
        InviteStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Pending => "pending",
            InviteStatus::Accepted => "accepted",
            InviteStatus::Revoked => "revoked",
            InviteStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InviteStatus::Pending => "Pending",
            InviteStatus::Accepted => "Accepted",
            InviteStatus::Revoked => "Revoked",
            InviteStatus::Expired => "Expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        InviteStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The status as read: the stored word, with a pending invite past its expiry `expired`. An
    /// unknown word fails closed (`revoked`: nothing can be done with it).
    pub fn derive(stored: &str, expires_ms: i64, now_ms: i64) -> Self {
        match InviteStatus::parse(stored) {
            Some(InviteStatus::Pending) if expires_ms <= now_ms => InviteStatus::Expired,
            Some(status) => status,
            None => InviteStatus::Revoked,
        }
    }
}

fn filled(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn default_true() -> bool {
    true
}

/// Invite (email + names) or Invite & Assign (plus role and node), environment-scoped: the API
/// body, the dashboard dialogs and each bulk row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "email": "pat.lee@example.com",
    "first_name": "Pat",
    "last_name": "Lee",
    "intent": "activate",
    "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "send_email": true
})))]
#[serde(deny_unknown_fields)]
pub struct InviteForm {
    #[cfg_attr(feature = "ssr", schema(format = Email))]
    pub email: String,
    /// Required for `activate`; ignored for `add_to_app` and `password_reset` (the existing name
    /// wins).
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// `activate` (default; legacy `onboard`) or `password_reset`. An `activate` invite for an
    /// email already in the account becomes `add_to_app` by itself.
    #[serde(default)]
    pub intent: InviteIntent,
    /// With `node_id`: the role assigned at that node when the invite is accepted. Both or
    /// neither; never with `password_reset`.
    #[serde(default)]
    pub role_id: Option<String>,
    #[serde(default)]
    pub node_id: Option<String>,
    /// `false`: no email is sent and the answer carries `accept_url` for you to deliver.
    #[serde(default = "default_true")]
    pub send_email: bool,
}

impl Default for InviteForm {
    fn default() -> Self {
        InviteForm {
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            intent: InviteIntent::Activate,
            role_id: None,
            node_id: None,
            send_email: true,
        }
    }
}

/// A valid invite request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidInvite {
    pub email: Email,
    /// `None` for `password_reset` (the identity's own name is used).
    pub names: Option<(PersonName, PersonName)>,
    pub intent: InviteIntent,
    /// `(role_id, node_id)`.
    pub assignment: Option<(String, String)>,
    pub send_email: bool,
}

impl InviteForm {
    pub const PAIR_RULE: &'static str =
        "Choose both a role and a node, or neither: the assignment needs both.";

    pub fn validate(&self) -> Result<ValidInvite, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = Email::parse("email", &self.email).map_err(|e| errors.push(e));
        let names = if self.intent == InviteIntent::PasswordReset {
            Ok(None)
        } else {
            let first = PersonName::parse("first_name", &self.first_name, "a first name")
                .map_err(|e| errors.push(e));
            let last = PersonName::parse("last_name", &self.last_name, "a last name")
                .map_err(|e| errors.push(e));
            match (first, last) {
                (Ok(first), Ok(last)) => Ok(Some((first, last))),
                _ => Err(()),
            }
        };
        let assignment = match (filled(&self.role_id), filled(&self.node_id)) {
            (None, None) => None,
            _ if self.intent == InviteIntent::PasswordReset => {
                errors.push(FieldError::new(
                    "role_id",
                    "not_allowed",
                    "A password reset invite cannot carry a role or a node.",
                ));
                None
            }
            (Some(role), Some(node)) => Some((role.to_owned(), node.to_owned())),
            (Some(_), None) => {
                errors.push(FieldError::new("node_id", "pair", Self::PAIR_RULE));
                None
            }
            (None, Some(_)) => {
                errors.push(FieldError::new("role_id", "pair", Self::PAIR_RULE));
                None
            }
        };
        match (email, names) {
            (Ok(email), Ok(names)) if errors.is_empty() => Ok(ValidInvite {
                email,
                names,
                intent: self.intent,
                assignment,
                send_email: self.send_email,
            }),
            _ => Err(errors),
        }
    }

    /// The rule's message for one field (for inline errors as the admin types).
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// Invite on Tenant › Identities (Account tier): the person and, optionally, an application the
/// identity joins on acceptance. Never a role, node or environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryInviteForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub application_id: Option<String>,
}

impl DirectoryInviteForm {
    /// The same rules as the environment's invite (one path), plus the optional application.
    pub fn validate(&self) -> Result<(ValidInvite, Option<String>), Vec<FieldError>> {
        let valid = InviteForm {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            ..InviteForm::default()
        }
        .validate()?;
        Ok((valid, filled(&self.application_id).map(str::to_owned)))
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// An invite as lists and the API show it. Never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-8888-7b00-8d43-5e6f708192a3",
    "email": "pat.lee@example.com",
    "intent": "activate",
    "first_name": "Pat",
    "last_name": "Lee",
    "name": "Pat Lee",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f",
    "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "has_initial_assignment": true,
    "status": "pending",
    "send_email": true,
    "expires_at": "2026-12-04T09:00:00Z",
    "invited_by": "0193a1ee-9999-7000-8000-000000000001",
    "accepted_at": null,
    "created_at": "2026-11-27T09:00:00Z"
})))]
pub struct Invite {
    pub id: String,
    pub email: String,
    pub intent: InviteIntent,
    pub first_name: String,
    pub last_name: String,
    /// First and last name.
    pub name: String,
    /// The application the identity joins on acceptance (`null`: an Account-tier invite without
    /// one).
    pub application_id: Option<String>,
    /// `null` for an Account-tier invite.
    pub environment_id: Option<String>,
    pub role_id: Option<String>,
    pub node_id: Option<String>,
    /// A role + node assignment is made on acceptance.
    pub has_initial_assignment: bool,
    pub status: InviteStatus,
    /// `false`: the link was handed to the inviter to deliver (only then can it be shown again,
    /// on resend).
    pub send_email: bool,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    /// The admin's or API key's id.
    pub invited_by: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub accepted_at: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
}

/// A new invite, with the link when the caller delivers it (`send_email: false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub invite: Invite,
    pub accept_url: Option<String>,
}

/// What a resend answers: the link only for a self-delivered invite; otherwise it went by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "message": "Invite resent to pat.lee@example.com. The previous link no longer works.",
    "accept_url": null
})))]
pub struct ResentInvite {
    pub message: String,
    /// The new link, for an invite created with `send_email: false`; `null` when it was emailed.
    pub accept_url: Option<String>,
}

/// Counts of an environment's invites (the Setup Guide's `pending_with_role_count` among them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "total_invites": 12, "pending_count": 4, "pending_with_role_count": 3,
    "accepted_count": 6, "expired_count": 1, "revoked_count": 1
})))]
pub struct InviteSummary {
    pub total_invites: i64,
    pub pending_count: i64,
    /// Pending invites that carry a role + node (their assignment appears on acceptance).
    pub pending_with_role_count: i64,
    pub accepted_count: i64,
    pub expired_count: i64,
    pub revoked_count: i64,
}

/// What the accept page shows before anything is spent (`invite-info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "email": "pat.lee@example.com",
    "intent": "activate",
    "first_name": "Pat",
    "last_name": "Lee",
    "account_name": "Acme",
    "app_name": "Billing Portal",
    "inviter_email": "ada@acme.example",
    "expires_at": "2026-12-04T09:00:00Z"
})))]
pub struct InviteInfo {
    pub email: String,
    pub intent: InviteIntent,
    pub first_name: String,
    pub last_name: String,
    pub account_name: String,
    /// The application the person joins (`null` for an Account-tier invite without one).
    pub app_name: Option<String>,
    /// The admin who invited (`null` when an API key did).
    pub inviter_email: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
}

/// The token of an invite link (`invite-info`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "token": "Zq3vN8kLr0w2YbT5xHc9PdEaUf1GmJi7oS4qVnB6yKz" })))]
#[serde(deny_unknown_fields)]
pub struct InviteToken {
    pub token: String,
}

/// The accept page's form. Which fields count depends on the invite's intent: `activate` —
/// names and a new password; `add_to_app` — the identity's current password; `password_reset` —
/// a new password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "token": "Zq3vN8kLr0w2YbT5xHc9PdEaUf1GmJi7oS4qVnB6yKz",
    "first_name": "Pat",
    "last_name": "Lee",
    "password": "correct horse battery staple"
})))]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteForm {
    pub token: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub password: String,
}

impl std::fmt::Debug for AcceptInviteForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptInviteForm")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish_non_exhaustive()
    }
}

/// A valid acceptance, by intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidAcceptance {
    Activate {
        first_name: PersonName,
        last_name: PersonName,
        password: IdentityPassword,
    },
    /// The current password, checked against the stored hash (any length: it was set elsewhere).
    AddToApp {
        current_password: CurrentPassword,
    },
    PasswordReset {
        password: IdentityPassword,
    },
}

/// A password typed to prove who one is; never shown in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct CurrentPassword(String);

impl CurrentPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CurrentPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CurrentPassword(***)")
    }
}

impl AcceptInviteForm {
    pub fn validate(&self, intent: InviteIntent) -> Result<ValidAcceptance, Vec<FieldError>> {
        let mut errors = Vec::new();
        let accepted = match intent {
            InviteIntent::Activate => {
                let first = PersonName::parse("first_name", &self.first_name, "a first name")
                    .map_err(|e| errors.push(e));
                let last = PersonName::parse("last_name", &self.last_name, "a last name")
                    .map_err(|e| errors.push(e));
                let password =
                    IdentityPassword::parse("password", &self.password).map_err(|e| errors.push(e));
                match (first, last, password) {
                    (Ok(first_name), Ok(last_name), Ok(password)) => {
                        Some(ValidAcceptance::Activate {
                            first_name,
                            last_name,
                            password,
                        })
                    }
                    _ => None,
                }
            }
            InviteIntent::AddToApp => {
                if self.password.is_empty() {
                    errors.push(FieldError::new(
                        "password",
                        "required",
                        "Enter your current password.",
                    ));
                    None
                } else {
                    Some(ValidAcceptance::AddToApp {
                        current_password: CurrentPassword(self.password.clone()),
                    })
                }
            }
            InviteIntent::PasswordReset => IdentityPassword::parse("password", &self.password)
                .map(|password| ValidAcceptance::PasswordReset { password })
                .map_err(|e| errors.push(e))
                .ok(),
        };
        match accepted {
            Some(valid) if errors.is_empty() => Ok(valid),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, intent: InviteIntent, field: &str) -> Option<FieldError> {
        self.validate(intent)
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// What accepting did, for the success page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "intent": "activate",
    "email": "pat.lee@example.com",
    "app_name": "Billing Portal",
    "account_slug": "acme",
    "sign_in_path": "/login?account=acme",
    "message": "You can now sign in to Billing Portal."
})))]
pub struct AcceptedInvite {
    pub intent: InviteIntent,
    pub email: String,
    pub app_name: Option<String>,
    pub account_slug: String,
    /// The identity sign-in page of the account.
    pub sign_in_path: String,
    pub message: String,
}

/// The dashboard's invite list filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteQuery {
    #[serde(default)]
    pub status: Option<InviteStatus>,
    #[serde(default)]
    pub page: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> InviteForm {
        InviteForm {
            email: " Pat.Lee@Example.com ".into(),
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            ..InviteForm::default()
        }
    }

    fn rules(f: &InviteForm) -> Vec<(String, String)> {
        f.validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.rule))
            .collect()
    }

    fn pair(field: &str, rule: &str) -> (String, String) {
        (field.to_owned(), rule.to_owned())
    }

    #[test]
    fn the_person_follows_create_identitys_rules() {
        let valid = form().validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(valid.email.as_str(), "pat.lee@example.com");
        assert_eq!(valid.intent, InviteIntent::Activate);
        assert!(valid.send_email);
        assert_eq!(
            rules(&InviteForm::default()),
            [
                pair("email", "required"),
                pair("first_name", "required"),
                pair("last_name", "required")
            ]
        );
        // A password reset needs no names: the identity's own are used.
        let reset = InviteForm {
            first_name: String::new(),
            last_name: String::new(),
            intent: InviteIntent::PasswordReset,
            ..form()
        };
        assert!(reset.validate().is_ok_and(|v| v.names.is_none()));
    }

    #[test]
    fn role_and_node_come_together_and_never_with_a_reset() {
        let with = |role: Option<&str>, node: Option<&str>| InviteForm {
            role_id: role.map(str::to_owned),
            node_id: node.map(str::to_owned),
            ..form()
        };
        assert_eq!(
            with(Some("r"), Some("n"))
                .validate()
                .ok()
                .and_then(|v| v.assignment),
            Some(("r".to_owned(), "n".to_owned()))
        );
        assert_eq!(rules(&with(Some("r"), None)), [pair("node_id", "pair")]);
        assert_eq!(rules(&with(None, Some("n"))), [pair("role_id", "pair")]);
        assert!(with(Some(" "), Some("")).validate().is_ok());
        let reset = InviteForm {
            intent: InviteIntent::PasswordReset,
            ..with(Some("r"), Some("n"))
        };
        assert_eq!(rules(&reset), [pair("role_id", "not_allowed")]);
    }

    #[test]
    fn intents_on_the_wire_with_the_legacy_onboard() {
        let parsed: InviteForm = serde_json::from_str(
            r#"{"email":"a@example.com","first_name":"A","last_name":"B","intent":"onboard"}"#,
        )
        .unwrap_or_default();
        assert_eq!(parsed.intent, InviteIntent::Activate);
        assert!(parsed.send_email);
        let unknown: Result<InviteForm, _> =
            serde_json::from_str(r#"{"email":"a@example.com","token":"x"}"#);
        assert!(unknown.is_err());
        for intent in [
            InviteIntent::Activate,
            InviteIntent::AddToApp,
            InviteIntent::PasswordReset,
        ] {
            assert_eq!(InviteIntent::from_stored(intent.as_str()), intent);
        }
    }

    #[test]
    fn expiry_is_derived_and_unknown_words_fail_closed() {
        assert_eq!(
            InviteStatus::derive("pending", 10, 9),
            InviteStatus::Pending
        );
        assert_eq!(
            InviteStatus::derive("pending", 10, 10),
            InviteStatus::Expired
        );
        assert_eq!(
            InviteStatus::derive("accepted", 10, 99),
            InviteStatus::Accepted
        );
        assert_eq!(InviteStatus::derive("bogus", 10, 0), InviteStatus::Revoked);
    }

    #[test]
    fn each_intent_asks_for_its_own_fields() {
        let accept = AcceptInviteForm {
            token: "t".into(),
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            password: "kq7#vbnx".into(),
        };
        assert!(matches!(
            accept.validate(InviteIntent::Activate),
            Ok(ValidAcceptance::Activate { .. })
        ));
        let short = AcceptInviteForm {
            password: "short".into(),
            first_name: String::new(),
            ..accept.clone()
        };
        let fields: Vec<String> = short
            .validate(InviteIntent::Activate)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["first_name", "password"]);
        // The current password is whatever was set: no length rule, only not empty.
        assert!(short.validate(InviteIntent::AddToApp).is_ok());
        assert!(short.validate(InviteIntent::PasswordReset).is_err());
        assert!(!format!("{accept:?}").contains("kq7#vbnx"));
    }
}
