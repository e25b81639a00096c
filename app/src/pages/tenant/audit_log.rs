//! Tenant › Audit log: every audited write of the account, newest first, a page at a time (keyset:
//! "Older" follows the page's cursor, "Newer" goes back), filtered by actor, action, category,
//! application, environment, target and time range. An event opens its detail: before/after where
//! the write recorded them, its metadata, and the other events of the same operation (correlation
//! id). The filtered events download as CSV or JSON Lines. The retention setting sits below.

use crate::components::dialog::Dialog;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::identity_assignments::short_time;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{ACTOR_TYPES, AuditEvent, AuditFilter, EnvPath, RetentionForm, Workspace};
use crate::server::audit_log::{
    list_audit_events, load_audit_event, load_audit_retention, set_audit_retention,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The categories the log uses today (the filter also takes any other typed value).
const CATEGORIES: [&str; 9] = [
    "tenancy",
    "admin_user",
    "identity",
    "invites",
    "rbac",
    "hierarchy",
    "api_key",
    "auth",
    "audit",
];

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let workspace = use_context::<Resource<Result<Workspace, AppError>>>();
    // The applied filter lives in the query string, so a filtered view can be shared, reloaded
    // and left with Back; the form holds the one being typed.
    let query = use_query_map();
    let applied = Memo::new(move |_| query.with(|q| AuditFilter::from_query(|key| q.get(key))));
    let draft = RwSignal::new(applied.get_untracked());
    // Cursors of the pages before this one (for "Newer") and of this one.
    let previous = RwSignal::new(Vec::<Option<String>>::new());
    let cursor = RwSignal::new(None::<String>);
    // A new filter (applied here, or by Back and Forward) starts at its newest page.
    Effect::new(move |first: Option<()>| {
        let filter = applied.get();
        if first.is_some() {
            draft.set(filter);
            previous.set(Vec::new());
            cursor.set(None);
        }
    });
    let events = Resource::new(
        move || (env.with(|e| e.account.clone()), applied.get(), cursor.get()),
        |(account, filter, cursor)| list_audit_events(account, filter, cursor),
    );
    let navigate = use_navigate();
    let apply = Callback::new(move |filter: AuditFilter| {
        let query = filter.to_query();
        let path = env.with_untracked(|e| e.href("audit-log"));
        let to = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        navigate(&to, Default::default());
    });
    let opened = RwSignal::new(None::<String>);
    let detail_open = RwSignal::new(false);
    let show = Callback::new(move |id: String| {
        opened.set(Some(id));
        detail_open.set(true);
    });
    let by_correlation = Callback::new(move |correlation_id: String| {
        detail_open.set(false);
        apply.run(AuditFilter {
            correlation_id: Some(correlation_id),
            ..AuditFilter::default()
        });
    });
    let invalid = Memo::new(move |_| draft.with(|f| f.validate().err()));
    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            invalid.with(|errors| {
                errors
                    .as_ref()
                    .and_then(|e| e.iter().find(|e| e.field == field))
                    .map(|e| e.message.clone())
            })
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if invalid.with_untracked(Option::is_none) {
            apply.run(draft.get_untracked());
        }
    };
    let export_href = move |format: &'static str| {
        let query = applied.with(AuditFilter::to_query);
        let base = env.with(|e| e.href("audit-log/export"));
        if query.is_empty() {
            format!("{base}?format={format}")
        } else {
            format!("{base}?format={format}&{query}")
        }
    };
    let text = move |get: fn(&AuditFilter) -> &Option<String>| {
        move || draft.with(|f| get(f).clone().unwrap_or_default())
    };
    let set = move |ev: leptos::ev::Event, put: fn(&mut AuditFilter, Option<String>)| {
        let value = event_target_value(&ev);
        draft.update(|f| put(f, Some(value).filter(|v| !v.is_empty())));
    };
    let applications = move || {
        workspace
            .and_then(|w| w.get())
            .and_then(Result::ok)
            .map(|w| w.applications)
            .unwrap_or_default()
    };
    view! {
        <Title text="Audit log" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <h1>"Audit log"</h1>
                <p class="muted">"Every change made in your account — by admins, API keys, identities and Arbor itself — newest first. Reading the log is not recorded."</p>
            </div>
            <div class="page-actions">
                <a class="btn btn-secondary" href=move || export_href("csv") download rel="external" data-testid="export-csv">"Export CSV"</a>
                <a class="btn btn-secondary" href=move || export_href("jsonl") download rel="external" data-testid="export-jsonl">"Export JSON Lines"</a>
            </div>
        </div>
        <form class="card audit-filters" on:submit=on_submit novalidate aria-label="Filter the audit log" data-testid="audit-filters">
            <div class="filter-grid">
                <div class="field">
                    <label for="filter-actor-type">"Actor type"</label>
                    <select id="filter-actor-type" data-testid="filter-actor-type"
                        prop:value=text(|f| &f.actor_type)
                        on:change=move |ev| set(ev, |f, v| f.actor_type = v)>
                        <option value="">"Any"</option>
                        {ACTOR_TYPES.iter().map(|(key, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-actor">"Actor id"</label>
                    <input id="filter-actor" data-testid="filter-actor" prop:value=text(|f| &f.actor_id) on:change=move |ev| set(ev, |f, v| f.actor_id = v) />
                </div>
                <div class="field">
                    <label for="filter-action">"Action"</label>
                    <input id="filter-action" placeholder="role.created" data-testid="filter-action" prop:value=text(|f| &f.action) on:change=move |ev| set(ev, |f, v| f.action = v) />
                </div>
                <div class="field">
                    <label for="filter-category">"Category"</label>
                    <select id="filter-category" data-testid="filter-category"
                        prop:value=text(|f| &f.category)
                        on:change=move |ev| set(ev, |f, v| f.category = v)>
                        <option value="">"Any"</option>
                        {CATEGORIES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-application">"Application"</label>
                    <select id="filter-application" data-testid="filter-application"
                        prop:value=text(|f| &f.application_id)
                        on:change=move |ev| set(ev, |f, v| { f.application_id = v; f.environment_id = None; })>
                        <option value="">"Any"</option>
                        <Suspense fallback=|| ()>
                            {move || applications().into_iter().map(|a| view! { <option value=a.id.clone()>{a.name.clone()}</option> }).collect_view()}
                        </Suspense>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-environment">"Environment"</label>
                    <select id="filter-environment" data-testid="filter-environment"
                        prop:value=text(|f| &f.environment_id)
                        on:change=move |ev| set(ev, |f, v| f.environment_id = v)>
                        <option value="">"Any"</option>
                        <Suspense fallback=|| ()>
                        {move || {
                            let app = draft.with(|f| f.application_id.clone());
                            applications().into_iter()
                                .filter(|a| app.as_ref().is_none_or(|id| *id == a.id))
                                .flat_map(|a| {
                                    let app_name = a.name.clone();
                                    a.environments.into_iter().map(move |e| (format!("{app_name} / {}", e.name), e.id))
                                })
                                .map(|(label, id)| view! { <option value=id>{label}</option> })
                                .collect_view()
                        }}
                        </Suspense>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-resource-type">"Target type"</label>
                    <input id="filter-resource-type" placeholder="role" data-testid="filter-resource-type" prop:value=text(|f| &f.resource_type) on:change=move |ev| set(ev, |f, v| f.resource_type = v) />
                </div>
                <div class="field">
                    <label for="filter-resource-id">"Target id"</label>
                    <input id="filter-resource-id" data-testid="filter-resource-id" prop:value=text(|f| &f.resource_id) on:change=move |ev| set(ev, |f, v| f.resource_id = v) />
                </div>
                <div class="field" class:field-invalid=move || field_error("from").get().is_some()>
                    <label for="filter-from">"From (UTC)"</label>
                    <input id="filter-from" type="datetime-local" data-testid="filter-from" prop:value=text(|f| &f.from) on:change=move |ev| set(ev, |f, v| f.from = v)
                        aria-invalid=move || field_error("from").get().is_some().to_string() aria-describedby="filter-from-error" />
                    <p class="field-error" id="filter-from-error" role="alert">{move || field_error("from").get()}</p>
                </div>
                <div class="field" class:field-invalid=move || field_error("to").get().is_some()>
                    <label for="filter-to">"To (UTC)"</label>
                    <input id="filter-to" type="datetime-local" data-testid="filter-to" prop:value=text(|f| &f.to) on:change=move |ev| set(ev, |f, v| f.to = v)
                        aria-invalid=move || field_error("to").get().is_some().to_string() aria-describedby="filter-to-error" />
                    <p class="field-error" id="filter-to-error" role="alert">{move || field_error("to").get()}</p>
                </div>
            </div>
            {move || applied.with(|f| f.correlation_id.clone()).map(|id| view! {
                <p class="muted" data-testid="correlation-filter">"Showing the events of one operation (correlation " <span class="mono">{id}</span> ")."</p>
            })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" on:click=move |_| apply.run(AuditFilter::default()) data-testid="clear-filters">"Clear"</button>
                <button type="submit" class="btn btn-primary" data-testid="apply-filters">"Apply filters"</button>
            </div>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading the audit log…" /> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <div class="empty-state" data-testid="audit-empty"><p>{if previous.with_untracked(Vec::is_empty) { "No events match these filters." } else { "No older events." }}</p></div>
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor.clone();
                        view! {
                            <div class="table-wrap">
                                <table data-testid="audit-table">
                                    <caption class="visually-hidden">"Audit events, newest first"</caption>
                                    <thead><tr><th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th><th scope="col">"Target"</th><th scope="col">"Outcome"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|event| view! { <Row event show /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Audit log pages">
                                <button class="btn btn-secondary btn-small" data-testid="newer-page"
                                    disabled=move || previous.with(Vec::is_empty)
                                    on:click=move |_| {
                                        let mut stack = previous.get_untracked();
                                        let back = stack.pop().flatten();
                                        previous.set(stack);
                                        cursor.set(back);
                                    }>"Newer"</button>
                                <button class="btn btn-secondary btn-small" data-testid="older-page"
                                    disabled=next.is_none()
                                    on:click=move |_| {
                                        previous.update(|s| s.push(cursor.get_untracked()));
                                        cursor.set(next.clone());
                                    }>"Older"</button>
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Retention />
        <Dialog open=detail_open title="Audit event" testid="audit-detail" wide=true>
            {move || opened.get().map(|id| view! { <Detail id by_correlation /> })}
        </Dialog>
    }
    .into_any()
}

#[component]
fn Row(event: AuditEvent, show: Callback<String>) -> impl IntoView {
    let id = event.id.clone();
    let actor_type = ACTOR_TYPES
        .iter()
        .find(|(k, _)| *k == event.actor_type)
        .map_or(event.actor_type.clone(), |(_, l)| (*l).to_owned());
    view! {
        <tr data-testid="audit-row">
            <td class="nowrap">{short_time(&event.created_at)}</td>
            <td>{event.actor_label.clone()} <span class="muted small">" · " {actor_type}</span></td>
            <td>
                <button type="button" class="link-button mono" on:click=move |_| show.run(id.clone()) data-testid="open-event">{event.action.clone()}</button>
                <span class="muted small">" · " {event.category.clone()}</span>
            </td>
            <td>{event.resource_type.clone()} ": " {event.resource_label.clone()}</td>
            <td>{event.outcome.clone()}</td>
        </tr>
    }
}

#[component]
fn Detail(id: String, by_correlation: Callback<String>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let account = env.with_untracked(|e| e.account.clone());
    let detail = LocalResource::new(move || load_audit_event(account.clone(), id.clone()));
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the event…" /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        let event = detail.event;
                        let correlation = event.correlation_id.clone();
                        let changes = event.before_after();
                        let pretty = serde_json::to_string_pretty(&event.metadata).unwrap_or_default();
                        view! {
                            <dl class="detail-list" data-testid="event-detail">
                                <div><dt>"Action"</dt><dd class="mono">{event.action.clone()}</dd></div>
                                <div><dt>"Time"</dt><dd>{event.created_at.clone()}</dd></div>
                                <div><dt>"Actor"</dt><dd>{event.actor_label.clone()} " (" {event.actor_type.clone()} {event.actor_id.clone().map(|id| format!(" {id}"))} ")"</dd></div>
                                <div><dt>"Target"</dt><dd>{event.resource_type.clone()} ": " {event.resource_label.clone()} " " <span class="mono muted">{event.resource_id.clone()}</span></dd></div>
                                <div><dt>"Category"</dt><dd>{event.category.clone()}</dd></div>
                                <div><dt>"Outcome"</dt><dd>{event.outcome.clone()}</dd></div>
                                <div><dt>"Application"</dt><dd class="mono">{event.application_id.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                <div><dt>"Environment"</dt><dd class="mono">{event.environment_id.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                <div><dt>"Correlation id"</dt><dd class="mono" data-testid="correlation-id">{correlation.clone()}</dd></div>
                            </dl>
                            {changes.map(|(before, after)| view! {
                                <h3>"Change"</h3>
                                <div class="before-after" data-testid="before-after">
                                    <div><h4>"Before"</h4><pre>{serde_json::to_string_pretty(&before).unwrap_or_default()}</pre></div>
                                    <div><h4>"After"</h4><pre>{serde_json::to_string_pretty(&after).unwrap_or_default()}</pre></div>
                                </div>
                            })}
                            <h3>"Metadata"</h3>
                            <pre class="metadata">{pretty}</pre>
                            <h3>"Same operation"</h3>
                            {if detail.related.is_empty() {
                                view! { <p class="muted">"No other events."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="related-events" data-testid="related-events">
                                        {detail.related.into_iter().map(|r| view! {
                                            <li><span class="mono">{r.action}</span> " — " {r.resource_label}</li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| by_correlation.run(correlation.clone()) data-testid="show-correlation">"Show all events of this operation"</button>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// How long the account keeps events (owners and admins change it).
#[component]
fn Retention() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let current = Resource::new(
        move || (env.with(|e| e.account.clone()), version.get()),
        |(account, _)| load_audit_retention(account),
    );
    let days = RwSignal::new(String::new());
    let form = move || RetentionForm { days: days.get() };
    let submission = use_form(move |(account, form): (String, RetentionForm)| async move {
        let saved = set_audit_retention(account, form).await?;
        toasts.success(format!("Audit events are now kept {} days", saved.days));
        days.set(String::new());
        version.update(|n| *n += 1);
        Ok(())
    });
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() {
            return;
        }
        submission.submit((env.with_untracked(|e| e.account.clone()), form()));
    };
    view! {
        <section class="card" aria-labelledby="retention-title" data-testid="audit-retention">
            <h2 id="retention-title">"Retention"</h2>
            <Transition fallback=|| view! { <Loading label="Loading the retention…" /> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(r) => view! { <p data-testid="retention-days">"Events are kept " <strong>{r.days}</strong> " days, then deleted."</p> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <form on:submit=submit novalidate class="inline-form">
                <FormAlert error=submission.general_error() />
                <TextField name="days" label="Keep events for (days, 7–3650)" value=days error=error_for("days") input_type="number" on_blur=Callback::new(|_| ()) />
                <button type="submit" class="btn btn-secondary" disabled=submission.busy() data-testid="save-retention">"Save retention"</button>
            </form>
        </section>
    }
}
