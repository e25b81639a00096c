//! Access Control › Identities: the active application's members with their roles in the active
//! environment, search and pages, the identity drawer (`?identity=<id>` opens it, so a toast can
//! link to it), the seed's three entry points — **Invite**, **Invite & Assign** and **Create
//! Identity** — and the environment's invites.

use crate::components::badge::IdentityStatusBadge;
use crate::components::dialog::Dialog;
use crate::components::env_resource::env_resource_by;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::identity_assignments::{IdentityAssignments, status_label};
use crate::components::initial_password::InitialPassword;
use crate::components::role_node_picker::RoleNodePicker;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::error::AppError;
use crate::model::BULK_MAX;
use crate::model::{CreatedIdentity, EnvPath, IdentityForm, MemberRow};
use crate::pages::access_control::identities_bulk::{AddFromDirectory, BulkAssign};
use crate::pages::access_control::invites::{InviteIdentity, InvitesList};
use crate::server::identities::{add_identity_to_application, create_identity, list_members};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeMap;

#[component]
pub fn IdentitiesPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let has_role = RwSignal::new(None::<bool>);
    let (members, on_created) = env_resource_by(
        move || (search.get(), has_role.get(), page.get()),
        |env, (q, has_role, page)| list_members(env, q, has_role, page),
    );
    let selected = RwSignal::new(BTreeMap::<String, String>::new());
    let assign_open = RwSignal::new(false);
    let directory_open = RwSignal::new(false);
    let create_open = RwSignal::new(false);
    let invite_open = RwSignal::new(false);
    let invite_assign_open = RwSignal::new(false);
    let invites_version = RwSignal::new(0u32);
    crate::components::deep_link::open_on_create_param("1", create_open);
    crate::components::deep_link::open_on_create_param("invite", invite_open);
    crate::components::deep_link::open_on_create_param("invite-assign", invite_assign_open);
    let invite_sent = Callback::new(move |()| invites_version.update(|v| *v += 1));
    let (drawer_id, drawer_open) = crate::components::deep_link::identity_drawer(
        move || env.with(|e| e.href("identities")),
        on_created,
    );
    view! {
        <Title text="Identities" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Access Control"</p>
                <h1>"Identities"</h1>
                <p class="muted">"The members of this application and their roles in this environment. Identities live in your account's directory; membership admits them here."</p>
            </div>
            <div class="page-actions">
                <Show
                    when=move || !viewer_disabled().get()
                    fallback=|| view! { <button class="btn btn-ghost" disabled=true title=read_only_title() data-testid="open-csv-import">"Import CSV"</button> }
                >
                    <a class="btn btn-ghost" href=move || env.with(|e| e.href("identities/import")) data-testid="open-csv-import">"Import CSV"</a>
                </Show>
                <button class="btn btn-ghost" disabled=viewer_disabled() title=read_only_title() on:click=move |_| directory_open.set(true) data-testid="open-add-from-directory">"Add from directory"</button>
                <button class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| invite_open.set(true) data-testid="open-invite">"Invite"</button>
                <button class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| invite_assign_open.set(true) data-testid="open-invite-assign">"Invite & Assign"</button>
                <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true) data-testid="open-create-identity">"Create Identity"</button>
            </div>
        </div>
        <div class="toolbar">
            <input class="search" type="search" placeholder="Search: the start of a name or email" aria-label="Search identities"
                prop:value=move || search.get()
                on:input=move |ev| { search.set(event_target_value(&ev)); page.set(1); }
                data-testid="identity-search" />
            <label class="inline-select">"Roles here "
                <select on:change=move |ev| { has_role.set(match event_target_value(&ev).as_str() { "yes" => Some(true), "no" => Some(false), _ => None }); page.set(1); }
                    data-testid="filter-roles">
                    <option value="">"Any"</option>
                    <option value="yes">"With a role"</option>
                    <option value="no">"Without a role"</option>
                </select>
            </label>
            {move || (!selected.with(|s| s.is_empty())).then(|| view! {
                <div class="selection-bar" role="region" aria-label="Selection" data-testid="selection-bar">
                    <span>{move || format!("{} selected", selected.with(|s| s.len()))}</span>
                    <button class="btn btn-primary btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| assign_open.set(true) data-testid="open-bulk-assign">"Assign role…"</button>
                    <button class="btn btn-ghost btn-small" on:click=move |_| selected.set(BTreeMap::new())>"Clear"</button>
                </div>
            })}
        </div>
        <Transition fallback=|| view! { <Loading label="Loading identities…" /> }>
            {move || Suspend::new(async move {
                match members.await {
                    Ok(list) if list.total == 0 && search.get_untracked().trim().is_empty() && has_role.get_untracked().is_none() => view! {
                        <div class="empty-state" data-testid="identities-empty">
                            <p><strong>"No identities in this application yet."</strong></p>
                            <p class="muted">"Create one now — with or without a starting password — and give it a role in the same step."</p>
                            <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true)>"Create Identity"</button>
                        </div>
                    }.into_any(),
                    Ok(list) if list.total == 0 => view! {
                        <div class="empty-inline" data-testid="identities-no-match">"No identity matches this search and filter."</div>
                    }.into_any(),
                    Ok(list) => {
                        let pages = list.pages();
                        let current = list.page;
                        let total = list.total;
                        let on_page: Vec<(String, String)> = list.items.iter().map(|r| (r.identity.id.clone(), r.identity.name())).collect();
                        let all_ticked = {
                            let on_page = on_page.clone();
                            move || !on_page.is_empty() && selected.with(|s| on_page.iter().all(|(id, _)| s.contains_key(id)))
                        };
                        let tick_all = move |ev: leptos::ev::Event| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| for (id, name) in &on_page {
                                if on && s.len() < BULK_MAX { s.insert(id.clone(), name.clone()); } else if !on { s.remove(id); }
                            });
                        };
                        view! {
                            <div class="table-wrap">
                                <table data-testid="identities-table">
                                    <thead><tr>
                                        <th class="tick"><input type="checkbox" aria-label="Select every identity on this page" prop:checked=all_ticked on:change=tick_all data-testid="tick-all" /></th>
                                        <th>"Identity"</th><th>"Status"</th><th>"Roles in this environment"</th><th>"Created"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|row| view! { <MemberLine row selected /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">{format!("{total} identit{} · page {current} of {pages}", if total == 1 { "y" } else { "ies" })}</span>
                                {(pages > 1).then(|| view! {
                                    <button class="btn btn-secondary btn-small" disabled={current <= 1} on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <button class="btn btn-secondary btn-small" disabled={current >= pages} on:click=move |_| page.update(|p| *p += 1) data-testid="next-page">"Next"</button>
                                })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <InvitesList version=invites_version on_invite=Callback::new(move |()| invite_open.set(true)) />
        <Dialog open=invite_open title="Invite" testid="invite-dialog">
            <InviteIdentity open=invite_open with_role=false on_sent=invite_sent prefix="invite" />
        </Dialog>
        <Dialog open=invite_assign_open title="Invite & Assign" testid="invite-assign-dialog" wide=true>
            <InviteIdentity open=invite_assign_open with_role=true on_sent=invite_sent prefix="invite-assign" />
        </Dialog>
        <Dialog open=create_open title="Create Identity" testid="create-identity" wide=true>
            <CreateIdentity open=create_open on_created />
            <p class="small muted" data-testid="create-identity-csv-hint">
                <a href=move || env.with(|e| e.href("identities/import?mode=create"))>"Onboarding many at once? Use the CSV import wizard →"</a>
            </p>
        </Dialog>
        <Dialog open=assign_open title="Assign role" testid="bulk-assign" wide=true>
            <BulkAssign selected open=assign_open on_done=on_created />
        </Dialog>
        <Dialog open=directory_open title="Add from directory" testid="add-from-directory-dialog" wide=true>
            <AddFromDirectory open=directory_open on_done=on_created />
        </Dialog>
        <Dialog open=drawer_open title="Identity" testid="identity-drawer" wide=true>
            {move || drawer_id.get().map(|id| view! {
                <p class="muted small">"Role assignments in this environment. Assignments cascade down the hierarchy from the node they sit on."</p>
                <IdentityAssignments identity_id=id />
            })}
        </Dialog>
    }
    .into_any()
}

#[component]
fn MemberLine(row: MemberRow, selected: RwSignal<BTreeMap<String, String>>) -> impl IntoView {
    let href = expect_context::<Memo<EnvPath>>()
        .with_untracked(|e| format!("{}?identity={}", e.href("identities"), row.identity.id));
    let identity = row.identity;
    let created = identity.created_at.get(..10).unwrap_or_default().to_owned();
    let (id, name) = (identity.id.clone(), identity.name());
    let id_for_check = id.clone();
    let ticked = move || selected.with(|s| s.contains_key(&id_for_check));
    let tick = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        selected.update(|s| {
            if on && s.len() < BULK_MAX {
                s.insert(id.clone(), name.clone());
            } else if !on {
                s.remove(&id);
            }
        });
    };
    view! {
        <tr data-testid="identity-row">
            <td class="tick"><input type="checkbox" aria-label=format!("Select {}", identity.name()) prop:checked=ticked on:change=tick data-testid="tick-identity" /></td>
            <td>
                <a href=href class="identity-link">{identity.name()}</a>
                <div class="muted small">{identity.email.clone()}</div>
            </td>
            <td>
                <IdentityStatusBadge status=identity.status />
                {(!row.membership_status.is_active()).then(|| view! { <span class="pill pill-muted">"not a member"</span> })}
            </td>
            <td>
                {if row.assignments.is_empty() {
                    view! { <span class="muted">"No roles"</span> }.into_any()
                } else {
                    row.assignments.into_iter().map(|a| view! {
                        <span class=format!("pill role-chip status-{}", status_label(a.status).to_lowercase()) title=status_label(a.status)>
                            {format!("{} @ {}", a.role_name, a.node_name)}
                        </span>
                    }).collect_view().into_any()
                }}
            </td>
            <td>{created}</td>
        </tr>
    }
}

/// The environment-scoped Create Identity dialog: person, optional initial password, optional
/// Role + Node. Every rule shows inline before any request; the server answers with the same ones.
/// Half a Role + Node pair is a notice, not an error: the identity is created without an
/// assignment and the success toast repeats the server's warning.
#[component]
fn CreateIdentity(open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let require_change = RwSignal::new(true);
    let role = RwSignal::new(String::new());
    let node = RwSignal::new(String::new());
    let form = move || IdentityForm {
        email: email.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        password: Some(password.get()),
        require_password_change: require_change.get(),
        role_id: Some(role.get()),
        node_id: Some(node.get()),
        ..IdentityForm::default()
    };
    let done = move |created: CreatedIdentity, verb: &str| {
        let who = created.identity.name();
        let link = env.with_untracked(|e| {
            format!("{}?identity={}", e.href("identities"), created.identity.id)
        });
        let mut message = match &created.assignment {
            Some(a) => format!("{verb} {who} with {} at {}.", a.role_name, a.node_name),
            None => format!("{verb} {who}."),
        };
        // A half role + node pair did not block the create; the toast says what was skipped.
        for warning in &created.warnings {
            message.push(' ');
            message.push_str(&warning.message);
        }
        toasts.success_with_link(message, "View", link);
        open.set(false);
        on_created.run(());
    };
    // Both buttons share the busy state and the place the server's answer shows.
    let submission = use_form(move |(env, request): (EnvPath, Request)| async move {
        match request {
            Request::Create(form) => done(create_identity(env, form).await?, "Created"),
            Request::AddInstead {
                identity_id,
                role_id,
                node_id,
            } => done(
                add_identity_to_application(env, identity_id, Some(role_id), Some(node_id)).await?,
                "Added",
            ),
        }
        Ok(())
    });
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    // The half-pair notice shows as soon as it applies, not only after a submit.
    let half_pair = move || role.get().trim().is_empty() != node.get().trim().is_empty();
    let server_error = submission.error();
    let existing = move || match server_error.get() {
        Some(AppError::IdentityExistsInAccount { identity_id }) => Some(identity_id),
        _ => None,
    };
    let busy = submission.busy();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() {
            return;
        }
        submission.submit((env.get_untracked(), Request::Create(form())));
    };
    let add_instead = move |_| {
        let Some(identity_id) = existing() else {
            return;
        };
        let env = env.get_untracked();
        let (role_id, node_id) = (role.get(), node.get());
        submission.submit((
            env,
            Request::AddInstead {
                identity_id,
                role_id,
                node_id,
            },
        ));
    };
    view! {
        <form on:submit=submit novalidate class="create-identity" data-testid="create-identity-form">
            <FormAlert error=submission.general_error() />
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email error=error_for("email") on_blur=Callback::new(move |_| submission.touch()) autofocus=true />
            {move || existing().map(|_| view! {
                <div class="alert alert-info" data-testid="exists-in-account">
                    <p>"This person is already in your account's directory, just not in this application."</p>
                    <button type="button" class="btn btn-secondary btn-small" on:click=add_instead data-testid="add-instead">"Add to this application instead"</button>
                </div>
            })}
            <div class="field-pair">
                <TextField name="first_name" label="First name" autocomplete="off" value=first_name error=error_for("first_name") on_blur=Callback::new(move |_| submission.touch()) />
                <TextField name="last_name" label="Last name" autocomplete="off" value=last_name error=error_for("last_name") on_blur=Callback::new(move |_| submission.touch()) />
            </div>
            <InitialPassword password require_change error=error_for("password") on_blur=Callback::new(move |_| submission.touch()) />
            <RoleNodePicker role node id_prefix="create" optional=true role_error=error_for("role_id") node_error=error_for("node_id") />
            {move || half_pair().then(|| view! {
                <p class="notice" role="status" data-testid="half-pair">{IdentityForm::HALF_PAIR}</p>
            })}
            <p class="muted small">"No email is sent. The identity exists as soon as you create it."</p>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="submit-identity">
                    {move || if busy.get() { "Creating…" } else { "Create Identity" }}
                </button>
            </div>
        </form>
    }
}

/// What the Create Identity dialog sends: the new identity, or — when the email is already in
/// the account — that identity added to this application with the chosen role.
#[derive(Clone)]
enum Request {
    Create(IdentityForm),
    AddInstead {
        identity_id: String,
        role_id: String,
        node_id: String,
    },
}
