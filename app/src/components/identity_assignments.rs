//! One identity's role assignments in the active environment: list them with their lifecycle
//! state, add one (Role + Node picker, optional window), change a role, remove one. Used by node
//! detail and by the identity drawers.

use crate::components::env_resource::env_local_resource;
use crate::components::form::{use_form, use_operation};
use crate::components::role_node_picker::RoleNodePicker;
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{Assignment, AssignmentForm, AssignmentStatus, EnvPath};
use crate::server::assignments::{create_assignment, identity_assignments, remove_assignment};
use leptos::prelude::*;

pub fn status_label(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::Active => "Active",
        AssignmentStatus::Scheduled => "Scheduled",
        AssignmentStatus::Expired => "Expired",
    }
}

/// `2026-12-01T09:00:00Z` → `2026-12-01 09:00 UTC`, for tables.
pub fn short_time(rfc3339: &str) -> String {
    let trimmed = rfc3339.trim_end_matches('Z');
    let (date, time) = trimmed.split_once('T').unwrap_or((trimmed, ""));
    format!("{date} {} UTC", time.get(..5).unwrap_or(time))
}

#[component]
pub fn IdentityAssignments(#[prop(into)] identity_id: String) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let identity = StoredValue::new(identity_id);
    let (list, reload) =
        env_local_resource(move |env| identity_assignments(env, identity.get_value()));
    let role = RwSignal::new(String::new());
    let node = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let form = move || AssignmentForm {
        identity_id: identity.get_value(),
        role_id: role.get(),
        node_id: node.get(),
        effective_from: Some(from.get()),
        effective_to: Some(to.get()),
    };
    let rule = move |field: &'static str| {
        form()
            .validate()
            .err()
            .and_then(|errors| errors.into_iter().find(|e| e.field == field))
    };
    let touched = RwSignal::new(false);
    let submission = use_form(move |(env, form): (EnvPath, AssignmentForm)| async move {
        let created = create_assignment(env, form).await?;
        toasts.success(format!(
            "{} assigned at {}",
            created.role_name, created.node_name
        ));
        role.set(String::new());
        from.set(String::new());
        to.set(String::new());
        touched.set(false);
        reload.run(());
        Ok(())
    })
    .with_touched(touched);
    let role_error = submission.error_for("role_id", rule);
    let node_error = submission.error_for("node_id", rule);
    let from_error = submission.error_for("effective_from", rule);
    let to_error = submission.error_for("effective_to", rule);
    let server_error = submission.error();
    let busy = submission.busy();
    let general_error = move || {
        server_error.get().filter(|e| {
            ["role_id", "node_id", "effective_from", "effective_to"]
                .iter()
                .all(|f| e.field_message(f).is_none())
        })
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        submission.clear_error();
        let form = form();
        if form.validate().is_err() {
            return;
        }
        submission.submit((env.get_untracked(), form));
    };
    let removing = use_operation(move |(env, a): (EnvPath, Assignment)| async move {
        remove_assignment(env, a.id.clone()).await?;
        toasts.success(format!("Removed {} at {}", a.role_name, a.node_name));
        reload.run(());
        Ok(())
    });
    let remove = Callback::new(move |a: Assignment| {
        removing.submit((env.get_untracked(), a));
    });
    view! {
        <section class="identity-assignments" data-testid="identity-assignments">
            {move || match list.get() {
                None => view! { <p class="muted">"Loading assignments…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                Some(Ok(rows)) if rows.is_empty() => view! {
                    <p class="empty-inline" data-testid="no-assignments">"No role assignments in this environment yet."</p>
                }.into_any(),
                Some(Ok(rows)) => view! {
                    <div class="table-wrap">
                    <table>
                        <thead><tr><th>"Role"</th><th>"Node"</th><th>"Status"</th><th>"From"</th><th>"Until"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|a| {
                                let status = a.status;
                                let item = a.clone();
                                view! {
                                    <tr data-testid="assignment-row">
                                        <td>{a.role_name.clone()}</td>
                                        <td>{a.node_name.clone()}</td>
                                        <td><span class=format!("pill status-{}", status_label(status).to_lowercase())>{status_label(status)}</span></td>
                                        <td>{short_time(&a.effective_from)}</td>
                                        <td>{a.effective_to.as_deref().map_or_else(|| "No end".to_owned(), short_time)}</td>
                                        <td class="row-actions">
                                            <button type="button" class="btn btn-ghost btn-small danger"
                                                aria-label=format!("Remove {} at {}", a.role_name, a.node_name)
                                                disabled=viewer_disabled() title=read_only_title()
                                                on:click=move |_| remove.run(item.clone())>"Remove"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any(),
            }}
            <form class="assign-form" on:submit=add novalidate data-testid="assign-form">
                <h3>"Assign a role"</h3>
                <RoleNodePicker role node id_prefix="assign" role_error node_error />
                <div class="field-pair">
                    <div class="field" class:field-invalid=move || from_error.get().is_some()>
                        <label for="assign-from">"Starts (UTC, optional)"</label>
                        <input id="assign-from" type="datetime-local" prop:value=move || from.get()
                            on:input=move |ev| from.set(event_target_value(&ev)) data-testid="assign-from" />
                        <p class="field-error" role="alert">{move || from_error.get().unwrap_or_default()}</p>
                    </div>
                    <div class="field" class:field-invalid=move || to_error.get().is_some()>
                        <label for="assign-to">"Ends (UTC, optional)"</label>
                        <input id="assign-to" type="datetime-local" prop:value=move || to.get()
                            on:input=move |ev| to.set(event_target_value(&ev)) data-testid="assign-to" />
                        <p class="field-error" role="alert" data-testid="error-assign-to">{move || to_error.get().unwrap_or_default()}</p>
                    </div>
                </div>
                {move || general_error().map(|e| view! { <div class="alert alert-error" role="alert" data-testid="assign-error">{e.to_string()}</div> })}
                <button type="submit" class="btn btn-primary" disabled={let ro = viewer_disabled(); move || ro.get() || busy.get()} title=read_only_title() data-testid="assign-submit">
                    {move || if busy.get() { "Assigning…" } else { "Assign" }}
                </button>
            </form>
        </section>
    }
}
