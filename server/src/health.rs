//! `/healthz`: the process answers. `/readyz`: the database answers and is fully migrated.

use app::services::Services;
use axum::Json;
use axum::extract::State;
use http::StatusCode;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(State(services): State<Services>) -> (StatusCode, Json<serde_json::Value>) {
    if services.db.is_ready().await {
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
