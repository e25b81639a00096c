//! The access model's inputs and their rules: permission keys, permissions, roles.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// A permission key: 2–8 dot-separated segments of `[a-z][a-z0-9_]*`, at most 128 characters
/// (decisions.md › Access model). Immutable once created.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PermissionKey(String);

impl PermissionKey {
    pub const MAX_LEN: usize = 128;
    pub const MIN_SEGMENTS: usize = 2;
    pub const MAX_SEGMENTS: usize = 8;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "Enter a permission key, like invoice.read.",
            ));
        }
        if key.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                format!(
                    "A permission key can be at most {} characters.",
                    Self::MAX_LEN
                ),
            ));
        }
        let segments: Vec<&str> = key.split('.').collect();
        if segments.len() < Self::MIN_SEGMENTS || segments.len() > Self::MAX_SEGMENTS {
            return Err(FieldError::new(
                field,
                "segments",
                "Use 2 to 8 parts separated by dots, like invoice.read or billing.invoice.approve.",
            ));
        }
        for segment in segments {
            let mut chars = segment.chars();
            let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
            let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !starts_with_letter || !rest_ok {
                return Err(FieldError::new(
                    field,
                    "invalid",
                    format!(
                        "\"{segment}\" is not a valid part: start with a lower-case letter, then use lower-case letters, digits or _."
                    ),
                ));
            }
        }
        Ok(PermissionKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resource part (everything before the last dot), used as the default category.
    pub fn resource(&self) -> &str {
        self.0
            .rsplit_once('.')
            .map_or(self.0.as_str(), |(resource, _)| resource)
    }
}

impl TryFrom<String> for PermissionKey {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PermissionKey::parse("key", &value).map_err(|e| e.message)
    }
}

impl From<PermissionKey> for String {
    fn from(value: PermissionKey) -> Self {
        value.0
    }
}

impl std::fmt::Display for PermissionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text fields of the catalog: trimmed, bounded, no control characters.
fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("This can be at most {max} characters."),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(
            field,
            "invalid",
            "Remove the invisible control characters.",
        ));
    }
    Ok(value.to_owned())
}

/// The Create Permission dialog (and one row of the batch API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "key": "report.read", "description": "Read reports", "category": "Reports"
})))]
#[serde(deny_unknown_fields)]
pub struct PermissionForm {
    pub key: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPermission {
    pub key: PermissionKey,
    pub description: String,
    /// Defaults to the key's resource when left empty.
    pub category: String,
}

impl PermissionForm {
    pub const DESCRIPTION_MAX: usize = 500;
    pub const CATEGORY_MAX: usize = 100;

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        match field {
            "key" => PermissionKey::parse(field, &self.key).err(),
            "description" => bounded_text(field, &self.description, Self::DESCRIPTION_MAX).err(),
            "category" => bounded_text(field, &self.category, Self::CATEGORY_MAX).err(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<ValidPermission, Vec<FieldError>> {
        let key = PermissionKey::parse("key", &self.key);
        let description = bounded_text("description", &self.description, Self::DESCRIPTION_MAX);
        let category = bounded_text("category", &self.category, Self::CATEGORY_MAX);
        match (key, description, category) {
            (Ok(key), Ok(description), Ok(category)) => {
                let category = if category.is_empty() {
                    key.resource().to_owned()
                } else {
                    category
                };
                Ok(ValidPermission {
                    key,
                    description,
                    category,
                })
            }
            (a, b, c) => Err([a.err(), b.err(), c.err()].into_iter().flatten().collect()),
        }
    }
}

/// The Create Permission Group wizard: one resource, several actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroupForm {
    pub resource: String,
    pub actions: Vec<String>,
}

impl PermissionGroupForm {
    /// The actions the wizard starts with.
    pub const DEFAULT_ACTIONS: [&'static str; 4] = ["create", "read", "update", "delete"];

    /// One permission per distinct action, `resource.action`, categorised under the resource.
    pub fn validate(&self) -> Result<Vec<ValidPermission>, Vec<FieldError>> {
        let resource = self.resource.trim();
        let mut errors = Vec::new();
        if resource.is_empty() {
            errors.push(FieldError::new(
                "resource",
                "required",
                "Enter a resource name, like invoice.",
            ));
        } else if let Err(e) = PermissionKey::parse("resource", &format!("{resource}.x")) {
            errors.push(FieldError::new("resource", &e.rule, e.message));
        }
        let mut seen = std::collections::BTreeSet::new();
        let actions: Vec<&str> = self
            .actions
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty() && seen.insert(*a))
            .collect();
        if actions.is_empty() {
            errors.push(FieldError::new(
                "actions",
                "required",
                "Keep at least one action.",
            ));
        }
        let mut permissions = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            match PermissionKey::parse(
                &format!("actions[{index}]"),
                &format!("{resource}.{action}"),
            ) {
                Ok(key) => permissions.push(ValidPermission {
                    key,
                    description: String::new(),
                    category: resource.to_owned(),
                }),
                Err(e) if errors.is_empty() => errors.push(FieldError::new(
                    &format!("actions[{index}]"),
                    &e.rule,
                    format!(
                        "\"{action}\" is not a valid action: use lower-case letters, digits or _."
                    ),
                )),
                Err(_) => {}
            }
        }
        if errors.is_empty() {
            Ok(permissions)
        } else {
            Err(errors)
        }
    }
}

/// The Create Custom Role dialog (and the role API body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "name": "Auditor", "description": "Reads reports"
})))]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRole {
    pub name: String,
    pub description: String,
}

impl RoleForm {
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MAX: usize = 500;
    /// Names the dialog suggests.
    pub const STARTERS: [&'static str; 4] = ["Owner", "Admin", "Editor", "Viewer"];

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }

    pub fn validate(&self) -> Result<ValidRole, Vec<FieldError>> {
        let name = match bounded_text("name", &self.name, Self::NAME_MAX) {
            Ok(name) if name.is_empty() => {
                Err(FieldError::new("name", "required", "Enter a role name."))
            }
            other => other,
        };
        let description = bounded_text("description", &self.description, Self::DESCRIPTION_MAX);
        match (name, description) {
            (Ok(name), Ok(description)) => Ok(ValidRole { name, description }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(raw: &str) -> String {
        PermissionKey::parse("key", raw)
            .map(|_| "ok".to_owned())
            .unwrap_or_else(|e| e.rule)
    }

    #[test]
    fn keys_follow_the_grammar() {
        assert_eq!(rule("invoice.read"), "ok");
        assert_eq!(rule("billing.invoice.approve"), "ok");
        assert_eq!(rule("a.b.c.d.e.f.g.h"), "ok");
        assert_eq!(rule("report_v2.export"), "ok");
        assert_eq!(rule(""), "required");
        assert_eq!(rule("invoice"), "segments");
        assert_eq!(rule("a.b.c.d.e.f.g.h.i"), "segments");
        assert_eq!(rule("Invoice.read"), "invalid");
        assert_eq!(rule("invoice..read"), "invalid");
        assert_eq!(rule("invoice.1read"), "invalid");
        assert_eq!(rule("invoice.re-ad"), "invalid");
        assert_eq!(rule("factura.leér"), "invalid");
        let long = format!("{}.{}", "a".repeat(64), "b".repeat(63));
        assert_eq!(long.len(), 128);
        assert_eq!(rule(&long), "ok");
        assert_eq!(rule(&format!("{long}b")), "too_long");
    }

    #[test]
    fn a_permission_defaults_its_category_to_the_resource() {
        let form = PermissionForm {
            key: " invoice.approve ".into(),
            ..PermissionForm::default()
        };
        let valid = form.validate().ok();
        assert_eq!(
            valid.as_ref().map(|v| v.key.as_str()),
            Some("invoice.approve")
        );
        assert_eq!(valid.map(|v| v.category), Some("invoice".to_owned()));
        let long = PermissionForm {
            key: "a.b".into(),
            description: "x".repeat(501),
            category: String::new(),
        };
        assert_eq!(
            long.field_error("description").map(|e| e.rule),
            Some("too_long".to_owned())
        );
    }

    #[test]
    fn a_group_makes_one_permission_per_distinct_action() {
        let form = PermissionGroupForm {
            resource: "invoice".into(),
            actions: vec![
                "create".into(),
                "read".into(),
                " read ".into(),
                "".into(),
                "approve".into(),
            ],
        };
        let keys: Vec<String> = form
            .validate()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.key.to_string())
            .collect();
        assert_eq!(keys, ["invoice.create", "invoice.read", "invoice.approve"]);
        let bad = PermissionGroupForm {
            resource: "Invoice".into(),
            actions: vec!["read".into()],
        };
        assert_eq!(
            bad.validate().err().map(|e| e[0].field.clone()),
            Some("resource".to_owned())
        );
        let none = PermissionGroupForm {
            resource: "invoice".into(),
            actions: vec![" ".into()],
        };
        assert_eq!(
            none.validate().err().map(|e| e[0].field.clone()),
            Some("actions".to_owned())
        );
        let bad_action = PermissionGroupForm {
            resource: "invoice".into(),
            actions: vec!["Read".into()],
        };
        assert_eq!(
            bad_action.validate().err().map(|e| e[0].field.clone()),
            Some("actions[0]".to_owned())
        );
    }

    #[test]
    fn role_names_are_required_and_bounded() {
        assert!(
            RoleForm {
                name: "Regional Manager".into(),
                description: String::new()
            }
            .validate()
            .is_ok()
        );
        assert_eq!(
            RoleForm::default().field_error("name").map(|e| e.rule),
            Some("required".to_owned())
        );
        let long = RoleForm {
            name: "é".repeat(101),
            description: String::new(),
        };
        assert_eq!(
            long.field_error("name").map(|e| e.rule),
            Some("too_long".to_owned())
        );
    }

    #[test]
    fn the_resource_is_everything_before_the_action() {
        let key = PermissionKey::parse("key", "billing.invoice.approve");
        assert_eq!(
            key.as_ref().map(PermissionKey::resource).ok(),
            Some("billing.invoice")
        );
    }
}
