//! The answer to "may identity X do P at node N?", as pages and the API show it.

use crate::error::{AppError, FieldError};
use serde::{Deserialize, Serialize};

/// The most checks one `evaluate_many` takes.
pub const EVALUATE_MANY_MAX: usize = 100;

/// One question to evaluation: may `identity_id` do `permission` at `node_id` (anywhere, when
/// `None`)?
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub identity_id: &'a str,
    pub permission: &'a str,
    pub node_id: Option<&'a str>,
}

/// The count rule of a bulk evaluation: 1 to `EVALUATE_MANY_MAX` checks, before any is answered.
pub fn checks_count_rule(checks: usize) -> Result<(), AppError> {
    if checks == 0 || checks > EVALUATE_MANY_MAX {
        return Err(AppError::validation(vec![FieldError::new(
            "checks",
            "count",
            format!("Send 1 to {EVALUATE_MANY_MAX} checks."),
        )]));
    }
    Ok(())
}

/// Why access was denied (decisions.md › Evaluate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Support Agent", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53" })))]
pub struct GrantingRole {
    pub id: String,
    pub name: String,
    /// The node the granting assignment sits on.
    pub node_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "allowed": true,
    "granting_roles": [{ "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Support Agent", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53" }],
    "effective_node_id": "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75",
    "denial_reason": null,
    "path": ["0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53", "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75"]
})))]
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
