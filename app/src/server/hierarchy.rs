//! Access Control › Hierarchy.

use crate::error::AppError;
use crate::model::{EnvPath, HierarchySchema, HierarchyView, Node, NodeForm, RevertToFlatOutcome};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "hierarchy", input = Json)]
pub async fn load_hierarchy(env: EnvPath) -> Result<HierarchyView, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::view(&s, &caller).await
}

/// Flat → hierarchy; `schema: None` takes the suggested default.
#[server(endpoint = "enable_hierarchy", input = Json)]
pub async fn enable_hierarchy(
    env: EnvPath,
    version: i64,
    schema: Option<HierarchySchema>,
) -> Result<HierarchyView, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::enable_hierarchy(&s, &caller, version, schema).await
}

#[server(endpoint = "update_hierarchy_schema", input = Json)]
pub async fn update_hierarchy_schema(
    env: EnvPath,
    version: i64,
    schema: HierarchySchema,
) -> Result<HierarchyView, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::update_schema(&s, &caller, version, schema).await
}

#[server(endpoint = "preview_revert_to_flat", input = Json)]
pub async fn preview_revert_to_flat(env: EnvPath) -> Result<RevertToFlatOutcome, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::preview_revert(&s, &caller).await
}

#[server(endpoint = "revert_to_flat", input = Json)]
pub async fn revert_to_flat(env: EnvPath, version: i64) -> Result<RevertToFlatOutcome, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::revert_to_flat(&s, &caller, version).await
}

#[server(endpoint = "create_node", input = Json)]
pub async fn create_node(
    env: EnvPath,
    parent_node_id: String,
    form: NodeForm,
) -> Result<Node, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::create_node(&s, &caller, &parent_node_id, &form).await
}

/// The node dialog edits both fields it shows, against the version it showed.
#[server(endpoint = "update_node", input = Json)]
pub async fn update_node(
    env: EnvPath,
    id: String,
    version: i64,
    name: String,
    active: bool,
) -> Result<Node, AppError> {
    use crate::model::{NodePatch, Precondition};
    let (s, caller) = super::context::caller_in(&env).await?;
    let patch = NodePatch {
        name: Some(name),
        status: Some(
            crate::model::ActiveStatus::from_active(active)
                .as_str()
                .to_owned(),
        ),
    };
    crate::services::hierarchy::update_node(
        &s,
        &caller,
        &id,
        Precondition::Version(version),
        &patch,
    )
    .await
}

#[server(endpoint = "move_node", input = Json)]
pub async fn move_node(
    env: EnvPath,
    id: String,
    version: i64,
    parent_node_id: String,
) -> Result<Node, AppError> {
    use crate::model::Precondition;
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::move_node(
        &s,
        &caller,
        &id,
        Precondition::Version(version),
        &parent_node_id,
    )
    .await
}

#[server(endpoint = "delete_node", input = Json)]
pub async fn delete_node(
    env: EnvPath,
    id: String,
    version: i64,
    cascade: bool,
) -> Result<(), AppError> {
    use crate::model::Precondition;
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::hierarchy::delete_node(
        &s,
        &caller,
        &id,
        Precondition::Version(version),
        cascade,
    )
    .await
}
