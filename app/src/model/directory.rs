//! Tenant › Identities: the Account directory's list, counts and identity detail.

use crate::model::{Assignment, Identity, IdentityStatus, MembershipStatus};
use serde::{Deserialize, Serialize};

/// The stat cards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DirectorySummary {
    pub total: i64,
    pub active: i64,
    pub pending: i64,
    pub inactive: i64,
    pub email_unverified: i64,
    /// Directory-only identities: no active membership in any application.
    pub no_memberships: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectorySort {
    #[default]
    Created,
    Name,
    Email,
    Status,
}

/// Search, filters, sort and page of the directory list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub q: String,
    /// `None` = all.
    #[serde(default)]
    pub status: Option<IdentityStatus>,
    /// `Some(true)`: with at least one assignment; `Some(false)`: orphans (none).
    #[serde(default)]
    pub has_any_assignment: Option<bool>,
    /// Only directory-only identities (no active membership in any application).
    #[serde(default)]
    pub without_membership: bool,
    /// Only identities that are not active members of the application with this slug (Add from
    /// directory).
    #[serde(default)]
    pub not_in_application: Option<String>,
    #[serde(default)]
    pub sort: DirectorySort,
    #[serde(default)]
    pub descending: bool,
    /// Without a cursor, the page by number (bounded: see `services::directory::list`).
    #[serde(default)]
    pub page: i64,
    /// The `next_cursor` of the page before: the page after it, in the same sort. The dashboard
    /// pages with cursors, so a page deep in 100,000 identities costs what the first one does.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One page of the directory list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPage {
    pub items: Vec<DirectoryRow>,
    /// The identities matching the filters, counted up to `DIRECTORY_COUNT_CAP`.
    pub total: i64,
    /// True when more than `total` match (the count stopped at the cap).
    pub total_is_lower_bound: bool,
    pub per_page: i64,
    /// Send it as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// How far the directory counts a filtered list: an exact count of 100,000 matches would cost a
/// scan per request, and "10,000+" says all a pager needs (the stat cards count exactly).
pub const DIRECTORY_COUNT_CAP: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRow {
    pub identity: Identity,
    pub membership_count: i64,
    pub assignment_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipInfo {
    pub id: String,
    pub application_id: String,
    pub application_name: String,
    pub status: MembershipStatus,
    /// Assignments the identity holds in this application's environments.
    pub assignment_count: i64,
}

/// One line of an identity's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub action: String,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDetail {
    pub identity: Identity,
    pub memberships: Vec<MembershipInfo>,
    /// Across every environment, with the environment's name.
    pub assignments: Vec<(String, Assignment)>,
    pub history: Vec<AuditEntry>,
}
