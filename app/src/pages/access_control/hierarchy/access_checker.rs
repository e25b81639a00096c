//! The access checker: may this identity do this, here? With the reason when denied.

use crate::components::env_resource::env_local_resource;
use crate::model::{Decision, DenialReason, EnvPath, Node};
use crate::server::assignments::check_access;
use crate::server::catalog::list_permissions;
use crate::server::identities::list_members;
use leptos::prelude::*;
use std::collections::HashMap;

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
pub(super) fn AccessChecker(nodes: Vec<Node>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    // Loaded in the browser only: secondary data inside an already-suspended page, so the server
    // and the hydrating client render the same placeholder first.
    let (permissions, _) = env_local_resource(list_permissions);
    // Suggestions for the identity field: the application's newest members.
    let (members, _) = env_local_resource(|env| list_members(env, String::new(), None, 1));
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
        let env = env.get_untracked();
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
