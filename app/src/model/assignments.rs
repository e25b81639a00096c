//! Role assignments: identity + role + node, optionally bounded in time.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where an assignment is in its life, from the clock at read time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Scheduled,
    Active,
    Expired,
}

impl AssignmentStatus {
    /// `from ≤ now < to` is active; the end is exclusive.
    pub fn at(now: OffsetDateTime, from: OffsetDateTime, to: Option<OffsetDateTime>) -> Self {
        if now < from {
            AssignmentStatus::Scheduled
        } else if to.is_some_and(|to| now >= to) {
            AssignmentStatus::Expired
        } else {
            AssignmentStatus::Active
        }
    }
}

/// Create an assignment (dialog, API, bulk row). Times are RFC 3339 (or `YYYY-MM-DDTHH:MM`, read
/// as UTC, as a browser's date-and-time field gives them); `effective_from` defaults to now,
/// `effective_to` to never.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
    "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "effective_from": "2026-12-01T00:00:00Z",
    "effective_to": "2027-06-30T23:59:59Z"
})))]
pub struct AssignmentForm {
    pub identity_id: String,
    pub role_id: String,
    pub node_id: String,
    /// When the assignment starts (default: now).
    #[serde(default)]
    pub effective_from: Option<String>,
    /// When it ends, exclusive (default: never).
    #[serde(default)]
    pub effective_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAssignment {
    pub identity_id: String,
    pub role_id: String,
    pub node_id: String,
    pub effective_from: Option<OffsetDateTime>,
    pub effective_to: Option<OffsetDateTime>,
}

fn time_field(field: &str, raw: &Option<String>) -> Result<Option<OffsetDateTime>, FieldError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .or_else(|_| {
                // What a browser's date-and-time field gives: no zone, read as UTC.
                time::PrimitiveDateTime::parse(
                    text,
                    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
                )
                .map(time::PrimitiveDateTime::assume_utc)
            })
            .map(Some)
            .map_err(|_| {
                FieldError::new(
                    field,
                    "invalid",
                    "Use a date and time like 2026-12-01T09:00:00Z.",
                )
            }),
    }
}

/// The role a bulk role change gives (`POST /assignments/bulk-change-role`): required, and an id by
/// the rule of `AssignmentForm::role_id`, checked before any assignment is read.
pub fn new_role_id(raw: &str) -> Result<String, FieldError> {
    required_id("role_id", raw, "a role")
}

fn required_id(field: &str, raw: &str, what: &str) -> Result<String, FieldError> {
    let id = raw.trim();
    if id.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            format!("Choose {what}."),
        ));
    }
    if id.len() > 64 {
        return Err(FieldError::new(field, "invalid", "This is not an id."));
    }
    Ok(id.to_owned())
}

impl AssignmentForm {
    pub fn validate(&self) -> Result<ValidAssignment, Vec<FieldError>> {
        let identity = required_id("identity_id", &self.identity_id, "an identity");
        let role = required_id("role_id", &self.role_id, "a role");
        let node = required_id("node_id", &self.node_id, "a node");
        let from = time_field("effective_from", &self.effective_from);
        let to = time_field("effective_to", &self.effective_to);
        let mut errors: Vec<FieldError> = [&identity, &role, &node]
            .iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .chain(
                [&from, &to]
                    .iter()
                    .filter_map(|r| r.as_ref().err().cloned()),
            )
            .collect();
        if let (Ok(Some(from)), Ok(Some(to))) = (&from, &to)
            && from >= to
        {
            errors.push(FieldError::new(
                "effective_to",
                "before_start",
                "The end must come after the start.",
            ));
        }
        match (identity, role, node, from, to) {
            (Ok(identity_id), Ok(role_id), Ok(node_id), Ok(effective_from), Ok(effective_to))
                if errors.is_empty() =>
            {
                Ok(ValidAssignment {
                    identity_id,
                    role_id,
                    node_id,
                    effective_from,
                    effective_to,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f0-3333-7c00-ae50-7f4d9b2c1e64",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f",
    "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
    "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42",
    "role_name": "Support Agent",
    "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53",
    "node_name": "EMEA",
    "effective_from": "2026-11-27T09:00:00Z",
    "effective_to": null,
    "status": "active",
    "created_at": "2026-11-27T09:00:00Z"
})))]
pub struct Assignment {
    pub id: String,
    pub application_id: String,
    pub environment_id: String,
    pub identity_id: String,
    pub role_id: String,
    pub role_name: String,
    pub node_id: String,
    pub node_name: String,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub effective_from: String,
    /// Exclusive; `null` = never ends.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub effective_to: Option<String>,
    pub status: AssignmentStatus,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
}

/// An active assignment ending within this many days is "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 7;

/// One assignment that gives access at a node: sitting on it (direct) or above it (inherited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAccessEntry {
    pub assignment: Assignment,
    pub identity_email: String,
    pub identity_name: String,
    pub inherited: bool,
    pub expiring_soon: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAccessSummary {
    /// Distinct identities with at least one assignment in force here.
    pub identities_with_access: usize,
    pub active: usize,
    pub scheduled: usize,
    pub expired: usize,
    pub expiring_soon: usize,
}

/// Node detail: who has access at a node, and through which assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAccess {
    pub node_id: String,
    /// Names from the root down to the node.
    pub path: Vec<String>,
    pub summary: NodeAccessSummary,
    /// Direct first, then inherited from the nearest ancestor up; at most `NodeAccess::LIMIT`.
    pub entries: Vec<NodeAccessEntry>,
    /// More assignments apply than `entries` lists (the counts cover them all).
    pub truncated: bool,
}

impl NodeAccess {
    pub const LIMIT: usize = 500;
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn status_follows_the_window_with_an_exclusive_end() {
        let from = datetime!(2026-01-01 0:00 UTC);
        let to = Some(datetime!(2026-02-01 0:00 UTC));
        assert_eq!(
            AssignmentStatus::at(datetime!(2025-12-31 23:59 UTC), from, to),
            AssignmentStatus::Scheduled
        );
        assert_eq!(
            AssignmentStatus::at(from, from, to),
            AssignmentStatus::Active
        );
        assert_eq!(
            AssignmentStatus::at(datetime!(2026-02-01 0:00 UTC), from, to),
            AssignmentStatus::Expired
        );
        assert_eq!(
            AssignmentStatus::at(datetime!(2099-01-01 0:00 UTC), from, None),
            AssignmentStatus::Active
        );
    }

    #[test]
    fn the_window_must_run_forwards_and_parse() {
        let form = |from: &str, to: &str| AssignmentForm {
            identity_id: "i".into(),
            role_id: "r".into(),
            node_id: "n".into(),
            effective_from: Some(from.into()),
            effective_to: Some(to.into()),
        };
        assert!(
            form("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
                .validate()
                .is_ok()
        );
        assert!(form("", "").validate().is_ok());
        let local = form("2026-01-01T09:30", "2026-01-01T10:00").validate();
        assert_eq!(
            local.ok().and_then(|v| v.effective_from),
            Some(datetime!(2026-01-01 9:30 UTC))
        );
        let backwards = form("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z").validate();
        assert_eq!(
            backwards.err().map(|e| e[0].rule.clone()),
            Some("before_start".to_owned())
        );
        let garbage = form("tomorrow", "").validate();
        assert_eq!(
            garbage.err().map(|e| e[0].field.clone()),
            Some("effective_from".to_owned())
        );
        let missing = AssignmentForm::default()
            .validate()
            .err()
            .unwrap_or_default();
        assert_eq!(missing.len(), 3);
    }
}
