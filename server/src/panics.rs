//! A panic in any handler answers the `internal.unexpected` envelope (500) instead of dropping
//! the connection: the client learns the request failed, and the reference in the answer finds
//! the panic's message in the server log.

use crate::envelope::{ErrorEnvelope, error_body};
use app::error::AppError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

/// The layer that turns a panic into the envelope; the server wraps its whole router in it.
pub fn layer() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(answer as fn(Box<dyn Any + Send + 'static>) -> Response)
}

/// The answer to a panic. The layer sees no request, so the envelope carries no `path` or
/// `method` (both optional in its schema); the panic's message stays in the log.
fn answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    let error = AppError::internal("panic", message);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(ErrorEnvelope {
            error: error_body(&error),
        }),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http::Request;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        let numbers: Vec<i64> = Vec::new();
        // An out-of-bounds index panics, as an overflow does in a debug build.
        let n = numbers[std::hint::black_box(3)];
        if n > 0 { "positive" } else { "not positive" }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_internal_envelope() {
        let router = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .layer(layer());
        let request = |path: &str| Request::get(path).body(Body::empty()).unwrap_or_default();

        let response = router.clone().oneshot(request("/boom")).await;
        let response = response.unwrap_or_else(|e| match e {});
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await;
        let json: serde_json::Value = bytes
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        assert_eq!(json["error"]["status"], 500);
        assert_eq!(json["error"]["code"], "internal.unexpected");
        let reference = json["error"]["details"]["reference"].as_str();
        assert!(reference.is_some_and(|r| !r.is_empty()), "{json}");
        assert!(
            !json.to_string().contains("index out of bounds"),
            "the panic's message stays in the log: {json}"
        );

        // The server keeps answering.
        let fine = router.oneshot(request("/fine")).await;
        let fine = fine.unwrap_or_else(|e| match e {});
        assert_eq!(fine.status(), StatusCode::OK);
    }
}
