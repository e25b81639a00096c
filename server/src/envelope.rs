//! The JSON error envelope of the public HTTP surface (decisions.md › Envelopes), rendered from
//! `AppError` in this one place:
//! `{"error": {"status", "code", "message", "path", "method", "details"?}}`.

use app::error::AppError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};

/// The inner object of the envelope — also what a failed bulk row carries as its `error`.
pub fn error_body(error: &AppError) -> serde_json::Value {
    let mut body = serde_json::json!({
        "status": error.status(),
        "code": error.code(),
        "message": error.to_string(),
    });
    if let Some(details) = details(error) {
        body["details"] = details;
    }
    body
}

pub fn error_response(error: &AppError, method: &Method, path: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = error_body(error);
    body["path"] = serde_json::json!(path);
    body["method"] = serde_json::json!(method.as_str());
    let mut response = (status, Json(serde_json::json!({ "error": body }))).into_response();
    if let AppError::TooManyAttempts { retry_after_secs }
    | AppError::RateLimited { retry_after_secs } = error
        && let Ok(value) = retry_after_secs.to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn details(error: &AppError) -> Option<serde_json::Value> {
    match error {
        AppError::Validation { errors } => Some(serde_json::json!({ "errors": errors })),
        AppError::TooManyAttempts { retry_after_secs }
        | AppError::RateLimited { retry_after_secs } => {
            Some(serde_json::json!({ "retry_after_secs": retry_after_secs }))
        }
        AppError::Internal { reference } => Some(serde_json::json!({ "reference": reference })),
        AppError::ScopeMissing { scope } => Some(serde_json::json!({ "scope": scope })),
        AppError::IdentityExistsInAccount { identity_id } => {
            Some(serde_json::json!({ "identity_id": identity_id }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::error::FieldError;

    async fn render(error: AppError) -> (u16, serde_json::Value) {
        let response = error_response(&error, &Method::POST, "/api/v1/x");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await;
        let json = bytes
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        (status, json)
    }

    #[tokio::test]
    async fn validation_errors_list_their_fields() {
        let (status, json) = render(AppError::validation(vec![FieldError::new(
            "email",
            "invalid",
            "Enter a valid email address.",
        )]))
        .await;
        assert_eq!(status, 400);
        assert_eq!(json["error"]["code"], "validation.invalid_input");
        assert_eq!(json["error"]["method"], "POST");
        assert_eq!(json["error"]["path"], "/api/v1/x");
        assert_eq!(json["error"]["details"]["errors"][0]["field"], "email");
    }

    #[tokio::test]
    async fn conflicts_have_no_details() {
        let (status, json) = render(AppError::AdminEmailTaken).await;
        assert_eq!(status, 409);
        assert_eq!(json["error"]["code"], "admins.email_taken");
        assert!(json["error"].get("details").is_none());
    }
}
