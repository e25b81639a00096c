//! Applications and environments as the admin manages them (Tenant › Applications): the forms
//! (one set of rules for the dialogs, the server functions and the tests), what a deletion
//! removes (the confirmation dialog shows exactly these counts), and what an API key sees of the
//! environment it is bound to (`GET /api/v1/environment`).

use super::{DisplayName, EnvironmentKind};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// Create or rename an application: its name (the slug is derived once, at creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub name: String,
}

impl ApplicationForm {
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        match field {
            "name" => self.validate().err(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<DisplayName, FieldError> {
        DisplayName::parse("name", &self.name, "an application name")
    }
}

/// Create or rename an environment: name and kind (Production is shown as live everywhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentForm {
    pub name: String,
    pub kind: EnvironmentKind,
}

impl Default for EnvironmentForm {
    fn default() -> Self {
        EnvironmentForm {
            name: String::new(),
            kind: EnvironmentKind::Other,
        }
    }
}

impl EnvironmentForm {
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        match field {
            "name" => self.validate().err(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<DisplayName, FieldError> {
        DisplayName::parse("name", &self.name, "an environment name")
    }
}

/// Typed-name confirmation: a deletion goes ahead only when `typed` is the item's name exactly
/// (surrounding spaces ignored). The dialog disables its button until it is; the server checks it
/// again, so no surface deletes on a stray click.
pub fn confirms(typed: &str, name: &str) -> bool {
    typed.trim() == name
}

/// The refusal of a confirmation that does not match, next to the field.
pub fn confirmation_error(name: &str) -> FieldError {
    FieldError::new(
        "confirm",
        "mismatch",
        format!("Type {name} exactly to confirm."),
    )
}

/// What deleting an application or an environment removes, counted before it happens. Identities
/// are never in it: they stay in the account's directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DeletionImpact {
    /// Environments removed (1 for an environment).
    pub environments: i64,
    /// Application memberships of identities (0 for an environment: memberships are per
    /// application).
    pub memberships: i64,
    pub assignments: i64,
    pub api_keys: i64,
    /// Identity invites of the application or environment, whatever their status.
    pub invites: i64,
    pub custom_roles: i64,
    pub custom_permissions: i64,
    pub nodes: i64,
    /// Identity sign-in sessions bound to it (they end).
    pub sessions: i64,
}

impl DeletionImpact {
    /// The dialog's list: "3 memberships", … (only what is there).
    pub fn lines(&self) -> Vec<String> {
        let items = [
            (self.environments, "environment", "environments"),
            (
                self.memberships,
                "application membership",
                "application memberships",
            ),
            (self.assignments, "role assignment", "role assignments"),
            (self.api_keys, "API key", "API keys"),
            (self.invites, "identity invite", "identity invites"),
            (self.custom_roles, "custom role", "custom roles"),
            (
                self.custom_permissions,
                "custom permission",
                "custom permissions",
            ),
            (self.nodes, "hierarchy node", "hierarchy nodes"),
            (
                self.sessions,
                "identity sign-in session",
                "identity sign-in sessions",
            ),
        ];
        items
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .collect()
    }
}

/// What an API key is bound to: `GET /api/v1/environment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "account": { "id": "0193a1ee-0000-7000-8000-000000000001", "name": "Acme", "slug": "acme" },
    "application": { "id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f", "name": "Billing", "slug": "billing" },
    "environment": { "id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60", "name": "Production", "slug": "production", "kind": "production", "is_default": false },
    "api_key": { "id": "0193a1f2-0000-7000-8000-000000000042", "name": "Billing backend", "key_preview": "arb_prd_…x9Qz", "scopes": ["identity.read", "permission.evaluate"] }
})))]
pub struct KeyEnvironment {
    pub account: NamedRef,
    pub application: NamedRef,
    pub environment: KeyEnvironmentRef,
    pub api_key: KeyRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NamedRef {
    pub id: String,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyEnvironmentRef {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// `development`, `production` or `other`.
    pub kind: String,
    /// Whether it is its application's default environment.
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyRef {
    pub id: String,
    pub name: String,
    pub key_preview: String,
    /// The management permissions the key holds; empty means all of them in its environment.
    pub scopes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_needs_the_exact_name() {
        assert!(confirms(" Billing ", "Billing"));
        assert!(!confirms("billing", "Billing"));
        assert!(!confirms("", "Billing"));
    }

    #[test]
    fn impact_lines_name_only_what_is_there() {
        let impact = DeletionImpact {
            environments: 2,
            memberships: 1,
            api_keys: 3,
            ..DeletionImpact::default()
        };
        assert_eq!(
            impact.lines(),
            vec!["2 environments", "1 application membership", "3 API keys"]
        );
    }

    #[test]
    fn names_follow_the_display_name_rule() {
        assert!(ApplicationForm { name: "  ".into() }.validate().is_err());
        assert!(
            ApplicationForm {
                name: "Billing".into()
            }
            .validate()
            .is_ok()
        );
        assert!(
            EnvironmentForm {
                name: "Staging".into(),
                kind: EnvironmentKind::Other
            }
            .validate()
            .is_ok()
        );
    }
}
