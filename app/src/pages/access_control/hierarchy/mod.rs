//! Access Control › Hierarchy: flat or a typed tree. In hierarchy mode: the tree (expand,
//! collapse, search), add child, rename, (de)activate, move and delete, the schema, and revert
//! to flat with its consequences shown before confirming. The tree's rules come from
//! `model::tree`, the same functions the hierarchy service enforces.

mod access_checker;
mod node_dialog;
mod revert;
mod schema_editor;

use crate::components::dialog::Dialog;
use crate::components::env_resource::env_resource;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::tree;
use crate::model::{AccessModel, HierarchySchema, HierarchyView, Node};
use crate::pages::access_control::node_detail::NodeDetail;
use crate::server::hierarchy::load_hierarchy;
use access_checker::AccessChecker;
use leptos::prelude::*;
use leptos_meta::Title;
use node_dialog::{NodeAction, NodeActionForm};
use revert::RevertDialog;
use schema_editor::SchemaEditor;
use std::collections::{BTreeSet, HashMap};

#[component]
pub fn HierarchyPage() -> impl IntoView {
    let (hierarchy, reload) = env_resource(load_hierarchy);
    // The tree's search and collapsed nodes live here, above the reload: a write re-renders the
    // body with fresh nodes, and what the admin typed or folded meanwhile must survive it.
    let tree_state = TreeState {
        search: RwSignal::new(String::new()),
        collapsed: RwSignal::new(BTreeSet::new()),
    };
    view! {
        <Title text="Hierarchy" />
        <Transition fallback=|| view! { <Loading label="Loading the hierarchy…" /> }>
            {move || Suspend::new(async move {
                match hierarchy.await {
                    Ok(view) => view! { <HierarchyBody view tree_state on_changed=reload /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// What the admin did to the tree's presentation: kept across reloads of its data.
#[derive(Clone, Copy)]
struct TreeState {
    search: RwSignal<String>,
    collapsed: RwSignal<BTreeSet<String>>,
}

#[component]
fn HierarchyBody(
    view: HierarchyView,
    tree_state: TreeState,
    on_changed: Callback<()>,
) -> impl IntoView {
    let flat = view.settings.access_model == AccessModel::Flat;
    let version = view.environment_version;
    let schema = view.settings.hierarchy_schema.clone().unwrap_or_default();
    let nodes = StoredValue::new(view.nodes);
    let action = RwSignal::new(None::<NodeAction>);
    let action_open = RwSignal::new(false);
    let schema_open = RwSignal::new(false);
    let revert_open = RwSignal::new(false);
    let open_action = Callback::new(move |a: NodeAction| {
        action.set(Some(a));
        action_open.set(true);
    });
    let schema = StoredValue::new(schema);
    let selected = RwSignal::new(None::<String>);
    let detail_refresh = RwSignal::new(0u32);
    view! {
        <div class="page-header">
            <div>
                <p class="eyebrow">"Access Control"</p>
                <h1>"Hierarchy " <span class="pill" data-testid="access-model">{if flat { "Flat" } else { "Hierarchy" }}</span></h1>
                <p class="muted">{if flat {
                    "Flat: every assignment sits on the root and applies everywhere. Switch to a hierarchy to model organizations, regions and teams; an assignment on a node cascades to everything below it."
                } else {
                    "An assignment on a node applies to that node and everything below it."
                }}</p>
            </div>
            <div class="page-actions">
                {if flat {
                    view! { <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| schema_open.set(true) data-testid="switch-to-hierarchy">"Switch to hierarchy"</button> }.into_any()
                } else {
                    view! {
                        <button class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| schema_open.set(true) data-testid="edit-schema">"Edit schema"</button>
                        <button class="btn btn-secondary danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| revert_open.set(true) data-testid="revert-to-flat">"Revert to flat"</button>
                    }.into_any()
                }}
            </div>
        </div>
        <div class="hierarchy-layout">
            <Tree nodes=nodes.get_value() schema=schema.get_value() flat state=tree_state open_action selected />
            <NodeDetail node_id=selected refresh=detail_refresh />
        </div>
        <AccessChecker nodes=nodes.get_value() />
        <Dialog open=schema_open title=if flat { "Switch to a hierarchy" } else { "Edit the hierarchy schema" } testid="schema-dialog">
            <SchemaEditor open=schema_open flat version schema=schema.get_value() on_done=on_changed />
        </Dialog>
        <Dialog open=revert_open title="Revert to flat?" testid="revert-dialog">
            <RevertDialog open=revert_open version on_done=on_changed />
        </Dialog>
        <Dialog open=action_open title=Signal::derive(move || match action.get() {
            Some(NodeAction::AddChild(n)) => format!("Add a node under {}", n.name),
            Some(NodeAction::Edit(n)) => format!("Edit {}", n.name),
            Some(NodeAction::Move(n)) => format!("Move {}", n.name),
            Some(NodeAction::Delete(n)) => format!("Delete {}?", n.name),
            None => String::new(),
        }) testid="node-dialog">
            {move || action.get().map(|a| view! { <NodeActionForm action=a nodes=nodes.get_value() schema=schema.get_value() open=action_open on_done=on_changed /> })}
        </Dialog>
    }
}

#[component]
fn Tree(
    nodes: Vec<Node>,
    schema: HierarchySchema,
    flat: bool,
    state: TreeState,
    open_action: Callback<NodeAction>,
    /// The node whose detail is open.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let TreeState { search, collapsed } = state;
    let by_id: HashMap<String, Node> = nodes.iter().map(|n| (n.id.clone(), n.clone())).collect();
    let nodes = StoredValue::new(nodes);
    let by_id = StoredValue::new(by_id);
    let schema = StoredValue::new(schema);
    // Depth-first order, hiding collapsed subtrees; a search shows matches with their ancestors.
    let rows = move || {
        let needle = search.get().trim().to_lowercase();
        let collapsed = collapsed.get();
        let mut children: HashMap<Option<String>, Vec<Node>> = HashMap::new();
        nodes.with_value(|all| {
            for n in all {
                children
                    .entry(n.parent_node_id.clone())
                    .or_default()
                    .push(n.clone());
            }
        });
        let visible: Option<BTreeSet<String>> = (!needle.is_empty()).then(|| {
            let mut keep = BTreeSet::new();
            by_id.with_value(|by_id| {
                for n in by_id
                    .values()
                    .filter(|n| n.name.to_lowercase().contains(&needle))
                {
                    let mut current = Some(n.clone());
                    while let Some(c) = current {
                        keep.insert(c.id.clone());
                        current = c
                            .parent_node_id
                            .as_ref()
                            .and_then(|p| by_id.get(p).cloned());
                    }
                }
            });
            keep
        });
        let mut out = Vec::new();
        let mut stack: Vec<Node> = children.get(&None).cloned().unwrap_or_default();
        while let Some(n) = stack.pop() {
            if visible.as_ref().is_some_and(|v| !v.contains(&n.id)) {
                continue;
            }
            let kids = children
                .get(&Some(n.id.clone()))
                .cloned()
                .unwrap_or_default();
            let has_children = !kids.is_empty();
            let expanded = !collapsed.contains(&n.id) || visible.is_some();
            if expanded {
                stack.extend(kids.into_iter().rev());
            }
            out.push((n, has_children, expanded));
        }
        out
    };
    view! {
        {(!flat).then(|| view! {
            <div class="toolbar">
                <input class="search" type="search" placeholder="Search nodes" aria-label="Search nodes"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) data-testid="node-search" />
            </div>
        })}
        <ul class="tree card" role="tree" aria-label="Hierarchy" data-testid="tree">
            {move || rows().into_iter().map(|(node, has_children, expanded)| {
                let id = node.id.clone();
                let indent = format!("padding-left: {}px", (node.depth - 1) * 24 + 8);
                let can_add = !flat && schema.with_value(|s| !tree::child_types(s, &node).is_empty());
                let is_root = node.parent_node_id.is_none();
                let (n1, n2, n3, n4) = (node.clone(), node.clone(), node.clone(), node.clone());
                view! {
                    <li role="treeitem" aria-expanded=has_children.then(|| expanded.to_string()) class="tree-row" style=indent data-testid=format!("node-{}", node.name)>
                        <button class="btn btn-ghost btn-small toggle" aria-label=if expanded { "Collapse" } else { "Expand" }
                            disabled=!has_children
                            on:click=move |_| collapsed.update(|c| { if !c.remove(&id) { c.insert(id.clone()); } })>
                            {if !has_children { "·" } else if expanded { "▾" } else { "▸" }}
                        </button>
                        <button type="button" class="node-name link-button"
                            class:node-selected={let id = node.id.clone(); move || selected.get().as_deref() == Some(id.as_str())}
                            aria-label=format!("Who has access at {}", node.name)
                            on:click={let id = node.id.clone(); move |_| selected.set(Some(id.clone()))}
                            data-testid="node-open">{node.name.clone()}</button>
                        <span class="pill pill-muted">{node.node_type.clone()}</span>
                        {(!node.is_active()).then(|| view! { <span class="pill pill-muted">"inactive"</span> })}
                        <span class="tree-actions">
                            {can_add.then(|| view! { <button class="btn btn-ghost btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| open_action.run(NodeAction::AddChild(n1.clone())) data-testid="add-child">"Add child"</button> })}
                            {(!flat).then(|| view! { <button class="btn btn-ghost btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| open_action.run(NodeAction::Edit(n2.clone()))>"Edit"</button> })}
                            {(!flat && !is_root).then(|| view! {
                                <button class="btn btn-ghost btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| open_action.run(NodeAction::Move(n3.clone()))>"Move"</button>
                                <button class="btn btn-ghost btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| open_action.run(NodeAction::Delete(n4.clone()))>"Delete"</button>
                            })}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
