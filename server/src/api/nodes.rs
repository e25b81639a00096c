//! `/api/v1/nodes`: the environment's hierarchy — list, create under a parent, rename or
//! (de)activate, move with the subtree, delete a leaf, ancestors. Versioned by `If-Match`; the
//! same schema rules and services as the dashboard's Hierarchy page.

use super::collection::{Collection, List};
use super::extract::{ApiError, Body, Key};
use super::versioning::{IfMatch, etag};
use app::error::{AppError, FieldError};
use app::model::{Node, NodeForm};
use app::services::Services;
use app::services::hierarchy;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

fn tagged(status: StatusCode, node: Node) -> Response {
    (status, etag(node.version), Json(node)).into_response()
}

/// Every node, parents before children (as the tree is stored: by depth).
pub async fn list(
    State(s): State<Services>,
    Key(key): Key,
    List(query): List,
) -> Result<Json<Collection<Node>>, ApiError> {
    key.require("node.read")?;
    let view = hierarchy::view_in(&s, &key.scope).await?;
    Ok(Json(Collection::of_list(view.nodes, &query, |n| {
        format!("{} {} {}", n.name, n.slug, n.node_type)
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    parent_node_id: String,
    node_type: String,
    name: String,
}

pub async fn create(
    State(s): State<Services>,
    Key(key): Key,
    Body(body): Body<NewNode>,
) -> Result<Response, ApiError> {
    key.require("node.manage")?;
    let form = NodeForm {
        name: body.name,
        node_type: body.node_type,
    };
    let node = hierarchy::create_node_in(&s, &key.actor(), &key.scope, &body.parent_node_id, &form)
        .await?;
    Ok(tagged(StatusCode::CREATED, node))
}

pub async fn show(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    key.require("node.read")?;
    Ok(tagged(
        StatusCode::OK,
        hierarchy::node_in(&s, &key.scope, &id).await?,
    ))
}

/// `PATCH /nodes/{id}`: name and/or status (`active` | `inactive`). Moving is `POST …/move`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

pub async fn update(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(patch): Body<NodePatch>,
) -> Result<Response, ApiError> {
    key.require("node.manage")?;
    let current = hierarchy::node_in(&s, &key.scope, &id).await?;
    let active = match patch.status.as_deref() {
        None => current.status == "active",
        Some("active") => true,
        Some("inactive") => false,
        Some(_) => {
            return Err(AppError::validation(vec![FieldError::new(
                "status",
                "invalid",
                "status is active or inactive.",
            )])
            .into());
        }
    };
    let version = if_match.version(current.version)?;
    let name = patch.name.unwrap_or(current.name);
    let node = hierarchy::update_node_in(&s, &key.actor(), &key.scope, &id, version, &name, active)
        .await?;
    Ok(tagged(StatusCode::OK, node))
}

/// `?cascade=true` also removes the assignments held at the node (else they block the delete).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    #[serde(default)]
    cascade: bool,
}

pub async fn remove(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    key.require("node.manage")?;
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        detail: e.body_text(),
    })?;
    let current = hierarchy::node_in(&s, &key.scope, &id).await?;
    let version = if_match.version(current.version)?;
    hierarchy::delete_node_in(&s, &key.actor(), &key.scope, &id, version, query.cascade).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    parent_node_id: String,
}

/// `POST /nodes/{id}/move`: under another parent, with the whole subtree.
pub async fn move_node(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(body): Body<Move>,
) -> Result<Response, ApiError> {
    key.require("node.manage")?;
    let current = hierarchy::node_in(&s, &key.scope, &id).await?;
    let version = if_match.version(current.version)?;
    let node = hierarchy::move_node_in(
        &s,
        &key.actor(),
        &key.scope,
        &id,
        version,
        &body.parent_node_id,
    )
    .await?;
    Ok(tagged(StatusCode::OK, node))
}

/// The node's ancestors, root first.
pub async fn ancestors(
    State(s): State<Services>,
    Key(key): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<Node>>, ApiError> {
    key.require("node.read")?;
    let chain = hierarchy::ancestors_in(&s, &key.scope, &id).await?;
    Ok(Json(Collection::of_list(chain, &query, |n| n.name.clone())))
}
