//! Permissions and roles as the dashboard and the API show them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-6666-7f00-9b21-3c4d5e6f7081",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f",
    "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "key": "report.read",
    "description": "Read reports",
    "category": "Reports",
    "source": "custom",
    "version": 1,
    "created_at": "2026-11-27T09:00:00Z"
})))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f",
    "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "name": "Support Agent",
    "description": "Reads customers and answers tickets",
    "is_system_role": false,
    "is_active": true,
    "permission_count": 3,
    "version": 1,
    "created_at": "2026-11-27T09:00:00Z",
    "updated_at": "2026-11-27T09:00:00Z"
})))]
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
