//! Tenant › Identities: the Account directory. Stat cards (each one a filter), search, status and
//! assignment filters, sortable columns, pages, the Account-tier Create Identity dialog, and the
//! identity drawer (`?identity=<id>`): profile, Account-wide status, memberships, assignments in
//! every environment, history.

use crate::components::badge::IdentityStatusBadge;
use crate::components::dialog::Dialog;
use crate::components::field::{TextField, inline_error};
use crate::components::identity_assignments::{short_time, status_label};
use crate::components::initial_password::InitialPassword;
use crate::components::layout::use_scope;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{
    DirectoryIdentityForm, DirectoryQuery, DirectoryRow, DirectorySort, DirectorySummary,
    IdentityDetail, IdentityStatus, ProfileForm, parse_metadata_text,
};
use crate::server::directory::{
    add_identity_membership, create_directory_identity, list_directory, load_directory_summary,
    load_identity_detail, remove_identity_membership, set_identity_status, update_identity_profile,
};
use crate::server::workspace::load_workspace;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let Some(scope) = use_scope() else {
        return view! { <Loading /> }.into_any();
    };
    let refresh = RwSignal::new(0u32);
    let query = RwSignal::new(DirectoryQuery {
        page: 1,
        descending: true,
        ..DirectoryQuery::default()
    });
    let rows = Resource::new(
        move || (scope.account.get(), query.get(), refresh.get()),
        |(account, query, _)| list_directory(account, query),
    );
    let summary = LocalResource::new(move || {
        let account = scope.account.get();
        refresh.track();
        load_directory_summary(account)
    });
    let create_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("1", create_open);
    let (drawer_id, drawer_open) = crate::components::deep_link::identity_drawer(
        move || scope.href("directory"),
        Callback::new(move |_: ()| refresh.update(|n| *n += 1)),
    );
    let on_created = Callback::new(move |_: ()| refresh.update(|n| *n += 1));
    let set = move |change: fn(&mut DirectoryQuery)| {
        query.update(|q| {
            change(q);
            q.page = 1;
        })
    };
    view! {
        <Title text="Identities · Directory" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <h1>"Identities"</h1>
                <p class="muted">"Your account's directory: every end user, whichever applications they belong to. Deactivating an identity here shuts it out of every application."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-primary" on:click=move |_| create_open.set(true) data-testid="open-create-directory-identity">"Create Identity"</button>
            </div>
        </div>
        <SummaryCards summary=Signal::derive(move || summary.get().and_then(Result::ok)) query />
        <div class="toolbar filters">
            <input class="search" type="search" placeholder="Search name, email or external id" aria-label="Search the directory"
                prop:value=move || query.with(|q| q.q.clone())
                on:input=move |ev| { let text = event_target_value(&ev); query.update(|q| { q.q = text; q.page = 1; }) }
                data-testid="directory-search" />
            <label class="inline-select">"Status "
                <select on:change=move |ev| { let v = event_target_value(&ev); query.update(|q| { q.status = (!v.is_empty()).then_some(v); q.page = 1; }) }
                    data-testid="filter-status">
                    <option value="" selected=move || query.with(|q| q.status.is_none())>"All"</option>
                    {["active", "pending", "inactive"].into_iter().map(|s| view! {
                        <option value=s selected=move || query.with(|q| q.status.as_deref() == Some(s))>{IdentityStatus::parse(s).label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="inline-select">"Assignments "
                <select on:change=move |ev| { let v = event_target_value(&ev); query.update(|q| { q.has_any_assignment = match v.as_str() { "yes" => Some(true), "no" => Some(false), _ => None }; q.page = 1; }) }
                    data-testid="filter-assignments">
                    <option value="" selected=move || query.with(|q| q.has_any_assignment.is_none())>"Any"</option>
                    <option value="yes" selected=move || query.with(|q| q.has_any_assignment == Some(true))>"With assignments"</option>
                    <option value="no" selected=move || query.with(|q| q.has_any_assignment == Some(false))>"Orphans (none)"</option>
                </select>
            </label>
            {move || query.with(|q| !q.q.is_empty() || q.status.is_some() || q.has_any_assignment.is_some() || q.without_membership).then(|| view! {
                <button class="btn btn-ghost btn-small" on:click=move |_| set(|q| { q.q.clear(); q.status = None; q.has_any_assignment = None; q.without_membership = false; })>"Clear filters"</button>
            })}
        </div>
        <Transition fallback=|| view! { <Loading label="Loading the directory…" /> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(page) if page.total == 0 && query.with_untracked(|q| q.q.is_empty() && q.status.is_none() && q.has_any_assignment.is_none() && !q.without_membership) => view! {
                        <div class="empty-state" data-testid="directory-empty">
                            <p><strong>"Your directory is empty."</strong></p>
                            <p class="muted">"Create identities here to pre-provision them, optionally in an application; roles come later, per environment."</p>
                            <button class="btn btn-primary" on:click=move |_| create_open.set(true)>"Create Identity"</button>
                        </div>
                    }.into_any(),
                    Ok(page) if page.total == 0 => view! {
                        <div class="empty-inline" data-testid="directory-no-match">"No identity matches these filters."</div>
                    }.into_any(),
                    Ok(page) => {
                        let (pages, current, total) = (page.pages(), page.page, page.total);
                        view! {
                            <div class="table-wrap">
                                <table data-testid="directory-table">
                                    <thead><tr>
                                        <SortHeader label="Name" sort=DirectorySort::Name query />
                                        <SortHeader label="Email" sort=DirectorySort::Email query />
                                        <SortHeader label="Status" sort=DirectorySort::Status query />
                                        <th>"Applications"</th>
                                        <th>"Assignments"</th>
                                        <SortHeader label="Created" sort=DirectorySort::Created query />
                                    </tr></thead>
                                    <tbody>{page.items.into_iter().map(|row| view! { <DirectoryLine row /> }).collect_view()}</tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">{format!("{total} identit{} · page {current} of {pages}", if total == 1 { "y" } else { "ies" })}</span>
                                {(pages > 1).then(|| view! {
                                    <button class="btn btn-secondary btn-small" disabled={current <= 1} on:click=move |_| query.update(|q| q.page -= 1)>"Previous"</button>
                                    <button class="btn btn-secondary btn-small" disabled={current >= pages} on:click=move |_| query.update(|q| q.page += 1)>"Next"</button>
                                })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=create_open title="Create Identity" testid="create-directory-identity" wide=true>
            <CreateDirectoryIdentity open=create_open on_created />
        </Dialog>
        <Dialog open=drawer_open title="Identity" testid="directory-drawer" wide=true>
            {move || drawer_id.get().map(|id| view! { <IdentityDrawer id /> })}
        </Dialog>
    }
    .into_any()
}

#[component]
fn SummaryCards(
    summary: Signal<Option<DirectorySummary>>,
    query: RwSignal<DirectoryQuery>,
) -> impl IntoView {
    // Each card is also a filter: one click shows the identities it counts.
    let card = move |label: &'static str,
                     hint: &'static str,
                     testid: &'static str,
                     value: fn(&DirectorySummary) -> i64,
                     apply: fn(&mut DirectoryQuery)| {
        view! {
            <button type="button" class="stat stat-button" data-testid=testid
                on:click=move |_| query.update(|q| { q.status = None; q.has_any_assignment = None; q.without_membership = false; apply(q); q.page = 1; })>
                <p class="stat-label">{label}</p>
                <p class="stat-value">{move || summary.get().map_or_else(|| "–".to_owned(), |s| value(&s).to_string())}</p>
                <p class="stat-hint">{hint}</p>
            </button>
        }
    };
    view! {
        <section class="stat-grid directory-stats" aria-label="Directory summary">
            {card("Total", "in this account", "dir-stat-total", |s| s.total, |_| {})}
            {card("Active", "can sign in", "dir-stat-active", |s| s.active, |q| q.status = Some("active".into()))}
            {card("Pending", "no password yet", "dir-stat-pending", |s| s.pending, |q| q.status = Some("pending".into()))}
            {card("Inactive", "switched off account-wide", "dir-stat-inactive", |s| s.inactive, |q| q.status = Some("inactive".into()))}
            {card("Email unverified", "not confirmed yet", "dir-stat-unverified", |s| s.email_unverified, |_| {})}
            {card("No memberships", "directory-only", "dir-stat-orphans", |s| s.no_memberships, |q| q.without_membership = true)}
        </section>
    }
}

#[component]
fn SortHeader(
    label: &'static str,
    sort: DirectorySort,
    query: RwSignal<DirectoryQuery>,
) -> impl IntoView {
    let active = move || query.with(|q| q.sort == sort);
    let aria = move || match (active(), query.with(|q| q.descending)) {
        (false, _) => "none",
        (true, true) => "descending",
        (true, false) => "ascending",
    };
    view! {
        <th aria-sort=aria>
            <button type="button" class="sort-button" data-testid=format!("sort-{}", label.to_lowercase())
                on:click=move |_| query.update(|q| {
                    if q.sort == sort { q.descending = !q.descending } else { q.sort = sort; q.descending = false }
                    q.page = 1;
                })>
                {label}
                <span aria-hidden="true">{move || match aria() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}</span>
            </button>
        </th>
    }
}

#[component]
fn DirectoryLine(row: DirectoryRow) -> impl IntoView {
    let href = use_scope()
        .map(|s| {
            format!(
                "{}?identity={}",
                s.href_untracked("directory"),
                row.identity.id
            )
        })
        .unwrap_or_default();
    let i = row.identity;
    view! {
        <tr data-testid="directory-row">
            <td><a href=href class="identity-link">{i.name()}</a></td>
            <td>{i.email.clone()}</td>
            <td><IdentityStatusBadge status=i.status /></td>
            <td>{if row.membership_count == 0 { "None".to_owned() } else { row.membership_count.to_string() }}</td>
            <td>{row.assignment_count}</td>
            <td>{i.created_at.get(..10).unwrap_or_default().to_owned()}</td>
        </tr>
    }
}

/// The Account-tier Create Identity: person, optional password, external id and metadata, and
/// optionally an application to admit the identity to. Never a role.
#[component]
fn CreateDirectoryIdentity(open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    let scope = use_scope();
    let toasts = use_toasts();
    let applications = LocalResource::new(move || {
        let account = scope.map(|s| s.account.get()).unwrap_or_default();
        async move {
            load_workspace(account)
                .await
                .map(|w| w.applications)
                .unwrap_or_default()
        }
    });
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let require_change = RwSignal::new(true);
    let external_id = RwSignal::new(String::new());
    let metadata_text = RwSignal::new(String::new());
    let application = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    // The editor's text goes through the same metadata rule; bad JSON is a field error here.
    let metadata = move || parse_metadata_text(&metadata_text.get());
    let form = move || DirectoryIdentityForm {
        email: email.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        password: Some(password.get()),
        require_password_change: require_change.get(),
        external_id: Some(external_id.get()),
        metadata: metadata().ok().flatten(),
        application_id: Some(application.get()),
    };
    let error_for = move |field: &'static str| {
        inline_error(field, server_error, touched.into(), move |f| {
            if f == "metadata"
                && let Err(e) = metadata()
            {
                return Some(e);
            }
            form().field_error(f)
        })
    };
    let metadata_error = error_for("metadata");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if form().validate().is_err() || metadata().is_err() || busy.get_untracked() {
            return;
        }
        let Some(account) = scope.map(|s| s.account.get_untracked()) else {
            return;
        };
        busy.set(true);
        server_error.set(None);
        let form = form();
        leptos::task::spawn_local(async move {
            match create_directory_identity(account, form).await {
                Ok(identity) => {
                    let link = scope
                        .map(|s| {
                            format!("{}?identity={}", s.href_untracked("directory"), identity.id)
                        })
                        .unwrap_or_default();
                    toasts.success_with_link(format!("Created {}.", identity.name()), "View", link);
                    open.set(false);
                    on_created.run(());
                }
                Err(error) => server_error.set(Some(error)),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit novalidate data-testid="directory-form">
            {move || server_error.get().filter(|e| !e.is_field_error()).map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email error=error_for("email") on_blur=Callback::new(move |_| touched.set(true)) autofocus=true />
            <div class="field-pair">
                <TextField name="first_name" label="First name" autocomplete="off" value=first_name error=error_for("first_name") on_blur=Callback::new(move |_| touched.set(true)) />
                <TextField name="last_name" label="Last name" autocomplete="off" value=last_name error=error_for("last_name") on_blur=Callback::new(move |_| touched.set(true)) />
            </div>
            <InitialPassword password require_change error=error_for("password") on_blur=Callback::new(move |_| touched.set(true)) />
            <TextField name="external_id" label="External id (optional)" autocomplete="off" value=external_id error=error_for("external_id")
                on_blur=Callback::new(move |_| touched.set(true)) hint="Your HR or IdP id for this person; unique in the account." />
            <div class="field" class:field-invalid=move || metadata_error.get().is_some()>
                <label for="field-metadata">"Metadata (optional JSON object)"</label>
                <textarea id="field-metadata" rows="4" class="code" placeholder="{\"department\": \"Sales\"}"
                    prop:value=move || metadata_text.get() on:input=move |ev| metadata_text.set(event_target_value(&ev))
                    on:blur=move |_| touched.set(true)
                    aria-invalid=move || metadata_error.get().is_some().to_string() data-testid="input-metadata"></textarea>
                <p class="field-error" role="alert" data-testid="error-metadata">{move || metadata_error.get().unwrap_or_default()}</p>
            </div>
            <div class="field">
                <label for="field-application">"Application (optional)"</label>
                <select id="field-application" on:change=move |ev| application.set(event_target_value(&ev)) data-testid="input-application">
                    <option value="">"None — directory only"</option>
                    {move || applications.get().unwrap_or_default().into_iter().map(|app| view! { <option value=app.id>{app.name}</option> }).collect_view()}
                </select>
                <p class="field-hint">"With an application the identity becomes its member now. Roles are given per environment, on Access Control › Identities."</p>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="submit-directory-identity">
                    {move || if busy.get() { "Creating…" } else { "Create Identity" }}
                </button>
            </div>
        </form>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DrawerTab {
    Profile,
    Memberships,
    Assignments,
    History,
}

#[component]
fn IdentityDrawer(id: String) -> impl IntoView {
    let scope = use_scope();
    let account = move || scope.map(|s| s.account.get()).unwrap_or_default();
    let reload = RwSignal::new(0u32);
    let id = StoredValue::new(id);
    let detail = LocalResource::new(move || {
        reload.track();
        load_identity_detail(account(), id.get_value())
    });
    let tab = RwSignal::new(DrawerTab::Profile);
    let changed = Callback::new(move |_: ()| reload.update(|n| *n += 1));
    let tabs = [
        (DrawerTab::Profile, "Profile"),
        (DrawerTab::Memberships, "Memberships"),
        (DrawerTab::Assignments, "Assignments"),
        (DrawerTab::History, "History"),
    ];
    view! {
        <div class="drawer-body" data-testid="identity-detail">
            {move || match detail.get() {
                None => view! { <Loading label="Loading the identity…" /> }.into_any(),
                Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                Some(Ok(d)) => view! {
                    <div class="drawer-title">
                        <h3>{d.identity.name()}</h3>
                        <IdentityStatusBadge status=d.identity.status />
                        <p class="muted small">{d.identity.email.clone()}</p>
                    </div>
                }.into_any(),
            }}
            <div class="guide-tabs" role="tablist">
                {tabs.into_iter().map(|(t, label)| view! {
                    <button type="button" role="tab" class="guide-tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t) data-testid=format!("tab-{}", label.to_lowercase())>{label}</button>
                }).collect_view()}
            </div>
            {move || detail.get().and_then(Result::ok).map(|d| match tab.get() {
                DrawerTab::Profile => view! { <ProfileTab detail=d changed /> }.into_any(),
                DrawerTab::Memberships => view! { <MembershipsTab detail=d changed /> }.into_any(),
                DrawerTab::Assignments => view! { <AssignmentsTab detail=d /> }.into_any(),
                DrawerTab::History => view! { <HistoryTab detail=d /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn ProfileTab(detail: IdentityDetail, changed: Callback<()>) -> impl IntoView {
    let scope = use_scope();
    let toasts = use_toasts();
    let identity = StoredValue::new(detail.identity.clone());
    let first_name = RwSignal::new(detail.identity.first_name.clone());
    let last_name = RwSignal::new(detail.identity.last_name.clone());
    let metadata_text = RwSignal::new(
        detail
            .identity
            .metadata
            .as_ref()
            .and_then(|m| serde_json::to_string_pretty(m).ok())
            .unwrap_or_default(),
    );
    let server_error = RwSignal::new(None::<AppError>);
    let confirm_off = RwSignal::new(false);
    let metadata = move || parse_metadata_text(&metadata_text.get());
    let form = move || ProfileForm {
        version: identity.with_value(|i| i.version),
        first_name: first_name.get(),
        last_name: last_name.get(),
        metadata: metadata().ok().flatten(),
    };
    let error_for = move |field: &'static str| {
        inline_error(field, server_error, Signal::stored(true), move |f| {
            if f == "metadata"
                && let Err(e) = metadata()
            {
                return Some(e);
            }
            form().field_error(f)
        })
    };
    let metadata_error = error_for("metadata");
    let account = move || scope.map(|s| s.account.get_untracked()).unwrap_or_default();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form().validate().is_err() || metadata().is_err() {
            return;
        }
        let (account, id, form) = (account(), identity.with_value(|i| i.id.clone()), form());
        leptos::task::spawn_local(async move {
            match update_identity_profile(account, id, form).await {
                Ok(saved) => {
                    toasts.success(format!("Saved {}", saved.name()));
                    changed.run(());
                }
                Err(error) => server_error.set(Some(error)),
            }
        });
    };
    let set_active = move |active: bool| {
        let (account, id) = (account(), identity.with_value(|i| i.id.clone()));
        leptos::task::spawn_local(async move {
            match set_identity_status(account, id, active).await {
                Ok(updated) => {
                    toasts.success(if active {
                        format!("{} is active again", updated.name())
                    } else {
                        format!("{} is deactivated everywhere", updated.name())
                    });
                    confirm_off.set(false);
                    changed.run(());
                }
                Err(error) => toasts.error(error.to_string()),
            }
        });
    };
    let inactive = detail.identity.status == IdentityStatus::Inactive;
    view! {
        <form on:submit=save novalidate class="drawer-section">
            {move || server_error.get().filter(|e| !e.is_field_error()).map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            <div class="field-pair">
                <TextField name="first_name" label="First name" value=first_name error=error_for("first_name") on_blur=Callback::new(|_| ()) />
                <TextField name="last_name" label="Last name" value=last_name error=error_for("last_name") on_blur=Callback::new(|_| ()) />
            </div>
            <dl class="facts">
                <dt>"Email"</dt><dd>{detail.identity.email.clone()}</dd>
                <dt>"External id"</dt><dd>{detail.identity.external_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Password"</dt><dd>{if detail.identity.has_password { if detail.identity.password_change_required { "Set; must change at first sign-in" } else { "Set" } } else { "None yet" }}</dd>
                <dt>"Created"</dt><dd>{short_time(&detail.identity.created_at)}</dd>
            </dl>
            <div class="field" class:field-invalid=move || metadata_error.get().is_some()>
                <label for="profile-metadata">"Metadata (JSON object)"</label>
                <textarea id="profile-metadata" rows="4" class="code" prop:value=move || metadata_text.get()
                    on:input=move |ev| metadata_text.set(event_target_value(&ev)) data-testid="profile-metadata"></textarea>
                <p class="field-error" role="alert" data-testid="error-profile-metadata">{move || metadata_error.get().unwrap_or_default()}</p>
            </div>
            <button type="submit" class="btn btn-primary" data-testid="save-profile">"Save profile"</button>
        </form>
        <section class="drawer-section danger-zone">
            <h4>"Account-wide status"</h4>
            {if inactive {
                view! {
                    <p class="muted">"Deactivated: shut out of every application. Memberships and roles are kept and apply again once reactivated."</p>
                    <button type="button" class="btn btn-secondary" on:click=move |_| set_active(true) data-testid="activate-identity">"Activate"</button>
                }.into_any()
            } else {
                view! {
                    <p class="muted">"Deactivating is the kill switch: the identity loses access in every application at once."</p>
                    <Show when=move || !confirm_off.get() fallback=move || view! {
                        <div class="confirm-inline" role="alert">
                            <p>"Deactivate " <strong>{identity.with_value(|i| i.name())}</strong> " everywhere?"</p>
                            <button type="button" class="btn btn-danger btn-small" on:click=move |_| set_active(false) data-testid="confirm-deactivate">"Deactivate"</button>
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirm_off.set(false)>"Cancel"</button>
                        </div>
                    }>
                        <button type="button" class="btn btn-secondary danger" on:click=move |_| confirm_off.set(true) data-testid="deactivate-identity">"Deactivate…"</button>
                    </Show>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn MembershipsTab(detail: IdentityDetail, changed: Callback<()>) -> impl IntoView {
    let scope = use_scope();
    let toasts = use_toasts();
    let account = move || scope.map(|s| s.account.get_untracked()).unwrap_or_default();
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
        .filter(|m| m.status == "active")
        .map(|m| m.application_id.clone())
        .collect();
    let member_of = StoredValue::new(member_of);
    let to_add = RwSignal::new(String::new());
    let confirming = RwSignal::new(None::<String>);
    let add = move |_| {
        let application_id = to_add.get_untracked();
        if application_id.is_empty() {
            return;
        }
        let (account, id) = (account(), id.get_value());
        leptos::task::spawn_local(async move {
            match add_identity_membership(account, id, application_id).await {
                Ok(_) => {
                    toasts.success("Added to the application");
                    changed.run(());
                }
                Err(error) => toasts.error(error.to_string()),
            }
        });
    };
    let remove = move |application_id: String| {
        let (account, id) = (account(), id.get_value());
        leptos::task::spawn_local(async move {
            match remove_identity_membership(account, id, application_id).await {
                Ok(revoked) => {
                    toasts.success(format!(
                        "Removed from the application; {revoked} role assignment(s) revoked"
                    ));
                    confirming.set(None);
                    changed.run(());
                }
                Err(error) => toasts.error(error.to_string()),
            }
        });
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
                            let active = m.status == "active";
                            let app_id = m.application_id.clone();
                            let app_for_confirm = m.application_id.clone();
                            let name = m.application_name.clone();
                            let count = m.assignment_count;
                            view! {
                                <li class="membership" data-testid="membership-row">
                                    <div>
                                        <strong>{m.application_name.clone()}</strong>
                                        <span class=if active { "pill status-active" } else { "pill status-expired" }>{m.status.clone()}</span>
                                        <p class="muted small">{format!("{count} role assignment(s)")}</p>
                                    </div>
                                    {active.then(|| view! {
                                        <Show when={let a = app_id.clone(); move || confirming.get().as_deref() == Some(a.as_str())}
                                            fallback={let a = app_id.clone(); move || { let a = a.clone(); view! {
                                                <button type="button" class="btn btn-secondary btn-small danger" on:click=move |_| confirming.set(Some(a.clone())) data-testid="remove-membership">"Remove…"</button>
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
                <button type="button" class="btn btn-secondary btn-small" on:click=add data-testid="add-membership">"Add"</button>
            </div>
        </section>
    }
}

#[component]
fn AssignmentsTab(detail: IdentityDetail) -> impl IntoView {
    if detail.assignments.is_empty() {
        return view! { <p class="empty-inline">"No role assignments in any environment."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table data-testid="drawer-assignments">
                <thead><tr><th>"Environment"</th><th>"Role"</th><th>"Node"</th><th>"Status"</th><th>"Until"</th></tr></thead>
                <tbody>
                    {detail.assignments.into_iter().map(|(environment, a)| view! {
                        <tr>
                            <td>{environment}</td>
                            <td>{a.role_name.clone()}</td>
                            <td>{a.node_name.clone()}</td>
                            <td><span class=format!("pill status-{}", status_label(a.status).to_lowercase())>{status_label(a.status)}</span></td>
                            <td>{a.effective_to.as_deref().map_or_else(|| "No end".to_owned(), short_time)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// `membership.activated` → "Membership activated".
fn describe(action: &str) -> String {
    let words = action.replace(['.', '_'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[component]
fn HistoryTab(detail: IdentityDetail) -> impl IntoView {
    view! {
        <ol class="history" data-testid="drawer-history">
            {detail.history.into_iter().map(|e| view! {
                <li>
                    <span class="history-action">{describe(&e.action)}</span>
                    <span class="muted small">{format!("{} · {}", short_time(&e.at), if e.actor.is_empty() { "system".to_owned() } else { e.actor.clone() })}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}
