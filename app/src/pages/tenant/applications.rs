//! Tenant › Applications: each application with a card per environment, and their management —
//! create an application (seeded like sign-up: Development and Production), rename it, delete it
//! behind a typed-name confirmation that lists what goes with it; per application add a blank
//! environment, edit it, make it the default, delete it (never the last one or the default).

use crate::components::badge::EnvironmentBadge;
use crate::components::dialog::Dialog;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{
    ApplicationCard, ApplicationForm, DeletionImpact, EnvPath, EnvironmentCard, EnvironmentForm,
    EnvironmentKind, Workspace, confirms,
};
use crate::server::applications::{
    application_impact, create_application, create_environment, delete_application,
    delete_environment, environment_impact, rename_application, set_default_environment,
    update_environment,
};
use crate::server::workspace::load_applications;
use leptos::prelude::*;
use leptos_meta::Title;

/// What a dialog acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Application {
        id: String,
        name: String,
        slug: String,
    },
    Environment {
        id: String,
        name: String,
        kind: EnvironmentKind,
        app_slug: String,
        slug: String,
    },
}

impl Target {
    fn id(&self) -> String {
        match self {
            Target::Application { id, .. } | Target::Environment { id, .. } => id.clone(),
        }
    }

    fn name(&self) -> String {
        match self {
            Target::Application { name, .. } | Target::Environment { name, .. } => name.clone(),
        }
    }
}

/// The page's dialogs, opened on one target at a time.
#[derive(Clone, Copy)]
struct Dialogs {
    target: RwSignal<Option<Target>>,
    rename_app: RwSignal<bool>,
    delete: RwSignal<bool>,
    create_env: RwSignal<bool>,
    edit_env: RwSignal<bool>,
    /// Reloads the cards and the workspace switcher after a change.
    changed: Callback<()>,
}

impl Dialogs {
    fn open(&self, dialog: RwSignal<bool>, target: Target) {
        self.target.set(Some(target));
        dialog.set(true);
    }
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let version = RwSignal::new(0u32);
    let cards = Resource::new(
        move || (env.with(|e| e.account.clone()), version.get()),
        |(account, _)| load_applications(account),
    );
    let workspace = use_context::<Resource<Result<Workspace, AppError>>>();
    let changed = Callback::new(move |_| {
        version.update(|n| *n += 1);
        if let Some(workspace) = workspace {
            workspace.refetch();
        }
    });
    let dialogs = Dialogs {
        target: RwSignal::new(None),
        rename_app: RwSignal::new(false),
        delete: RwSignal::new(false),
        create_env: RwSignal::new(false),
        edit_env: RwSignal::new(false),
        changed,
    };
    let create_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("1", create_open);
    let title = move |what: &'static str| {
        Signal::derive(move || {
            dialogs
                .target
                .with(|t| t.as_ref().map(|t| format!("{what} {}", t.name())))
                .unwrap_or_default()
        })
    };
    view! {
        <Title text="Applications" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <h1>"Applications"</h1>
                <p class="muted">"Each application has its own environments. Roles, permissions, the hierarchy and assignments live in an environment; identities live in your account."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-primary" on:click=move |_| create_open.set(true) data-testid="open-create-application">"Create application"</button>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading applications…" /> }>
            {move || Suspend::new(async move {
                match cards.await {
                    Ok(apps) if apps.is_empty() => view! {
                        <div class="empty-state"><p>"No applications yet."</p></div>
                    }.into_any(),
                    Ok(apps) => {
                        let only_one = apps.len() == 1;
                        apps.into_iter().map(|app| view! {
                            <Application app only_one account=env.with_untracked(|e| e.account.clone()) dialogs />
                        }).collect_view().into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=create_open title="Create application" testid="create-application">
            <CreateApplication open=create_open on_done=changed />
        </Dialog>
        <Dialog open=dialogs.rename_app title=title("Rename") testid="rename-application">
            <RenameApplication dialogs />
        </Dialog>
        <Dialog open=dialogs.create_env title=title("Add an environment to") testid="create-environment">
            <CreateEnvironment dialogs />
        </Dialog>
        <Dialog open=dialogs.edit_env title=title("Edit") testid="edit-environment">
            <EditEnvironment dialogs />
        </Dialog>
        <Dialog open=dialogs.delete title=title("Delete") testid="delete-confirmation">
            <DeleteConfirmation dialogs />
        </Dialog>
    }
    .into_any()
}

#[component]
fn Application(
    app: ApplicationCard,
    only_one: bool,
    account: String,
    dialogs: Dialogs,
) -> impl IntoView {
    let created = app.created_at.get(..10).unwrap_or_default().to_owned();
    let target = Target::Application {
        id: app.id.clone(),
        name: app.name.clone(),
        slug: app.slug.clone(),
    };
    let env_count = app.environments.len();
    let (rename, add_env, delete) = (target.clone(), target.clone(), target);
    view! {
        <section class="card app-card" data-testid=format!("app-{}", app.slug)>
            <header class="app-card-header">
                <div>
                    <h2>{app.name.clone()}</h2>
                    <p class="muted mono">{app.slug.clone()} " · created " {created}</p>
                </div>
                <div class="page-actions">
                    <button class="btn btn-secondary btn-small" on:click=move |_| dialogs.open(dialogs.create_env, add_env.clone()) data-testid="open-create-environment">"Add environment"</button>
                    <button class="btn btn-secondary btn-small" on:click=move |_| dialogs.open(dialogs.rename_app, rename.clone()) data-testid="open-rename-application">"Rename"</button>
                    <button class="btn btn-secondary btn-small danger"
                        disabled=only_one
                        title=only_one.then_some("An account keeps at least one application.")
                        on:click=move |_| dialogs.open(dialogs.delete, delete.clone())
                        data-testid="open-delete-application">"Delete"</button>
                </div>
            </header>
            <div class="env-grid">
                {app.environments.into_iter().map(|env| {
                    let href = format!("/{account}/{}/{}/overview", app.slug, env.environment.slug);
                    view! { <Environment card=env href app_slug=app.slug.clone() last=env_count == 1 dialogs /> }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Environment(
    card: EnvironmentCard,
    href: String,
    app_slug: String,
    last: bool,
    dialogs: Dialogs,
) -> impl IntoView {
    let env = card.environment;
    let counts = card.counts;
    let complete = counts.roles_and_permissions_complete();
    let target = Target::Environment {
        id: env.id.clone(),
        name: env.name.clone(),
        kind: env.kind,
        app_slug,
        slug: env.slug.clone(),
    };
    let (edit, delete) = (target.clone(), target);
    let env_id = env.id.clone();
    let env_name = env.name.clone();
    let toasts = use_toasts();
    let making_default = use_operation(
        move |(account, id, name): (String, String, String)| async move {
            set_default_environment(account, id).await?;
            toasts.success(format!("{name} is now the default environment"));
            dialogs.changed.run(());
            Ok(())
        },
    );
    let account = expect_context::<Memo<EnvPath>>();
    let undeletable = if env.is_default {
        Some("The default environment cannot be deleted. Make another one the default first.")
    } else if last {
        Some("An application keeps at least one environment.")
    } else {
        None
    };
    view! {
        <article class=format!("env-card env-card-{}", env.kind.as_str()) data-testid=format!("env-card-{}", env.slug)>
            <header>
                <EnvironmentBadge kind=env.kind name=env.name.clone() />
                {env.is_default.then(|| view! { <span class="pill" data-testid="default-marker">"Default"</span> })}
            </header>
            <p class="muted mono">{env.slug.clone()}</p>
            <dl class="env-counts">
                <div><dt>"Identities"</dt><dd>{counts.identities}</dd></div>
                <div><dt>"Roles"</dt><dd>{counts.custom_roles}</dd></div>
                <div><dt>"Permissions"</dt><dd>{counts.custom_permissions}</dd></div>
                <div><dt>"Nodes"</dt><dd>{counts.nodes}</dd></div>
            </dl>
            <p class="setup-state" class:setup-complete=complete>
                {if complete { "Roles & permissions set up" } else { "Roles & permissions setup incomplete" }}
            </p>
            <div class="env-card-actions">
                <a class="btn btn-secondary btn-small" href=href>"Open " {env.name.clone()}</a>
                <button class="btn btn-ghost btn-small" on:click=move |_| dialogs.open(dialogs.edit_env, edit.clone()) data-testid="open-edit-environment">"Edit"</button>
                {(!env.is_default).then(|| view! {
                    <button class="btn btn-ghost btn-small"
                        disabled=move || making_default.busy().get()
                        on:click=move |_| making_default.submit((account.with_untracked(|e| e.account.clone()), env_id.clone(), env_name.clone()))
                        data-testid="make-default">"Make default"</button>
                })}
                <button class="btn btn-ghost btn-small danger"
                    disabled=undeletable.is_some()
                    title=undeletable
                    on:click=move |_| dialogs.open(dialogs.delete, delete.clone())
                    data-testid="open-delete-environment">"Delete"</button>
            </div>
        </article>
    }
}

#[component]
fn CreateApplication(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let form = move || ApplicationForm { name: name.get() };
    let submission = use_form(
        move |(account, form): (String, ApplicationForm)| async move {
            let app = create_application(account.clone(), form).await?;
            let landing = app
                .default_environment()
                .map(|e| format!("/{account}/{}/{}/overview", app.slug, e.slug))
                .unwrap_or_default();
            toasts.success_with_link(format!("Created {}", app.name), "Open it", landing);
            open.set(false);
            on_done.run(());
            Ok(())
        },
    );
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
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <p class="muted">"It starts with a Development (default) and a Production environment, each with a root node and the built-in permissions — like your first application."</p>
            <TextField name="name" label="Application name" value=name error=error_for("name") on_blur=Callback::new(move |_| submission.touch()) autofocus=true />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="submit-application">"Create"</button>
            </div>
        </form>
    }
}

#[component]
fn RenameApplication(dialogs: Dialogs) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let target = dialogs.target.get_untracked();
    let id = target.as_ref().map(Target::id).unwrap_or_default();
    let name = RwSignal::new(target.map(|t| t.name()).unwrap_or_default());
    let form = move || ApplicationForm { name: name.get() };
    let submission = use_form(
        move |(account, id, form): (String, String, ApplicationForm)| async move {
            let new_name = form.name.trim().to_owned();
            rename_application(account, id, form).await?;
            toasts.success(format!("Renamed to {new_name}"));
            dialogs.rename_app.set(false);
            dialogs.changed.run(());
            Ok(())
        },
    )
    .touched_from_start();
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form().validate().is_err() {
            return;
        }
        submission.submit((
            env.with_untracked(|e| e.account.clone()),
            id.clone(),
            form(),
        ));
    };
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <TextField name="name" label="Application name" value=name error=error_for("name") on_blur=Callback::new(|_| ()) autofocus=true hint="Its slug — the part of its URLs — stays the same." />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.rename_app.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="submit-rename-application">"Save"</button>
            </div>
        </form>
    }
}

/// The kind picker of the environment forms.
#[component]
fn KindField(kind: RwSignal<EnvironmentKind>) -> impl IntoView {
    let choices = [
        (EnvironmentKind::Development, "Development"),
        (EnvironmentKind::Production, "Production (live data)"),
        (EnvironmentKind::Other, "Other (staging, QA, …)"),
    ];
    view! {
        <div class="field">
            <label for="field-kind">"Kind"</label>
            <select id="field-kind" data-testid="environment-kind"
                on:change=move |ev| kind.set(EnvironmentKind::parse(&event_target_value(&ev)))
                prop:value=move || kind.get().as_str()>
                {choices.into_iter().map(|(k, label)| view! {
                    <option value=k.as_str() selected=move || kind.get() == k>{label}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn CreateEnvironment(dialogs: Dialogs) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let target = dialogs.target.get_untracked();
    let (app_id, app_slug) = match target {
        Some(Target::Application { id, slug, .. }) => (id, slug),
        _ => (String::new(), String::new()),
    };
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(EnvironmentKind::Other);
    let form = move || EnvironmentForm {
        name: name.get(),
        kind: kind.get(),
    };
    let submission = use_form(
        move |(account, app_id, form): (String, String, EnvironmentForm)| {
            let app_slug = app_slug.clone();
            async move {
                let created = create_environment(account.clone(), app_id, form).await?;
                toasts.success_with_link(
                    format!("Created {}", created.name),
                    "Open it",
                    format!("/{account}/{app_slug}/{}/overview", created.slug),
                );
                dialogs.create_env.set(false);
                dialogs.changed.run(());
                Ok(())
            }
        },
    );
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() {
            return;
        }
        submission.submit((
            env.with_untracked(|e| e.account.clone()),
            app_id.clone(),
            form(),
        ));
    };
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <p class="muted">"A blank environment: a root node and the built-in permissions, no roles or assignments. Identities who are members of the application can be assigned roles in it."</p>
            <TextField name="name" label="Environment name" value=name error=error_for("name") on_blur=Callback::new(move |_| submission.touch()) autofocus=true />
            <KindField kind />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.create_env.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="submit-environment">"Create"</button>
            </div>
        </form>
    }
}

#[component]
fn EditEnvironment(dialogs: Dialogs) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let (id, current_name, current_kind) = match dialogs.target.get_untracked() {
        Some(Target::Environment { id, name, kind, .. }) => (id, name, kind),
        _ => (String::new(), String::new(), EnvironmentKind::Other),
    };
    let name = RwSignal::new(current_name);
    let kind = RwSignal::new(current_kind);
    let form = move || EnvironmentForm {
        name: name.get(),
        kind: kind.get(),
    };
    let submission = use_form(
        move |(account, id, form): (String, String, EnvironmentForm)| async move {
            let new_name = form.name.trim().to_owned();
            update_environment(account, id, form).await?;
            toasts.success(format!("Saved {new_name}"));
            dialogs.edit_env.set(false);
            dialogs.changed.run(());
            Ok(())
        },
    )
    .touched_from_start();
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form().validate().is_err() {
            return;
        }
        submission.submit((
            env.with_untracked(|e| e.account.clone()),
            id.clone(),
            form(),
        ));
    };
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=submission.general_error() />
            <TextField name="name" label="Environment name" value=name error=error_for("name") on_blur=Callback::new(|_| ()) autofocus=true hint="Its slug — the part of its URLs — stays the same." />
            <KindField kind />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.edit_env.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=submission.busy_or_done() data-testid="submit-edit-environment">"Save"</button>
            </div>
        </form>
    }
}

/// Delete an application or an environment: what goes with it (counted now), and the name typed
/// to confirm.
#[component]
fn DeleteConfirmation(dialogs: Dialogs) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let Some(target) = dialogs.target.get_untracked() else {
        return ().into_any();
    };
    let account = env.with_untracked(|e| e.account.clone());
    let impact = {
        let (account, target) = (account.clone(), target.clone());
        LocalResource::new(move || {
            let (account, target) = (account.clone(), target.clone());
            async move {
                match target {
                    Target::Application { id, .. } => application_impact(account, id).await,
                    Target::Environment { id, .. } => environment_impact(account, id).await,
                }
            }
        })
    };
    let name = target.name();
    let typed = RwSignal::new(String::new());
    let matches = {
        let name = name.clone();
        move || confirms(&typed.get(), &name)
    };
    let deleting = use_form(
        move |(account, target, confirm): (String, Target, String)| async move {
            let here = env.get_untracked();
            match &target {
                Target::Application { id, slug, .. } => {
                    delete_application(account.clone(), id.clone(), confirm).await?;
                    if here.application == *slug {
                        leave();
                    }
                }
                Target::Environment {
                    id, app_slug, slug, ..
                } => {
                    delete_environment(account.clone(), id.clone(), confirm).await?;
                    if here.application == *app_slug && here.environment == *slug {
                        leave();
                    }
                }
            }
            toasts.success(format!("Deleted {}", target.name()));
            dialogs.delete.set(false);
            dialogs.changed.run(());
            Ok(())
        },
    );
    let what = match &target {
        Target::Application { .. } => "application",
        Target::Environment { .. } => "environment",
    };
    let submit = {
        let (target, matches) = (target.clone(), matches.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if matches() {
                deleting.submit((account.clone(), target.clone(), typed.get_untracked()));
            }
        }
    };
    let error = deleting.error();
    let confirm_error =
        Signal::derive(move || error.get().and_then(|e| e.field_message("confirm")));
    view! {
        <form on:submit=submit novalidate>
            <FormAlert error=deleting.general_error() testid="delete-error" />
            <p>"This permanently deletes the " {what} " " <strong>{name.clone()}</strong> " with:"</p>
            <Transition fallback=|| view! { <Loading label="Counting what goes with it…" /> }>
                {move || Suspend::new(async move {
                    match impact.await {
                        Ok(impact) => view! { <ImpactList impact /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="muted">"Identities stay in your account's directory, and the audit log keeps its history."</p>
            <TextField name="confirm" label=format!("Type {name} to confirm") value=typed error=confirm_error on_blur=Callback::new(|_| ()) autocomplete="off" autofocus=true />
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.delete.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-danger" disabled=move || !matches() || deleting.busy_or_done().get() data-testid="confirm-delete">"Delete " {what}</button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn ImpactList(impact: DeletionImpact) -> impl IntoView {
    let lines = impact.lines();
    if lines.is_empty() {
        return view! { <p class="muted" data-testid="impact">"Nothing else: it is empty."</p> }
            .into_any();
    }
    view! {
        <ul class="impact-list" data-testid="impact">
            {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The page the admin is on is about to stop existing: go home (the application's default
/// environment, or the account's first application), with a full load so no state survives.
fn leave() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href("/");
    }
}
