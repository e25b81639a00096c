//! Environment-scoped API keys: the input of the Create wizard and `arbor api-key create`, and
//! what the list shows. The key itself appears once, in `CreatedApiKey`.

use crate::error::FieldError;
use crate::model::{DisplayName, is_management_scope};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

/// The wizard's expiration presets; anything else is a date (`YYYY-MM-DD`, the end of that day
/// UTC) or an RFC 3339 instant.
pub const EXPIRY_PRESETS: [(&str, &str); 4] = [
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("1y", "1 year"),
    ("never", "Never"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyForm {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `30d`, `90d`, `1y`, `never`, a date or an RFC 3339 instant.
    #[serde(default = "default_expiry")]
    pub expires: String,
    /// Management permissions the key may use; empty = full access in its environment.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn default_expiry() -> String {
    "90d".to_owned()
}

impl Default for ApiKeyForm {
    fn default() -> Self {
        ApiKeyForm {
            name: String::new(),
            description: String::new(),
            expires: default_expiry(),
            scopes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidApiKey {
    pub name: String,
    pub description: String,
    pub expires_at: Option<OffsetDateTime>,
    /// Sorted, without repeats; empty = full access.
    pub scopes: Vec<String>,
}

pub const API_KEY_DESCRIPTION_MAX: usize = 500;

fn expiry(raw: &str, now: Option<OffsetDateTime>) -> Result<Option<OffsetDateTime>, FieldError> {
    let raw = raw.trim();
    let after = |d: Duration| now.map(|n| n + d);
    let at = match raw {
        "30d" => return Ok(after(Duration::days(30))),
        "90d" => return Ok(after(Duration::days(90))),
        "1y" => return Ok(after(Duration::days(365))),
        "never" | "" => return Ok(None),
        text => OffsetDateTime::parse(text, &Rfc3339).or_else(|_| {
            Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1))
        }),
    };
    let at = at.map_err(|_| {
        FieldError::new(
            "expires",
            "invalid",
            "Choose 30 days, 90 days, 1 year, never, or a date like 2027-06-30.",
        )
    })?;
    if now.is_some_and(|now| at <= now) {
        return Err(FieldError::new(
            "expires",
            "in_the_past",
            "The expiration date must be in the future.",
        ));
    }
    Ok(Some(at))
}

impl ApiKeyForm {
    /// `now` turns presets into instants and refuses past dates; without it (in the browser)
    /// only the shape of each answer is checked and presets stay unresolved (`None`).
    pub fn validate(&self, now: Option<OffsetDateTime>) -> Result<ValidApiKey, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = DisplayName::parse("name", &self.name, "a name for the key")
            .map_err(|e| errors.push(e));
        let description = self.description.trim().to_owned();
        if description.chars().count() > API_KEY_DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                "too_long",
                format!("This can be at most {API_KEY_DESCRIPTION_MAX} characters."),
            ));
        }
        let expires_at = expiry(&self.expires, now).map_err(|e| errors.push(e));
        let mut scopes: Vec<String> = self.scopes.iter().map(|s| s.trim().to_owned()).collect();
        scopes.sort();
        scopes.dedup();
        if let Some(unknown) = scopes.iter().find(|s| !is_management_scope(s)) {
            errors.push(FieldError::new(
                "scopes",
                "unknown",
                format!("\"{unknown}\" is not a management permission."),
            ));
        }
        match (name, expires_at) {
            (Ok(name), Ok(expires_at)) if errors.is_empty() => Ok(ValidApiKey {
                name: name.as_str().to_owned(),
                description,
                expires_at,
                scopes,
            }),
            _ => Err(errors),
        }
    }

    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        self.validate(None)
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyStatus {
    Active,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub application_id: String,
    pub environment_id: String,
    pub name: String,
    pub description: String,
    /// The first 12 characters and `****`: enough to recognise, never enough to use.
    pub key_preview: String,
    /// Empty = full access.
    pub scopes: Vec<String>,
    pub status: ApiKeyStatus,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
}

/// A new key: the only time the key itself is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-27 09:00 UTC);

    fn form(expires: &str, scopes: &[&str]) -> ApiKeyForm {
        ApiKeyForm {
            name: "Backend".into(),
            expires: expires.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..ApiKeyForm::default()
        }
    }

    #[test]
    fn presets_and_dates_become_instants() {
        let at = |e: &str| {
            form(e, &[])
                .validate(Some(NOW))
                .ok()
                .and_then(|v| v.expires_at)
        };
        assert_eq!(at("30d"), Some(datetime!(2026-12-27 09:00 UTC)));
        assert_eq!(at("1y"), Some(datetime!(2027-11-27 09:00 UTC)));
        assert_eq!(at("never"), None);
        assert_eq!(
            at("2027-06-30"),
            Some(datetime!(2027-07-01 0:00 UTC)),
            "the end of that day"
        );
        assert_eq!(
            at("2027-01-01T12:00:00Z"),
            Some(datetime!(2027-01-01 12:00 UTC))
        );
        let past = form("2026-01-01", &[])
            .validate(Some(NOW))
            .err()
            .unwrap_or_default();
        assert_eq!(past[0].rule, "in_the_past");
        let junk = form("soon", &[]).validate(None).err().unwrap_or_default();
        assert_eq!(junk[0].rule, "invalid");
    }

    #[test]
    fn scopes_are_management_permissions_and_empty_means_full_access() {
        let valid = form(
            "never",
            &["identity.manage", "identity.read", "identity.manage"],
        )
        .validate(Some(NOW));
        assert_eq!(
            valid.ok().map(|v| v.scopes),
            Some(vec![
                "identity.manage".to_owned(),
                "identity.read".to_owned()
            ])
        );
        assert!(
            form("never", &[])
                .validate(Some(NOW))
                .is_ok_and(|v| v.scopes.is_empty())
        );
        let unknown = form("never", &["invoice.read"])
            .validate(Some(NOW))
            .err()
            .unwrap_or_default();
        assert_eq!(unknown[0].field, "scopes");
        let unnamed = ApiKeyForm::default()
            .validate(Some(NOW))
            .err()
            .unwrap_or_default();
        assert_eq!(unnamed[0].field, "name");
    }
}
