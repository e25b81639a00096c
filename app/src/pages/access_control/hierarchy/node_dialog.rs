//! The node dialog: add a child, rename / (de)activate, move, delete.

use crate::components::form::use_form;
use crate::components::toast::use_toasts;
use crate::model::tree;
use crate::model::{EnvPath, HierarchySchema, Node, NodeForm};
use crate::server::hierarchy::{create_node, delete_node, move_node, update_node};
use leptos::prelude::*;

/// What the node dialogs act on.
#[derive(Clone, PartialEq)]
pub(super) enum NodeAction {
    AddChild(Node),
    Edit(Node),
    Move(Node),
    Delete(Node),
}

#[component]
pub(super) fn NodeActionForm(
    action: NodeAction,
    nodes: Vec<Node>,
    schema: HierarchySchema,
    open: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    // The name rule's message, checked before anything is sent.
    let problem = RwSignal::new(None::<String>);
    let name = RwSignal::new(match &action {
        NodeAction::Edit(n) => n.name.clone(),
        _ => String::new(),
    });
    let allowed: Vec<String> = match &action {
        NodeAction::AddChild(parent) => tree::child_types(&schema, parent),
        _ => Vec::new(),
    };
    let node_type = RwSignal::new(allowed.first().cloned().unwrap_or_default());
    let active = RwSignal::new(match &action {
        NodeAction::Edit(n) => n.is_active(),
        _ => true,
    });
    // Exactly the parents the server would accept (type, cycle and depth rules).
    let targets: Vec<Node> = match &action {
        NodeAction::Move(node) => tree::move_targets(&schema, &nodes, &node.id)
            .into_iter()
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let target = RwSignal::new(targets.first().map(|n| n.id.clone()).unwrap_or_default());
    let cascade = RwSignal::new(false);
    let submission = use_form(move |(env, act): (EnvPath, NodeAction)| async move {
        let message = match act {
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
        }?;
        toasts.success(message);
        open.set(false);
        on_done.run(());
        Ok(())
    });
    let server_error = submission.error();
    let busy = submission.busy();
    let action = StoredValue::new(action);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
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
            problem.set(Some(e.message));
            return;
        }
        problem.set(None);
        submission.submit((env.get_untracked(), action.get_value()));
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
            {move || problem.get().or_else(|| server_error.get().map(|e| e.to_string())).map(|e| view! { <div class="alert alert-error" role="alert" data-testid="node-error">{e}</div> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="node-submit">{label}</button>
            </div>
        </form>
    }
}
