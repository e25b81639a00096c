//! `/api/v1/identities`: create (Identity + membership + optional assignment, one transaction),
//! list, show. The same `IdentityForm` rules and the same service as the dashboard's dialog.

use super::bulk::{bulk, count_rule};
use super::collection::{Collection, List};
use super::extract::{ApiError, Body, Key};
use app::error::AppError;
use app::model::{Assignment, Identity, IdentityForm, MemberRow};
use app::services::Services;
use app::services::{idempotency, identities};
use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// An identity as the API returns it: the identity, and what the create bundled.
#[derive(Serialize)]
pub struct CreatedResponse {
    #[serde(flatten)]
    identity: Identity,
    membership_id: String,
    assignment: Option<Assignment>,
}

pub async fn create(
    State(s): State<Services>,
    Key(key): Key,
    Body(form): Body<IdentityForm>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    key.require("identity.manage")?;
    let valid = form.validate().map_err(AppError::validation)?;
    let created = identities::create_in_scope(&s, &key.actor(), &key.scope, &valid).await?;
    // Committed before this line: the 201 never runs ahead of the data.
    Ok((StatusCode::CREATED, Json(created.into())))
}

impl From<app::model::CreatedIdentity> for CreatedResponse {
    fn from(created: app::model::CreatedIdentity) -> Self {
        CreatedResponse {
            identity: created.identity,
            membership_id: created.membership_id,
            assignment: created.assignment,
        }
    }
}

pub async fn list(
    State(s): State<Services>,
    Key(key): Key,
    List(query): List,
) -> Result<Json<Collection<MemberRow>>, ApiError> {
    key.require("identity.read")?;
    let page = identities::members_in_scope(&s, &key.scope, &query.q, None, query.page, query.take)
        .await?;
    Ok(Json(Collection::of_page(page)))
}

pub async fn show(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Json<Identity>, ApiError> {
    key.require("identity.read")?;
    Ok(Json(
        identities::member_in_scope(&s, &key.scope, &id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkCreate {
    identities: Vec<IdentityForm>,
}

/// `POST /identities/bulk-create`: 1–200 rows, each validated and written in its own
/// transaction (duplicates inside the batch are reported per row, never merged); 200 when every
/// row succeeded, 207 otherwise. With `Idempotency-Key` a replay within 24 h returns the stored
/// answer without running again.
pub async fn bulk_create(
    State(s): State<Services>,
    Key(key): Key,
    headers: http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    key.require("identity.manage")?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                limit_bytes: super::BODY_LIMIT_BYTES as u64,
            }
        } else {
            AppError::BadRequest {
                detail: rejection.body_text(),
            }
        }
    })?;
    let request: BulkCreate = serde_json::from_slice(&bytes).map_err(|e| AppError::BadRequest {
        detail: e.to_string(),
    })?;
    count_rule("identities", request.identities.len())?;
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| AppError::BadRequest {
            detail: "Idempotency-Key must be visible ASCII".to_owned(),
        })?;
    if let Some(idem) = &idempotency_key {
        let hash = app::services::tokens::digest(&String::from_utf8_lossy(&bytes));
        if let idempotency::Begin::Replay { status, body } =
            idempotency::begin(&s, &key, idem, &hash).await?
        {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (
                status,
                [(http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
            response.headers_mut().insert(
                "idempotent-replayed",
                http::HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
    }
    let valid = request
        .identities
        .iter()
        .map(|form| form.validate().map_err(AppError::validation))
        .collect();
    let results: Vec<Result<CreatedResponse, AppError>> =
        identities::bulk_create_in_scope(&s, &key.actor(), &key.scope, valid)
            .await
            .into_iter()
            .map(|outcome| outcome.map(CreatedResponse::from))
            .collect();
    let (status, Json(answer)) = bulk(results, "identities.created");
    let body = serde_json::to_string(&answer).map_err(|e| AppError::internal("bulk-create", e))?;
    if let Some(idem) = &idempotency_key {
        idempotency::finish(&s, &key, idem, status.as_u16(), &body).await?;
    }
    Ok((
        status,
        [(http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `PATCH /identities/{id}`: names and metadata (absent = unchanged, `null` clears it). Email and
/// external_id are not editable; access is changed with `DELETE` (this application only) or by an
/// admin's Account-wide switch.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    /// `None`: not sent; `Some(Value::Null)`: clear.
    #[serde(default, deserialize_with = "present")]
    metadata: Option<serde_json::Value>,
}

/// Tells "sent as null" (`Some(Null)`) from "not sent" (`None`, via `default`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

pub async fn update(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    Body(patch): Body<ProfilePatch>,
) -> Result<Json<Identity>, ApiError> {
    key.require("identity.manage")?;
    let current = identities::member_in_scope(&s, &key.scope, &id).await?;
    let form = app::model::ProfileForm {
        version: current.version,
        first_name: patch.first_name.unwrap_or(current.first_name),
        last_name: patch.last_name.unwrap_or(current.last_name),
        metadata: match patch.metadata {
            None => current.metadata,
            Some(serde_json::Value::Null) => None,
            Some(value) => Some(value),
        },
    };
    let updated = app::services::directory::update_profile_in(
        &s,
        &key.actor(),
        &key.scope.account_id,
        &id,
        &form,
    )
    .await?;
    Ok(Json(updated))
}

/// `DELETE /identities/{id}`: removes the identity from this application — its membership is
/// deactivated and its assignments in the application's environments revoked. The identity stays
/// in the account's directory (and in its other applications).
pub async fn remove(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    key.require("identity.manage")?;
    identities::member_in_scope(&s, &key.scope, &id).await?;
    app::services::directory::remove_membership_in(
        &s,
        &key.actor(),
        &key.scope.account_id,
        &id,
        &key.scope.application_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
