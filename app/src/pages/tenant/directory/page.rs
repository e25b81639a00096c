//! The directory page: stat cards (each one a filter), search, status and assignment filters,
//! sortable columns and pages.

use super::create::CreateDirectoryIdentity;
use super::drawer::IdentityDrawer;
use crate::components::badge::IdentityStatusBadge;
use crate::components::dialog::Dialog;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{
    DirectoryQuery, DirectoryRow, DirectorySort, DirectorySummary, EnvPath, IdentityStatus,
};
use crate::server::directory::{list_directory, load_directory_summary};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let refresh = RwSignal::new(0u32);
    let query = RwSignal::new(DirectoryQuery {
        page: 1,
        descending: true,
        ..DirectoryQuery::default()
    });
    let rows = Resource::new(
        move || (env.with(|e| e.account.clone()), query.get(), refresh.get()),
        |(account, query, _)| list_directory(account, query),
    );
    let summary = LocalResource::new(move || {
        let account = env.with(|e| e.account.clone());
        refresh.track();
        load_directory_summary(account)
    });
    let create_open = RwSignal::new(false);
    let invite_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("1", create_open);
    let (drawer_id, drawer_open) = crate::components::deep_link::identity_drawer(
        move || env.with(|e| e.href("directory")),
        Callback::new(move |_: ()| refresh.update(|n| *n += 1)),
    );
    let on_created = Callback::new(move |_: ()| refresh.update(|n| *n += 1));
    // The cursor of each page visited since page 1 (index 0: page 1's, none), so Previous goes
    // back without an offset; every change of search, filter or sort starts again at page 1.
    let cursors = RwSignal::new(vec![None::<String>]);
    let set = move |change: fn(&mut DirectoryQuery)| {
        query.update(|q| {
            change(q);
            q.page = 1;
            q.cursor = None;
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
                <Show
                    when=move || !viewer_disabled().get()
                    fallback=|| view! { <button class="btn btn-ghost" disabled=true title=read_only_title() data-testid="open-csv-import">"Import CSV"</button> }
                >
                    <a class="btn btn-ghost" href=move || env.with(|e| e.href("directory/import?mode=account")) data-testid="open-csv-import">"Import CSV"</a>
                </Show>
                <button class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| invite_open.set(true) data-testid="open-directory-invite">"Invite"</button>
                <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true) data-testid="open-create-directory-identity">"Create Identity"</button>
            </div>
        </div>
        <SummaryCards summary=Signal::derive(move || summary.get().and_then(Result::ok)) query />
        <div class="toolbar filters">
            <input class="search" type="search" placeholder="Search: the start of a name, email or external id" aria-label="Search the directory"
                prop:value=move || query.with(|q| q.q.clone())
                on:input=move |ev| { let text = event_target_value(&ev); query.update(|q| { q.q = text; q.page = 1; q.cursor = None; }) }
                data-testid="directory-search" />
            <label class="inline-select">"Status "
                <select on:change=move |ev| { let v = event_target_value(&ev); query.update(|q| { q.status = IdentityStatus::ALL.into_iter().find(|s| s.as_str() == v); q.page = 1; q.cursor = None; }) }
                    data-testid="filter-status">
                    <option value="" selected=move || query.with(|q| q.status.is_none())>"All"</option>
                    {IdentityStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.with(|q| q.status == Some(s))>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="inline-select">"Assignments "
                <select on:change=move |ev| { let v = event_target_value(&ev); query.update(|q| { q.has_any_assignment = match v.as_str() { "yes" => Some(true), "no" => Some(false), _ => None }; q.page = 1; q.cursor = None; }) }
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
                            <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true)>"Create Identity"</button>
                        </div>
                    }.into_any(),
                    Ok(page) if page.total == 0 => view! {
                        <div class="empty-inline" data-testid="directory-no-match">"No identity matches these filters."</div>
                    }.into_any(),
                    Ok(page) => {
                        let current = query.with_untracked(|q| q.page.max(1));
                        let count = if page.total_is_lower_bound {
                            format!("More than {} identities · page {current}", page.total)
                        } else {
                            let pages = ((page.total + page.per_page - 1) / page.per_page.max(1)).max(1);
                            format!("{} identit{} · page {current} of {pages}", page.total, if page.total == 1 { "y" } else { "ies" })
                        };
                        let next = page.next_cursor.clone();
                        let has_next = next.is_some();
                        let paged = current > 1 || has_next;
                        let go_next = move |_| {
                            let Some(next) = next.clone() else { return };
                            query.update(|q| {
                                cursors.update(|c| {
                                    c.truncate(usize::try_from(q.page.max(1)).unwrap_or(1));
                                    c.push(Some(next.clone()));
                                });
                                q.cursor = Some(next);
                                q.page = q.page.max(1) + 1;
                            })
                        };
                        let go_previous = move |_| query.update(|q| {
                            let before = usize::try_from(q.page - 2).unwrap_or(0);
                            q.cursor = cursors.with_untracked(|c| c.get(before).cloned().flatten());
                            q.page = (q.page - 1).max(1);
                        });
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
                                <span class="muted" data-testid="directory-count">{count}</span>
                                {paged.then(|| view! {
                                    <button class="btn btn-secondary btn-small" disabled={current <= 1} on:click=go_previous data-testid="directory-previous">"Previous"</button>
                                    <button class="btn btn-secondary btn-small" disabled={!has_next} on:click=go_next data-testid="directory-next">"Next"</button>
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
        <Dialog open=invite_open title="Invite" testid="directory-invite">
            <super::invite::InviteToAccount open=invite_open />
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
                on:click=move |_| query.update(|q| { q.status = None; q.has_any_assignment = None; q.without_membership = false; apply(q); q.page = 1; q.cursor = None; })>
                <p class="stat-label">{label}</p>
                <p class="stat-value">{move || summary.get().map_or_else(|| "–".to_owned(), |s| value(&s).to_string())}</p>
                <p class="stat-hint">{hint}</p>
            </button>
        }
    };
    view! {
        <section class="stat-grid directory-stats" aria-label="Directory summary">
            {card("Total", "in this account", "dir-stat-total", |s| s.total, |_| {})}
            {card("Active", "can sign in", "dir-stat-active", |s| s.active, |q| q.status = Some(IdentityStatus::Active))}
            {card("Pending", "no password yet", "dir-stat-pending", |s| s.pending, |q| q.status = Some(IdentityStatus::Pending))}
            {card("Inactive", "switched off account-wide", "dir-stat-inactive", |s| s.inactive, |q| q.status = Some(IdentityStatus::Inactive))}
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
                    q.page = 1; q.cursor = None;
                })>
                {label}
                <span aria-hidden="true">{move || match aria() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}</span>
            </button>
        </th>
    }
}

#[component]
fn DirectoryLine(row: DirectoryRow) -> impl IntoView {
    let href = expect_context::<Memo<EnvPath>>()
        .with_untracked(|e| format!("{}?identity={}", e.href("directory"), row.identity.id));
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
