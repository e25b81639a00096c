//! The Role + Node pair every assignment needs, as one reusable picker (Create Identity, bulk
//! assign, an identity's assignments). Roles: the environment's custom, active roles. Nodes: shown
//! by their path from the root; in the flat model the root is the only node and is chosen for you.
//! Both lists can be searched; both load in the browser (secondary data of the page).

use crate::components::layout::use_env_path;
use crate::model::{AccessModel, Node};
use crate::server::catalog::list_roles;
use crate::server::hierarchy::load_hierarchy;
use leptos::prelude::*;
use std::collections::HashMap;

/// `(id, path from the root)` for every node, in tree order.
pub fn node_paths(nodes: &[Node]) -> Vec<(String, String)> {
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut out: Vec<(String, String)> = nodes
        .iter()
        .map(|n| {
            let mut names = Vec::new();
            let mut current = Some(n);
            while let Some(node) = current {
                if names.len() > nodes.len() {
                    break;
                }
                names.push(node.name.as_str());
                current = node
                    .parent_node_id
                    .as_deref()
                    .and_then(|p| by_id.get(p).copied());
            }
            names.reverse();
            (n.id.clone(), names.join(" › "))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn matches(needle: &str, text: &str) -> bool {
    needle.is_empty() || text.to_lowercase().contains(&needle.to_lowercase())
}

#[component]
pub fn RoleNodePicker(
    /// The chosen role id ("" = none).
    role: RwSignal<String>,
    /// The chosen node id ("" = none).
    node: RwSignal<String>,
    /// Prefix for element ids and test ids, so two pickers can share a page.
    #[prop(into)]
    id_prefix: String,
    /// Offer "No role" / "No node" (the pair is optional where the picker is used).
    #[prop(optional)]
    optional: bool,
    #[prop(into, optional)] role_error: Signal<Option<String>>,
    #[prop(into, optional)] node_error: Signal<Option<String>>,
) -> impl IntoView {
    let env = use_env_path();
    let roles = LocalResource::new({
        let env = env.clone();
        move || {
            let env = env.clone();
            async move {
                match env {
                    Some(env) => list_roles(env).await,
                    None => Ok(Vec::new()),
                }
            }
        }
    });
    let hierarchy = LocalResource::new(move || {
        let env = env.clone();
        async move {
            match env {
                Some(env) => load_hierarchy(env).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let role_search = RwSignal::new(String::new());
    let node_search = RwSignal::new(String::new());
    let role_options = move || -> Vec<(String, String)> {
        let needle = role_search.get();
        roles
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.is_system_role && r.is_active)
            .filter(|r| matches(&needle, &r.name) || r.id == role.get_untracked())
            .map(|r| (r.id, r.name))
            .collect()
    };
    let flat = move || {
        hierarchy
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|h| h.settings.access_model == AccessModel::Flat)
    };
    let node_options = move || -> Vec<(String, String)> {
        let needle = node_search.get();
        let nodes = hierarchy
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|h| h.nodes)
            .unwrap_or_default();
        node_paths(&nodes)
            .into_iter()
            .filter(|(id, path)| matches(&needle, path) || *id == node.get_untracked())
            .collect()
    };
    // Flat model: the root is the only place an assignment can sit, so it is chosen — once a role
    // is, when the pair is optional (no half-filled pair from a role-less dialog).
    Effect::new(move |_| {
        let Some(true) = flat() else { return };
        let root = hierarchy
            .get()
            .and_then(Result::ok)
            .flatten()
            .and_then(|h| h.nodes.into_iter().find(|n| n.parent_node_id.is_none()))
            .map(|n| n.id)
            .unwrap_or_default();
        let wanted = if optional && role.get().is_empty() {
            String::new()
        } else {
            root
        };
        if node.get_untracked() != wanted {
            node.set(wanted);
        }
    });
    let role_id = format!("{id_prefix}-role");
    let node_id = format!("{id_prefix}-node");
    let (role_tid, node_tid) = (role_id.clone(), node_id.clone());
    let node_error_tid = format!("error-{node_id}");
    view! {
        <div class="picker" data-testid=format!("{id_prefix}-picker")>
            <div class="field" class:field-invalid=move || role_error.get().is_some()>
                <label for=role_id.clone()>"Role" {optional.then_some(" (optional)")}</label>
                <div class="picker-row">
                    <input type="search" class="picker-search" placeholder="Search roles" aria-label="Search roles"
                        prop:value=move || role_search.get() on:input=move |ev| role_search.set(event_target_value(&ev))
                        data-testid=format!("{role_tid}-search") />
                    <select id=role_id.clone() on:change=move |ev| role.set(event_target_value(&ev))
                        aria-invalid=move || role_error.get().is_some().to_string()
                        data-testid=role_tid.clone()>
                        <option value="" selected=move || role.get().is_empty()>
                            {if optional { "No role" } else { "Choose a role…" }}
                        </option>
                        {move || role_options().into_iter().map(|(id, name)| {
                            let selected_id = id.clone();
                            view! { <option value=id selected=move || role.get() == selected_id>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
                {move || match roles.get() {
                    None => Some(view! { <p class="field-hint">"Loading roles…"</p> }.into_any()),
                    Some(Ok(list)) if !list.iter().any(|r| !r.is_system_role && r.is_active) => Some(view! {
                        <p class="field-hint">"No roles yet: create one under Access Control › Roles."</p>
                    }.into_any()),
                    Some(Err(e)) => Some(view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any()),
                    Some(Ok(_)) => None,
                }}
                <p class="field-error" role="alert" data-testid=format!("error-{role_tid}")>{move || role_error.get().unwrap_or_default()}</p>
            </div>
            <div class="field" class:field-invalid=move || node_error.get().is_some()>
                <label for=node_id.clone()>"Node" {optional.then_some(" (optional)")}</label>
                {move || if flat() == Some(true) {
                    view! {
                        <p class="picker-flat" id=node_id.clone() data-testid=node_tid.clone()>
                            "Root — the flat model: the assignment applies everywhere."
                        </p>
                    }.into_any()
                } else {
                    let node_tid = node_tid.clone();
                    view! {
                        <div class="picker-row">
                            <input type="search" class="picker-search" placeholder="Search nodes" aria-label="Search nodes"
                                prop:value=move || node_search.get() on:input=move |ev| node_search.set(event_target_value(&ev))
                                data-testid=format!("{node_tid}-search") />
                            <select id=node_id.clone() on:change=move |ev| node.set(event_target_value(&ev))
                                aria-invalid=move || node_error.get().is_some().to_string()
                                data-testid=node_tid.clone()>
                                <option value="" selected=move || node.get().is_empty()>
                                    {if optional { "No node" } else { "Choose a node…" }}
                                </option>
                                {move || node_options().into_iter().map(|(id, path)| {
                                    let selected_id = id.clone();
                                    view! { <option value=id selected=move || node.get() == selected_id>{path}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    }.into_any()
                }}
                <p class="field-error" role="alert" data-testid=node_error_tid>{move || node_error.get().unwrap_or_default()}</p>
            </div>
        </div>
    }
}
