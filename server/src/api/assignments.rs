//! `/api/v1/assignments` (+ bulk forms) and the environment's roles and nodes, read-only here.

use super::bulk::{Bulk, bulk, count_rule};
use super::collection::{Collection, List};
use super::extract::{ApiError, Body, Key};

use app::model::{Assignment, AssignmentForm};
use app::services::Services;
use app::services::assignments;
use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use serde::Deserialize;

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
    List(query): List,
) -> Result<Json<Collection<Assignment>>, ApiError> {
    key.require("assignment.read")?;
    app::services::identities::member_in_scope(&s, &key.scope, &id).await?;
    let held = assignments::assignments_of(&s, &key.scope, &id).await?;
    Ok(Json(Collection::of_list(held, &query, |a| {
        format!("{} {}", a.role_name, a.node_name)
    })))
}

/// What the identity may do anywhere in this environment (the union over the tree), by key.
pub async fn identity_permissions(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<String>>, ApiError> {
    key.require("identity.read")?;
    app::services::identities::member_in_scope(&s, &key.scope, &id).await?;
    let keys = app::services::access_checks::effective_permissions(&s, &key.scope, &id).await?;
    Ok(Json(Collection::of_list(
        keys.into_iter().collect(),
        &query,
        String::clone,
    )))
}
