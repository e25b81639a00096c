//! The OpenAPI document's frame — what no handler says about itself: title and version, the
//! `X-API-Key` scheme, the tags, the answers every keyed operation may give — and the public
//! `GET /openapi.json`. The operations come from the handlers' `#[utoipa::path]` (see `mod.rs`).

use super::extract::ApiError;
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::openapi::response::Response as ResponseDoc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{IntoResponses, Modify};

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
        (name = "invites", description = "Invitations for identities to set their password and join the application, optionally with a role."),
        (name = "invite-acceptance", description = "Public endpoints for the person invited: read an invite by its token, and accept it. No API key: the token is the credential."),
        (name = "assignments", description = "Roles given to identities at nodes, optionally bounded in time."),
        (name = "roles", description = "Bundles of permissions, assigned to identities at nodes."),
        (name = "permissions", description = "The environment's permission catalog (`resource.action` keys)."),
        (name = "nodes", description = "The environment's hierarchy: typed nodes under one root."),
        (name = "evaluation", description = "May identity X do P at node N?"),
        (name = "identity-auth", description = "End-user sign-in (`/v1/identity/auth`): login, sessions, password reset, email verification. Public or with the identity's bearer token — never an API key."),
        (name = "audit", description = "The audit log: every audited write of the key's environment, newest first, cursor-paged."),
        (name = "meta", description = "This document, and what the API key is bound to."),
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
        components.add_security_scheme(
            crate::identity_auth::BEARER,
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some(
                        "An identity's access token from `/v1/identity/auth/login` (opaque, 15 minutes).",
                    ))
                    .build(),
            ),
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

// The shared answers below keep each error's example in one place. Their examples show one
// representative request — a real answer's `path` and `method` are the request's own — so an
// operation lists a shared type only when its own reasons for that status are exactly these;
// otherwise it writes that status inline, with an example of its own.

/// What any list (`page`, `take`, `q`) may answer besides its page.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
pub enum ListErrors {
    /// `page` or `take` out of range (`validation.invalid_input`, with `details.errors`), or an
    /// unknown query parameter (`request.malformed`).
    #[response(
        status = 400,
        examples(
            ("out_of_range" = (summary = "`take` over 100", value = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/roles", "method": "GET",
                "details": { "errors": [{ "field": "take", "rule": "out_of_range", "message": "take must be 1 to 100." }] } } }))),
            ("unknown_parameter" = (summary = "An unknown parameter", value = json!({ "error": { "status": 400, "code": "request.malformed", "message": "The request was malformed: Failed to deserialize query string: sort: unknown field `sort`, expected one of `page`, `take`, `q`", "path": "/api/v1/roles", "method": "GET" } }))),
        )
    )]
    Invalid(ErrorEnvelope),
}

/// The body is over 1 MiB (`request.too_large`). Nothing was read or written.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 413,
    example = json!({ "error": { "status": 413, "code": "request.too_large", "message": "The request body is too large (at most 1048576 bytes).", "path": "/api/v1/roles", "method": "POST" } })
)]
pub struct BodyTooLarge(ErrorEnvelope);

/// The item changed since the `If-Match` version was read (`common.version_conflict`): read it
/// again, then retry.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 409,
    example = json!({ "error": { "status": 409, "code": "common.version_conflict", "message": "This item was changed by someone else. Refresh and try again.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "PATCH" } })
)]
pub struct Stale(ErrorEnvelope);

/// No `If-Match` (`request.precondition_required`): send the `ETag` you read, or `*`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 428,
    example = json!({ "error": { "status": 428, "code": "request.precondition_required", "message": "Send If-Match with the version you read (the ETag of the item) to change it.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "PATCH" } })
)]
pub struct PreconditionRequired(ErrorEnvelope);

/// What a change guarded by `If-Match` may answer: [`Stale`] (409) and [`PreconditionRequired`]
/// (428).
pub struct VersionErrors;

impl IntoResponses for VersionErrors {
    fn responses() -> BTreeMap<String, RefOr<ResponseDoc>> {
        let mut responses = Stale::responses();
        responses.extend(PreconditionRequired::responses());
        responses
    }
}

/// No such identity among the members of the key's application (`identities.not_found`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 404,
    example = json!({ "error": { "status": 404, "code": "identities.not_found", "message": "Identity not found.", "path": "/api/v1/identities/0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "method": "GET" } })
)]
pub struct IdentityNotFound(ErrorEnvelope);

/// No such role in the key's environment (`roles.not_found`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 404,
    example = json!({ "error": { "status": 404, "code": "roles.not_found", "message": "Role not found.", "path": "/api/v1/roles/0193a1f0-5555-7e00-8a10-2b3c4d5e6f70", "method": "GET" } })
)]
pub struct RoleNotFound(ErrorEnvelope);

/// No such permission in the key's environment (`permissions.not_found`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 404,
    example = json!({ "error": { "status": 404, "code": "permissions.not_found", "message": "Permission not found.", "path": "/api/v1/permissions/0193a1f0-6666-7f00-9b21-3c4d5e6f7081", "method": "GET" } })
)]
pub struct PermissionNotFound(ErrorEnvelope);

/// No such node in the key's environment (`nodes.not_found`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 404,
    example = json!({ "error": { "status": 404, "code": "nodes.not_found", "message": "Node not found.", "path": "/api/v1/nodes/0193a1f0-7777-7a00-8c32-4d5e6f708192", "method": "GET" } })
)]
pub struct NodeNotFound(ErrorEnvelope);

/// No such assignment in the key's environment (`assignments.not_found`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used.
#[response(
    status = 404,
    example = json!({ "error": { "status": 404, "code": "assignments.not_found", "message": "Assignment not found.", "path": "/api/v1/assignments/0193a1f0-3333-7c00-ae50-7f4d9b2c1e64", "method": "DELETE" } })
)]
pub struct AssignmentNotFound(ErrorEnvelope);

/// Component names as SDK generators turn them into types. The Rust names read well beside their
/// handlers (`IdentityForm`, `Collection<Role>`), but a generated client wants what the operation
/// sends and answers (`CreateIdentityRequest`, `RoleList`) — and utoipa spells generic
/// instantiations `Collection_Role`. One table, applied to the finished document, renames each
/// schema and every `$ref` to it; the contract test fails on any name still unfit for an SDK.
const SCHEMA_NAMES: &[(&str, &str)] = &[
    ("AcceptInviteForm", "AcceptInviteRequest"),
    ("AccountEmailForm", "EmailRequest"),
    ("AssignmentChange", "UpdateAssignmentRequest"),
    ("AssignmentForm", "CreateAssignmentRequest"),
    ("AssignmentIds", "AssignmentIdsRequest"),
    ("Bulk", "CreatePermissionsResponse"),
    ("AuditPage", "AuditEventList"),
    ("BulkCreateAssignments", "BulkCreateAssignmentsRequest"),
    ("BulkCreateIdentities", "BulkCreateIdentitiesRequest"),
    ("BulkCreateInvites", "BulkCreateIdentityInvitesRequest"),
    ("Bulk_Assignment", "BulkAssignmentsResponse"),
    ("Bulk_IdentityCreated", "BulkCreateIdentitiesResponse"),
    ("Bulk_InviteCreated", "BulkCreateIdentityInvitesResponse"),
    ("Bulk_Removed", "BulkDeleteAssignmentsResponse"),
    ("ChangePasswordForm", "ChangePasswordRequest"),
    ("Collection_Assignment", "AssignmentList"),
    ("Collection_Invite", "IdentityInviteList"),
    ("Collection_MemberRow", "IdentityList"),
    ("Collection_Node", "NodeList"),
    ("Collection_Permission", "PermissionList"),
    ("Collection_Role", "RoleList"),
    ("Collection_String", "PermissionKeyList"),
    ("CreatePermissions", "CreatePermissionsRequest"),
    ("EvaluationCheck", "EvaluatePermissionRequest"),
    ("EvaluationChecks", "EvaluatePermissionsBulkRequest"),
    ("EvaluationDecisions", "EvaluatePermissionsBulkResponse"),
    ("IdentityForm", "CreateIdentityRequest"),
    ("IdentityLoginForm", "IdentityLoginRequest"),
    ("IdentityPatch", "UpdateIdentityRequest"),
    ("InviteForm", "CreateIdentityInviteRequest"),
    ("NewNode", "CreateNodeRequest"),
    ("NodeMove", "MoveNodeRequest"),
    ("NodePatch", "UpdateNodeRequest"),
    ("PermissionForm", "NewPermission"),
    ("PermissionKeys", "SetRolePermissionsRequest"),
    ("PermissionPatch", "UpdatePermissionRequest"),
    ("ResetPasswordForm", "ResetPasswordRequest"),
    ("RoleForm", "CreateRoleRequest"),
    ("RolePatch", "UpdateRoleRequest"),
    ("Row_Assignment", "AssignmentRowResult"),
    ("Row_IdentityCreated", "IdentityRowResult"),
    ("Row_InviteCreated", "IdentityInviteRowResult"),
    ("Row_Permission", "PermissionRowResult"),
    ("Row_Removed", "RemovedRowResult"),
    ("SelectApplicationForm", "SelectApplicationRequest"),
    ("TokenForm", "TokenRequest"),
];

const SCHEMA_REF: &str = "#/components/schemas/";

/// The document with its SDK names (see [`SCHEMA_NAMES`]).
fn published(document: &OpenApi) -> Result<serde_json::Value, serde_json::Error> {
    let mut json = serde_json::to_value(document)?;
    rename_refs(&mut json);
    state_header_grammars(&mut json);
    if let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for (from, to) in SCHEMA_NAMES {
            if let Some(schema) = schemas.remove(*from) {
                schemas.insert((*to).to_owned(), schema);
            }
        }
        schemas.sort_keys();
    }
    super::constraints::state(&mut json);
    state_server_errors(&mut json);
    Ok(json)
}

/// Why any request may be refused before its operation reads it (`edge::refuse_nul`, the path
/// extractor), whatever the operation's own rules.
const EDGE_MALFORMED: &str = "A path parameter that is not UTF-8 once percent-decoded, or a NUL \
    character (U+0000) anywhere in the URL or the body (a key or a value), is refused as \
    `request.malformed` and nothing is done.";

/// The answers any operation can give whatever its input, stated once as shared responses and
/// listed on every operation (`Malformed` where the operation states no 400 of its own), so a
/// generated client knows every status it may meet.
fn state_server_errors(json: &mut serde_json::Value) {
    let envelope = serde_json::json!({ "$ref": format!("{SCHEMA_REF}ErrorEnvelope") });
    let shared = serde_json::json!({
        "Malformed": {
            "description": format!("The request could not be read. {EDGE_MALFORMED}"),
            "content": { "application/json": {
                "schema": envelope,
                "example": { "error": { "status": 400, "code": "request.malformed",
                    "message": "The request was malformed: Invalid URL: Invalid UTF-8 in `id`",
                    "path": "/api/v1/identities/%FF", "method": "GET" } }
            } }
        },
        "InternalError": {
            "description": "Something failed on the server (`internal.unexpected`). Nothing was \
                half-written; `details.reference` names the server's log line (it is also the \
                request's `x-request-id`).",
            "content": { "application/json": {
                "schema": envelope,
                "example": { "error": { "status": 500, "code": "internal.unexpected",
                    "message": "Something went wrong on our side (reference 01a22710-b300-7422-812f-7ff2f5d48868). Please try again.",
                    "path": "/api/v1/roles", "method": "GET",
                    "details": { "reference": "01a22710-b300-7422-812f-7ff2f5d48868" } } }
            } }
        },
        "Unavailable": {
            "description": "The database is unreachable for a moment (`database.unavailable`), \
                or the request ran past the server's time limit (`request.timeout`, \
                `ARBOR_REQUEST_TIMEOUT`, 30 s by default). Nothing uncommitted was kept; retry \
                (with the same `Idempotency-Key` where the operation takes one).",
            "content": { "application/json": {
                "schema": envelope,
                "examples": {
                    "database_unavailable": { "summary": "The database is restarting", "value":
                        { "error": { "status": 503, "code": "database.unavailable",
                            "message": "The database is unavailable for a moment. Please try again.",
                            "path": "/api/v1/roles", "method": "GET" } } },
                    "timeout": { "summary": "The request took too long", "value":
                        { "error": { "status": 503, "code": "request.timeout",
                            "message": "The request took too long and was stopped. Please try again.",
                            "path": "/api/v1/identities/bulk", "method": "POST" } } }
                }
            } }
        }
    });
    if let Some(components) = json
        .get_mut("components")
        .and_then(serde_json::Value::as_object_mut)
    {
        let responses = components
            .entry("responses")
            .or_insert_with(|| serde_json::json!({}));
        if let (Some(responses), Some(shared)) = (responses.as_object_mut(), shared.as_object()) {
            responses.extend(shared.clone());
        }
    }
    for responses in operations_mut(json)
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(serde_json::Value::as_object_mut)
    {
        // An operation's own 400 says why it refuses input; the edge's reasons apply to it too.
        if let Some(description) = responses
            .get_mut("400")
            .and_then(|own| own.get_mut("description"))
            .filter(|d| d.is_string())
        {
            let own = description
                .as_str()
                .unwrap_or_default()
                .trim_end()
                .to_owned();
            *description = serde_json::Value::String(format!("{own} {EDGE_MALFORMED}"));
        }
        for (status, name) in [
            ("400", "Malformed"),
            ("500", "InternalError"),
            ("503", "Unavailable"),
        ] {
            responses.entry(status).or_insert_with(
                || serde_json::json!({ "$ref": format!("#/components/responses/{name}") }),
            );
        }
    }
}

/// The grammar of the headers operations take, stated on every parameter of that name: `If-Match`
/// from the constant `versioning`'s unit test holds to its parser; an `Idempotency-Key` is
/// visible ASCII (inner spaces allowed: HTTP trims the ends), 1–255 long (`maxLength`).
const HEADER_GRAMMARS: &[(&str, &str)] = &[
    ("If-Match", super::versioning::IF_MATCH_PATTERN),
    ("Idempotency-Key", "^[!-~]([ -~]*[!-~])?$"),
];

/// Every operation of the document (and a path item's shared `parameters`, which hold no
/// operation field and so are passed over by the callers' lookups).
fn operations_mut(json: &mut serde_json::Value) -> impl Iterator<Item = &mut serde_json::Value> {
    json.get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
}

fn state_header_grammars(json: &mut serde_json::Value) {
    for parameter in operations_mut(json)
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(serde_json::Value::as_array_mut)
        .flatten()
    {
        let grammar = HEADER_GRAMMARS
            .iter()
            .find(|(name, _)| parameter["in"] == "header" && parameter["name"] == *name);
        if let Some((name, pattern)) = grammar {
            parameter["schema"]["pattern"] = serde_json::Value::String((*pattern).to_owned());
            // A change of a versioned item without `If-Match` is refused (428): say it is needed,
            // unless the handler declared it `Option` (an identity's edit, which may go without).
            if *name == "If-Match" {
                let optional = parameter["schema"]["type"]
                    .as_array()
                    .is_some_and(|types| types.iter().any(|t| t == "null"));
                if optional {
                    // A header is absent or text, never JSON's null.
                    parameter["schema"]["type"] = serde_json::Value::from("string");
                }
                parameter["required"] = serde_json::Value::Bool(!optional);
            }
        }
    }
}

fn rename_refs(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let renamed = match (key.as_str(), &*child) {
                    ("$ref", serde_json::Value::String(target)) => target
                        .strip_prefix(SCHEMA_REF)
                        .and_then(|name| SCHEMA_NAMES.iter().find(|(from, _)| *from == name))
                        .map(|(_, to)| format!("{SCHEMA_REF}{to}")),
                    _ => None,
                };
                match renamed {
                    Some(target) => *child = serde_json::Value::String(target),
                    None => rename_refs(child),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rename_refs),
        _ => {}
    }
}

/// The document as served, serialized once.
static DOCUMENT: LazyLock<Result<String, String>> = LazyLock::new(|| {
    published(&super::document())
        .and_then(|json| serde_json::to_string(&json))
        .map_err(|e| e.to_string())
});

/// The document's JSON text (also what the dashboard's API reference renders).
pub fn document_json() -> Result<&'static str, AppError> {
    DOCUMENT
        .as_deref()
        .map_err(|e| AppError::internal("openapi document", e))
}

#[utoipa::path(
    get,
    operation_id = "getOpenApiDocument",
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
