//! Identities (end users): the input every create surface shares — both Create Identity dialogs,
//! the server functions, the REST API, bulk create and CSV rows — and what pages show.

use crate::error::FieldError;
use crate::model::{
    Assignment, Email, IdentityPassword, MembershipStatus, PersonName, PrehashedPassword, Warning,
    assignment_pair,
};
use serde::{Deserialize, Serialize};

/// `pending` (no password yet), `active`, `inactive` (the Account-wide kill switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    Pending,
    Active,
    Inactive,
}

impl IdentityStatus {
    /// In the order the directory lists them.
    pub const ALL: [IdentityStatus; 3] = [
        IdentityStatus::Active,
        IdentityStatus::Pending,
        IdentityStatus::Inactive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityStatus::Pending => "pending",
            IdentityStatus::Active => "active",
            IdentityStatus::Inactive => "inactive",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "active" => IdentityStatus::Active,
            "inactive" => IdentityStatus::Inactive,
            _ => IdentityStatus::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IdentityStatus::Pending => "Pending",
            IdentityStatus::Active => "Active",
            IdentityStatus::Inactive => "Inactive",
        }
    }
}

/// Create an identity. Only email and names are required; `role_id` + `node_id` come as a pair
/// (only one of them: created without an assignment, with an `assignment_skipped` warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "email": "pat.lee@example.com",
    "first_name": "Pat",
    "last_name": "Lee",
    "password": "correct horse battery staple",
    "require_password_change": true,
    "external_id": "crm-10442",
    "metadata": { "department": "Sales" },
    "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53"
})))]
#[serde(deny_unknown_fields)]
pub struct IdentityForm {
    #[cfg_attr(feature = "ssr", schema(format = Email))]
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// An initial password; empty or absent = none (the identity stays `pending`).
    #[serde(default)]
    pub password: Option<String>,
    /// Instead of `password`: a hash from another system (PHC argon2id/argon2i/scrypt/
    /// pbkdf2-sha256, or bcrypt), verified at sign-in and then upgraded. The API only.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// "Require a new password at first sign-in" (only meaningful with a password).
    #[serde(default = "default_true")]
    pub require_password_change: bool,
    #[serde(default)]
    pub external_id: Option<String>,
    /// A JSON object, at most 16 KiB.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
    /// With `node_id`: the role to assign at that node in the key's environment. Without it, no
    /// assignment is made (warning `assignment_skipped`).
    #[serde(default)]
    pub role_id: Option<String>,
    /// With `role_id`: the node the assignment sits on. Without it, no assignment is made
    /// (warning `assignment_skipped`).
    #[serde(default)]
    pub node_id: Option<String>,
}

fn default_true() -> bool {
    true
}

impl Default for IdentityForm {
    fn default() -> Self {
        IdentityForm {
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            password: None,
            password_hash: None,
            require_password_change: true,
            external_id: None,
            metadata: None,
            role_id: None,
            node_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidIdentity {
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub password: Option<InitialPassword>,
    pub require_password_change: bool,
    pub external_id: Option<String>,
    /// Serialized JSON object.
    pub metadata: Option<String>,
    /// `(role_id, node_id)` when both are set.
    pub assignment: Option<(String, String)>,
    /// What the create will do differently from what was asked (a half role + node pair).
    pub warnings: Vec<Warning>,
}

/// The starting credential of a new identity: a password to hash, or a hash to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitialPassword {
    Plain(IdentityPassword),
    Prehashed(PrehashedPassword),
}

pub const EXTERNAL_ID_MAX: usize = 255;
pub const METADATA_MAX_BYTES: usize = 16 * 1024;

fn filled(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The metadata rule: a JSON object of at most 16 KiB once serialized.
pub fn check_metadata(value: &serde_json::Value) -> Result<String, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(
            "metadata",
            "not_object",
            "Metadata must be a JSON object, like {\"department\": \"Sales\"}.",
        ));
    }
    let text = value.to_string();
    if text.len() > METADATA_MAX_BYTES {
        return Err(FieldError::new(
            "metadata",
            "too_large",
            format!("Metadata can be at most {} KiB.", METADATA_MAX_BYTES / 1024),
        ));
    }
    Ok(text)
}

/// The metadata editor's text → the form's value (`None` for blank), with the same rule.
pub fn parse_metadata_text(text: &str) -> Result<Option<serde_json::Value>, FieldError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        FieldError::new(
            "metadata",
            "invalid_json",
            format!("This is not valid JSON ({e})."),
        )
    })?;
    check_metadata(&value)?;
    Ok(Some(value))
}

impl IdentityForm {
    /// The dialog's notice while only one of role and node is set (the create still goes ahead,
    /// without an assignment).
    pub const HALF_PAIR: &'static str =
        "Choose both a role and a node, or neither: no assignment is created until both are set.";

    /// The rule's message for one field (for inline errors as the admin types).
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }

    pub fn validate(&self) -> Result<ValidIdentity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let person = PersonFields {
            email: &self.email,
            first_name: &self.first_name,
            last_name: &self.last_name,
            password: &self.password,
            password_hash: self.password_hash.as_deref(),
            require_password_change: self.require_password_change,
            external_id: &self.external_id,
            metadata: &self.metadata,
        }
        .validate(&mut errors);
        // The seed: "if only one is provided, no assignment is created" — a warning, not an error.
        let (assignment, skipped) =
            assignment_pair(self.role_id.as_deref(), self.node_id.as_deref());
        match person {
            Some(mut valid) if errors.is_empty() => {
                valid.assignment = assignment;
                valid.warnings.extend(skipped);
                Ok(valid)
            }
            _ => Err(errors),
        }
    }
}

/// The person part every identity input shares (both create surfaces, bulk rows, CSV rows).
struct PersonFields<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    password: &'a Option<String>,
    password_hash: Option<&'a str>,
    require_password_change: bool,
    external_id: &'a Option<String>,
    metadata: &'a Option<serde_json::Value>,
}

impl PersonFields<'_> {
    /// The valid person (no assignment), or `None` with the problems pushed onto `errors`.
    fn validate(&self, errors: &mut Vec<FieldError>) -> Option<ValidIdentity> {
        let email = Email::parse("email", self.email).map_err(|e| errors.push(e));
        let first = PersonName::parse("first_name", self.first_name, "a first name")
            .map_err(|e| errors.push(e));
        let last = PersonName::parse("last_name", self.last_name, "a last name")
            .map_err(|e| errors.push(e));
        let password = match (
            self.password.as_deref().filter(|p| !p.is_empty()),
            self.password_hash.filter(|h| !h.trim().is_empty()),
        ) {
            (None, None) => Ok(None),
            (Some(raw), None) => {
                IdentityPassword::parse("password", raw).map(|p| Some(InitialPassword::Plain(p)))
            }
            (None, Some(hash)) => {
                PrehashedPassword::parse(hash).map(|h| Some(InitialPassword::Prehashed(h)))
            }
            (Some(_), Some(_)) => Err(FieldError::new(
                "password_hash",
                "conflict",
                "Send either a password or a password_hash, not both.",
            )),
        }
        .map_err(|e| errors.push(e));
        let external_id = filled(self.external_id).map(str::to_owned);
        if let Some(id) = &external_id {
            if id.chars().count() > EXTERNAL_ID_MAX {
                errors.push(FieldError::new(
                    "external_id",
                    "too_long",
                    format!("The external id can be at most {EXTERNAL_ID_MAX} characters."),
                ));
            } else if id.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    "external_id",
                    "invalid",
                    "Remove the invisible control characters.",
                ));
            }
        }
        let metadata = match self.metadata {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => check_metadata(value).map(Some),
        }
        .map_err(|e| errors.push(e));
        match (email, first, last, password, metadata) {
            (Ok(email), Ok(first_name), Ok(last_name), Ok(password), Ok(metadata)) => {
                Some(ValidIdentity {
                    email,
                    first_name,
                    last_name,
                    password,
                    require_password_change: self.require_password_change,
                    external_id,
                    metadata,
                    assignment: None,
                    warnings: Vec::new(),
                })
            }
            _ => None,
        }
    }
}

/// Create Identity on Tenant › Identities (the Account directory): the person, and optionally an
/// application to admit it to. Never a role or an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryIdentityForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default = "default_true")]
    pub require_password_change: bool,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// An application of the account; its membership is written in the same transaction.
    #[serde(default)]
    pub application_id: Option<String>,
}

impl Default for DirectoryIdentityForm {
    fn default() -> Self {
        DirectoryIdentityForm {
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            password: None,
            require_password_change: true,
            external_id: None,
            metadata: None,
            application_id: None,
        }
    }
}

impl DirectoryIdentityForm {
    pub fn validate(&self) -> Result<(ValidIdentity, Option<String>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let person = PersonFields {
            email: &self.email,
            first_name: &self.first_name,
            last_name: &self.last_name,
            password: &self.password,
            password_hash: None,
            require_password_change: self.require_password_change,
            external_id: &self.external_id,
            metadata: &self.metadata,
        }
        .validate(&mut errors);
        match person {
            Some(valid) if errors.is_empty() => {
                Ok((valid, filled(&self.application_id).map(str::to_owned)))
            }
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

/// Edit an identity's profile (Tenant › Identities drawer): names and metadata, with the
/// `version` that was read. Email and external_id are not editable here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileForm {
    pub version: i64,
    pub first_name: String,
    pub last_name: String,
    /// `None` (or JSON null) clears it.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// A valid profile edit: names, and the serialized metadata object (if any).
pub type ValidProfile = (PersonName, PersonName, Option<String>);

impl ProfileForm {
    pub fn validate(&self) -> Result<ValidProfile, Vec<FieldError>> {
        let mut errors = Vec::new();
        let first = PersonName::parse("first_name", &self.first_name, "a first name")
            .map_err(|e| errors.push(e));
        let last = PersonName::parse("last_name", &self.last_name, "a last name")
            .map_err(|e| errors.push(e));
        let metadata = match &self.metadata {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => check_metadata(value).map(Some),
        }
        .map_err(|e| errors.push(e));
        match (first, last, metadata) {
            (Ok(first), Ok(last), Ok(metadata)) => Ok((first, last, metadata)),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
    "email": "pat.lee@example.com",
    "first_name": "Pat",
    "last_name": "Lee",
    "status": "active",
    "external_id": "crm-10442",
    "metadata": { "department": "Sales" },
    "has_password": true,
    "password_change_required": true,
    "version": 1,
    "created_at": "2026-11-27T09:00:00Z",
    "updated_at": "2026-11-27T09:00:00Z"
})))]
pub struct Identity {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: IdentityStatus,
    /// Your system's id for this person, unique in the account.
    pub external_id: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
    pub has_password: bool,
    pub password_change_required: bool,
    /// Increases with every change.
    pub version: i64,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

impl Identity {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// What the environment-scoped create did (the assignment when role and node were set), and
/// what it did not do that was asked (`warnings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedIdentity {
    pub identity: Identity,
    pub membership_id: String,
    pub assignment: Option<Assignment>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// A member of the application with their assignments in the active environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "identity": {
        "id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
        "email": "pat.lee@example.com",
        "first_name": "Pat",
        "last_name": "Lee",
        "status": "active",
        "external_id": "crm-10442",
        "metadata": { "department": "Sales" },
        "has_password": true,
        "password_change_required": true,
        "version": 1,
        "created_at": "2026-11-27T09:00:00Z",
        "updated_at": "2026-11-27T09:00:00Z"
    },
    "membership_status": "active",
    "assignments": [{
        "id": "0193a1f0-3333-7c00-ae50-7f4d9b2c1e64",
        "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f",
        "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
        "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
        "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
        "role_name": "Support Agent",
        "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
        "node_name": "EMEA",
        "effective_from": "2026-11-27T09:00:00Z",
        "effective_to": null,
        "status": "active",
        "created_at": "2026-11-27T09:00:00Z"
    }]
})))]
pub struct MemberRow {
    pub identity: Identity,
    /// `active`, `deactivated`, …
    pub membership_status: MembershipStatus,
    pub assignments: Vec<Assignment>,
}

/// The highest page number any list serves: `(MAX_PAGE - 1) * 100` cannot overflow, and no list
/// is that long.
pub const MAX_PAGE: i64 = 10_000_000;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IdentityForm {
        IdentityForm {
            email: "  Pat.Lee@Example.COM ".into(),
            first_name: " Pat ".into(),
            last_name: "Lee".into(),
            ..IdentityForm::default()
        }
    }

    fn rules(f: &IdentityForm) -> Vec<(String, String)> {
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
    fn only_email_and_names_are_required_and_they_are_normalised() {
        let valid = form().validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(valid.email.as_str(), "pat.lee@example.com");
        assert_eq!(valid.first_name.as_str(), "Pat");
        assert!(valid.password.is_none() && valid.assignment.is_none());
        assert_eq!(
            rules(&IdentityForm::default()),
            [
                pair("email", "required"),
                pair("first_name", "required"),
                pair("last_name", "required")
            ]
        );
        let blank = IdentityForm {
            first_name: "   ".into(),
            ..form()
        };
        assert_eq!(rules(&blank), [pair("first_name", "required")]);
    }

    #[test]
    fn emails_and_names_at_their_limits() {
        let bad_email = |email: &str| {
            rules(&IdentityForm {
                email: email.into(),
                ..form()
            })
        };
        assert_eq!(bad_email("a@b"), [pair("email", "invalid")]);
        assert_eq!(bad_email("a b@example.com"), [pair("email", "invalid")]);
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert_eq!(bad_email(&long), [pair("email", "too_long")]);
        assert!(bad_email(&format!("{}@example.com", "a".repeat(242))).is_empty());
        let unicode = IdentityForm {
            first_name: "Zoë".into(),
            last_name: "Ñúñez-張".into(),
            ..form()
        };
        assert!(unicode.validate().is_ok());
        let too_long = IdentityForm {
            last_name: "é".repeat(101),
            ..form()
        };
        assert_eq!(rules(&too_long), [pair("last_name", "too_long")]);
    }

    #[test]
    fn the_initial_password_is_optional_but_follows_the_rule() {
        let with = |pw: &str| IdentityForm {
            password: Some(pw.into()),
            ..form()
        };
        assert!(with("").validate().is_ok_and(|v| v.password.is_none()));
        assert_eq!(rules(&with("kq7#vbn")), [pair("password", "too_short")]);
        assert!(with("kq7#vbnx").validate().is_ok());
        assert!(with(&"x7#".repeat(21)).validate().is_ok());
        assert_eq!(rules(&with(&"kq7#vbnx".repeat(8))), []);
        assert_eq!(
            rules(&with(&format!("{}!", "kq7#vbnx".repeat(8)))),
            [pair("password", "too_long")]
        );
        assert_eq!(
            rules(&with("password123")),
            [pair("password", "too_common")]
        );
    }

    #[test]
    fn role_and_node_come_as_a_pair() {
        let with = |role: Option<&str>, node: Option<&str>| IdentityForm {
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
        assert!(
            with(Some(""), Some(" "))
                .validate()
                .is_ok_and(|v| v.assignment.is_none())
        );
        assert!(
            with(Some("r"), Some("n"))
                .validate()
                .is_ok_and(|v| v.warnings.is_empty())
        );
    }

    #[test]
    fn a_half_pair_is_valid_without_an_assignment_and_warns() {
        let with = |role: Option<&str>, node: Option<&str>| IdentityForm {
            role_id: role.map(str::to_owned),
            node_id: node.map(str::to_owned),
            ..form()
        };
        for (role, node, missing) in [(Some("r"), None, "node_id"), (None, Some("n"), "role_id")] {
            let valid = with(role, node)
                .validate()
                .unwrap_or_else(|e| panic!("a half pair must not block: {e:?}"));
            assert_eq!(valid.assignment, None);
            assert_eq!(
                valid
                    .warnings
                    .iter()
                    .map(|w| (w.code, w.field.as_str()))
                    .collect::<Vec<_>>(),
                [(crate::model::WarningCode::AssignmentSkipped, missing)]
            );
        }
        // Other rules still apply, and the warning never hides an error.
        let broken = IdentityForm {
            email: "nope".into(),
            ..with(Some("r"), None)
        };
        assert_eq!(rules(&broken), [pair("email", "invalid")]);
        assert_eq!(with(Some("r"), None).field_error("node_id"), None);
    }

    #[test]
    fn external_id_and_metadata() {
        let ext = |id: String| IdentityForm {
            external_id: Some(id),
            ..form()
        };
        assert!(ext("x".repeat(255)).validate().is_ok());
        assert_eq!(
            rules(&ext("x".repeat(256))),
            [pair("external_id", "too_long")]
        );
        let meta = |m: serde_json::Value| IdentityForm {
            metadata: Some(m),
            ..form()
        };
        assert!(
            meta(serde_json::json!({ "dept": "Sales" }))
                .validate()
                .is_ok()
        );
        assert!(
            meta(serde_json::Value::Null)
                .validate()
                .is_ok_and(|v| v.metadata.is_none())
        );
        assert_eq!(
            rules(&meta(serde_json::json!([1, 2]))),
            [pair("metadata", "not_object")]
        );
        let big = serde_json::json!({ "blob": "x".repeat(METADATA_MAX_BYTES) });
        assert_eq!(rules(&meta(big)), [pair("metadata", "too_large")]);
        assert_eq!(parse_metadata_text("  ").ok(), Some(None));
        assert_eq!(
            parse_metadata_text("{oops").err().map(|e| e.rule),
            Some("invalid_json".to_owned())
        );
    }

    #[test]
    fn unknown_fields_are_refused_on_the_wire() {
        let parsed: Result<IdentityForm, _> = serde_json::from_str(
            r#"{"email":"a@example.com","first_name":"A","last_name":"B","pasword":"typo"}"#,
        );
        assert!(parsed.is_err());
        let defaults: IdentityForm =
            serde_json::from_str(r#"{"email":"a@example.com","first_name":"A","last_name":"B"}"#)
                .unwrap_or_default();
        assert!(defaults.require_password_change);
    }
}
