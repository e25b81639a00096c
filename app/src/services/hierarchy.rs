//! The node hierarchy of an environment: switching between flat and hierarchy, the schema, and
//! node create / rename / status / move / delete. Every rule is checked before anything is
//! written, and every change runs in one transaction with its audit event.

use crate::error::{AppError, Resource};
use crate::model::{
    AccessModel, EnvScope, EnvironmentSettings, HierarchySchema, HierarchyView, Node, NodeForm,
    NodePatch, Precondition, RevertToFlatOutcome, Slug, SystemPermission,
};
use crate::services::audit::{self, Event};
use crate::services::{Caller, Services};
use crate::store::hierarchy::{self as store_h, AssignmentRow};
use crate::store::versioned::{self, Versioned};
use crate::store::{self, Tx};
use std::collections::{BTreeMap, HashMap, HashSet};

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
    let (settings, environment_version) = store_h::settings(s.db.reader(), scope.key()).await?;
    let nodes = store_h::nodes(s.db.reader(), scope.key()).await?;
    Ok(HierarchyView {
        settings,
        environment_version,
        nodes,
    })
}

/// The first way `nodes` break `schema`, if any.
fn misfit(schema: &HierarchySchema, nodes: &[Node]) -> Option<String> {
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    for node in nodes {
        if !schema.node_types.contains(&node.node_type) {
            return Some(format!(
                "The node \"{}\" is a {}, which the schema no longer has.",
                node.name, node.node_type
            ));
        }
        if node.depth > i64::from(schema.max_depth) {
            return Some(format!(
                "The node \"{}\" is at depth {}, deeper than {}.",
                node.name, node.depth, schema.max_depth
            ));
        }
        match node.parent_node_id.as_deref().and_then(|p| by_id.get(p)) {
            None if node.node_type != schema.root_node_type => {
                return Some(format!(
                    "The root is a {}, not a {}.",
                    node.node_type, schema.root_node_type
                ));
            }
            Some(parent) if !schema.allows(&parent.node_type, &node.node_type) => {
                return Some(format!(
                    "\"{}\" ({}) sits under \"{}\" ({}), which the schema would not allow.",
                    node.name, node.node_type, parent.name, parent.node_type
                ));
            }
            _ => {}
        }
    }
    None
}

async fn write_settings(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    version: i64,
    settings: &EnvironmentSettings,
) -> Result<(), AppError> {
    if !store_h::save_settings(tx, scope.key(), version, settings, store::ms(s.now())).await? {
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
    let (settings, _) = store_h::settings(s.db.reader(), scope.key()).await?;
    if settings.access_model == AccessModel::Hierarchy {
        return Err(rule("This environment already uses a hierarchy."));
    }
    // In flat mode only the root exists; it takes the schema's root type.
    for mut node in store_h::nodes(&mut *tx, scope.key()).await? {
        if node.parent_node_id.is_none() && node.node_type != schema.root_node_type {
            let version = node.version;
            node.node_type = schema.root_node_type.clone();
            store_h::update_node(&mut tx, scope.key(), &node, version, store::ms(s.now())).await?;
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
    let (settings, _) = store_h::settings(s.db.reader(), scope.key()).await?;
    if settings.access_model != AccessModel::Hierarchy {
        return Err(rule(
            "Switch this environment to a hierarchy before editing its schema.",
        ));
    }
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    if let Some(problem) = misfit(&schema, &nodes) {
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

/// What revert-to-flat does with the assignments: expired ones are dropped (reviving them as
/// unbounded root rows would resurrect dead access); of the rest, one per (identity, role) is
/// kept — one already on the root if there is one — and moved to the root; the others go.
fn plan_revert(
    assignments: &[AssignmentRow],
    root_id: &str,
    now_ms: i64,
) -> (RevertToFlatOutcome, Vec<String>, Vec<String>) {
    let mut counts = RevertToFlatOutcome::default();
    let mut moves = Vec::new();
    let mut deletes = Vec::new();
    let mut groups: BTreeMap<(&str, &str), Vec<&AssignmentRow>> = BTreeMap::new();
    for a in assignments {
        if a.effective_to_ms.is_some_and(|to| to <= now_ms) {
            counts.assignments_expired_dropped += 1;
            deletes.push(a.id.clone());
        } else {
            groups
                .entry((&a.identity_id, &a.role_id))
                .or_default()
                .push(a);
        }
    }
    for (_, mut group) in groups {
        group.sort_by_key(|a| a.node_id != root_id);
        let (keep, rest) = group.split_at(1);
        if keep[0].node_id != root_id {
            counts.assignments_moved += 1;
            moves.push(keep[0].id.clone());
        }
        for a in rest {
            counts.assignments_deduplicated += 1;
            deletes.push(a.id.clone());
        }
    }
    (counts, moves, deletes)
}

fn root_of(nodes: &[Node]) -> Result<&Node, AppError> {
    nodes
        .iter()
        .find(|n| n.parent_node_id.is_none())
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
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    let root = root_of(&nodes)?;
    let assignments = store_h::assignments(&mut tx, scope.key()).await?;
    tx.rollback().await?;
    let (mut counts, _, _) = plan_revert(&assignments, &root.id, store::ms(s.now()));
    counts.nodes_deleted = i64::try_from(nodes.len().saturating_sub(1)).unwrap_or(i64::MAX);
    Ok(counts)
}

pub async fn revert_to_flat(
    s: &Services,
    caller: &Caller,
    version: i64,
) -> Result<RevertToFlatOutcome, AppError> {
    caller.require(SystemPermission::EnvironmentManage)?;
    let scope = caller.env()?;
    let mut tx = s.db.begin().await?;
    let (settings, _) = store_h::settings(s.db.reader(), scope.key()).await?;
    if settings.access_model != AccessModel::Hierarchy {
        return Err(rule("This environment is already flat."));
    }
    let now_ms = store::ms(s.now());
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    let root = root_of(&nodes)?.clone();
    let assignments = store_h::assignments(&mut tx, scope.key()).await?;
    let (mut counts, moves, deletes) = plan_revert(&assignments, &root.id, now_ms);
    for id in &deletes {
        store_h::delete_assignment(&mut tx, scope.key(), id).await?;
    }
    for id in &moves {
        store_h::move_assignment(&mut tx, scope.key(), id, &root.id, now_ms).await?;
    }
    let mut doomed: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.parent_node_id.is_some())
        .collect();
    doomed.sort_by_key(|n| std::cmp::Reverse(n.depth));
    for node in &doomed {
        store_h::delete_node(&mut tx, scope.key(), &node.id).await?;
    }
    counts.nodes_deleted = i64::try_from(doomed.len()).unwrap_or(i64::MAX);
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
    let (settings, _) = store_h::settings(s.db.reader(), scope.key()).await?;
    match (settings.access_model, settings.hierarchy_schema) {
        (AccessModel::Hierarchy, Some(schema)) => Ok(schema),
        _ => Err(rule(
            "This environment is flat: switch it to a hierarchy to add nodes.",
        )),
    }
}

/// A slug for `name` that no sibling under `parent` uses.
fn sibling_slug(nodes: &[Node], parent: &str, name: &str, except: Option<&str>) -> String {
    let taken: HashSet<&str> = nodes
        .iter()
        .filter(|n| n.parent_node_id.as_deref() == Some(parent) && Some(n.id.as_str()) != except)
        .map(|n| n.slug.as_str())
        .collect();
    let base = Slug::derive(name, "node");
    if !taken.contains(base.as_str()) {
        return base.to_string();
    }
    (2..)
        .map(|n| base.with_suffix(n))
        .find(|s| !taken.contains(s.as_str()))
        .unwrap_or(base)
        .to_string()
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
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
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
    if !schema.allows(&parent.node_type, node_type) {
        return Err(rule(format!(
            "A {node_type} cannot sit under a {} (\"{}\").",
            parent.node_type, parent.name
        )));
    }
    let depth = parent.depth + 1;
    if depth > i64::from(schema.max_depth) {
        return Err(rule(format!(
            "The hierarchy is limited to {} levels.",
            schema.max_depth
        )));
    }
    let id = s.new_id();
    let slug = sibling_slug(&nodes, parent_id, &name, None);
    store_h::insert_node(
        &mut tx,
        scope.key(),
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
        status: "active".to_owned(),
        depth,
        version: 1,
    })
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
    versioned::prepare(&mut tx, Versioned::Node, scope.key(), id, precondition).await?;
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    let mut node = nodes
        .iter()
        .find(|n| n.id == id)
        .cloned()
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })?;
    let version = precondition.version(node.version)?;
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
    node.status = if active { "active" } else { "inactive" }.to_owned();
    if !store_h::update_node(&mut tx, scope.key(), &node, version, store::ms(s.now())).await? {
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
    versioned::prepare(&mut tx, Versioned::Node, scope.key(), id, precondition).await?;
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let node = (*by_id.get(id).ok_or(AppError::NotFound {
        resource: Resource::Node,
    })?)
    .clone();
    let version = precondition.version(node.version)?;
    let schema = schema_for_nodes(s, scope).await?;
    if node.version != version {
        return Err(AppError::VersionConflict);
    }
    if node.parent_node_id.is_none() {
        return Err(rule("The root node cannot be moved."));
    }
    let parent = by_id.get(new_parent_id).ok_or(AppError::NotFound {
        resource: Resource::Node,
    })?;
    // The subtree of `node`, to refuse cycles and to re-depth it.
    let mut children: HashMap<&str, Vec<&Node>> = HashMap::new();
    for n in &nodes {
        if let Some(p) = n.parent_node_id.as_deref() {
            children.entry(p).or_default().push(n);
        }
    }
    let mut subtree = vec![&node];
    let mut i = 0;
    while i < subtree.len() {
        let current = subtree[i].id.as_str();
        subtree.extend(children.get(current).into_iter().flatten().copied());
        i += 1;
    }
    if subtree.iter().any(|n| n.id == new_parent_id) {
        return Err(rule(
            "A node cannot move under itself or its own descendants.",
        ));
    }
    if !schema.allows(&parent.node_type, &node.node_type) {
        return Err(rule(format!(
            "A {} cannot sit under a {} (\"{}\").",
            node.node_type, parent.node_type, parent.name
        )));
    }
    let delta = parent.depth + 1 - node.depth;
    let deepest = subtree.iter().map(|n| n.depth).max().unwrap_or(node.depth) + delta;
    if deepest > i64::from(schema.max_depth) {
        return Err(rule(format!(
            "The move would make the tree {deepest} levels deep; the limit is {}.",
            schema.max_depth
        )));
    }
    let mut moved = node.clone();
    moved.parent_node_id = Some(new_parent_id.to_owned());
    moved.depth = node.depth + delta;
    moved.slug = sibling_slug(&nodes, new_parent_id, &node.slug, Some(id));
    if !store_h::update_node(&mut tx, scope.key(), &moved, version, store::ms(s.now())).await? {
        return Err(AppError::VersionConflict);
    }
    for descendant in subtree.iter().skip(1) {
        store_h::set_depth(
            &mut tx,
            scope.key(),
            &descendant.id,
            descendant.depth + delta,
        )
        .await?;
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
    versioned::prepare(&mut tx, Versioned::Node, scope.key(), id, precondition).await?;
    let nodes = store_h::nodes(&mut *tx, scope.key()).await?;
    let node = nodes
        .iter()
        .find(|n| n.id == id)
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })?;
    let version = precondition.version(node.version)?;
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
    let count = store_h::assignments_on_node(&mut tx, scope.key(), id).await?;
    if count > 0 && !cascade {
        return Err(AppError::NodeHasAssignments { count });
    }
    store_h::delete_node(&mut tx, scope.key(), id).await?;
    let e = event(caller, "node.deleted")
        .resource("node", id, &node.name)
        .metadata(serde_json::json!({ "assignments_removed": count }));
    audit::commit(s, tx, vec![e]).await
}

/// One node of the caller's environment.
pub async fn get_node(s: &Services, caller: &Caller, id: &str) -> Result<Node, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    store_h::node_by_id(s.db.reader(), caller.env()?.key(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Node,
        })
}

/// The node's ancestors, root first (the node itself not included).
pub async fn ancestors(s: &Services, caller: &Caller, id: &str) -> Result<Vec<Node>, AppError> {
    caller.require(SystemPermission::NodeRead)?;
    let nodes = store_h::nodes(s.db.reader(), caller.env()?.key()).await?;
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut current = *by_id.get(id).ok_or(AppError::NotFound {
        resource: Resource::Node,
    })?;
    let mut chain = Vec::new();
    // Bounded by the node count, so a corrupt parent cycle cannot loop forever.
    while let Some(parent) = current.parent_node_id.as_deref().and_then(|p| by_id.get(p)) {
        if chain.len() >= nodes.len() {
            return Err(AppError::internal("hierarchy", "parent cycle"));
        }
        chain.push((*parent).clone());
        current = parent;
    }
    chain.reverse();
    Ok(chain)
}
