//! `/healthz`: the process answers. `/readyz`: the database answers and is fully migrated.

use app::services::Services;
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use std::time::Duration;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database. A probe must get its answer quickly: while the
/// database is away the pool would otherwise wait for a connection for up to its 10 s acquire
/// timeout, longer than a load balancer's probe waits.
pub const READY_WAIT: Duration = Duration::from_secs(2);

pub async fn readyz(State(services): State<Services>) -> (StatusCode, Json<serde_json::Value>) {
    let ready = tokio::time::timeout(READY_WAIT, services.db.is_ready())
        .await
        .unwrap_or(false);
    if ready {
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                serde_json::json!({ "status": "unavailable", "reason": "database unreachable or migrations pending" }),
            ),
        )
    }
}
