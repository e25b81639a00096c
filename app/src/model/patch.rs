//! Changes described, not merged by the surface: a `…Patch` says which fields change (absent =
//! unchanged), a `Precondition` says which version the change was made against. The service
//! applies both to the row it reads *inside* the write transaction, so `If-Match: *` cannot race
//! and every surface (dashboard, REST) gets the same rules from the same code.

use crate::error::{AppError, FieldError};
use crate::model::{ActiveStatus, Node, Permission, PermissionForm, ProfileForm, Role, RoleForm};
use serde::{Deserialize, Deserializer};

/// Which version a change was made against (HTTP `If-Match`; the dashboard sends the version it
/// showed). Judged by the service once the item is read, so a missing permission (403) or item
/// (404) is reported before a missing or unreadable precondition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Whatever version is current (`If-Match: *`).
    Any,
    /// Exactly this version, else `common.version_conflict`.
    Version(i64),
    /// Any of these versions (an `If-Match` list, RFC 9110 §13.1.1), else
    /// `common.version_conflict`; tags that name no version of ours simply never match.
    AnyOf(EntityTags),
    /// Nothing was said: a change of a versioned item needs a version (428).
    Missing,
    /// Something was said that is no version (400).
    Malformed,
}

impl Precondition {
    /// The version to write against, given the current one.
    pub fn version(self, current: i64) -> Result<i64, AppError> {
        match self {
            Precondition::Version(v) => Ok(v),
            Precondition::AnyOf(tags) if tags.contains(current) => Ok(current),
            Precondition::AnyOf(_) => Err(AppError::VersionConflict),
            Precondition::Any => Ok(current),
            Precondition::Missing => Err(AppError::PreconditionRequired),
            Precondition::Malformed => Err(AppError::BadRequest {
                detail: format!(
                    "If-Match must be the item's ETag, like \"3\", a list of at most {} entity \
                     tags, or *.",
                    EntityTags::MAX
                ),
            }),
        }
    }
}

/// The versions an `If-Match` list names: a small fixed set, so `Precondition` stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityTags {
    versions: [i64; EntityTags::MAX],
    len: usize,
}

impl EntityTags {
    /// More entity tags than this in one `If-Match` is refused as malformed (documented).
    pub const MAX: usize = 16;

    pub const fn new() -> EntityTags {
        EntityTags {
            versions: [0; EntityTags::MAX],
            len: 0,
        }
    }

    /// Adds a version; `false` when the set is full.
    pub fn push(&mut self, version: i64) -> bool {
        match self.versions.get_mut(self.len) {
            Some(slot) => {
                *slot = version;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn first(&self) -> Option<i64> {
        self.versions.iter().take(self.len).next().copied()
    }

    pub fn contains(&self, version: i64) -> bool {
        self.versions.iter().take(self.len).any(|v| *v == version)
    }
}

impl Default for EntityTags {
    fn default() -> Self {
        EntityTags::new()
    }
}

/// The grammar the OpenAPI document states for `If-Match` (see [`parse_if_match`]): `*`, or 1 to
/// `EntityTags::MAX` entity tags in a comma list that may hold empty elements (`, "3" ,,`), as
/// RFC 9110 §5.6.1 has recipients accept.
pub const IF_MATCH_PATTERN: &str = r#"^[ \t]*(\*|(,[ \t]*)*(W/)?("[!#-~]*"|[0-9]+)([ \t]*,([ \t]*,)*[ \t]*(W/)?("[!#-~]*"|[0-9]+)){0,15}([ \t]*,)*)[ \t]*$"#;

/// The `ETag` value of an item at `version`: the one spelling of it `parse_if_match` reads back.
pub fn entity_tag_of(version: i64) -> String {
    format!("\"{version}\"")
}

/// An `If-Match` header value (RFC 9110 §13.1.1): `*`, or a list of entity tags (`"3"`,
/// `W/"3"`, `"3", "4"`; empty list elements are skipped as the list rule requires); `None` when
/// it is none of these. Tags that are not a version of ours are well formed but match nothing.
/// Leniencies kept from before lists: a weak tag names its version, and a bare number is a
/// version.
pub fn parse_if_match(raw: &[u8]) -> Option<Precondition> {
    let raw = raw.trim_ascii();
    if raw == b"*" {
        return Some(Precondition::Any);
    }
    let mut tags = EntityTags::new();
    let mut count = 0usize;
    let mut rest = raw;
    loop {
        rest = rest.trim_ascii_start();
        while let Some(after) = rest.strip_prefix(b",") {
            rest = after.trim_ascii_start();
        }
        if rest.is_empty() {
            break;
        }
        let (version, after) = entity_tag(rest)?;
        count += 1;
        if count > EntityTags::MAX {
            return None;
        }
        if let Some(version) = version {
            tags.push(version);
        }
        rest = after.trim_ascii_start();
        if !(rest.is_empty() || rest.starts_with(b",")) {
            return None;
        }
    }
    match count {
        0 => None,
        1 if tags.len() == 1 => tags.first().map(Precondition::Version),
        _ => Some(Precondition::AnyOf(tags)),
    }
}

/// One entity tag at the start of `input`: the version it names (if it names one) and the rest.
fn entity_tag(input: &[u8]) -> Option<(Option<i64>, &[u8])> {
    let input = input.strip_prefix(b"W/").unwrap_or(input);
    let (opaque, rest) = match input.strip_prefix(b"\"") {
        Some(quoted) => {
            let end = quoted.iter().position(|b| *b == b'"')?;
            let (opaque, rest) = quoted.split_at(end);
            // etagc = %x21 / %x23-7E / obs-text
            if !opaque
                .iter()
                .all(|b| *b == 0x21 || (0x23..=0x7e).contains(b) || *b >= 0x80)
            {
                return None;
            }
            (opaque, rest.get(1..).unwrap_or_default())
        }
        None => {
            let end = input
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(input.len());
            if end == 0 {
                return None;
            }
            input.split_at(end)
        }
    };
    // RFC 9110 compares entity tags byte for byte: only the exact spelling of an `ETag` we send
    // names its version (`"3"`, never `"03"` or `"+3"`); any other tag matches nothing.
    let version = std::str::from_utf8(opaque)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .filter(|v| *v > 0 && v.to_string().as_bytes() == opaque);
    Some((version, rest))
}

/// `PATCH /roles/{id}`: any of name, description, is_active (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "name": "Report auditor", "is_active": false })))]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// 1–100 characters, unique in the environment.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// An inactive role grants nothing and cannot be assigned.
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl RolePatch {
    /// The role as it would be: its form (to validate) and whether it is active.
    pub fn apply(&self, current: &Role) -> (RoleForm, bool) {
        (
            RoleForm {
                name: self.name.clone().unwrap_or_else(|| current.name.clone()),
                description: self
                    .description
                    .clone()
                    .unwrap_or_else(|| current.description.clone()),
            },
            self.is_active.unwrap_or(current.is_active),
        )
    }
}

/// `PATCH /permissions/{id}`: description and/or category; the key never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "description": "Read every report" })))]
#[serde(deny_unknown_fields)]
pub struct PermissionPatch {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
}

impl PermissionPatch {
    pub fn apply(&self, current: &Permission) -> PermissionForm {
        PermissionForm {
            key: current.key.clone(),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            category: self
                .category
                .clone()
                .unwrap_or_else(|| current.category.clone()),
        }
    }
}

/// `PATCH /nodes/{id}`: name and/or status (`active` | `inactive`). Moving is `POST …/move`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "name": "Paris HQ", "status": "inactive" })))]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    #[serde(default)]
    pub name: Option<String>,
    /// `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
}

impl NodePatch {
    /// The node's name and whether it is active afterwards; an unknown status is a field error.
    pub fn apply(&self, current: &Node) -> Result<(String, bool), AppError> {
        let active = match self.status.as_deref().map(ActiveStatus::parse) {
            None => current.is_active(),
            Some(Some(status)) => status.is_active(),
            Some(None) => {
                return Err(AppError::validation(vec![FieldError::new(
                    "status",
                    "invalid",
                    "status is active or inactive.",
                )]));
            }
        };
        let name = self.name.clone().unwrap_or_else(|| current.name.clone());
        Ok((name, active))
    }
}

/// `PATCH /identities/{id}` and the drawer's profile edit: names and metadata (absent =
/// unchanged, `null` clears the metadata). Email and external_id are not editable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "first_name": "Patricia", "metadata": { "department": "Support" } })))]
#[serde(deny_unknown_fields)]
pub struct IdentityPatch {
    /// Absent: unchanged.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Absent: unchanged.
    #[serde(default)]
    pub last_name: Option<String>,
    /// A JSON object, at most 16 KiB; absent: unchanged; `null`: cleared.
    // `None`: not sent; `Some(Value::Null)`: clear.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
}

/// Tells "sent as null" (`Some(Null)`) from "not sent" (`None`, via `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl IdentityPatch {
    /// The whole edit the drawer makes: every field, as shown.
    pub fn from_form(form: &ProfileForm) -> Self {
        IdentityPatch {
            first_name: Some(form.first_name.clone()),
            last_name: Some(form.last_name.clone()),
            metadata: Some(form.metadata.clone().unwrap_or(serde_json::Value::Null)),
        }
    }

    /// The profile as it would be, to validate with `ProfileForm`'s rules.
    pub fn apply(
        &self,
        version: i64,
        first_name: &str,
        last_name: &str,
        metadata: Option<&serde_json::Value>,
    ) -> ProfileForm {
        ProfileForm {
            version,
            first_name: self
                .first_name
                .clone()
                .unwrap_or_else(|| first_name.to_owned()),
            last_name: self
                .last_name
                .clone()
                .unwrap_or_else(|| last_name.to_owned()),
            metadata: match &self.metadata {
                None => metadata.cloned(),
                Some(serde_json::Value::Null) => None,
                Some(value) => Some(value.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precondition_is_judged_against_the_current_version() {
        assert_eq!(Precondition::Any.version(7), Ok(7));
        assert_eq!(Precondition::Version(3).version(7), Ok(3));
        assert_eq!(
            Precondition::Missing.version(7),
            Err(AppError::PreconditionRequired)
        );
        assert!(matches!(
            Precondition::Malformed.version(7),
            Err(AppError::BadRequest { .. })
        ));
    }

    #[test]
    fn identity_patch_tells_absent_from_null() {
        let parse = |json: &str| -> IdentityPatch {
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
        };
        let (keep, clear) = (
            parse(r#"{"first_name":"Pat"}"#),
            parse(r#"{"metadata":null}"#),
        );
        let meta = serde_json::json!({"a": 1});
        let kept = keep.apply(1, "P", "L", Some(&meta));
        assert_eq!(
            (kept.first_name.as_str(), kept.metadata),
            ("Pat", Some(meta.clone()))
        );
        assert_eq!(clear.apply(1, "P", "L", Some(&meta)).metadata, None);
    }

    #[test]
    fn node_patch_refuses_an_unknown_status() {
        let node = Node {
            id: "n".into(),
            environment_id: "e".into(),
            parent_node_id: None,
            node_type: "team".into(),
            name: "Ops".into(),
            slug: "ops".into(),
            status: ActiveStatus::Active,
            depth: 1,
            version: 1,
        };
        let patch = NodePatch {
            status: Some("paused".into()),
            ..NodePatch::default()
        };
        assert!(matches!(
            patch.apply(&node),
            Err(AppError::Validation { .. })
        ));
        assert_eq!(
            NodePatch::default().apply(&node),
            Ok(("Ops".to_owned(), true))
        );
    }
}
