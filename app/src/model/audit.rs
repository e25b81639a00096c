//! The audit log as admins and API clients read it (Tenant › Audit log, `GET
//! /api/v1/audit-events`, the exports): the filters with their rules, one event, a page of them
//! with the cursor of the next, and the account's retention setting.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// Who can act, as the log records it.
pub const ACTOR_TYPES: [(&str, &str); 4] = [
    ("admin", "Admin"),
    ("api_key", "API key"),
    ("identity", "Identity"),
    ("system", "System"),
];

/// Events per page: the default and the most a request may ask for.
pub const AUDIT_PAGE_DEFAULT: i64 = 50;
pub const AUDIT_PAGE_MAX: i64 = 200;

/// The filters, as typed or sent (every one optional). Times are RFC 3339, a date (`2026-11-28`,
/// midnight UTC) or what a `datetime-local` input gives (`2026-11-28T09:30`, UTC); `from` is
/// inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// `admin`, `api_key`, `identity` or `system`.
    pub actor_type: Option<String>,
    /// The acting admin's, key's or identity's id.
    pub actor_id: Option<String>,
    /// An action key, e.g. `role.created`.
    pub action: Option<String>,
    /// A category, e.g. `rbac`, `tenancy`, `identity`.
    pub category: Option<String>,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    /// The target's type, e.g. `role`, `identity`.
    pub resource_type: Option<String>,
    /// The target's id.
    pub resource_id: Option<String>,
    /// The events of one operation.
    pub correlation_id: Option<String>,
    /// Events at or after this time.
    pub from: Option<String>,
    /// Events before this time.
    pub to: Option<String>,
}

/// A filter whose every field passed its rule: empty strings are dropped, times are milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidAuditFilter {
    pub actor_type: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub category: Option<String>,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub correlation_id: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Values longer than this are no id, key or type of ours.
const MAX_FILTER_LEN: usize = 200;

fn text(field: &str, raw: &Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    if value.len() > MAX_FILTER_LEN {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("Use at most {MAX_FILTER_LEN} characters."),
        ));
        return None;
    }
    Some(value.to_owned())
}

/// Milliseconds since the epoch of an RFC 3339 time, a `datetime-local` value or a date (UTC).
pub fn parse_time(raw: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let raw = raw.trim();
    let at = time::OffsetDateTime::parse(raw, &Rfc3339)
        .ok()
        .or_else(|| {
            time::PrimitiveDateTime::parse(
                raw,
                format_description!("[year]-[month]-[day]T[hour]:[minute]"),
            )
            .ok()
            .map(time::PrimitiveDateTime::assume_utc)
        })
        .or_else(|| {
            time::Date::parse(raw, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|d| d.midnight().assume_utc())
        })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

impl AuditFilter {
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }

    pub fn validate(&self) -> Result<ValidAuditFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let actor_type = text("actor_type", &self.actor_type, &mut errors);
        if let Some(kind) = &actor_type
            && !ACTOR_TYPES.iter().any(|(k, _)| k == kind)
        {
            errors.push(FieldError::new(
                "actor_type",
                "invalid",
                "Choose admin, api_key, identity or system.",
            ));
        }
        let mut time = |field: &str, raw: &Option<String>| {
            let value = text(field, raw, &mut errors)?;
            let parsed = parse_time(&value);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    "Enter a date (2026-11-28) or a time (2026-11-28T09:30:00Z).",
                ));
            }
            parsed
        };
        let from_ms = time("from", &self.from);
        let to_ms = time("to", &self.to);
        if let (Some(from), Some(to)) = (from_ms, to_ms)
            && to <= from
        {
            errors.push(FieldError::new(
                "to",
                "order",
                "Choose an end after the start.",
            ));
        }
        let valid = ValidAuditFilter {
            actor_type,
            actor_id: text("actor_id", &self.actor_id, &mut errors),
            action: text("action", &self.action, &mut errors),
            category: text("category", &self.category, &mut errors),
            application_id: text("application_id", &self.application_id, &mut errors),
            environment_id: text("environment_id", &self.environment_id, &mut errors),
            resource_type: text("resource_type", &self.resource_type, &mut errors),
            resource_id: text("resource_id", &self.resource_id, &mut errors),
            correlation_id: text("correlation_id", &self.correlation_id, &mut errors),
            from_ms,
            to_ms,
        };
        if errors.is_empty() {
            Ok(valid)
        } else {
            Err(errors)
        }
    }

    /// The filter as a URL query (`actor_type=admin&action=role.created`), for the export links.
    /// The filter a query string names (`to_query`'s inverse; `get` reads one decoded parameter).
    /// Unknown parameters are ignored; values are checked by `validate` like typed ones.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> AuditFilter {
        let read = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        AuditFilter {
            actor_type: read("actor_type"),
            actor_id: read("actor_id"),
            action: read("action"),
            category: read("category"),
            application_id: read("application_id"),
            environment_id: read("environment_id"),
            resource_type: read("resource_type"),
            resource_id: read("resource_id"),
            correlation_id: read("correlation_id"),
            from: read("from"),
            to: read("to"),
        }
    }

    pub fn to_query(&self) -> String {
        let pairs = [
            ("actor_type", &self.actor_type),
            ("actor_id", &self.actor_id),
            ("action", &self.action),
            ("category", &self.category),
            ("application_id", &self.application_id),
            ("environment_id", &self.environment_id),
            ("resource_type", &self.resource_type),
            ("resource_id", &self.resource_id),
            ("correlation_id", &self.correlation_id),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .into_iter()
            .filter_map(|(k, v)| {
                let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
                Some(format!("{k}={}", urlencoding_component(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencoding_component(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": "0193a1f3-0000-7000-8000-000000000001", "created_at": "2026-11-28T09:00:00.000Z",
    "actor_type": "admin", "actor_id": "0193a1ee-9999-7000-8000-000000000001", "actor_label": "pat@acme.example",
    "action": "role.created", "category": "rbac", "outcome": "success",
    "resource_type": "role", "resource_id": "0193a1f3-0000-7000-8000-0000000000aa", "resource_label": "Editor",
    "application_id": "0193a1ef-0000-7000-8000-0a1b2c3d4e5f", "environment_id": "0193a1ef-0001-7000-8000-1b2c3d4e5f60",
    "correlation_id": "0193a1f3-0000-7000-8000-0000000000cc", "metadata": { "description": "" }
})))]
pub struct AuditEvent {
    pub id: String,
    /// RFC 3339, UTC, milliseconds.
    pub created_at: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub category: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub resource_label: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
    /// Shared by every event of one operation.
    pub correlation_id: String,
    /// What the write recorded: never a secret; `before` / `after` where the write changed values.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: serde_json::Value,
}

impl AuditEvent {
    /// The recorded values before and after the change, when the write recorded them.
    pub fn before_after(&self) -> Option<(serde_json::Value, serde_json::Value)> {
        let before = self.metadata.get("before")?.clone();
        let after = self.metadata.get("after")?.clone();
        Some((before, after))
    }
}

/// A page of events, newest first; `next_cursor` continues after its last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    /// Opaque; send it as `cursor` for the next page. `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One event with the other events of its operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventDetail {
    pub event: AuditEvent,
    /// The other events with the same correlation id (at most 50), oldest first.
    pub related: Vec<AuditEvent>,
}

/// How long the account keeps audit events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention {
    pub days: i64,
}

impl AuditRetention {
    pub const DEFAULT_DAYS: i64 = 365;
    pub const MIN_DAYS: i64 = 7;
    pub const MAX_DAYS: i64 = 3650;
}

/// The retention form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionForm {
    pub days: String,
}

impl RetentionForm {
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        (field == "days").then(|| self.validate().err()).flatten()
    }

    pub fn validate(&self) -> Result<AuditRetention, FieldError> {
        let (min, max) = (AuditRetention::MIN_DAYS, AuditRetention::MAX_DAYS);
        match self.days.trim().parse::<i64>() {
            Ok(days) if (min..=max).contains(&days) => Ok(AuditRetention { days }),
            _ => Err(FieldError::new(
                "days",
                "range",
                format!("Enter a whole number of days from {min} to {max}."),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_query_string() {
        let filter = AuditFilter {
            actor_type: Some("admin".into()),
            action: Some("role.created".into()),
            from: Some("2026-11-01T10:00".into()),
            correlation_id: Some("a b&c".into()),
            ..AuditFilter::default()
        };
        let query = filter.to_query();
        assert_eq!(
            query,
            "actor_type=admin&action=role.created&correlation_id=a%20b%26c&from=2026-11-01T10%3A00"
        );
        // What the router hands back: decoded values.
        let decoded = |key: &str| match key {
            "actor_type" => Some("admin".to_owned()),
            "action" => Some("role.created".to_owned()),
            "correlation_id" => Some("a b&c".to_owned()),
            "from" => Some("2026-11-01T10:00".to_owned()),
            "category" => Some(" ".to_owned()),
            _ => None,
        };
        assert_eq!(AuditFilter::from_query(decoded), filter);
    }

    #[test]
    fn times_take_three_shapes() {
        assert_eq!(parse_time("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_time("1970-01-01T00:01"), Some(60_000));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn filters_are_checked_and_trimmed() {
        let ok = AuditFilter {
            actor_type: Some("api_key".into()),
            action: Some(" role.created ".into()),
            category: Some(String::new()),
            ..AuditFilter::default()
        }
        .validate()
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.action.as_deref(), Some("role.created"));
        assert_eq!(ok.category, None);
        let bad = AuditFilter {
            actor_type: Some("robot".into()),
            from: Some("2026-11-28".into()),
            to: Some("2026-11-27".into()),
            ..AuditFilter::default()
        }
        .validate()
        .err()
        .unwrap_or_default();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["actor_type", "to"]);
    }

    #[test]
    fn retention_is_bounded() {
        assert!(RetentionForm { days: "365".into() }.validate().is_ok());
        assert!(RetentionForm { days: "3".into() }.validate().is_err());
        assert!(RetentionForm { days: "x".into() }.validate().is_err());
    }

    #[test]
    fn the_query_encodes_values() {
        let filter = AuditFilter {
            action: Some("role.created".into()),
            from: Some("2026-11-28T09:30".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            filter.to_query(),
            "action=role.created&from=2026-11-28T09%3A30"
        );
    }
}

/// The export's columns, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "id",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "category",
    "outcome",
    "resource_type",
    "resource_id",
    "resource_label",
    "application_id",
    "environment_id",
    "correlation_id",
    "metadata",
];

/// One CSV cell: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@`, tab or carriage return
/// neutralised with `'` so a spreadsheet never runs a label as a formula (OWASP CSV injection).
pub fn csv_cell(value: &str) -> String {
    let risky = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The CSV header line (with its CRLF).
pub fn csv_header() -> String {
    let cells: Vec<String> = CSV_COLUMNS.iter().map(|c| csv_cell(c)).collect();
    format!("{}\r\n", cells.join(","))
}

impl AuditEvent {
    /// The event as one CSV line (with its CRLF), columns as `CSV_COLUMNS`.
    pub fn csv_line(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let cells = [
            self.id.clone(),
            self.created_at.clone(),
            self.actor_type.clone(),
            opt(&self.actor_id),
            self.actor_label.clone(),
            self.action.clone(),
            self.category.clone(),
            self.outcome.clone(),
            self.resource_type.clone(),
            opt(&self.resource_id),
            self.resource_label.clone(),
            opt(&self.application_id),
            opt(&self.environment_id),
            self.correlation_id.clone(),
            self.metadata.to_string(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        format!("{}\r\n", cells.join(","))
    }

    /// The event as one JSON Lines line (with its LF).
    pub fn json_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }
}

#[cfg(test)]
mod export_tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("-1"), "\"'-1\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("plain, \"quoted\""), "\"plain, \"\"quoted\"\"\"");
        assert!(csv_header().starts_with("\"id\",\"created_at\""));
    }
}
