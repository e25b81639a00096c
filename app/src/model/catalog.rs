//! Permissions and roles as the dashboard and the API show them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub id: String,
    pub application_id: String,
    pub environment_id: String,
    pub key: String,
    pub description: String,
    pub category: String,
    /// `system` or `custom`.
    pub source: String,
    pub version: i64,
    pub created_at: String,
}

/// What the Create Permission Group wizard did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroupOutcome {
    pub created: Vec<String>,
    /// Keys that already existed and were left as they were.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub application_id: String,
    pub environment_id: String,
    pub name: String,
    pub description: String,
    pub is_system_role: bool,
    pub is_active: bool,
    pub permission_count: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}
