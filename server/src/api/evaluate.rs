//! `POST /api/v1/permissions/evaluate` (+ `/bulk`, ≤ 100 checks): "may identity X do P at node
//! N?" — node-scoped with `node_id`, app-wide without — answered with the reason and the path.

use super::doc::{BodyTooLarge, KeyErrors};
use super::extract::{ApiError, Body, EvaluateKey};
use crate::envelope::ErrorEnvelope;
use app::model::Decision;
use app::model::api_bodies::{EvaluationCheck, EvaluationChecks};
use app::services::Services;
use app::services::access_checks;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

#[utoipa::path(
    post,
    operation_id = "evaluatePermission",
    path = "/permissions/evaluate",
    tag = "evaluation",
    summary = "May this identity do this at this node?",
    description = "Node-scoped with `node_id` (an assignment on the node or above it grants), \
        app-wide without. A denial is a 200 with `allowed: false` and its `denial_reason`.",
    request_body = EvaluationCheck,
    responses(
        (status = 200, description = "The decision, with the granting roles and the path.", body = Decision),
        (status = 400, description = "Malformed JSON or a missing field.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "request.malformed", "message": "The request was malformed: missing field `permission`", "path": "/api/v1/permissions/evaluate", "method": "POST" } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["permission.evaluate"])),
)]
pub async fn one(
    State(s): State<Services>,
    EvaluateKey(caller): EvaluateKey,
    Body(check): Body<EvaluationCheck>,
) -> Result<Json<Decision>, ApiError> {
    Ok(Json(
        access_checks::evaluate(&s, &caller, check.question()).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EvaluationDecisions)]
pub struct BulkDecisions {
    /// One decision per check, in request order.
    results: Vec<Decision>,
}

#[utoipa::path(
    post,
    operation_id = "evaluatePermissionsBulk",
    path = "/permissions/evaluate/bulk",
    tag = "evaluation",
    summary = "Evaluate up to 100 checks",
    description = "The same as `/permissions/evaluate` for each check, answered in request order.",
    request_body(content = EvaluationChecks, example = json!({ "checks": [
        { "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "permission": "ticket.reply", "node_id": "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75" },
        { "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01", "permission": "invoice.approve" }
    ] })),
    responses(
        (status = 200, description = "One decision per check.", body = BulkDecisions,
            example = json!({ "results": [
                { "allowed": true, "granting_roles": [{ "id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "name": "Support Agent", "node_id": "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53" }],
                  "effective_node_id": "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75", "denial_reason": null,
                  "path": ["0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53", "0193a1f0-4444-7d00-bf61-8a5e0c3d2f75"] },
                { "allowed": false, "granting_roles": [], "effective_node_id": null, "denial_reason": "permission_not_granted", "path": [] }
            ] })),
        (status = 400, description = "Not 1 to 100 checks, or malformed JSON.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/permissions/evaluate/bulk", "method": "POST", "details": { "errors": [{ "field": "checks", "rule": "count", "message": "Send 1 to 100 checks." }] } } })),
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["permission.evaluate"])),
)]
pub async fn bulk(
    State(s): State<Services>,
    EvaluateKey(caller): EvaluateKey,
    Body(body): Body<EvaluationChecks>,
) -> Result<Json<BulkDecisions>, ApiError> {
    let checks: Vec<_> = body.checks.iter().map(EvaluationCheck::question).collect();
    let results = access_checks::evaluate_many(&s, &caller, &checks).await?;
    Ok(Json(BulkDecisions { results }))
}
