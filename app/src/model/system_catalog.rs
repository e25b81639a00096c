//! The management permissions every environment is seeded with (`source = system`). They are what
//! a caller may be granted — the scopes API keys can hold (the API Keys wizard lists them) and what
//! an admin's account role amounts to — and are hidden from the custom catalog unless asked for.
//! Services name them by this enum, never by string, so a typo cannot compile.

macro_rules! system_permissions {
    ($($variant:ident => $key:literal, $category:literal, $description:literal;)+) => {
        /// One management permission of the system catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SystemPermission {
            $($variant,)+
        }

        impl SystemPermission {
            /// The whole catalog, in the order it is shown.
            pub const ALL: &'static [SystemPermission] = &[$(SystemPermission::$variant,)+];

            /// The stored key, e.g. `role.manage` (what API-key scopes and error details name).
            pub const fn key(self) -> &'static str {
                match self {
                    $(SystemPermission::$variant => $key,)+
                }
            }

            pub const fn category(self) -> &'static str {
                match self {
                    $(SystemPermission::$variant => $category,)+
                }
            }

            pub const fn description(self) -> &'static str {
                match self {
                    $(SystemPermission::$variant => $description,)+
                }
            }
        }
    };
}

system_permissions! {
    IdentityRead => "identity.read", "Identities", "Read identities and their memberships";
    IdentityManage => "identity.manage", "Identities", "Create, update and remove identities";
    InviteManage => "invite.manage", "Invites", "Send, resend and revoke identity invites";
    RoleRead => "role.read", "Roles", "Read roles and their permissions";
    RoleManage => "role.manage", "Roles", "Create, update and delete roles";
    PermissionRead => "permission.read", "Permissions", "Read the permission catalog";
    PermissionManage => "permission.manage", "Permissions", "Create, update and delete permissions";
    PermissionEvaluate => "permission.evaluate", "Permissions", "Ask whether an identity holds a permission";
    NodeRead => "node.read", "Hierarchy", "Read the node hierarchy";
    NodeManage => "node.manage", "Hierarchy", "Create, move, update and delete nodes";
    AssignmentRead => "assignment.read", "Assignments", "Read role assignments";
    AssignmentManage => "assignment.manage", "Assignments", "Create, change and remove role assignments";
    ApiKeyManage => "api_key.manage", "API keys", "Create and revoke API keys";
    AuditRead => "audit.read", "Audit", "Read the audit log";
    EnvironmentManage => "environment.manage", "Environments", "Change environment settings";
    AdminRead => "admin.read", "Team", "See the account's admins and pending admin invites";
    AdminManage => "admin.manage", "Team", "Invite admins, change their roles and remove them";
    AccountManage => "account.manage", "Account", "Create, rename and delete applications and environments; change account settings such as audit retention";
}

impl SystemPermission {
    pub fn from_key(key: &str) -> Option<SystemPermission> {
        SystemPermission::ALL
            .iter()
            .copied()
            .find(|p| p.key() == key)
    }

    /// Whether the permission belongs to an environment: seeded into its catalog and grantable to
    /// its API keys. The Team permissions are the Account's and only admins hold them.
    pub const fn is_environment_scope(self) -> bool {
        !matches!(
            self,
            SystemPermission::AdminRead
                | SystemPermission::AdminManage
                | SystemPermission::AccountManage
        )
    }

    /// What a read-only member of an account (a viewer) holds: looking, and asking the access
    /// checker, never changing anything.
    pub const fn is_read_only(self) -> bool {
        matches!(
            self,
            SystemPermission::IdentityRead
                | SystemPermission::RoleRead
                | SystemPermission::PermissionRead
                | SystemPermission::PermissionEvaluate
                | SystemPermission::NodeRead
                | SystemPermission::AssignmentRead
                | SystemPermission::AuditRead
                | SystemPermission::AdminRead
        )
    }
}

impl std::fmt::Display for SystemPermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Whether `key` is one of the management permissions (a valid API-key scope).
pub fn is_management_scope(key: &str) -> bool {
    SystemPermission::from_key(key).is_some_and(SystemPermission::is_environment_scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        let mut keys: Vec<&str> = SystemPermission::ALL.iter().map(|p| p.key()).collect();
        for p in SystemPermission::ALL {
            assert_eq!(SystemPermission::from_key(p.key()), Some(*p));
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), SystemPermission::ALL.len());
        assert!(!is_management_scope("role.delete"));
        assert!(!is_management_scope("admin.manage"));
    }

    #[test]
    fn viewers_change_nothing() {
        for p in SystemPermission::ALL {
            assert_eq!(p.is_read_only(), !p.key().ends_with(".manage"), "{p}");
        }
    }
}
