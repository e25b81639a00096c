//! The drawer's Memberships tab: the applications the identity belongs to, add and remove.

use crate::components::form::use_operation;
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{EnvPath, IdentityDetail};
use crate::server::directory::{add_identity_membership, remove_identity_membership};
use crate::server::workspace::load_workspace;
use leptos::prelude::*;

#[component]
pub fn MembershipsTab(detail: IdentityDetail, changed: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let account = move || env.with_untracked(|e| e.account.clone());
    let id = StoredValue::new(detail.identity.id.clone());
    let applications = LocalResource::new(move || {
        let account = account();
        async move {
            load_workspace(account)
                .await
                .map(|w| w.applications)
                .unwrap_or_default()
        }
    });
    let member_of: Vec<String> = detail
        .memberships
        .iter()
        .filter(|m| m.status.is_active())
        .map(|m| m.application_id.clone())
        .collect();
    let member_of = StoredValue::new(member_of);
    let to_add = RwSignal::new(String::new());
    let confirming = RwSignal::new(None::<String>);
    let adding = use_operation(
        move |(account, id, application_id): (String, String, String)| async move {
            add_identity_membership(account, id, application_id).await?;
            toasts.success("Added to the application");
            changed.run(());
            Ok(())
        },
    );
    let add = move |_| {
        let application_id = to_add.get_untracked();
        if application_id.is_empty() {
            return;
        }
        adding.submit((account(), id.get_value(), application_id));
    };
    let removing = use_operation(
        move |(account, id, application_id): (String, String, String)| async move {
            let revoked = remove_identity_membership(account, id, application_id).await?;
            toasts.success(format!(
                "Removed from the application; {revoked} role assignment(s) revoked"
            ));
            confirming.set(None);
            changed.run(());
            Ok(())
        },
    );
    let remove = move |application_id: String| {
        removing.submit((account(), id.get_value(), application_id));
    };
    let rows = detail.memberships.clone();
    view! {
        <section class="drawer-section">
            {if rows.is_empty() {
                view! { <p class="empty-inline" data-testid="no-memberships">"Directory only: not a member of any application."</p> }.into_any()
            } else {
                view! {
                    <ul class="membership-list">
                        {rows.into_iter().map(|m| {
                            let active = m.status.is_active();
                            let app_id = m.application_id.clone();
                            let app_for_confirm = m.application_id.clone();
                            let name = m.application_name.clone();
                            let count = m.assignment_count;
                            view! {
                                <li class="membership" data-testid="membership-row">
                                    <div>
                                        <strong>{m.application_name.clone()}</strong>
                                        <span class=if active { "pill status-active" } else { "pill status-expired" }>{m.status.as_str()}</span>
                                        <p class="muted small">{format!("{count} role assignment(s)")}</p>
                                    </div>
                                    {active.then(|| view! {
                                        <Show when={let a = app_id.clone(); move || confirming.get().as_deref() == Some(a.as_str())}
                                            fallback={let a = app_id.clone(); move || { let a = a.clone(); view! {
                                                <button type="button" class="btn btn-secondary btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| confirming.set(Some(a.clone())) data-testid="remove-membership">"Remove…"</button>
                                            }}}>
                                            <div class="confirm-inline" role="alert" data-testid="confirm-remove-membership">
                                                <p>{format!("Remove from {name}? This revokes {count} role assignment(s) in its environments.")}</p>
                                                <button type="button" class="btn btn-danger btn-small" on:click={let a = app_for_confirm.clone(); move |_| remove(a.clone())} data-testid="confirm-remove">"Remove"</button>
                                                <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirming.set(None)>"Cancel"</button>
                                            </div>
                                        </Show>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <div class="inline-form">
                <label for="add-membership">"Add to application"</label>
                <select id="add-membership" on:change=move |ev| to_add.set(event_target_value(&ev)) data-testid="add-membership-app">
                    <option value="">"Choose…"</option>
                    {move || applications.get().unwrap_or_default().into_iter()
                        .filter(|a| !member_of.with_value(|m| m.contains(&a.id)))
                        .map(|a| view! { <option value=a.id>{a.name}</option> }).collect_view()}
                </select>
                <button type="button" class="btn btn-secondary btn-small" disabled=viewer_disabled() title=read_only_title() on:click=add data-testid="add-membership">"Add"</button>
            </div>
        </section>
    }
}
