//! Warnings: what a write did differently from what was asked without failing — the seed's "if
//! only one is provided, no assignment is created". The answer carries them (`warnings` of a
//! created identity, also per bulk row) and the dashboard shows them as a notice.

use serde::{Deserialize, Serialize};

/// A stable machine code for a warning; match on it, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Only one of `role_id` and `node_id` was sent: the identity was created (or added) without
    /// an assignment, which needs both.
    AssignmentSkipped,
}

/// One warning of a successful write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "code": "assignment_skipped",
    "field": "node_id",
    "message": "No assignment was made: a role and a node are both needed, and no node was chosen."
})))]
pub struct Warning {
    pub code: WarningCode,
    /// The input it is about (for `assignment_skipped`, the one that was missing).
    pub field: String,
    /// A sentence a person understands; may be reworded.
    pub message: String,
}

impl Warning {
    /// Role without node, or node without role: `missing` names the field not sent.
    pub fn assignment_skipped(missing: &str) -> Self {
        let what = if missing == "node_id" { "node" } else { "role" };
        Warning {
            code: WarningCode::AssignmentSkipped,
            field: missing.to_owned(),
            message: format!(
                "No assignment was made: a role and a node are both needed, and no {what} was chosen."
            ),
        }
    }
}

/// The Create Identity pair rule, shared by every surface that takes an optional role + node:
/// both → the assignment to make; neither → none; only one → none, and the warning that says so.
pub fn assignment_pair(
    role_id: Option<&str>,
    node_id: Option<&str>,
) -> (Option<(String, String)>, Option<Warning>) {
    fn filled(raw: Option<&str>) -> Option<&str> {
        raw.map(str::trim).filter(|s| !s.is_empty())
    }
    match (filled(role_id), filled(node_id)) {
        (Some(role), Some(node)) => (Some((role.to_owned(), node.to_owned())), None),
        (None, None) => (None, None),
        (Some(_), None) => (None, Some(Warning::assignment_skipped("node_id"))),
        (None, Some(_)) => (None, Some(Warning::assignment_skipped("role_id"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_pair_assigns_and_a_half_pair_warns_naming_the_missing_half() {
        assert_eq!(
            assignment_pair(Some(" r "), Some("n")),
            (Some(("r".to_owned(), "n".to_owned())), None)
        );
        assert_eq!(assignment_pair(Some(""), Some("  ")), (None, None));
        assert_eq!(assignment_pair(None, None), (None, None));
        let (pair, warning) = assignment_pair(Some("r"), None);
        assert_eq!(pair, None);
        let warning = warning.unwrap_or_else(|| panic!("a role alone must warn"));
        assert_eq!(
            (warning.code, warning.field.as_str()),
            (WarningCode::AssignmentSkipped, "node_id")
        );
        assert!(
            warning.message.contains("no node was chosen"),
            "{warning:?}"
        );
        let (pair, warning) = assignment_pair(Some(" "), Some("n"));
        assert_eq!(pair, None);
        assert_eq!(
            warning.map(|w| (w.field, w.message.contains("no role was chosen"))),
            Some(("role_id".to_owned(), true))
        );
    }

    #[test]
    fn the_code_is_snake_case_on_the_wire() {
        let json = serde_json::to_value(Warning::assignment_skipped("node_id")).unwrap_or_default();
        assert_eq!(json["code"], "assignment_skipped");
        assert_eq!(json["field"], "node_id");
    }
}
