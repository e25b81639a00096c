//! The OpenAPI document's frame — what no handler says about itself: title and version, the
//! `X-API-Key` scheme, the tags, the answers every keyed operation may give — and the public
//! `GET /openapi.json`. The operations come from the handlers' `#[utoipa::path]` (see `mod.rs`).

use super::extract::ApiError;
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

/// The name operations use in `security(("api_key" = ["<scope>"]))`.
pub const SCHEME: &str = "api_key";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Arbor API",
        description = "Arbor's REST API. Every request names one environment through its API key \
            (`X-API-Key`); an operation's security lists the key scope (management permission) it \
            needs, and a key with no scopes has them all. Failures are always the JSON error \
            envelope; its `code` is stable (see the error catalog).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&KeyScheme),
    tags(
        (name = "identities", description = "End users of your application: create, list, edit, remove."),
        (name = "assignments", description = "Roles given to identities at nodes, optionally bounded in time."),
        (name = "roles", description = "Bundles of permissions, assigned to identities at nodes."),
        (name = "permissions", description = "The environment's permission catalog (`resource.action` keys)."),
        (name = "nodes", description = "The environment's hierarchy: typed nodes under one root."),
        (name = "evaluation", description = "May identity X do P at node N?"),
        (name = "meta", description = "This document."),
    ),
    components(schemas(ErrorEnvelope)),
)]
pub struct Frame;

struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key of the environment (Integrations › API Keys, or `arbor api-key \
                 create`).",
            ))),
        );
    }
}

/// What any operation that takes an API key may answer besides its own results.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used: the answers come from `Key` as `AppError`s.
pub enum KeyErrors {
    /// No key (`api_keys.missing`), an unknown one (`api_keys.invalid`), an expired one
    /// (`api_keys.expired`) or a revoked one (`api_keys.revoked`).
    #[response(
        status = 401,
        example = json!({ "error": { "status": 401, "code": "api_keys.missing", "message": "Send your API key in the X-API-Key header.", "path": "/api/v1/identities", "method": "GET" } })
    )]
    Unauthorized(ErrorEnvelope),
    /// The key is scoped and lacks the permission this operation needs (`api_keys.scope_missing`,
    /// with `details.scope`).
    #[response(
        status = 403,
        example = json!({ "error": { "status": 403, "code": "api_keys.scope_missing", "message": "This API key lacks the identity.read permission.", "path": "/api/v1/identities", "method": "GET", "details": { "scope": "identity.read" } } })
    )]
    ScopeMissing(ErrorEnvelope),
    /// The key is over its rate limit (`api_keys.rate_limited`); retry after `Retry-After`
    /// seconds.
    #[response(
        status = 429,
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")),
        example = json!({ "error": { "status": 429, "code": "api_keys.rate_limited", "message": "Too many requests for this API key. Retry in 2 seconds.", "path": "/api/v1/identities", "method": "GET", "details": { "retry_after_secs": 2 } } })
    )]
    RateLimited(ErrorEnvelope),
}

/// The document as served, serialized once.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| serde_json::to_string(&super::document()).map_err(|e| e.to_string()));

/// The document's JSON text (also what the dashboard's API reference renders).
pub fn document_json() -> Result<&'static str, AppError> {
    DOCUMENT
        .as_deref()
        .map_err(|e| AppError::internal("openapi document", e))
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    summary = "This OpenAPI document",
    description = "OpenAPI 3.1, generated from the server's code. Public: no API key needed.",
    responses(
        (status = 200, description = "The document.", content_type = "application/json", body = Object),
    ),
    security(()),
)]
pub async fn openapi_json() -> Result<Response, ApiError> {
    let json = document_json()?;
    Ok(([(http::header::CONTENT_TYPE, "application/json")], json).into_response())
}
