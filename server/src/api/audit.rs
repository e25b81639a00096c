//! `/api/v1/audit-events` (the key's environment's audit log, cursor-paged, with the dashboard's
//! filters) and `/api/v1/environment` (what the key is bound to).

use super::doc::KeyErrors;
use super::extract::{ApiError, Key};
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use app::model::{AUDIT_PAGE_DEFAULT, AuditFilter, AuditPage, KeyEnvironment};
use app::services::{Services, applications, audit_log};
use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use http::request::Parts;
use serde::Deserialize;

/// The audit list's query: the filters, `cursor` and `limit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `admin`, `api_key`, `identity` or `system`.
    #[param(example = "api_key")]
    actor_type: Option<String>,
    /// The acting admin's, key's or identity's id.
    actor_id: Option<String>,
    /// An action, e.g. `role.created`.
    #[param(example = "role.created")]
    action: Option<String>,
    /// A category, e.g. `rbac`.
    category: Option<String>,
    /// The target's type, e.g. `role`.
    resource_type: Option<String>,
    /// The target's id.
    resource_id: Option<String>,
    /// The events of one operation.
    correlation_id: Option<String>,
    /// Events at or after this time (RFC 3339, or a date: midnight UTC).
    #[param(example = "2026-11-01T00:00:00Z")]
    from: Option<String>,
    /// Events before this time.
    to: Option<String>,
    /// `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Events per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
}

/// The audit query, decoded like every API query (unknown parameters are `request.malformed`).
pub struct AuditList(AuditQuery);

impl FromRequestParts<Services> for AuditList {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<AuditQuery>::from_request_parts(parts, s)
            .await
            .map_err(|e| AppError::BadRequest {
                detail: e.body_text(),
            })?;
        if let Some(limit) = query.limit
            && !(1..=app::model::AUDIT_PAGE_MAX).contains(&limit)
        {
            return Err(AppError::validation(vec![app::error::FieldError::new(
                "limit",
                "out_of_range",
                "limit must be 1 to 200.",
            )])
            .into());
        }
        Ok(AuditList(query))
    }
}

#[utoipa::path(
    get,
    path = "/audit-events",
    operation_id = "listAuditEvents",
    tag = "audit",
    summary = "List audit events",
    description = "The audit events of the key's environment, newest first: every audited write \
        with its actor, action, target and metadata (never a secret). Filter by actor, action, \
        category, target, correlation id and time range; page with `cursor` (the previous page's \
        `next_cursor`), which stays stable while new events arrive. Reading is not audited.",
    params(AuditQuery),
    responses(
        (status = 200, description = "One page of events.", body = AuditPage),
        (status = 400, description = "A filter broke its rule or the cursor is not one we issued (`validation.invalid_input`), or an unknown parameter (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/audit-events", "method": "GET",
                "details": { "errors": [{ "field": "actor_type", "rule": "invalid", "message": "Choose admin, api_key, identity or system." }] } } })),
        KeyErrors,
    ),
    security(("api_key" = ["audit.read"])),
)]
pub async fn list(
    State(s): State<Services>,
    Key(caller): Key,
    AuditList(query): AuditList,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = AuditFilter {
        actor_type: query.actor_type,
        actor_id: query.actor_id,
        action: query.action,
        category: query.category,
        application_id: None,
        environment_id: None,
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        correlation_id: query.correlation_id,
        from: query.from,
        to: query.to,
    };
    let page = audit_log::list(
        &s,
        &caller,
        &filter,
        query.cursor.as_deref(),
        query.limit.unwrap_or(AUDIT_PAGE_DEFAULT),
    )
    .await?;
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/environment",
    operation_id = "getApiKeyEnvironment",
    tag = "meta",
    summary = "What this key is bound to",
    description = "The account, application and environment the API key belongs to (ids, names, \
        slugs), and the key's name, preview and scopes (empty: every management permission). Any \
        valid key may ask; it needs no scope.",
    responses(
        (status = 200, description = "The key's environment.", body = KeyEnvironment),
        KeyErrors,
    ),
    security(("api_key" = [])),
)]
pub async fn environment(
    State(s): State<Services>,
    Key(caller): Key,
) -> Result<Json<KeyEnvironment>, ApiError> {
    Ok(Json(applications::key_environment(&s, &caller).await?))
}
