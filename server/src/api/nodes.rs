//! `/api/v1/nodes`: the environment's hierarchy — list, create under a parent, rename or
//! (de)activate, move with the subtree, delete a leaf, ancestors. Versioned by `If-Match`; the
//! same schema rules and services as the dashboard's Hierarchy page.

use super::collection::{Collection, List, ListQuery};
use super::doc::{
    BodyTooLarge, KeyErrors, ListErrors, NodeNotFound, PreconditionRequired, VersionErrors,
};
use super::extract::{ApiError, Body, Key};
use super::versioning::{IfMatch, tagged};
use crate::envelope::ErrorEnvelope;
use app::error::AppError;
use app::model::api_bodies::{NewNode, NodeMove};
use app::model::{Node, NodePatch};
use app::services::Services;
use app::services::hierarchy;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use serde::Deserialize;

/// Every node, parents before children (as the tree is stored: by depth).
#[utoipa::path(
    get,
    operation_id = "listNodes",
    path = "/nodes",
    tag = "nodes",
    summary = "List the environment's nodes",
    description = "Every node, parents before children (by depth); a flat environment has only its \
        root. `q` matches name, slug and node type.",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of nodes.", body = Collection<Node>),
        ListErrors,
        KeyErrors,
    ),
    security(("api_key" = ["node.read"])),
)]
pub async fn list(
    State(s): State<Services>,
    Key(caller): Key,
    List(query): List,
) -> Result<Json<Collection<Node>>, ApiError> {
    let view = hierarchy::view(&s, &caller).await?;
    Ok(Json(Collection::of_list(view.nodes, &query, |n| {
        format!("{} {} {}", n.name, n.slug, n.node_type)
    })))
}

#[utoipa::path(
    post,
    operation_id = "createNode",
    path = "/nodes",
    tag = "nodes",
    summary = "Create a node under a parent",
    description = "The environment must use a hierarchy; the type must be one the schema allows \
        under the parent, within its depth. The slug is derived from the name, unique among \
        siblings.",
    request_body = NewNode,
    responses(
        (status = 201, description = "Created; `ETag` is its version.", body = Node,
            headers(("ETag" = String, description = "The node's version, for `If-Match`."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), or the hierarchy does not allow it here (`hierarchy.rule_violation`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "hierarchy.rule_violation", "message": "A team cannot sit under a organization (\"Acme\").", "path": "/api/v1/nodes", "method": "POST" } })),
        NodeNotFound,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["node.manage"])),
)]
pub async fn create(
    State(s): State<Services>,
    Key(caller): Key,
    Body(body): Body<NewNode>,
) -> Result<Response, ApiError> {
    let (parent_node_id, form) = body.into_parts();
    let node = hierarchy::create_node(&s, &caller, &parent_node_id, &form).await?;
    Ok(tagged(StatusCode::CREATED, node.version, node))
}

#[utoipa::path(
    get,
    operation_id = "getNode",
    path = "/nodes/{id}",
    tag = "nodes",
    summary = "Get a node",
    params(("id" = String, Path, description = "The node's id.")),
    responses(
        (status = 200, description = "The node; `ETag` is its version.", body = Node,
            headers(("ETag" = String, description = "The node's version, for `If-Match`."))),
        NodeNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["node.read"])),
)]
pub async fn show(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let node = hierarchy::get_node(&s, &caller, &id).await?;
    Ok(tagged(StatusCode::OK, node.version, node))
}

#[utoipa::path(
    patch,
    operation_id = "updateNode",
    path = "/nodes/{id}",
    tag = "nodes",
    summary = "Rename a node or change its status",
    description = "Absent fields stay. An inactive node grants nothing, at it or below it. Moving \
        is `POST /nodes/{id}/move`. Needs `If-Match`.",
    params(("id" = String, Path, description = "The node's id."), ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),),
    request_body = NodePatch,
    responses(
        (status = 200, description = "The node as it now is.", body = Node,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "A field broke a rule (`validation.invalid_input`, with `details.errors`), or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "validation.invalid_input", "message": "Some fields need attention.", "path": "/api/v1/nodes/0193a1f0-7777-7a00-8c32-4d5e6f708192", "method": "PATCH", "details": { "errors": [{ "field": "status", "rule": "invalid", "message": "status is active or inactive." }] } } })),
        NodeNotFound,
        VersionErrors,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["node.manage"])),
)]
pub async fn update(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
    Body(patch): Body<NodePatch>,
) -> Result<Response, ApiError> {
    let node = hierarchy::update_node(&s, &caller, &id, precondition, &patch).await?;
    Ok(tagged(StatusCode::OK, node.version, node))
}

/// `?cascade=true` also removes the assignments held at the node (else they block the delete).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Also remove the assignments held at the node.
    #[serde(default)]
    #[param(default = false)]
    cascade: bool,
}

#[utoipa::path(
    delete,
    operation_id = "deleteNode",
    path = "/nodes/{id}",
    tag = "nodes",
    summary = "Delete a leaf node",
    description = "Never the root; a node with children answers `nodes.has_children`. Assignments \
        at the node block the delete (`nodes.has_assignments`) unless `cascade=true`, which removes \
        them too. Needs `If-Match`.",
    params(("id" = String, Path, description = "The node's id."), ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."), DeleteQuery),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The root, or `If-Match` does not follow its grammar (`request.malformed`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "hierarchy.rule_violation", "message": "The root node cannot be deleted.", "path": "/api/v1/nodes/0193a1f0-7777-7a00-8c32-4d5e6f708192", "method": "DELETE" } })),
        NodeNotFound,
        (status = 409, description = "The node has children (`nodes.has_children`), or assignments and no `cascade` (`nodes.has_assignments`), or it changed since the `If-Match` version was read (`common.version_conflict`).", body = ErrorEnvelope,
            example = json!({ "error": { "status": 409, "code": "nodes.has_children", "message": "This node has child nodes. Move or delete them first.", "path": "/api/v1/nodes/0193a1f0-7777-7a00-8c32-4d5e6f708192", "method": "DELETE" } })),
        PreconditionRequired,
        KeyErrors,
    ),
    security(("api_key" = ["node.manage"])),
)]
pub async fn remove(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        detail: e.body_text(),
    })?;
    hierarchy::delete_node(&s, &caller, &id, precondition, query.cascade).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /nodes/{id}/move`: under another parent, with the whole subtree.
#[utoipa::path(
    post,
    operation_id = "moveNode",
    path = "/nodes/{id}/move",
    tag = "nodes",
    summary = "Move a node, with its subtree, under another parent",
    description = "Refused for the root, under itself or its descendants, for a type the new parent \
        does not allow, and when the subtree would grow deeper than the schema. Needs `If-Match`.",
    params(("id" = String, Path, description = "The node's id."), ("If-Match" = String, Header, description = "The `ETag` read, like `\"3\"`, a list of up to 16 entity tags (any may match), or `*`."),),
    request_body = NodeMove,
    responses(
        (status = 200, description = "The node in its new place.", body = Node,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "The move breaks a hierarchy rule.", body = ErrorEnvelope,
            example = json!({ "error": { "status": 400, "code": "hierarchy.rule_violation", "message": "A node cannot move under itself or its own descendants.", "path": "/api/v1/nodes/0193a1f0-7777-7a00-8c32-4d5e6f708192/move", "method": "POST" } })),
        NodeNotFound,
        VersionErrors,
        BodyTooLarge,
        KeyErrors,
    ),
    security(("api_key" = ["node.manage"])),
)]
pub async fn move_node(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    IfMatch(precondition): IfMatch,
    Body(body): Body<NodeMove>,
) -> Result<Response, ApiError> {
    let node = hierarchy::move_node(&s, &caller, &id, precondition, &body.parent_node_id).await?;
    Ok(tagged(StatusCode::OK, node.version, node))
}

/// The node's ancestors, root first.
#[utoipa::path(
    get,
    operation_id = "listNodeAncestors",
    path = "/nodes/{id}/ancestors",
    tag = "nodes",
    summary = "A node's ancestors, root first",
    description = "The chain from the root down to the node's parent (the node itself is not in \
        it); empty for the root.",
    params(("id" = String, Path, description = "The node's id."), ListQuery),
    responses(
        (status = 200, description = "The ancestors.", body = Collection<Node>),
        ListErrors,
        NodeNotFound,
        KeyErrors,
    ),
    security(("api_key" = ["node.read"])),
)]
pub async fn ancestors(
    State(s): State<Services>,
    Key(caller): Key,
    Path(id): Path<String>,
    List(query): List,
) -> Result<Json<Collection<Node>>, ApiError> {
    let chain = hierarchy::ancestors(&s, &caller, &id).await?;
    Ok(Json(Collection::of_list(chain, &query, |n| n.name.clone())))
}
