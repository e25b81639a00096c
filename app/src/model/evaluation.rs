//! The answer to "may identity X do P at node N?", as pages and the API show it.

use serde::{Deserialize, Serialize};

/// Why access was denied (decisions.md › Evaluate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialReason {
    IdentityNotFound,
    IdentityInactive,
    MembershipInactive,
    NodeNotFound,
    NodeInactive,
    NoActiveAssignment,
    PermissionNotGranted,
    ScopeNotGranted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantingRole {
    pub id: String,
    pub name: String,
    /// The node the granting assignment sits on.
    pub node_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub granting_roles: Vec<GrantingRole>,
    /// The node evaluated (`None` for app-wide).
    pub effective_node_id: Option<String>,
    pub denial_reason: Option<DenialReason>,
    /// For an allowed node-scoped check: the nodes from where the nearest granting assignment
    /// sits down to the node asked about (one element when it sits on that node).
    pub path: Vec<String>,
}
