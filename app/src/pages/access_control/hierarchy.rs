//! Access Control › Hierarchy: flat or a typed tree. In hierarchy mode: the tree (expand,
//! collapse, search), add child, rename, (de)activate, move and delete, the schema, and revert
//! to flat with its consequences shown before confirming.

use crate::components::dialog::Dialog;
use crate::components::layout::{use_env_path, use_scope};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::model::{
    AccessModel, Decision, DenialReason, HierarchySchema, HierarchyView, Node, NodeForm,
};
use crate::pages::access_control::node_detail::NodeDetail;
use crate::server::assignments::check_access;
use crate::server::catalog::list_permissions;
use crate::server::hierarchy::{
    create_node, delete_node, enable_hierarchy, load_hierarchy, move_node, preview_revert_to_flat,
    revert_to_flat, update_hierarchy_schema, update_node,
};
use crate::server::identities::list_members;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::{BTreeSet, HashMap};

/// What the node dialogs act on.
#[derive(Clone, PartialEq)]
enum NodeAction {
    AddChild(Node),
    Edit(Node),
    Move(Node),
    Delete(Node),
}

#[component]
pub fn HierarchyPage() -> impl IntoView {
    let Some(scope) = use_scope() else {
        return view! { <Loading /> }.into_any();
    };
    let refresh = RwSignal::new(0u32);
    let hierarchy = Resource::new(
        move || (scope.env_path(), refresh.get()),
        |(env, _)| load_hierarchy(env),
    );
    let reload = Callback::new(move |_| refresh.update(|n| *n += 1));
    view! {
        <Title text="Hierarchy" />
        <Transition fallback=|| view! { <Loading label="Loading the hierarchy…" /> }>
            {move || Suspend::new(async move {
                match hierarchy.await {
                    Ok(view) => view! { <HierarchyBody view on_changed=reload /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn HierarchyBody(view: HierarchyView, on_changed: Callback<()>) -> impl IntoView {
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
                    view! { <button class="btn btn-primary" on:click=move |_| schema_open.set(true) data-testid="switch-to-hierarchy">"Switch to hierarchy"</button> }.into_any()
                } else {
                    view! {
                        <button class="btn btn-secondary" on:click=move |_| schema_open.set(true) data-testid="edit-schema">"Edit schema"</button>
                        <button class="btn btn-secondary danger" on:click=move |_| revert_open.set(true) data-testid="revert-to-flat">"Revert to flat"</button>
                    }.into_any()
                }}
            </div>
        </div>
        <div class="hierarchy-layout">
            <Tree nodes=nodes.get_value() schema=schema.get_value() flat open_action selected />
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
    open_action: Callback<NodeAction>,
    /// The node whose detail is open.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let collapsed = RwSignal::new(BTreeSet::<String>::new());
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
                let can_add = !flat && schema.with_value(|s| !s.allowed_children.get(&node.node_type).is_none_or(Vec::is_empty))
                    && schema.with_value(|s| node.depth < i64::from(s.max_depth));
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
                        {(node.status == "inactive").then(|| view! { <span class="pill pill-muted">"inactive"</span> })}
                        <span class="tree-actions">
                            {can_add.then(|| view! { <button class="btn btn-ghost btn-small" on:click=move |_| open_action.run(NodeAction::AddChild(n1.clone())) data-testid="add-child">"Add child"</button> })}
                            {(!flat).then(|| view! { <button class="btn btn-ghost btn-small" on:click=move |_| open_action.run(NodeAction::Edit(n2.clone()))>"Edit"</button> })}
                            {(!flat && !is_root).then(|| view! {
                                <button class="btn btn-ghost btn-small" on:click=move |_| open_action.run(NodeAction::Move(n3.clone()))>"Move"</button>
                                <button class="btn btn-ghost btn-small danger" on:click=move |_| open_action.run(NodeAction::Delete(n4.clone()))>"Delete"</button>
                            })}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn NodeActionForm(
    action: NodeAction,
    nodes: Vec<Node>,
    schema: HierarchySchema,
    open: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = use_env_path();
    let toasts = use_toasts();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let name = RwSignal::new(match &action {
        NodeAction::Edit(n) => n.name.clone(),
        _ => String::new(),
    });
    let allowed: Vec<String> = match &action {
        NodeAction::AddChild(parent) => schema
            .allowed_children
            .get(&parent.node_type)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let node_type = RwSignal::new(allowed.first().cloned().unwrap_or_default());
    let active = RwSignal::new(match &action {
        NodeAction::Edit(n) => n.status == "active",
        _ => true,
    });
    // Parents a node may move under: allowed type, not itself or below it.
    let targets: Vec<Node> = match &action {
        NodeAction::Move(node) => {
            let mut below = BTreeSet::from([node.id.clone()]);
            let mut grew = true;
            while grew {
                grew = false;
                for n in &nodes {
                    if n.parent_node_id.as_ref().is_some_and(|p| below.contains(p))
                        && below.insert(n.id.clone())
                    {
                        grew = true;
                    }
                }
            }
            nodes
                .iter()
                .filter(|n| !below.contains(&n.id) && Some(&n.id) != node.parent_node_id.as_ref())
                .filter(|n| schema.allows(&n.node_type, &node.node_type))
                .cloned()
                .collect()
        }
        _ => Vec::new(),
    };
    let target = RwSignal::new(targets.first().map(|n| n.id.clone()).unwrap_or_default());
    let cascade = RwSignal::new(false);
    let action = StoredValue::new(action);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(env) = env.clone() else { return };
        let names_a_node = matches!(
            action.get_value(),
            NodeAction::AddChild(_) | NodeAction::Edit(_)
        );
        let named = NodeForm {
            name: name.get(),
            node_type: String::new(),
        }
        .validate_name();
        if let (true, Err(e)) = (names_a_node, named) {
            error.set(Some(e.message));
            return;
        }
        busy.set(true);
        let act = action.get_value();
        leptos::task::spawn_local(async move {
            let result = match act {
                NodeAction::AddChild(parent) => create_node(
                    env,
                    parent.id,
                    NodeForm {
                        name: name.get_untracked(),
                        node_type: node_type.get_untracked(),
                    },
                )
                .await
                .map(|n| format!("Added {}", n.name)),
                NodeAction::Edit(n) => update_node(
                    env,
                    n.id,
                    n.version,
                    name.get_untracked(),
                    active.get_untracked(),
                )
                .await
                .map(|n| format!("Saved {}", n.name)),
                NodeAction::Move(n) => move_node(env, n.id, n.version, target.get_untracked())
                    .await
                    .map(|n| format!("Moved {}", n.name)),
                NodeAction::Delete(n) => delete_node(env, n.id, n.version, cascade.get_untracked())
                    .await
                    .map(|()| format!("Deleted {}", n.name)),
            };
            busy.set(false);
            match result {
                Ok(message) => {
                    toasts.success(message);
                    open.set(false);
                    on_done.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let body = match action.get_value() {
        NodeAction::AddChild(_) => view! {
            <div class="field">
                <label for="node-name">"Name"</label>
                <input id="node-name" autofocus prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) data-testid="node-name" />
            </div>
            <div class="field">
                <label for="node-type">"Type"</label>
                <select id="node-type" prop:value=move || node_type.get() on:change=move |ev| node_type.set(event_target_value(&ev)) data-testid="node-type">
                    {allowed.iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                </select>
            </div>
        }.into_any(),
        NodeAction::Edit(_) => view! {
            <div class="field">
                <label for="node-name">"Name"</label>
                <input id="node-name" autofocus prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) data-testid="node-name" />
            </div>
            <label class="checkbox"><input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev)) />" Active (inactive nodes and everything below them grant nothing)"</label>
        }.into_any(),
        NodeAction::Move(_) if targets.is_empty() => view! { <p class="muted">"No other node can take this one as a child under the current schema."</p> }.into_any(),
        NodeAction::Move(_) => view! {
            <div class="field">
                <label for="move-target">"New parent"</label>
                <select id="move-target" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev)) data-testid="move-target">
                    {targets.iter().map(|t| view! { <option value=t.id.clone()>{format!("{} ({})", t.name, t.node_type)}</option> }).collect_view()}
                </select>
            </div>
        }.into_any(),
        NodeAction::Delete(_) => view! {
            <p>"The node is removed. A node with child nodes cannot be deleted."</p>
            <label class="checkbox"><input type="checkbox" prop:checked=move || cascade.get() on:change=move |ev| cascade.set(event_target_checked(&ev)) />" Also remove the role assignments on this node"</label>
        }.into_any(),
    };
    let label = match action.get_value() {
        NodeAction::AddChild(_) => "Add node",
        NodeAction::Edit(_) => "Save",
        NodeAction::Move(_) => "Move",
        NodeAction::Delete(_) => "Delete",
    };
    view! {
        <form on:submit=submit novalidate>
            {body}
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert" data-testid="node-error">{e}</div> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="node-submit">{label}</button>
            </div>
        </form>
    }
}

/// The schema as JSON, checked with the same rules as the server before it is sent.
#[component]
fn SchemaEditor(
    open: RwSignal<bool>,
    flat: bool,
    version: i64,
    schema: HierarchySchema,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = use_env_path();
    let toasts = use_toasts();
    let text = RwSignal::new(serde_json::to_string_pretty(&schema).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let parsed = move || -> Result<HierarchySchema, String> {
        let schema: HierarchySchema =
            serde_json::from_str(&text.get()).map_err(|e| format!("Not valid schema JSON: {e}"))?;
        schema.validate().map_err(|errors| {
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        Ok(schema)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let schema = match parsed() {
            Ok(schema) => schema,
            Err(e) => return error.set(Some(e)),
        };
        let Some(env) = env.clone() else { return };
        leptos::task::spawn_local(async move {
            let result = if flat {
                enable_hierarchy(env, version, Some(schema)).await
            } else {
                update_hierarchy_schema(env, version, schema).await
            };
            match result {
                Ok(_) => {
                    toasts.success(if flat {
                        "This environment now uses a hierarchy"
                    } else {
                        "Schema saved"
                    });
                    open.set(false);
                    on_done.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <p class="muted">"Node types, which types may sit under which, the root's type, and the maximum depth (the root is depth 1). The suggested schema: organization › region › team, with teams nesting, up to 4 levels."</p>
            <div class="field">
                <label for="schema-json">"Schema"</label>
                <textarea id="schema-json" class="code" rows="14" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) data-testid="schema-json"></textarea>
            </div>
            {move || error.get().or_else(|| parsed().err()).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" data-testid="schema-submit">{if flat { "Switch to hierarchy" } else { "Save schema" }}</button>
            </div>
        </form>
    }
}

#[component]
fn RevertDialog(open: RwSignal<bool>, version: i64, on_done: Callback<()>) -> impl IntoView {
    let scope = use_scope();
    let env = scope.map(|s| s.env_path_untracked());
    let toasts = use_toasts();
    let preview = Resource::new(
        {
            let env = env.clone();
            move || env.clone()
        },
        |env| async move {
            match env {
                Some(env) => preview_revert_to_flat(env).await,
                None => Ok(Default::default()),
            }
        },
    );
    let error = RwSignal::new(None::<String>);
    let confirm = move |_| {
        let Some(env) = env.clone() else { return };
        leptos::task::spawn_local(async move {
            match revert_to_flat(env, version).await {
                Ok(done) => {
                    toasts.success(format!(
                        "Reverted to flat: {} node(s) deleted",
                        done.nodes_deleted
                    ));
                    open.set(false);
                    on_done.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Suspense fallback=|| view! { <Loading label="Working out what would change…" /> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! {
                        <ul class="consequences" data-testid="revert-preview">
                            <li>{format!("{} node(s) below the root will be deleted.", p.nodes_deleted)}</li>
                            <li>{format!("{} assignment(s) will move to the root.", p.assignments_moved)}</li>
                            <li>{format!("{} duplicate assignment(s) will be removed.", p.assignments_deduplicated)}</li>
                            <li>{format!("{} expired assignment(s) will be dropped rather than revived.", p.assignments_expired_dropped)}</li>
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
        <div class="dialog-actions">
            <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            <button type="button" class="btn btn-danger" on:click=confirm data-testid="confirm-revert">"Revert to flat"</button>
        </div>
    }
}

fn reason_text(reason: DenialReason) -> &'static str {
    match reason {
        DenialReason::IdentityNotFound => "No identity with this id or email in the account.",
        DenialReason::IdentityInactive => "The identity is deactivated account-wide.",
        DenialReason::MembershipInactive => {
            "The identity is not an active member of this application."
        }
        DenialReason::NodeNotFound => "The node does not exist in this environment.",
        DenialReason::NodeInactive => "The node, or a node above it, is inactive.",
        DenialReason::NoActiveAssignment => {
            "No assignment in force on this node or above it (scheduled and expired ones do not count)."
        }
        DenialReason::PermissionNotGranted => {
            "Assignments apply here, but none of their roles grants this permission."
        }
        DenialReason::ScopeNotGranted => "The API key's scopes do not include this permission.",
    }
}

/// Pick identity, permission and node; see allowed or denied, and why.
#[component]
fn AccessChecker(nodes: Vec<Node>) -> impl IntoView {
    let env = use_env_path();
    // Loaded in the browser only: secondary data inside an already-suspended page, so the server
    // and the hydrating client render the same placeholder first.
    let permissions = LocalResource::new({
        let env = env.clone();
        move || {
            let env = env.clone();
            async move {
                match env {
                    Some(env) => list_permissions(env).await,
                    None => Ok(Vec::new()),
                }
            }
        }
    });
    // Suggestions for the identity field: the application's newest members.
    let members = LocalResource::new({
        let env = env.clone();
        move || {
            let env = env.clone();
            async move {
                match env {
                    Some(env) => list_members(env, String::new(), None, 1).await,
                    None => Err(crate::error::AppError::Unauthenticated),
                }
            }
        }
    });
    let permission_keys = move || -> Vec<String> {
        permissions
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.source == "custom")
            .map(|p| p.key)
            .collect()
    };
    let by_id: HashMap<String, Node> = nodes.iter().map(|n| (n.id.clone(), n.clone())).collect();
    let path_of = move |id: &str| -> String {
        let mut names = Vec::new();
        let mut current = by_id.get(id);
        while let Some(n) = current {
            names.push(n.name.clone());
            current = n.parent_node_id.as_ref().and_then(|p| by_id.get(p));
        }
        names.reverse();
        names.join(" › ")
    };
    let options: Vec<(String, String)> = nodes
        .iter()
        .map(|n| (n.id.clone(), path_of(&n.id)))
        .collect();
    let names: HashMap<String, String> = options.iter().cloned().collect();
    let identity = RwSignal::new(String::new());
    let permission = RwSignal::new(String::new());
    let node = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<Decision, String>>);
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(env) = env.clone() else { return };
        let (who, what, at) = (
            identity.get().trim().to_owned(),
            permission.get(),
            node.get(),
        );
        if who.is_empty() || what.is_empty() {
            result.set(Some(Err(
                "Enter an identity and choose a permission.".to_owned()
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            let node = (!at.is_empty()).then_some(at);
            result.set(Some(
                check_access(env, who, what, node)
                    .await
                    .map_err(|e| e.to_string()),
            ));
        });
    };
    let names = StoredValue::new(names);
    view! {
        <section class="card checker" aria-labelledby="checker-title" data-testid="access-checker">
            <h2 id="checker-title">"Access checker"</h2>
            <p class="muted">"Ask what your backend would ask: may this identity do this, here?"</p>
            <form class="checker-form" on:submit=check novalidate>
                <div class="field">
                    <label for="check-identity">"Identity (id or email)"</label>
                    <input id="check-identity" list="check-identity-options" autocomplete="off" placeholder="pat@example.com"
                        prop:value=move || identity.get() on:input=move |ev| identity.set(event_target_value(&ev)) data-testid="check-identity" />
                    <datalist id="check-identity-options">
                        {move || members.get().and_then(Result::ok).map(|page| page.items.into_iter().map(|m| view! {
                            <option value=m.identity.email.clone()>{m.identity.name()}</option>
                        }).collect_view())}
                    </datalist>
                </div>
                <div class="field">
                    <label for="check-permission">"Permission"</label>
                    <select id="check-permission" prop:value=move || permission.get() on:change=move |ev| permission.set(event_target_value(&ev)) data-testid="check-permission">
                        <option value="">"Choose…"</option>
                        {move || permission_keys().into_iter().map(|k| view! { <option value=k.clone()>{k.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="check-node">"Node"</label>
                    <select id="check-node" prop:value=move || node.get() on:change=move |ev| node.set(event_target_value(&ev)) data-testid="check-node">
                        <option value="">"Anywhere (app-wide)"</option>
                        {options.into_iter().map(|(id, path)| view! { <option value=id>{path}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="btn btn-primary" data-testid="check-submit">"Check"</button>
            </form>
            {move || result.get().map(|r| match r {
                Err(message) => view! { <div class="alert alert-error" role="alert">{message}</div> }.into_any(),
                Ok(decision) => {
                    let verdict = if decision.allowed { "Allowed" } else { "Denied" };
                    let explanation = if decision.allowed {
                        let roles = decision.granting_roles.iter().map(|g| g.name.clone()).collect::<Vec<_>>().join(", ");
                        let path = decision.path.iter().map(|id| names.with_value(|n| n.get(id).and_then(|p| p.rsplit(" › ").next().map(str::to_owned)).unwrap_or_else(|| id.clone()))).collect::<Vec<_>>().join(" → ");
                        if path.is_empty() { format!("Granted by {roles}.") } else { format!("Granted by {roles}, assigned at {path}.") }
                    } else {
                        decision.denial_reason.map(reason_text).unwrap_or_default().to_owned()
                    };
                    view! {
                        <div class=if decision.allowed { "verdict verdict-allowed" } else { "verdict verdict-denied" } role="status" data-testid="check-result">
                            <strong>{verdict}</strong>
                            <span>{explanation}</span>
                        </div>
                    }.into_any()
                }
            })}
        </section>
    }
}
