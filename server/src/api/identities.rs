//! `/api/v1/identities`: create (Identity + membership + optional assignment, one transaction),
//! list, show. The same `IdentityForm` rules and the same service as the dashboard's dialog.

use super::extract::{ApiError, Body, Key};
use app::error::{AppError, FieldError};
use app::model::{Assignment, Identity, IdentityForm, MemberRow};
use app::services::Services;
use app::services::identities;
use axum::Json;
use axum::extract::{Path, Query, State};
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
    Ok((
        StatusCode::CREATED,
        Json(CreatedResponse {
            identity: created.identity,
            membership_id: created.membership_id,
            assignment: created.assignment,
        }),
    ))
}

/// `page` (1-based), `take` (1–100, default 20), `q`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default = "first_page")]
    page: i64,
    #[serde(default = "default_take")]
    take: i64,
    #[serde(default)]
    q: String,
}

fn first_page() -> i64 {
    1
}

fn default_take() -> i64 {
    20
}

#[derive(Serialize)]
pub struct Pagination {
    page: i64,
    take: i64,
    item_count: i64,
    page_count: i64,
    has_previous_page: bool,
    has_next_page: bool,
}

#[derive(Serialize)]
pub struct Collection<T> {
    items: Vec<T>,
    pagination: Pagination,
}

pub async fn list(
    State(s): State<Services>,
    Key(key): Key,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Collection<MemberRow>>, ApiError> {
    key.require("identity.read")?;
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        detail: e.body_text(),
    })?;
    let mut errors = Vec::new();
    if query.page < 1 {
        errors.push(FieldError::new("page", "out_of_range", "page starts at 1."));
    }
    if !(1..=100).contains(&query.take) {
        errors.push(FieldError::new(
            "take",
            "out_of_range",
            "take must be 1 to 100.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors).into());
    }
    let page = identities::members_in_scope(&s, &key.scope, &query.q, None, query.page, query.take)
        .await?;
    let page_count = page.pages();
    Ok(Json(Collection {
        pagination: Pagination {
            page: page.page,
            take: page.per_page,
            item_count: page.total,
            page_count,
            has_previous_page: page.page > 1,
            has_next_page: page.page < page_count,
        },
        items: page.items,
    }))
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
