//! The dashboard frame: left navigation, header with the workspace switcher and the admin menu,
//! and the page. It loads the workspace once per account and shares it with every page.

use crate::components::states::{ErrorPanel, Loading};
use crate::components::workspace_switcher::WorkspaceSwitcher;
use crate::model::{ApplicationRef, EnvironmentRef, Workspace};
use crate::server::auth::sign_out;
use crate::server::workspace::load_workspace;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::{use_location, use_params_map};

/// The active account, application and environment, from the URL.
#[derive(Clone, Copy)]
pub struct WorkspaceScope {
    pub account: Memo<String>,
    pub application: Memo<String>,
    pub environment: Memo<String>,
}

impl WorkspaceScope {
    /// The URL of `page` in the current workspace, e.g. `overview`.
    pub fn href(&self, page: &str) -> String {
        format!(
            "/{}/{}/{}/{page}",
            self.account.get(),
            self.application.get(),
            self.environment.get()
        )
    }
}

impl WorkspaceScope {
    /// The environment this page is about, as server functions take it.
    pub fn env_path(&self) -> crate::model::EnvPath {
        crate::model::EnvPath {
            account: self.account.get(),
            application: self.application.get(),
            environment: self.environment.get(),
        }
    }
}

pub fn use_scope() -> Option<WorkspaceScope> {
    use_context::<WorkspaceScope>()
}

/// The page segment after `/{account}/{app}/{env}/`, so switching keeps the admin on it.
pub fn current_page(path: &str) -> String {
    path.split('/').skip(4).collect::<Vec<_>>().join("/")
}

#[component]
pub fn DashboardLayout() -> impl IntoView {
    let params = use_params_map();
    let param = move |name: &'static str| {
        Memo::new(move |_| params.with(|p| p.get(name).unwrap_or_default()))
    };
    let scope = WorkspaceScope {
        account: param("account"),
        application: param("application"),
        environment: param("environment"),
    };
    provide_context(scope);
    let workspace = Resource::new(move || scope.account.get(), load_workspace);
    let nav_open = RwSignal::new(false);
    let location = use_location();
    // Close the mobile menu whenever the page changes.
    Effect::new(move |_| {
        location.pathname.track();
        nav_open.set(false);
    });

    view! {
        <Suspense fallback=|| view! { <div class="page-loading"><Loading label="Loading your workspace…" /></div> }>
            {move || Suspend::new(async move {
                match workspace.await {
                    Ok(ws) => view! { <Frame workspace=ws scope nav_open /> }.into_any(),
                    Err(error) => view! { <main class="centered"><ErrorPanel error /></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(workspace: Workspace, scope: WorkspaceScope, nav_open: RwSignal<bool>) -> impl IntoView {
    let ws = StoredValue::new(workspace);
    let active_app =
        Memo::new(move |_| ws.with_value(|w| w.application(&scope.application.get()).cloned()));
    let active_env = Memo::new(move |_| {
        active_app.get().and_then(|app: ApplicationRef| {
            app.environments
                .iter()
                .find(|e| e.slug == scope.environment.get())
                .cloned()
        })
    });
    provide_context(active_env);
    let known = move || active_app.get().is_some() && active_env.get().is_some();

    view! {
        <div class="app-frame" class:nav-open=move || nav_open.get()>
            <aside class="sidebar" aria-label="Main navigation">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"Arbor"</span>
                </div>
                <p class="account-name" title="Account">{ws.with_value(|w| w.account.name.clone())}</p>
                <Navigation scope />
            </aside>
            <div class="main-column">
                <header class="topbar">
                    <button
                        class="btn btn-ghost menu-toggle"
                        aria-label="Open navigation"
                        aria-expanded=move || nav_open.get().to_string()
                        on:click=move |_| nav_open.update(|o| *o = !*o)
                    >
                        "☰"
                    </button>
                    <WorkspaceSwitcher workspace=ws.get_value() scope />
                    <AdminMenu workspace=ws.get_value() />
                </header>
                <main class="content" id="main">
                    <Show
                        when=known
                        fallback=|| view! {
                            <div class="alert alert-error" role="alert">
                                <strong>"Not found"</strong>
                                <p>"This application or environment does not exist in your account."</p>
                            </div>
                        }
                    >
                        <Outlet />
                    </Show>
                </main>
            </div>
        </div>
    }
}

/// Only pages that work are listed (decisions: no dead links).
#[component]
fn Navigation(scope: WorkspaceScope) -> impl IntoView {
    view! {
        <nav class="nav">
            <p class="nav-group">"Access Control"</p>
            <A href=move || scope.href("overview") attr:class="nav-link" attr:data-testid="nav-overview">"Overview"</A>
            <A href=move || scope.href("hierarchy") attr:class="nav-link" attr:data-testid="nav-hierarchy">"Hierarchy"</A>
            <A href=move || scope.href("roles") attr:class="nav-link" attr:data-testid="nav-roles">"Roles"</A>
            <A href=move || scope.href("permissions") attr:class="nav-link" attr:data-testid="nav-permissions">"Permissions"</A>
            <p class="nav-group">"Tenant"</p>
            <A href=move || scope.href("applications") attr:class="nav-link" attr:data-testid="nav-applications">"Applications"</A>
        </nav>
    }
    .into_any()
}

#[component]
fn AdminMenu(workspace: Workspace) -> impl IntoView {
    let initials: String = [&workspace.admin.first_name, &workspace.admin.last_name]
        .iter()
        .filter_map(|n| n.chars().next())
        .collect::<String>()
        .to_uppercase();
    let full_name = format!(
        "{} {}",
        workspace.admin.first_name, workspace.admin.last_name
    );
    let signing_out = RwSignal::new(false);
    let on_sign_out = move |_| {
        signing_out.set(true);
        leptos::task::spawn_local(async move {
            let _ = sign_out().await;
            // A full load drops every piece of client state that belonged to the session.
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href("/signin");
            }
        });
    };
    view! {
        <div class="admin-menu">
            <span class="avatar" aria-hidden="true">{initials}</span>
            <span class="admin-name">
                <span>{full_name}</span>
                <small>{workspace.admin.email.clone()}</small>
            </span>
            <button class="btn btn-secondary btn-small" on:click=on_sign_out disabled=move || signing_out.get() data-testid="sign-out">
                {move || if signing_out.get() { "Signing out…" } else { "Sign out" }}
            </button>
        </div>
    }
    .into_any()
}

/// The active environment, for pages inside the layout.
pub fn use_active_environment() -> Option<Memo<Option<EnvironmentRef>>> {
    use_context::<Memo<Option<EnvironmentRef>>>()
}
