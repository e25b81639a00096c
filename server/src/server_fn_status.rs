//! Server functions answer failures with HTTP 500 whatever the cause. This layer gives each
//! failed call the status of its `AppError` (400, 401, 404, 409, 429, …), in one place, so the
//! browser, curl and the tests all see the same status the REST API would use.

use app::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// server_fn marks its error responses with this header.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";
/// Error bodies are small; anything bigger is left untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn apply_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
