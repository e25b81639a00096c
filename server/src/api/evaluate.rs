//! `POST /api/v1/permissions/evaluate` (+ `/bulk`, ≤ 100 checks): "may identity X do P at node
//! N?" — node-scoped with `node_id`, app-wide without — answered with the reason and the path.

use super::extract::{ApiError, Body, Key};
use app::error::{AppError, FieldError};
use app::model::Decision;
use app::services::Services;
use app::services::access_checks;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

pub const BULK_CHECKS_MAX: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    identity_id: String,
    permission: String,
    #[serde(default)]
    node_id: Option<String>,
}

pub async fn one(
    State(s): State<Services>,
    Key(key): Key,
    Body(check): Body<Check>,
) -> Result<Json<Decision>, ApiError> {
    key.require("permission.evaluate")?;
    Ok(Json(decide(&s, &key.scope, &check).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkChecks {
    checks: Vec<Check>,
}

#[derive(Serialize)]
pub struct BulkDecisions {
    results: Vec<Decision>,
}

pub async fn bulk(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<BulkChecks>,
) -> Result<Json<BulkDecisions>, ApiError> {
    key.require("permission.evaluate")?;
    if body.checks.is_empty() || body.checks.len() > BULK_CHECKS_MAX {
        return Err(AppError::validation(vec![FieldError::new(
            "checks",
            "count",
            format!("Send 1 to {BULK_CHECKS_MAX} checks."),
        )])
        .into());
    }
    let mut results = Vec::with_capacity(body.checks.len());
    for check in &body.checks {
        results.push(decide(&s, &key.scope, check).await?);
    }
    Ok(Json(BulkDecisions { results }))
}

async fn decide(
    s: &Services,
    scope: &app::services::catalog::EnvScope,
    check: &Check,
) -> Result<Decision, AppError> {
    access_checks::evaluate_in(
        s,
        scope,
        check.identity_id.trim(),
        check.permission.trim(),
        check
            .node_id
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty()),
    )
    .await
}
