//! The dashboard frame: left navigation, header with the workspace switcher and the admin menu,
//! and the page. It loads the workspace once per account and shares it with every page.

use crate::components::form::use_form;
use crate::components::scope::provide_env_in_scope;
use crate::components::setup_guide::{SetupGuidePanel, provide_setup_guide};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::workspace_switcher::WorkspaceSwitcher;
use crate::components::write_access::provide_write_access;
use crate::error::AppError;
use crate::model::{EnvPath, Workspace};
use crate::server::auth::sign_out;
use crate::server::workspace::load_workspace;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

#[component]
pub fn DashboardLayout() -> impl IntoView {
    let env = provide_env_in_scope();
    let guide = provide_setup_guide();
    // Keyed on the account alone: switching environment keeps the loaded workspace.
    let workspace = Resource::new(move || env.with(|e| e.account.clone()), load_workspace);
    let write_access = provide_write_access();
    Effect::new(move |_| {
        if let Some(Ok(ws)) = workspace.get() {
            write_access.follow(ws.role);
        }
    });
    // Pages that change applications or environments reload it, so the switcher lists them.
    provide_context(workspace);
    let nav_open = RwSignal::new(false);
    let location = use_location();
    // Close the mobile menu whenever the page changes.
    Effect::new(move |_| {
        location.pathname.track();
        nav_open.set(false);
    });

    // The page itself is not nested inside the workspace's suspense: it renders (and creates
    // its own resources) in the same order on the server and in the hydrating browser.
    let chrome = move |part: Part| {
        view! {
            <Suspense fallback=move || part.placeholder()>
                {move || Suspend::new(async move {
                    match workspace.await {
                        Ok(ws) => part.render(ws, env),
                        Err(error) if part == Part::Header => view! { <ErrorPanel error /> }.into_any(),
                        Err(_) => ().into_any(),
                    }
                })}
            </Suspense>
        }
    };
    view! {
        <div class="app-frame" class:nav-open=move || nav_open.get()>
            <aside class="sidebar" aria-label="Main navigation">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">"Arbor"</span>
                </div>
                {chrome(Part::AccountName)}
                <Navigation env />
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
                    {chrome(Part::Header)}
                    <button type="button" class="btn btn-ghost btn-small guide-toggle"
                        aria-expanded=move || guide.open.get().to_string()
                        on:click=move |_| guide.open.update(|o| *o = !*o)
                        data-testid="open-setup-guide">"Setup Guide"</button>
                </header>
                <main class="content" id="main">
                    <Outlet />
                </main>
            </div>
            <SetupGuidePanel />
        </div>
    }
}

/// The parts of the frame that show workspace data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    AccountName,
    Header,
}

impl Part {
    fn placeholder(self) -> AnyView {
        match self {
            Part::AccountName => view! { <p class="account-name">" "</p> }.into_any(),
            Part::Header => {
                view! { <div class="switcher"><Loading label="Loading your workspace…" /></div> }
                    .into_any()
            }
        }
    }

    fn render(self, workspace: Workspace, env: Memo<EnvPath>) -> AnyView {
        match self {
            Part::AccountName => {
                view! { <p class="account-name" title="Account">{workspace.account.name.clone()}</p> }.into_any()
            }
            Part::Header => view! {
                <WorkspaceSwitcher workspace=workspace.clone() env />
                <AdminMenu workspace />
            }
            .into_any(),
        }
    }
}

/// Only pages that work are listed (decisions: no dead links).
#[component]
fn Navigation(env: Memo<EnvPath>) -> impl IntoView {
    view! {
        <nav class="nav">
            <p class="nav-group">"Access Control"</p>
            <A href=move || env.with(|e| e.href("overview")) attr:class="nav-link" attr:data-testid="nav-overview">"Overview"</A>
            <A href=move || env.with(|e| e.href("identities")) attr:class="nav-link" attr:data-testid="nav-identities">"Identities"</A>
            <A href=move || env.with(|e| e.href("hierarchy")) attr:class="nav-link" attr:data-testid="nav-hierarchy">"Hierarchy"</A>
            <A href=move || env.with(|e| e.href("roles")) attr:class="nav-link" attr:data-testid="nav-roles">"Roles"</A>
            <A href=move || env.with(|e| e.href("permissions")) attr:class="nav-link" attr:data-testid="nav-permissions">"Permissions"</A>
            <p class="nav-group">"Integrations"</p>
            <A href=move || env.with(|e| e.href("api-keys")) attr:class="nav-link" attr:data-testid="nav-api-keys">"API Keys"</A>
            <A href=move || env.with(|e| e.href("api-reference")) attr:class="nav-link" attr:data-testid="nav-api-reference">"API Reference"</A>
            <p class="nav-group">"Tenant"</p>
            <A href=move || env.with(|e| e.href("directory")) attr:class="nav-link" attr:data-testid="nav-directory">"Identities"</A>
            <A href=move || env.with(|e| e.href("applications")) attr:class="nav-link" attr:data-testid="nav-applications">"Applications"</A>
            <A href=move || env.with(|e| e.href("mailbox")) attr:class="nav-link" attr:data-testid="nav-mailbox">"Mailbox"</A>
            <A href=move || env.with(|e| e.href("team")) attr:class="nav-link" attr:data-testid="nav-team">"Team"</A>
            <A href=move || env.with(|e| e.href("audit-log")) attr:class="nav-link" attr:data-testid="nav-audit-log">"Audit log"</A>
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
    // Signed out or not, the admin leaves for the sign-in page: the button stays off.
    let signing_out = use_form(move |()| async move {
        let _ = sign_out().await;
        // A full load drops every piece of client state that belonged to the session.
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_href("/signin");
        }
        Ok::<_, AppError>(())
    });
    let on_sign_out = move |_| signing_out.submit(());
    let signing_out = signing_out.busy_or_done();
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
