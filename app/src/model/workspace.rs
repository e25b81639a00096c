//! What the dashboard shell and its first pages show: the signed-in admin, the account with its
//! applications and environments, and per-environment counts.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProfile {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// An admin's role in an account (decisions.md › Tenancy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Owner,
    Admin,
    Viewer,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Owner => "owner",
            AccountRole::Admin => "admin",
            AccountRole::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(AccountRole::Owner),
            "admin" => Some(AccountRole::Admin),
            "viewer" => Some(AccountRole::Viewer),
            _ => None,
        }
    }
}

/// How an environment is presented, so Production never looks like Development.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    Development,
    Production,
    Other,
}

impl EnvironmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentKind::Development => "development",
            EnvironmentKind::Production => "production",
            EnvironmentKind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "development" => EnvironmentKind::Development,
            "production" => EnvironmentKind::Production,
            _ => EnvironmentKind::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentRef {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub kind: EnvironmentKind,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRef {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub environments: Vec<EnvironmentRef>,
}

impl ApplicationRef {
    pub fn default_environment(&self) -> Option<&EnvironmentRef> {
        self.environments
            .iter()
            .find(|e| e.is_default)
            .or_else(|| self.environments.first())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// Everything the shell needs: who is signed in, and what they can switch between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub admin: AdminProfile,
    /// Whether the admin confirmed their email (the dashboard shows a banner until then).
    pub email_verified: bool,
    pub role: AccountRole,
    pub account: AccountRef,
    /// Every Account the admin belongs to (the header's Account picker when there are several).
    pub accounts: Vec<AccountRef>,
    pub applications: Vec<ApplicationRef>,
}

impl Workspace {
    pub fn application(&self, slug: &str) -> Option<&ApplicationRef> {
        self.applications.iter().find(|a| a.slug == slug)
    }
}

/// Where a signed-in admin lands: `/{account}/{application}/{environment}/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    pub account: String,
    pub application: String,
    pub environment: String,
}

impl Landing {
    pub fn overview_path(&self) -> String {
        crate::model::EnvPath {
            account: self.account.clone(),
            application: self.application.clone(),
            environment: self.environment.clone(),
        }
        .href("overview")
    }
}

/// Counts for one environment (and its application's members).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct EnvironmentCounts {
    /// Identities with an active membership in the environment's application.
    pub identities: i64,
    pub custom_roles: i64,
    pub custom_permissions: i64,
    pub system_permissions: i64,
    pub nodes: i64,
    pub assignments: i64,
    /// Custom roles that hold at least one permission.
    pub roles_with_permissions: i64,
    /// Invites sent in the environment (any status).
    pub invites: i64,
    /// Pending, unexpired invites that carry a role + node: assignments on their way.
    pub pending_invites_with_role: i64,
}

impl EnvironmentCounts {
    /// `Your roles & permissions setup is incomplete.` shows until this holds.
    pub fn roles_and_permissions_complete(&self) -> bool {
        self.custom_permissions > 0 && self.custom_roles > 0 && self.roles_with_permissions > 0
    }

    /// `You haven't invited any users or assigned them roles yet.` shows until this holds: the
    /// environment has an assignment (which needs a member of the application), or a pending
    /// invite that will make one on acceptance. Per environment, since memberships are shared by
    /// the application's environments but assignments are not.
    pub fn users_invited_and_assigned(&self) -> bool {
        (self.identities > 0 && self.assignments > 0) || self.pending_invites_with_role > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub environment: EnvironmentRef,
    pub counts: EnvironmentCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentCard {
    pub environment: EnvironmentRef,
    pub counts: EnvironmentCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationCard {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: String,
    pub environments: Vec<EnvironmentCard>,
}
