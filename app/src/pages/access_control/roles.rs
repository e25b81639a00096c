//! Access Control › Roles: the roles on the left, the selected role's permission grid on the
//! right (tick to grant; Save replaces the whole set in one transaction).

use crate::components::dialog::Dialog;
use crate::components::env_resource::{env_local_resource, env_resource};
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{EnvPath, Permission, Role, RoleForm};
use crate::server::catalog::{
    create_role, delete_role, list_permissions, list_roles, role_permissions, set_role_permissions,
    update_role,
};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::{BTreeMap, BTreeSet};

#[component]
pub fn RolesPage() -> impl IntoView {
    let (roles, reload) = env_resource(list_roles);
    let selected = RwSignal::new(None::<String>);
    let create_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("1", create_open);
    // A new role is selected as soon as it exists.
    let on_created = Callback::new(move |id: String| {
        selected.set(Some(id));
        reload.run(());
    });

    view! {
        <Title text="Roles" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Access Control"</p>
                <h1>"Roles"</h1>
                <p class="muted">"A role bundles permissions. Assign roles to identities at a node of the hierarchy."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true) data-testid="open-create-role">"Create Role"</button>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading roles…" /> }>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state" data-testid="roles-empty">
                            <p>"No roles yet. Create one — Owner, Admin, Editor and Viewer are common starting points."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => {
                        if selected.get_untracked().is_none_or(|id| !list.iter().any(|r| r.id == id)) {
                            selected.set(list.first().map(|r| r.id.clone()));
                        }
                        view! { <RolesSplit roles=list selected on_changed=reload /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=create_open title="Create Custom Role" testid="create-role">
            <CreateRole open=create_open on_created />
        </Dialog>
    }
    .into_any()
}

#[component]
fn RolesSplit(
    roles: Vec<Role>,
    selected: RwSignal<Option<String>>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let roles = StoredValue::new(roles);
    let current = move || {
        let id = selected.get()?;
        roles.with_value(|r| r.iter().find(|role| role.id == id).cloned())
    };
    view! {
        <div class="split">
            <nav class="role-list card" aria-label="Roles">
                {roles.with_value(|list| list.iter().map(|role| {
                    let id = role.id.clone();
                    let id_for_class = role.id.clone();
                    view! {
                        <button
                            class="role-item"
                            class:selected=move || selected.get().as_deref() == Some(id_for_class.as_str())
                            on:click=move |_| selected.set(Some(id.clone()))
                            data-testid=format!("role-{}", role.name)
                        >
                            <span>{role.name.clone()}</span>
                            <span class="muted small">
                                {format!("{} permission{}", role.permission_count, if role.permission_count == 1 { "" } else { "s" })}
                                {(!role.is_active).then_some(" · inactive")}
                            </span>
                        </button>
                    }
                }).collect_view())}
            </nav>
            <div class="role-detail">
                {move || current().map(|role| view! { <RoleDetail role on_changed /> })}
            </div>
        </div>
    }
}

#[component]
fn RoleDetail(role: Role, on_changed: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let role_id = role.id.clone();
    // Loaded in the browser only (secondary data inside an already-suspended page), so server
    // and hydrating client agree on the first render.
    let (catalog, _) = env_local_resource(list_permissions);
    let (granted, _) = env_local_resource({
        let id = role_id.clone();
        move |env| role_permissions(env, id.clone())
    });
    let ticked = RwSignal::new(BTreeSet::<String>::new());
    let saved = RwSignal::new(BTreeSet::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(keys)) = granted.get() {
            let set: BTreeSet<String> = keys.into_iter().collect();
            saved.set(set.clone());
            ticked.set(set);
        }
    });
    let dirty = move || ticked.get() != saved.get();
    let saving = use_operation(
        move |(env, id, keys): (EnvPath, String, Vec<String>)| async move {
            let keys = set_role_permissions(env, id, keys).await?;
            saved.set(keys.into_iter().collect());
            toasts.success("Permissions saved");
            on_changed.run(());
            Ok(())
        },
    );
    let busy = saving.busy();
    let save = {
        let id = role_id.clone();
        move |_| {
            let env = env.get_untracked();
            let keys: Vec<String> = ticked.get_untracked().into_iter().collect();
            saving.submit((env, id.clone(), keys));
        }
    };
    let rename_open = RwSignal::new(false);
    let delete_open = RwSignal::new(false);
    let role = StoredValue::new(role);
    let toggling = use_operation(move |(env, r): (EnvPath, Role)| async move {
        let form = RoleForm {
            name: r.name.clone(),
            description: r.description.clone(),
        };
        let updated = update_role(env, r.id.clone(), r.version, form, !r.is_active).await?;
        toasts.success(format!(
            "{} is now {}",
            updated.name,
            if updated.is_active {
                "active"
            } else {
                "inactive"
            }
        ));
        on_changed.run(());
        Ok(())
    });
    let toggle_active = move |_| toggling.submit((env.get_untracked(), role.get_value()));
    let deleting = use_operation(move |(env, r): (EnvPath, Role)| async move {
        delete_role(env, r.id.clone(), r.version).await?;
        toasts.success(format!("Deleted {}", r.name));
        delete_open.set(false);
        on_changed.run(());
        Ok(())
    });
    let confirm_delete =
        Callback::new(move |_: ()| deleting.submit((env.get_untracked(), role.get_value())));

    view! {
        <section class="card" data-testid="role-detail">
            <header class="role-header">
                <div>
                    <h2>{role.with_value(|r| r.name.clone())} {role.with_value(|r| (!r.is_active).then(|| view! { <span class="pill pill-muted">"inactive"</span> }))}</h2>
                    <p class="muted">{role.with_value(|r| r.description.clone())}</p>
                </div>
                <div class="page-actions">
                    <button class="btn btn-secondary btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| rename_open.set(true)>"Rename"</button>
                    <button class="btn btn-secondary btn-small" disabled=viewer_disabled() title=read_only_title() on:click=toggle_active>
                        {role.with_value(|r| if r.is_active { "Deactivate" } else { "Activate" })}
                    </button>
                    <button class="btn btn-secondary btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| delete_open.set(true)>"Delete"</button>
                </div>
            </header>
            // Read, not awaited in a nested <Transition>: the server marks a nested boundary
            // that waits on a browser-only resource "incomplete" by an id that the hydrating
            // browser, creating this inside the page's own async block, does not always draw the
            // same, and then hydrates the grid over the server's placeholder and dies.
            {move || match catalog.get() {
                None => view! { <Loading label="Loading permissions…" /> }.into_any(),
                Some(Ok(all)) => view! { <Grid all ticked /> }.into_any(),
                Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
            }}
            <div class="grid-footer">
                <span class="muted" data-testid="unsaved">{move || if dirty() { "Unsaved changes" } else { "" }}</span>
                <button class="btn btn-primary" disabled={let ro = viewer_disabled(); move || ro.get() || !dirty() || busy.get()} title=read_only_title() on:click=save data-testid="save-permissions">
                    {move || if busy.get() { "Saving…" } else { "Save permissions" }}
                </button>
            </div>
        </section>
        <Dialog open=rename_open title="Rename role" testid="rename-role">
            <RenameRole open=rename_open role=role.get_value() on_done=on_changed />
        </Dialog>
        <Dialog open=delete_open title="Delete role?" testid="delete-role">
            <p>"Delete " <strong>{role.with_value(|r| r.name.clone())}</strong> "? Everyone holding it loses its permissions immediately."</p>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| delete_open.set(false)>"Cancel"</button>
                <button type="button" class="btn btn-danger" on:click=move |_| confirm_delete.run(()) data-testid="confirm-delete-role">"Delete"</button>
            </div>
        </Dialog>
    }
}

/// Custom permissions grouped by category, one checkbox each.
#[component]
fn Grid(all: Vec<Permission>, ticked: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let mut groups: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
    for p in all.into_iter().filter(|p| p.source == "custom") {
        groups.entry(p.category.clone()).or_default().push(p);
    }
    if groups.is_empty() {
        return view! {
            <div class="empty-state"><p>"No permissions to grant yet. Create some on the Permissions page first."</p></div>
        }
        .into_any();
    }
    groups
        .into_iter()
        .map(|(category, items)| {
            view! {
                <fieldset class="grid-group">
                    <legend>{category}</legend>
                    {items.into_iter().map(|p| {
                        let key = p.key.clone();
                        let key_for_change = p.key.clone();
                        view! {
                            <label class="checkbox grid-item">
                                <input
                                    type="checkbox"
                                    prop:checked=move || ticked.with(|t| t.contains(&key))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let key = key_for_change.clone();
                                        ticked.update(|t| { if on { t.insert(key); } else { t.remove(&key); } });
                                    }
                                    data-testid=format!("grant-{}", p.key)
                                />
                                <span class="mono">{p.key.clone()}</span>
                                <span class="muted small">{p.description.clone()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
        })
        .collect_view()
        .into_any()
}

#[component]
fn CreateRole(open: RwSignal<bool>, on_created: Callback<String>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let form = move || RoleForm {
        name: name.get(),
        description: description.get(),
    };
    let submission = use_form(move |(env, form): (EnvPath, RoleForm)| async move {
        let role = create_role(env, form).await?;
        toasts.success(format!("Created {}", role.name));
        open.set(false);
        on_created.run(role.id);
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
        submission.submit((env.get_untracked(), form()));
    };
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <TextField name="name" label="Role Name" value=name error=error_for("name") on_blur=Callback::new(move |_| submission.touch()) autofocus=true />
            <div class="chips" aria-label="Suggestions">
                {RoleForm::STARTERS.iter().map(|starter| view! {
                    <button type="button" class="chip" on:click=move |_| name.set((*starter).to_owned())>{*starter}</button>
                }).collect_view()}
            </div>
            <TextField name="description" label="Description (optional)" value=description error=error_for("description") on_blur=Callback::new(|_| ()) />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="submit-role">"Create"</button>
            </div>
        </form>
    }
}

#[component]
fn RenameRole(open: RwSignal<bool>, role: Role, on_done: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let name = RwSignal::new(role.name.clone());
    let description = RwSignal::new(role.description.clone());
    let form = move || RoleForm {
        name: name.get(),
        description: description.get(),
    };
    let role = StoredValue::new(role);
    let submission = use_form(move |(env, form): (EnvPath, RoleForm)| async move {
        let r = role.get_value();
        let updated = update_role(env, r.id.clone(), r.version, form, r.is_active).await?;
        toasts.success(format!("Saved {}", updated.name));
        open.set(false);
        on_done.run(());
        Ok(())
    })
    .touched_from_start();
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form().validate().is_err() {
            return;
        }
        submission.submit((env.get_untracked(), form()));
    };
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <TextField name="name" label="Role Name" value=name error=error_for("name") on_blur=Callback::new(|_| ()) autofocus=true />
            <TextField name="description" label="Description (optional)" value=description error=error_for("description") on_blur=Callback::new(|_| ()) />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary">"Save"</button>
            </div>
        </form>
    }
}
