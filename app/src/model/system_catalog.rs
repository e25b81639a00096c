//! The management permissions every environment is seeded with (`source = system`). They are the
//! scopes API keys can hold (the API Keys wizard lists them) and are hidden from the custom
//! catalog unless asked for.

pub struct SystemPermission {
    pub key: &'static str,
    pub category: &'static str,
    pub description: &'static str,
}

const fn p(
    key: &'static str,
    category: &'static str,
    description: &'static str,
) -> SystemPermission {
    SystemPermission {
        key,
        category,
        description,
    }
}

pub const SYSTEM_PERMISSIONS: &[SystemPermission] = &[
    p(
        "identity.read",
        "Identities",
        "Read identities and their memberships",
    ),
    p(
        "identity.manage",
        "Identities",
        "Create, update and remove identities",
    ),
    p(
        "invite.manage",
        "Invites",
        "Send, resend and revoke identity invites",
    ),
    p("role.read", "Roles", "Read roles and their permissions"),
    p("role.manage", "Roles", "Create, update and delete roles"),
    p(
        "permission.read",
        "Permissions",
        "Read the permission catalog",
    ),
    p(
        "permission.manage",
        "Permissions",
        "Create, update and delete permissions",
    ),
    p(
        "permission.evaluate",
        "Permissions",
        "Ask whether an identity holds a permission",
    ),
    p("node.read", "Hierarchy", "Read the node hierarchy"),
    p(
        "node.manage",
        "Hierarchy",
        "Create, move, update and delete nodes",
    ),
    p("assignment.read", "Assignments", "Read role assignments"),
    p(
        "assignment.manage",
        "Assignments",
        "Create, change and remove role assignments",
    ),
    p("api_key.manage", "API keys", "Create and revoke API keys"),
    p("audit.read", "Audit", "Read the audit log"),
    p(
        "environment.manage",
        "Environments",
        "Change environment settings",
    ),
];

/// Whether `key` is one of the management permissions (a valid API-key scope).
pub fn is_management_scope(key: &str) -> bool {
    SYSTEM_PERMISSIONS.iter().any(|p| p.key == key)
}
