//! `/api/v1/assignments` (+ bulk forms) and the environment's roles and nodes, read-only here.

use super::bulk::{Bulk, bulk};
use super::extract::{ApiError, Body, Key};
use app::error::{AppError, FieldError};
use app::model::{Assignment, AssignmentForm, BULK_MAX, HierarchyView, Role};
use app::services::Services;
use app::services::{assignments, catalog, hierarchy};
use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use serde::{Deserialize, Serialize};

pub async fn create(
    State(s): State<Services>,
    Key(key): Key,
    Body(form): Body<AssignmentForm>,
) -> Result<(StatusCode, Json<Assignment>), ApiError> {
    key.require("assignment.manage")?;
    let created = assignments::create_assignment_in(&s, &key.actor(), &key.scope, &form).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Role and/or window of an assignment (`identity_id` and `node_id` cannot change).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    role_id: String,
    #[serde(default)]
    effective_from: Option<String>,
    #[serde(default)]
    effective_to: Option<String>,
}

pub async fn change(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    Body(change): Body<Change>,
) -> Result<Json<Assignment>, ApiError> {
    key.require("assignment.manage")?;
    let form = AssignmentForm {
        role_id: change.role_id,
        effective_from: change.effective_from,
        effective_to: change.effective_to,
        ..AssignmentForm::default()
    };
    Ok(Json(
        assignments::change_assignment_in(&s, &key.actor(), &key.scope, &id, &form).await?,
    ))
}

pub async fn remove(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    key.require("assignment.manage")?;
    assignments::remove_assignment_in(&s, &key.actor(), &key.scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn count_rule(field: &str, rows: usize) -> Result<(), AppError> {
    if rows == 0 || rows > BULK_MAX {
        return Err(AppError::validation(vec![FieldError::new(
            field,
            "count",
            format!("Send 1 to {BULK_MAX} rows; this request has {rows}."),
        )]));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkCreate {
    assignments: Vec<AssignmentForm>,
}

pub async fn bulk_create(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<BulkCreate>,
) -> Result<(StatusCode, Json<Bulk<Assignment>>), ApiError> {
    key.require("assignment.manage")?;
    count_rule("assignments", body.assignments.len())?;
    let results =
        assignments::bulk_create_in(&s, &key.actor(), &key.scope, &body.assignments).await?;
    Ok(bulk(results, "assignments.created"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkIds {
    assignment_ids: Vec<String>,
    #[serde(default)]
    role_id: Option<String>,
}

pub async fn bulk_remove(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<BulkIds>,
) -> Result<(StatusCode, Json<Bulk<()>>), ApiError> {
    key.require("assignment.manage")?;
    count_rule("assignment_ids", body.assignment_ids.len())?;
    let results =
        assignments::bulk_remove_in(&s, &key.actor(), &key.scope, &body.assignment_ids).await?;
    Ok(bulk(results, "assignments.removed"))
}

pub async fn bulk_change_role(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<BulkIds>,
) -> Result<(StatusCode, Json<Bulk<Assignment>>), ApiError> {
    key.require("assignment.manage")?;
    count_rule("assignment_ids", body.assignment_ids.len())?;
    let role_id = body.role_id.unwrap_or_default();
    let results = assignments::bulk_change_role_in(
        &s,
        &key.actor(),
        &key.scope,
        &body.assignment_ids,
        &role_id,
    )
    .await?;
    Ok(bulk(results, "assignments.updated"))
}

pub async fn identity_assignments(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Json<Vec<Assignment>>, ApiError> {
    key.require("assignment.read")?;
    app::services::identities::member_in_scope(&s, &key.scope, &id).await?;
    Ok(Json(
        assignments::assignments_of(&s, &key.scope, &id).await?,
    ))
}

#[derive(Serialize)]
pub struct Items<T> {
    items: Vec<T>,
}

pub async fn identity_permissions(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Json<Items<String>>, ApiError> {
    key.require("identity.read")?;
    app::services::identities::member_in_scope(&s, &key.scope, &id).await?;
    let keys = app::services::access_checks::effective_permissions(&s, &key.scope, &id).await?;
    Ok(Json(Items {
        items: keys.into_iter().collect(),
    }))
}

pub async fn roles(
    State(s): State<Services>,
    Key(key): Key,
) -> Result<Json<Items<Role>>, ApiError> {
    key.require("role.read")?;
    Ok(Json(Items {
        items: catalog::roles_in(&s, &key.scope).await?,
    }))
}

pub async fn nodes(
    State(s): State<Services>,
    Key(key): Key,
) -> Result<Json<HierarchyView>, ApiError> {
    key.require("node.read")?;
    Ok(Json(hierarchy::view_in(&s, &key.scope).await?))
}
