//! The two many-at-once dialogs of Access Control › Identities: **Assign role** for the ticked
//! members, and **Add from directory** for account identities not yet in this application. Both
//! send one request and show a result per row (what failed, and why); the rest still happen.

use crate::components::form::{FormAlert, use_form};
use crate::components::role_node_picker::RoleNodePicker;
use crate::components::toast::use_toasts;
use crate::model::{AssignmentForm, BULK_MAX, DirectoryQuery, EnvPath, RowResult};
use crate::server::assignments::bulk_create_assignments;
use crate::server::directory::list_directory;
use crate::server::identities::add_from_directory;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// `(label, error)` of each failed row, in request order.
fn failures<T>(labels: &[String], results: &[RowResult<T>]) -> Vec<(String, String)> {
    results
        .iter()
        .filter_map(|r| {
            r.outcome.as_ref().err().map(|e| {
                (
                    labels.get(r.index).cloned().unwrap_or_default(),
                    e.to_string(),
                )
            })
        })
        .collect()
}

#[component]
fn RowReport(
    done: usize,
    failed: Vec<(String, String)>,
    #[prop(into)] verb: String,
) -> impl IntoView {
    view! {
        <div class="row-report" role="status" data-testid="bulk-report">
            <p><strong>{format!("{done} {verb}")}</strong>{(!failed.is_empty()).then(|| format!(", {} not", failed.len()))}</p>
            {(!failed.is_empty()).then(|| view! {
                <ul class="row-failures">
                    {failed.into_iter().map(|(who, why)| view! { <li data-testid="bulk-failure"><strong>{who}</strong>": "{why}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// Assign one role at one node (optionally between two dates) to every ticked member.
#[component]
pub fn BulkAssign(
    /// id → display name of the ticked members.
    selected: RwSignal<BTreeMap<String, String>>,
    open: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let role = RwSignal::new(String::new());
    let node = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // A rule's message, else the server's answer.
    let problem = RwSignal::new(None::<String>);
    let report = RwSignal::new(None::<(usize, Vec<(String, String)>)>);
    let forms = move || -> Vec<AssignmentForm> {
        selected.with(|s| {
            s.keys()
                .map(|id| AssignmentForm {
                    identity_id: id.clone(),
                    role_id: role.get(),
                    node_id: node.get(),
                    effective_from: Some(from.get()),
                    effective_to: Some(to.get()),
                })
                .collect()
        })
    };
    let submission = use_form(
        move |(env, forms, labels): (EnvPath, Vec<AssignmentForm>, Vec<String>)| async move {
            let results = bulk_create_assignments(env, forms).await?;
            let failed = failures(&labels, &results);
            let done = results.len() - failed.len();
            if failed.is_empty() {
                toasts.success(format!(
                    "Assigned the role to {done} identit{}",
                    if done == 1 { "y" } else { "ies" }
                ));
                selected.set(BTreeMap::new());
                open.set(false);
            } else {
                report.set(Some((done, failed)));
            }
            on_done.run(());
            Ok(())
        },
    );
    let server_error = submission.error();
    let message = move || {
        problem
            .get()
            .or_else(|| server_error.get().map(|e| e.to_string()))
    };
    let busy = submission.busy();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let forms = forms();
        // Every row shares role, node and window: checking the first checks them all.
        if let Some(Err(errors)) = forms.first().map(AssignmentForm::validate) {
            problem.set(errors.first().map(|e| e.message.clone()));
            return;
        }
        problem.set(None);
        let labels: Vec<String> = selected.with_untracked(|s| s.values().cloned().collect());
        submission.submit((env.get_untracked(), forms, labels));
    };
    view! {
        <form on:submit=submit novalidate data-testid="bulk-assign-form">
            <p>{move || format!("Assign a role to {} selected identit{}.", selected.with(|s| s.len()), if selected.with(|s| s.len()) == 1 { "y" } else { "ies" })}</p>
            <RoleNodePicker role node id_prefix="bulk" />
            <div class="field-pair">
                <div class="field">
                    <label for="bulk-from">"Starts (UTC, optional)"</label>
                    <input id="bulk-from" type="datetime-local" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="bulk-to">"Ends (UTC, optional)"</label>
                    <input id="bulk-to" type="datetime-local" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
                </div>
            </div>
            {move || message().map(|p| view! { <div class="alert alert-error" role="alert" data-testid="bulk-problem">{p}</div> })}
            {move || busy.get().then(|| view! { <div class="progress progress-busy" role="progressbar" aria-label="Assigning"><span></span></div> })}
            {move || report.get().map(|(done, failed)| view! { <RowReport done failed verb="assigned" /> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Close"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="bulk-assign-submit">"Assign"</button>
            </div>
        </form>
    }
}

/// Pick account identities that are not in this application yet and admit them (memberships
/// only; roles come after).
#[component]
pub fn AddFromDirectory(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let search = RwSignal::new(String::new());
    let picked = RwSignal::new(BTreeMap::<String, String>::new());
    let report = RwSignal::new(None::<(usize, Vec<(String, String)>)>);
    let reload = RwSignal::new(0u32);
    let candidates = LocalResource::new(move || {
        let (account, application) = env.with(|e| (e.account.clone(), e.application.clone()));
        let q = search.get();
        reload.track();
        async move {
            list_directory(
                account,
                DirectoryQuery {
                    q,
                    not_in_application: Some(application),
                    page: 1,
                    ..DirectoryQuery::default()
                },
            )
            .await
        }
    });
    let submission = use_form(
        move |(env, ids, labels): (EnvPath, Vec<String>, Vec<String>)| async move {
            let results = add_from_directory(env, ids).await?;
            let failed = failures(&labels, &results);
            let done = results.len() - failed.len();
            picked.set(BTreeMap::new());
            reload.update(|n| *n += 1);
            on_done.run(());
            if failed.is_empty() {
                toasts.success(format!(
                    "Added {done} identit{} to this application",
                    if done == 1 { "y" } else { "ies" }
                ));
                open.set(false);
            } else {
                report.set(Some((done, failed)));
            }
            Ok(())
        },
    );
    let busy = submission.busy();
    let submit = move |_| {
        let (ids, labels): (Vec<String>, Vec<String>) =
            picked.with_untracked(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).unzip());
        if ids.is_empty() {
            return;
        }
        submission.submit((env.get_untracked(), ids, labels));
    };
    view! {
        <div data-testid="add-from-directory">
            <p class="muted">"Identities already in your account's directory but not in this application. Adding makes them members; give them roles afterwards."</p>
            <input class="search" type="search" placeholder="Search the directory" aria-label="Search the directory"
                prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) data-testid="directory-picker-search" />
            {move || match candidates.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                Some(Ok(page)) if page.items.is_empty() => view! {
                    <p class="empty-inline" data-testid="directory-picker-empty">"Everyone in the directory is already in this application."</p>
                }.into_any(),
                Some(Ok(page)) => view! {
                    <ul class="pick-list">
                        {page.items.into_iter().map(|row| {
                            let id = row.identity.id.clone();
                            let label = format!("{} <{}>", row.identity.name(), row.identity.email);
                            let (id_for_check, id_for_change) = (id.clone(), id.clone());
                            view! {
                                <li>
                                    <label class="checkbox">
                                        <input type="checkbox" prop:checked=move || picked.with(|p| p.contains_key(&id_for_check))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let (id, label) = (id_for_change.clone(), label.clone());
                                                picked.update(|p| { if on && p.len() < BULK_MAX { p.insert(id, label); } else { p.remove(&id); } });
                                            }
                                            data-testid="pick-identity" />
                                        " " {row.identity.name()} " " <span class="muted small">{row.identity.email.clone()}</span>
                                    </label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(page.total > page.per_page).then(|| view! { <p class="muted small">{format!("Showing {} of {}{}; search to find others.", page.per_page, page.total, if page.total_is_lower_bound { "+" } else { "" })}</p> })}
                }.into_any(),
            }}
            <FormAlert error=submission.error() />
            {move || busy.get().then(|| view! { <div class="progress progress-busy" role="progressbar" aria-label="Adding"><span></span></div> })}
            {move || report.get().map(|(done, failed)| view! { <RowReport done failed verb="added" /> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Close"</button>
                <button type="button" class="btn btn-primary" disabled=move || busy.get() || picked.with(|p| p.is_empty()) on:click=submit data-testid="add-picked">
                    {move || format!("Add {} to this application", picked.with(|p| p.len()))}
                </button>
            </div>
        </div>
    }
}
