//! The REST API's request bodies that wrap model types: bulk rows, id lists, one-field moves. They
//! live here, not beside their handlers in `server/src/api/`, so that the fuzz target
//! `api_bodies` (which cannot afford the sanitizer build of the whole `ssr` server) decodes the
//! very types the handlers decode and runs the very conversions they run.
// The type-level docs stay off these structs on purpose: utoipa would add them to the published
// schemas, and the document says what each operation takes in its own words.

use crate::model::{AssignmentForm, IdentityForm, InviteForm, NodeForm, PermissionForm, Question};
use serde::Deserialize;

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkCreateIdentities {
    /// 1 to 200 rows, each one create request.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub identities: Vec<IdentityForm>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkCreateInvites {
    /// 1 to 200 rows, each one invite request.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub invites: Vec<InviteForm>,
}

/// Role and/or window of an assignment (`identity_id` and `node_id` cannot change).
#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "effective_to": "2027-06-30T23:59:59Z" })))]
#[serde(deny_unknown_fields)]
pub struct AssignmentChange {
    /// The role the assignment gives from now on (send the current one to keep it).
    pub role_id: String,
    /// RFC 3339; absent: now.
    #[serde(default)]
    pub effective_from: Option<String>,
    /// RFC 3339, exclusive; absent: never.
    #[serde(default)]
    pub effective_to: Option<String>,
}

impl AssignmentChange {
    /// The change as the form the service validates (it fills in the assignment's own identity
    /// and node, read in its transaction).
    pub fn into_form(self) -> AssignmentForm {
        AssignmentForm {
            role_id: self.role_id,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            ..AssignmentForm::default()
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkCreateAssignments {
    /// 1 to 200 rows.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub assignments: Vec<AssignmentForm>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "assignment_ids": ["0193a1f0-3333-7c00-ae50-7f4d9b2c1e64"], "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42" })))]
#[serde(deny_unknown_fields)]
pub struct AssignmentIds {
    /// 1 to 200 assignment ids.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub assignment_ids: Vec<String>,
    /// bulk-change-role: the new role (required there); ignored by bulk-remove.
    #[serde(default)]
    pub role_id: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "permission": "ticket.reply", "node_id": "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75" })))]
#[serde(deny_unknown_fields)]
pub struct EvaluationCheck {
    pub identity_id: String,
    /// A permission key, e.g. `ticket.reply`.
    pub permission: String,
    /// The node asked about; absent: app-wide (any assignment in force grants it).
    #[serde(default)]
    pub node_id: Option<String>,
}

impl EvaluationCheck {
    /// The question, as sent: ids trimmed, an empty `node_id` meaning app-wide.
    pub fn question(&self) -> Question<'_> {
        Question {
            identity_id: self.identity_id.trim(),
            permission: self.permission.trim(),
            node_id: self
                .node_id
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvaluationChecks {
    /// 1 to 100 checks.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 100))]
    pub checks: Vec<EvaluationCheck>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "parent_node_id": "0193a1f0-7777-7a00-8c32-4d5e6f708192", "node_type": "region", "name": "EMEA" })))]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    /// The node it goes under.
    pub parent_node_id: String,
    /// One of the schema's types, allowed under the parent's.
    pub node_type: String,
    /// 1–100 characters; the slug is derived from it.
    pub name: String,
}

impl NewNode {
    /// The parent's id and the node's form, as the service takes them.
    pub fn into_parts(self) -> (String, NodeForm) {
        let form = NodeForm {
            name: self.name,
            node_type: self.node_type,
        };
        (self.parent_node_id, form)
    }
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "parent_node_id": "0193a1f0-7777-7a00-8c32-4d5e6f708193" })))]
#[serde(deny_unknown_fields)]
pub struct NodeMove {
    /// The new parent.
    pub parent_node_id: String,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "permission_keys": ["report.read", "report.export"] })))]
#[serde(deny_unknown_fields)]
pub struct PermissionKeys {
    /// Every key the role grants afterwards.
    pub permission_keys: Vec<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "permissions": [
    { "key": "report.read", "description": "Read reports", "category": "Reports" },
    { "key": "report.export", "category": "Reports" }
] })))]
#[serde(deny_unknown_fields)]
pub struct CreatePermissions {
    /// 1 to 200 rows.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub permissions: Vec<PermissionForm>,
}
