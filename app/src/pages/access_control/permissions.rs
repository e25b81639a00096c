//! Access Control › Permissions: the environment's catalog grouped by category, with the Create
//! Permission dialog, the Create Permission Group wizard, edit and delete.

use crate::components::dialog::Dialog;
use crate::components::env_resource::env_resource;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{EnvPath, Permission, PermissionForm, PermissionGroupForm};
use crate::server::catalog::{
    create_permission, create_permission_group, delete_permission, list_permissions,
    update_permission,
};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeMap;

#[component]
pub fn PermissionsPage() -> impl IntoView {
    let (permissions, reload) = env_resource(list_permissions);
    let search = RwSignal::new(String::new());
    let show_system = RwSignal::new(false);
    let create_open = RwSignal::new(false);
    let group_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("group", group_open);
    crate::components::deep_link::open_on_create_param("1", create_open);
    let editing = RwSignal::new(None::<Permission>);
    let deleting = RwSignal::new(None::<Permission>);
    let edit_open = RwSignal::new(false);
    let delete_open = RwSignal::new(false);

    view! {
        <Title text="Permissions" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Access Control"</p>
                <h1>"Permissions"</h1>
                <p class="muted">"The actions your application checks, as resource.action keys. Roles bundle them."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| group_open.set(true) data-testid="open-group-wizard">"Create Permission Group"</button>
                <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| create_open.set(true) data-testid="open-create-permission">"Create Permission"</button>
            </div>
        </div>
        <div class="toolbar">
            <input class="search" type="search" placeholder="Search permissions" aria-label="Search permissions"
                prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) data-testid="permission-search" />
            <label class="checkbox">
                <input type="checkbox" prop:checked=move || show_system.get() on:change=move |ev| show_system.set(event_target_checked(&ev)) data-testid="toggle-system" />
                " Show system permissions"
            </label>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading permissions…" /> }>
            {move || Suspend::new(async move {
                match permissions.await {
                    Ok(all) => view! { <Catalog all search show_system editing deleting edit_open delete_open /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=create_open title="Create Permission" testid="create-permission">
            <PermissionDialog open=create_open editing=None on_done=reload />
        </Dialog>
        <Dialog open=group_open title="Create Permission Group" testid="group-wizard">
            <GroupWizard open=group_open on_done=reload />
        </Dialog>
        <EditDialogs editing deleting edit_open delete_open on_done=reload />
    }
    .into_any()
}

#[component]
fn Catalog(
    all: Vec<Permission>,
    search: RwSignal<String>,
    show_system: RwSignal<bool>,
    editing: RwSignal<Option<Permission>>,
    deleting: RwSignal<Option<Permission>>,
    edit_open: RwSignal<bool>,
    delete_open: RwSignal<bool>,
) -> impl IntoView {
    let all = StoredValue::new(all);
    let groups = move || {
        let needle = search.get().trim().to_lowercase();
        let mut groups: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
        all.with_value(|all| {
            for p in all {
                if p.source == "system" && !show_system.get() {
                    continue;
                }
                let haystack = format!("{} {} {}", p.key, p.description, p.category).to_lowercase();
                if needle.is_empty() || haystack.contains(&needle) {
                    groups
                        .entry(p.category.clone())
                        .or_default()
                        .push(p.clone());
                }
            }
        });
        groups
    };
    let custom_count = all.with_value(|all| all.iter().filter(|p| p.source == "custom").count());
    view! {
        {move || {
            let groups = groups();
            if groups.is_empty() {
                let message = if custom_count == 0 && search.get().is_empty() {
                    "No permissions yet. Create a permission group for your first resource — invoice, report, project — to get create, read, update and delete in one step."
                } else {
                    "No permission matches your search."
                };
                return view! { <div class="empty-state" data-testid="permissions-empty"><p>{message}</p></div> }.into_any();
            }
            groups.into_iter().map(|(category, items)| view! {
                <section class="card catalog-group" data-testid=format!("category-{category}")>
                    <h2>{category.clone()}</h2>
                    <table>
                        <thead><tr><th>"Key"</th><th>"Description"</th><th class="actions-col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {items.into_iter().map(|p| {
                                let system = p.source == "system";
                                let (edit_p, delete_p) = (p.clone(), p.clone());
                                view! {
                                    <tr data-testid=format!("permission-{}", p.key)>
                                        <td class="mono">{p.key.clone()} {system.then(|| view! { <span class="pill pill-muted">"system"</span> })}</td>
                                        <td>{p.description.clone()}</td>
                                        <td class="actions-col">
                                            {(!system).then(|| view! {
                                                <button class="btn btn-ghost btn-small" disabled=viewer_disabled() title=read_only_title() on:click=move |_| { editing.set(Some(edit_p.clone())); edit_open.set(true); }>"Edit"</button>
                                                <button class="btn btn-ghost btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| { deleting.set(Some(delete_p.clone())); delete_open.set(true); }>"Delete"</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }).collect_view().into_any()
        }}
    }
}

/// Create (no `editing`) or edit (description and category only) one permission.
#[component]
fn PermissionDialog(
    open: RwSignal<bool>,
    editing: Option<Permission>,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let key = RwSignal::new(editing.as_ref().map(|p| p.key.clone()).unwrap_or_default());
    let description = RwSignal::new(
        editing
            .as_ref()
            .map(|p| p.description.clone())
            .unwrap_or_default(),
    );
    let category = RwSignal::new(
        editing
            .as_ref()
            .map(|p| p.category.clone())
            .unwrap_or_default(),
    );
    let editing = StoredValue::new(editing);
    let form = move || PermissionForm {
        key: key.get(),
        description: description.get(),
        category: category.get(),
    };
    let submission = use_form(move |(env, form): (EnvPath, PermissionForm)| async move {
        let current = editing.get_value();
        let p = match &current {
            Some(p) => update_permission(env, p.id.clone(), p.version, form).await?,
            None => create_permission(env, form).await?,
        };
        toasts.success(if current.is_some() {
            format!("Saved {}", p.key)
        } else {
            format!("Created {}", p.key)
        });
        open.set(false);
        on_done.run(());
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
    let is_edit = editing.with_value(Option::is_some);
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            {if is_edit {
                view! { <p class="mono">{key.get_untracked()}</p><p class="field-hint">"Keys cannot change once created."</p> }.into_any()
            } else {
                view! { <TextField name="key" label="Key" value=key error=error_for("key") on_blur=Callback::new(move |_| submission.touch()) autofocus=true hint="resource.action, e.g. invoice.approve or billing.invoice.approve" /> }.into_any()
            }}
            <TextField name="description" label="Description (optional)" value=description error=error_for("description") on_blur=Callback::new(|_| ()) />
            <TextField name="category" label="Category (optional)" value=category error=error_for("category") on_blur=Callback::new(|_| ()) hint="Groups it in the catalog; defaults to the resource." />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy() data-testid="submit-permission">
                    {if is_edit { "Save" } else { "Create Permission" }}
                </button>
            </div>
        </form>
    }
}

/// Step 1: the resource. Step 2: its actions (CRUD pre-filled, editable, removable, extendable).
#[component]
fn GroupWizard(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let step = RwSignal::new(1u8);
    let resource = RwSignal::new(String::new());
    let actions = RwSignal::new(
        PermissionGroupForm::DEFAULT_ACTIONS
            .iter()
            .map(|a| (*a).to_owned())
            .collect::<Vec<_>>(),
    );
    let new_action = RwSignal::new(String::new());
    // A rule's message, else the server's answer to the last Create.
    let problem = RwSignal::new(None::<String>);
    let form = move || PermissionGroupForm {
        resource: resource.get(),
        actions: actions.get(),
    };
    let submission = use_form(
        move |(env, form): (EnvPath, PermissionGroupForm)| async move {
            let outcome = create_permission_group(env, form).await?;
            let mut message = format!(
                "Created {} permission{}",
                outcome.created.len(),
                if outcome.created.len() == 1 { "" } else { "s" }
            );
            if !outcome.skipped.is_empty() {
                message.push_str(&format!(
                    "; skipped {} that already existed ({})",
                    outcome.skipped.len(),
                    outcome.skipped.join(", ")
                ));
            }
            toasts.success(message);
            open.set(false);
            on_done.run(());
            Ok(())
        },
    );
    let server_error = submission.error();
    let error = Signal::derive(move || {
        problem
            .get()
            .or_else(|| server_error.get().map(|e| e.to_string()))
    });
    let resource_error = Signal::derive(move || error.get().filter(|_| step.get() == 1));

    let next = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let check = PermissionGroupForm {
            resource: resource.get(),
            actions: vec!["read".into()],
        }
        .validate();
        match check {
            Err(errors) => problem.set(errors.into_iter().next().map(|e| e.message)),
            Ok(_) => {
                problem.set(None);
                submission.clear_error();
                step.set(2);
            }
        }
    };
    let add_action = move || {
        let action = new_action.get().trim().to_owned();
        if !action.is_empty() {
            actions.update(|a| a.push(action));
            new_action.set(String::new());
        }
    };
    let create = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(errors) = form().validate() {
            problem.set(errors.into_iter().next().map(|e| e.message));
            return;
        }
        problem.set(None);
        submission.submit((env.get_untracked(), form()));
    });

    let indexed_actions = move || actions.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <ol class="steps" aria-label="Steps">
            <li class:current=move || step.get() == 1>"1. Resource"</li>
            <li class:current=move || step.get() == 2>"2. Actions"</li>
        </ol>
        <Show when=move || step.get() == 1>
            <form on:submit=next novalidate>
                <TextField name="resource" label="Resource name" value=resource error=resource_error on_blur=Callback::new(|_| ()) autofocus=true hint="A noun such as invoice or report. It becomes the key prefix and the category." />
                <div class="dialog-actions">
                    <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" data-testid="wizard-next">"Next"</button>
                </div>
            </form>
        </Show>
        <Show when=move || step.get() == 2>
            <form on:submit=move |ev| create.run(ev) novalidate>
                <p class="muted">"One permission per action: " <span class="mono">{move || format!("{}.<action>", resource.get().trim())}</span></p>
                <ul class="action-list">
                    <For each=indexed_actions key=|(i, a)| format!("{i}-{a}") let:item>
                        {
                            let (index, action) = item;
                            view! {
                                <li>
                                    <input aria-label=format!("Action {}", index + 1) value=action.clone()
                                        on:change=move |ev| { let v = event_target_value(&ev); actions.update(|a| if let Some(slot) = a.get_mut(index) { *slot = v; }); }
                                        data-testid=format!("action-{index}") />
                                    <button type="button" class="btn btn-ghost btn-small" aria-label=format!("Remove {action}")
                                        on:click=move |_| actions.update(|a| { if index < a.len() { a.remove(index); } })>"Remove"</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <div class="add-action">
                    <input placeholder="Add an action, e.g. approve" aria-label="New action" prop:value=move || new_action.get()
                        on:input=move |ev| new_action.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add_action(); }
                        data-testid="new-action" />
                    <button type="button" class="btn btn-secondary btn-small" on:click=move |_| add_action() data-testid="add-action">"Add"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="btn btn-secondary" on:click=move |_| step.set(1)>"Back"</button>
                    <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="create-group">"Create Group"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn EditDialogs(
    editing: RwSignal<Option<Permission>>,
    deleting: RwSignal<Option<Permission>>,
    edit_open: RwSignal<bool>,
    delete_open: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let deletion = use_form(move |(env, p): (EnvPath, Permission)| async move {
        delete_permission(env, p.id.clone(), p.version).await?;
        toasts.success(format!("Deleted {}", p.key));
        delete_open.set(false);
        on_done.run(());
        Ok(())
    });
    let confirm_delete = Callback::new(move |_: ()| {
        if let Some(p) = deleting.get_untracked() {
            deletion.submit((env.get_untracked(), p));
        }
    });
    view! {
        <Dialog open=edit_open title="Edit permission" testid="edit-permission">
            {move || editing.get().map(|p| view! { <PermissionDialog open=edit_open editing=Some(p) on_done /> })}
        </Dialog>
        <Dialog open=delete_open title="Delete permission?" testid="delete-permission">
            <p>"Delete " <strong class="mono">{move || deleting.get().map(|p| p.key).unwrap_or_default()}</strong> "? Roles that grant it lose it immediately."</p>
            <FormAlert error=deletion.error() />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| delete_open.set(false)>"Cancel"</button>
                <button type="button" class="btn btn-danger" on:click=move |_| confirm_delete.run(()) data-testid="confirm-delete">"Delete"</button>
            </div>
        </Dialog>
    }
}
