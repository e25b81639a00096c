//! The node hierarchy of an environment: switching between flat and hierarchy, the schema, and
//! node create / rename / status / move / delete. Every rule is checked before anything is
//! written, and every change runs in one transaction with its audit event.

use crate::error::{AppError, Resource};
use crate::model::tree::{self, AncestryError, PlacedAssignment, TreeRule};
use crate::model::{
    AccessModel, ActiveStatus, EnvScope, EnvironmentSettings, HierarchySchema, HierarchyView, Node,
    NodeForm, NodePatch, Precondition, RevertToFlatOutcome, SystemPermission,
};
use crate::services::audit::{self, Event};
use crate::services::{Caller, Services};
use crate::store::hierarchy::{self as store_h, AssignmentRow};
use crate::store::versioned::{self, Versioned};
use crate::store::{self, Tx};

fn rule(message: impl Into<String>) -> AppError {
    AppError::HierarchyRule {
        message: message.into(),
    }
}

fn event(caller: &Caller, action: &'static str) -> Event {
    caller.event(action, "hierarchy")
}

/// The environment's access model, schema and nodes.
pub async fn view(s: &Services, caller: &Caller) -> Result<HierarchyView, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    view_of(s, caller.env()?).await
}

/// The view a change answers with (its caller was authorised for the change).
async fn view_of(s: &Services, scope: &EnvScope) -> Result<HierarchyView, AppError> {
    let (settings, environment_version) = store_h::settings(s.db.reader(), scope).await?;
    let nodes = store_h::nodes(s.db.reader(), scope).await?;
    Ok(HierarchyView {
        settings,
        environment_version,
        nodes,
    })
}

async fn write_settings(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    version: i64,
    settings: &EnvironmentSettings,
) -> Result<(), AppError> {
    if !store_h::save_settings(tx, scope, version, settings, store::ms(s.now())).await? {
        return Err(AppError::VersionConflict);
    }
    Ok(())
}

/// Flat → hierarchy, with `schema` (the suggested default when `None`).
pub async fn enable_hierarchy(
    s: &Services,
    caller: &Caller,
    version: i64,
    schema: Option<HierarchySchema>,
) -> Result<HierarchyView, AppError> {
    caller.require(SystemPermission::EnvironmentManage)?;
    let schema = schema.unwrap_or_default();
    schema.validate().map_err(AppError::validation)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (settings, _) = store_h::settings(s.db.reader(), scope).await?;
    if settings.access_model == AccessModel::Hierarchy {
        return Err(rule("This environment already uses a hierarchy."));
    }
    // In flat mode only the root exists; it takes the schema's root type.
    for mut node in store_h::nodes(&mut *tx, scope).await? {
        if node.parent_node_id.is_none() && node.node_type != schema.root_node_type {
            let version = node.version;
            node.node_type = schema.root_node_type.clone();
            store_h::update_node(&mut tx, scope, &node, version, store::ms(s.now())).await?;
        }
    }
    let new_settings = EnvironmentSettings {
        access_model: AccessModel::Hierarchy,
        hierarchy_schema: Some(schema.clone()),
    };
    write_settings(s, &mut tx, scope, version, &new_settings).await?;
    let e = event(caller, "environment.access_model_changed")
        .resource("environment", &scope.environment_id, "")
        .metadata(serde_json::json!({ "access_model": "hierarchy", "hierarchy_schema": schema }));
    audit::commit(s, tx, vec![e]).await?;
    view_of(s, scope).await
}

/// Replaces the schema when every existing node still fits it.
pub async fn update_schema(
    s: &Services,
    caller: &Caller,
    version: i64,
    schema: HierarchySchema,
) -> Result<HierarchyView, AppError> {
    caller.require(SystemPermission::EnvironmentManage)?;
    schema.validate().map_err(AppError::validation)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (settings, _) = store_h::settings(s.db.reader(), scope).await?;
    if settings.access_model != AccessModel::Hierarchy {
        return Err(rule(
            "Switch this environment to a hierarchy before editing its schema.",
        ));
    }
    let nodes = store_h::nodes(&mut *tx, scope).await?;
    if let Some(problem) = tree::misfit(&schema, &nodes) {
        return Err(rule(format!(
            "The schema change would invalidate existing nodes: {problem}"
        )));
    }
    let new_settings = EnvironmentSettings {
        access_model: AccessModel::Hierarchy,
        hierarchy_schema: Some(schema.clone()),
    };
    write_settings(s, &mut tx, scope, version, &new_settings).await?;
    let e = event(caller, "environment.hierarchy_schema_updated")
        .resource("environment", &scope.environment_id, "")
        .metadata(serde_json::json!({ "hierarchy_schema": schema }));
    audit::commit(s, tx, vec![e]).await?;
    view_of(s, scope).await
}

/// A refusal of the tree's rules as the error the caller sees.
fn refused(r: TreeRule) -> AppError {
    match r {
        TreeRule::UnknownNode => AppError::NotFound {
            resource: Resource::Node,
        },
        other => rule(other.to_string()),
    }
}

/// Revert-to-flat's plan for these rows (see `tree::plan_revert`).
fn plan_revert(
    nodes: &[Node],
    root_id: &str,
    assignments: &[AssignmentRow],
    now_ms: i64,
) -> tree::RevertPlan {
    let placed: Vec<PlacedAssignment> = assignments
        .iter()
        .map(|a| PlacedAssignment {
            id: &a.id,
            identity_id: &a.identity_id,
            role_id: &a.role_id,
            node_id: &a.node_id,
            effective_to_ms: a.effective_to_ms,
        })
        .collect();
    tree::plan_revert(nodes, root_id, &placed, now_ms)
}

fn root_of(nodes: &[Node]) -> Result<&Node, AppError> {
    tree::root(nodes)
        .ok_or_else(|| AppError::internal("hierarchy", "environment without a root node"))
}

/// The counts revert-to-flat would produce right now, for the confirmation dialog.
pub async fn preview_revert(
    s: &Services,
    caller: &Caller,
) -> Result<RevertToFlatOutcome, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let nodes = store_h::nodes(&mut *tx, scope).await?;
    let root = root_of(&nodes)?;
    let assignments = store_h::assignments(&mut tx, scope).await?;
    tx.rollback().await?;
    Ok(plan_revert(&nodes, &root.id, &assignments, store::ms(s.now())).outcome)
}

pub async fn revert_to_flat(
    s: &Services,
    caller: &Caller,
    version: i64,
) -> Result<RevertToFlatOutcome, AppError> {
    caller.require(SystemPermission::EnvironmentManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (settings, _) = store_h::settings(s.db.reader(), scope).await?;
    if settings.access_model != AccessModel::Hierarchy {
        return Err(rule("This environment is already flat."));
    }
    let now_ms = store::ms(s.now());
    let nodes = store_h::nodes(&mut *tx, scope).await?;
    let root = root_of(&nodes)?.clone();
    let assignments = store_h::assignments(&mut tx, scope).await?;
    let plan = plan_revert(&nodes, &root.id, &assignments, now_ms);
    for id in &plan.deletes {
        store_h::delete_assignment(&mut tx, scope, id).await?;
    }
    for id in &plan.moves {
        store_h::move_assignment(&mut tx, scope, id, &root.id, now_ms).await?;
    }
    for id in &plan.nodes {
        store_h::delete_node(&mut tx, scope, id).await?;
    }
    let counts = plan.outcome;
    write_settings(
        s,
        &mut tx,
        scope,
        version,
        &EnvironmentSettings {
            access_model: AccessModel::Flat,
            hierarchy_schema: None,
        },
    )
    .await?;
    let e = event(caller, "environment.reverted_to_flat")
        .resource("environment", &scope.environment_id, "")
        .metadata(serde_json::to_value(counts).unwrap_or_default());
    audit::commit(s, tx, vec![e]).await?;
    Ok(counts)
}

/// The hierarchy's schema, or the rule that nodes need one.
async fn schema_for_nodes(s: &Services, scope: &EnvScope) -> Result<HierarchySchema, AppError> {
    let (settings, _) = store_h::settings(s.db.reader(), scope).await?;
    match (settings.access_model, settings.hierarchy_schema) {
        (AccessModel::Hierarchy, Some(schema)) => Ok(schema),
        _ => Err(rule(
            "This environment is flat: switch it to a hierarchy to add nodes.",
        )),
    }
}

/// Creates a node under `parent_id`, as the schema allows (type under that parent, depth).
pub async fn create_node(
    s: &Services,
    caller: &Caller,
    parent_id: &str,
    form: &NodeForm,
) -> Result<Node, AppError> {
    caller.require(SystemPermission::NodeManage)?;
    let scope = caller.env()?;
    let name = form
        .validate_name()
        .map_err(|e| AppError::validation(vec![e]))?;
    let schema = schema_for_nodes(s, scope).await?;
    let mut tx = s.db.begin().await?;
    let nodes = store_h::nodes(&mut *tx, scope).await?;
    let parent = nodes
        .iter()
        .find(|n| n.id == parent_id)
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })?;
    let node_type = form.node_type.trim();
    if !schema.node_types.iter().any(|t| t == node_type) {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "node_type",
            "unknown",
            format!("Choose one of: {}.", schema.node_types.join(", ")),
        )]));
    }
    let depth = tree::check_child(&schema, parent, node_type).map_err(refused)?;
    let id = s.new_id();
    let slug = tree::sibling_slug(&nodes, parent_id, &name, None);
    store_h::insert_node(
        &mut tx,
        scope,
        store_h::NewNode {
            id: &id,
            parent_id,
            node_type,
            name: &name,
            slug: &slug,
            depth,
            now_ms: store::ms(s.now()),
        },
    )
    .await?;
    let e = event(caller, "node.created")
        .resource("node", &id, &name)
        .metadata(serde_json::json!({ "parent_node_id": parent_id, "node_type": node_type }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(Node {
        id,
        environment_id: scope.environment_id.clone(),
        parent_node_id: Some(parent_id.to_owned()),
        node_type: node_type.to_owned(),
        name,
        slug,
        status: ActiveStatus::Active,
        depth,
        version: 1,
    })
}

/// The environment's nodes and the one about to change, read in `tx` (locked first when the
/// change takes whatever version is current), with the version the change is made against.
async fn node_to_change(
    tx: &mut Tx,
    scope: &EnvScope,
    id: &str,
    precondition: Precondition,
) -> Result<(Vec<Node>, Node, i64), AppError> {
    versioned::prepare(tx, Versioned::Node, scope, id, precondition).await?;
    let nodes = store_h::nodes(&mut **tx, scope).await?;
    let node = nodes
        .iter()
        .find(|n| n.id == id)
        .cloned()
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })?;
    let version = precondition.version(node.version)?;
    Ok((nodes, node, version))
}

/// Renames a node and/or sets its status (`active` / `inactive`) under `precondition`.
pub async fn update_node(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &NodePatch,
) -> Result<Node, AppError> {
    caller.require(SystemPermission::NodeManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (_, mut node, version) = node_to_change(&mut tx, scope, id, precondition).await?;
    let (name, active) = patch.apply(&node)?;
    let name = NodeForm {
        name,
        node_type: String::new(),
    }
    .validate_name()
    .map_err(|e| AppError::validation(vec![e]))?;
    if node.version != version {
        return Err(AppError::VersionConflict);
    }
    node.name = name;
    node.status = ActiveStatus::from_active(active);
    if !store_h::update_node(&mut tx, scope, &node, version, store::ms(s.now())).await? {
        return Err(AppError::VersionConflict);
    }
    node.version += 1;
    let e = event(caller, "node.updated")
        .resource("node", id, &node.name)
        .metadata(serde_json::json!({ "status": node.status }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(node)
}

/// Moves a node (with its subtree) under `new_parent_id`. Refuses the root, cycles, child types
/// the new parent does not allow, and subtrees that would grow deeper than the schema allows.
pub async fn move_node(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    new_parent_id: &str,
) -> Result<Node, AppError> {
    caller.require(SystemPermission::NodeManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (nodes, node, version) = node_to_change(&mut tx, scope, id, precondition).await?;
    let schema = schema_for_nodes(s, scope).await?;
    if node.version != version {
        return Err(AppError::VersionConflict);
    }
    let plan = tree::plan_move(&schema, &nodes, id, new_parent_id).map_err(refused)?;
    let mut moved = node.clone();
    moved.parent_node_id = Some(new_parent_id.to_owned());
    moved.depth = plan.depth;
    moved.slug = plan.slug.clone();
    if !store_h::update_node(&mut tx, scope, &moved, version, store::ms(s.now())).await? {
        return Err(AppError::VersionConflict);
    }
    for (descendant, depth) in &plan.descendants {
        store_h::set_depth(&mut tx, scope, &descendant.id, *depth).await?;
    }
    moved.version += 1;
    let e = event(caller, "node.moved")
        .resource("node", id, &node.name)
        .metadata(serde_json::json!({ "from": node.parent_node_id, "to": new_parent_id }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(moved)
}

/// Deletes a leaf node. The root never; a node with children → `nodes.has_children`; with
/// assignments → `nodes.has_assignments` unless `cascade`.
pub async fn delete_node(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    cascade: bool,
) -> Result<(), AppError> {
    caller.require(SystemPermission::NodeManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (nodes, node, version) = node_to_change(&mut tx, scope, id, precondition).await?;
    if node.version != version {
        return Err(AppError::VersionConflict);
    }
    if node.parent_node_id.is_none() {
        return Err(rule("The root node cannot be deleted."));
    }
    if nodes
        .iter()
        .any(|n| n.parent_node_id.as_deref() == Some(id))
    {
        return Err(AppError::NodeHasChildren);
    }
    let count = store_h::assignments_on_node(&mut tx, scope, id).await?;
    if count > 0 && !cascade {
        return Err(AppError::NodeHasAssignments { count });
    }
    store_h::delete_node(&mut tx, scope, id).await?;
    let e = event(caller, "node.deleted")
        .resource("node", id, &node.name)
        .metadata(serde_json::json!({ "assignments_removed": count }));
    audit::commit(s, tx, vec![e]).await
}

/// One node of the caller's environment.
pub async fn get_node(s: &Services, caller: &Caller, id: &str) -> Result<Node, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    store_h::node_by_id(s.db.reader(), caller.env()?, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })
}

/// The node's ancestors, root first (the node itself not included).
pub async fn ancestors(s: &Services, caller: &Caller, id: &str) -> Result<Vec<Node>, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    let nodes = store_h::nodes(s.db.reader(), caller.env()?).await?;
    match tree::ancestors(&nodes, id) {
        Ok(chain) => Ok(chain.into_iter().cloned().collect()),
        Err(AncestryError::UnknownNode) => Err(AppError::NotFound {
            resource: Resource::Node,
        }),
        Err(AncestryError::Cycle) => Err(AppError::internal("hierarchy", "parent cycle")),
    }
}
