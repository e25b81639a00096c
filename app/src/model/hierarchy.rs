//! The node hierarchy: the schema that types it, node inputs, and the tree as pages show it.

use crate::error::FieldError;
use crate::model::ActiveStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether an environment uses only its root (`flat`) or a typed tree (`hierarchy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessModel {
    Flat,
    Hierarchy,
}

/// What node types exist, which may sit under which, and how deep the tree may go (the root is
/// depth 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "node_types": ["organization", "region", "team"],
    "allowed_children": { "organization": ["region"], "region": ["team"], "team": ["team"] },
    "max_depth": 4,
    "root_node_type": "organization"
})))]
pub struct HierarchySchema {
    pub node_types: Vec<String>,
    pub allowed_children: BTreeMap<String, Vec<String>>,
    pub max_depth: u32,
    pub root_node_type: String,
}

impl Default for HierarchySchema {
    /// The schema the dashboard offers: organization › region › team (teams may nest), depth 4.
    fn default() -> Self {
        let types = ["organization", "region", "team"];
        HierarchySchema {
            node_types: types.iter().map(|t| (*t).to_owned()).collect(),
            allowed_children: BTreeMap::from([
                ("organization".to_owned(), vec!["region".to_owned()]),
                ("region".to_owned(), vec!["team".to_owned()]),
                ("team".to_owned(), vec!["team".to_owned()]),
            ]),
            max_depth: 4,
            root_node_type: "organization".to_owned(),
        }
    }
}

/// Environment settings as stored (JSON in `environments.settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EnvironmentSettings {
    pub access_model: AccessModel,
    pub hierarchy_schema: Option<HierarchySchema>,
}

impl HierarchySchema {
    pub const MAX_DEPTH: u32 = 16;
    pub const MAX_TYPES: usize = 32;

    fn valid_type_name(name: &str) -> bool {
        let mut chars = name.chars();
        !name.is_empty()
            && name.len() <= 50
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// The schema's own consistency (whether existing nodes fit is the service's check).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.node_types.is_empty() || self.node_types.len() > Self::MAX_TYPES {
            errors.push(FieldError::new(
                "node_types",
                "count",
                format!("Define 1 to {} node types.", Self::MAX_TYPES),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.node_types {
            if !Self::valid_type_name(t) {
                errors.push(FieldError::new(
                    "node_types",
                    "invalid",
                    format!("\"{t}\" is not a valid node type: lower-case letters, digits and _, starting with a letter."),
                ));
            } else if !seen.insert(t.as_str()) {
                errors.push(FieldError::new(
                    "node_types",
                    "duplicate",
                    format!("\"{t}\" is listed twice."),
                ));
            }
        }
        for (parent, children) in &self.allowed_children {
            for t in std::iter::once(parent).chain(children) {
                if !seen.contains(t.as_str()) {
                    errors.push(FieldError::new(
                        "allowed_children",
                        "unknown_type",
                        format!("\"{t}\" is used in allowed children but is not a node type."),
                    ));
                }
            }
        }
        if !seen.contains(self.root_node_type.as_str()) {
            errors.push(FieldError::new(
                "root_node_type",
                "unknown_type",
                "The root type must be one of the node types.",
            ));
        }
        if self.max_depth == 0 || self.max_depth > Self::MAX_DEPTH {
            errors.push(FieldError::new(
                "max_depth",
                "range",
                format!("Max depth must be 1 to {}.", Self::MAX_DEPTH),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    pub fn allows(&self, parent_type: &str, child_type: &str) -> bool {
        self.allowed_children
            .get(parent_type)
            .is_some_and(|children| children.iter().any(|c| c == child_type))
    }
}

/// Create a node (or rename one: `node_type` is then ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeForm {
    pub name: String,
    #[serde(default)]
    pub node_type: String,
}

impl NodeForm {
    pub const NAME_MAX: usize = 100;

    pub fn validate_name(&self) -> Result<String, FieldError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required", "Enter a name."));
        }
        if name.chars().count() > Self::NAME_MAX {
            return Err(FieldError::new(
                "name",
                "too_long",
                format!("A name can be at most {} characters.", Self::NAME_MAX),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "invalid",
                "Remove the invisible control characters.",
            ));
        }
        Ok(name.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "parent_node_id": "0193a1ef-0002-7000-8000-2c3d4e5f6071",
    "node_type": "region",
    "name": "EMEA",
    "slug": "emea",
    "status": "active",
    "depth": 2,
    "version": 1
})))]
pub struct Node {
    pub id: String,
    pub environment_id: String,
    pub parent_node_id: Option<String>,
    pub node_type: String,
    pub name: String,
    pub slug: String,
    pub status: ActiveStatus,
    pub depth: i64,
    pub version: i64,
}

impl Node {
    /// An inactive node grants nothing, at it or below it.
    pub fn is_active(&self) -> bool {
        self.status.is_active()
    }
}

/// The environment's hierarchy at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "settings": {
        "access_model": "hierarchy",
        "hierarchy_schema": {
            "node_types": ["organization", "region", "team"],
            "allowed_children": { "organization": ["region"], "region": ["team"], "team": ["team"] },
            "max_depth": 4,
            "root_node_type": "organization"
        }
    },
    "environment_version": 3,
    "nodes": [
        {
            "id": "0193a1ef-0002-7000-8000-2c3d4e5f6071",
            "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
            "parent_node_id": null,
            "node_type": "organization",
            "name": "Acme",
            "slug": "acme",
            "status": "active",
            "depth": 1,
            "version": 1
        },
        {
            "id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
            "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
            "parent_node_id": "0193a1ef-0002-7000-8000-2c3d4e5f6071",
            "node_type": "region",
            "name": "EMEA",
            "slug": "emea",
            "status": "active",
            "depth": 2,
            "version": 1
        }
    ]
})))]
pub struct HierarchyView {
    pub settings: EnvironmentSettings,
    /// The environment's `version` (schema edits check it).
    pub environment_version: i64,
    /// Every node, parents before children.
    pub nodes: Vec<Node>,
}

/// What reverting to flat would do (shown before the admin confirms), and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevertToFlatOutcome {
    pub assignments_moved: i64,
    pub assignments_deduplicated: i64,
    pub assignments_expired_dropped: i64,
    pub nodes_deleted: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schema_is_valid_and_nests_teams() {
        let schema = HierarchySchema::default();
        assert_eq!(schema.validate(), Ok(()));
        assert!(schema.allows("organization", "region"));
        assert!(schema.allows("team", "team"));
        assert!(!schema.allows("team", "region"));
    }

    #[test]
    fn inconsistent_schemas_are_explained() {
        let mut schema = HierarchySchema::default();
        schema.node_types.push("Region".into());
        schema
            .allowed_children
            .insert("site".into(), vec!["team".into()]);
        schema.root_node_type = "planet".into();
        schema.max_depth = 0;
        let fields: Vec<String> = schema
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "node_types",
                "allowed_children",
                "root_node_type",
                "max_depth"
            ]
        );
    }

    #[test]
    fn node_names_are_trimmed_and_bounded() {
        assert_eq!(
            NodeForm {
                name: "  EMEA ".into(),
                ..NodeForm::default()
            }
            .validate_name()
            .ok(),
            Some("EMEA".to_owned())
        );
        assert!(NodeForm::default().validate_name().is_err());
        assert!(
            NodeForm {
                name: "x".repeat(101),
                ..NodeForm::default()
            }
            .validate_name()
            .is_err()
        );
    }
}
