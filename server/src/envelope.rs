//! The JSON error envelope of the public HTTP surface (decisions.md › Envelopes), rendered from
//! `AppError` in this one place:
//! `{"error": {"status", "code", "message", "path", "method", "details"?}}`.

use app::error::{AppError, FieldError};
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// Every error answer of the API. The documented schema is derived from these types, the same
/// ones that write the answer, so the two cannot disagree.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "error": {
        "status": 403,
        "code": "api_keys.scope_missing",
        "message": "This API key lacks the identity.manage permission.",
        "path": "/api/v1/identities",
        "method": "POST",
        "details": { "scope": "identity.manage" }
    }
}))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The inner object of the envelope — also what a failed bulk row carries as its `error`
/// (without `path` and `method`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "status": 409,
    "code": "identities.email_taken",
    "message": "Email already exists in this Application."
}))]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status: u16,
    pub code: ErrorCode,
    /// English, for people; may be reworded, so match on `code`.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<ErrorDetails>,
    /// The request's path, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub method: Option<String>,
}

/// What some errors add; each member appears only with the codes named.
#[derive(Default, Serialize, utoipa::ToSchema)]
pub struct ErrorDetails {
    /// `validation.invalid_input`, `identities.password_too_common`: every field that broke a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldError>>,
    /// `api_keys.rate_limited`, `auth.too_many_attempts`, `request.rate_limited`: seconds to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub retry_after_secs: Option<u64>,
    /// `internal.unexpected`: quote it when reporting the problem (the request's `x-request-id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reference: Option<String>,
    /// `api_keys.scope_missing` and `auth.forbidden`: the permission the caller lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scope: Option<String>,
    /// `identities.exists_in_account`: the identity that has the email.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub identity_id: Option<String>,
    /// `invites.pending_exists`: the pending invite to resend instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub invite_id: Option<String>,
}

/// A stable `domain.reason` code; its schema enumerates `AppError::ALL_CODES` (docs/errors.md).
#[derive(Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub &'static str);

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A stable `domain.reason` code (docs/errors.md); clients match on it.",
            ))
            .enum_values(Some(AppError::ALL_CODES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {}

pub fn error_body(error: &AppError) -> ErrorBody {
    ErrorBody {
        status: error.status(),
        code: ErrorCode(error.code()),
        message: error.to_string(),
        details: details(error),
        path: None,
        method: None,
    }
}

pub fn error_response(error: &AppError, method: &Method, path: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = ErrorBody {
        path: Some(path.to_owned()),
        method: Some(method.as_str().to_owned()),
        ..error_body(error)
    };
    let mut response = (status, Json(ErrorEnvelope { error: body })).into_response();
    if let AppError::TooManyAttempts { retry_after_secs }
    | AppError::RateLimited { retry_after_secs }
    | AppError::TooManyRequests { retry_after_secs }
    | AppError::IdentityLocked { retry_after_secs } = error
        && let Ok(value) = retry_after_secs.to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn details(error: &AppError) -> Option<ErrorDetails> {
    let none = ErrorDetails::default();
    match error {
        AppError::Validation { errors } | AppError::PasswordTooCommon { errors } => {
            Some(ErrorDetails {
                errors: Some(errors.clone()),
                ..none
            })
        }
        AppError::TooManyAttempts { retry_after_secs }
        | AppError::RateLimited { retry_after_secs }
        | AppError::TooManyRequests { retry_after_secs }
        | AppError::IdentityLocked { retry_after_secs } => Some(ErrorDetails {
            retry_after_secs: Some(*retry_after_secs),
            ..none
        }),
        AppError::Internal { reference } => Some(ErrorDetails {
            reference: Some(reference.clone()),
            ..none
        }),
        AppError::ScopeMissing { scope } | AppError::Forbidden { permission: scope } => {
            Some(ErrorDetails {
                scope: Some(scope.clone()),
                ..none
            })
        }
        AppError::IdentityExistsInAccount { identity_id } => Some(ErrorDetails {
            identity_id: Some(identity_id.clone()),
            ..none
        }),
        AppError::InvitePendingExists { invite_id } => Some(ErrorDetails {
            invite_id: Some(invite_id.clone()),
            ..none
        }),
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
