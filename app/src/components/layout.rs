//! The dashboard frame: left navigation, header with the workspace switcher and the admin menu,
//! and the page. It loads the workspace once per account and shares it with every page.

use crate::components::form::{use_form, use_operation};
use crate::components::scope::provide_env_in_scope;
use crate::components::setup_guide::{SetupGuidePanel, provide_setup_guide};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::workspace_switcher::WorkspaceSwitcher;
use crate::components::write_access::provide_write_access;
use crate::error::AppError;
use crate::model::{EnvPath, Workspace};
use crate::server::admin_security::{resend_admin_verification, switch_account};
use crate::server::auth::sign_out;
use crate::server::workspace::load_workspace;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::{use_location, use_navigate};

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
                    {chrome(Part::Banner)}
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
    /// "Confirm your email" while the admin's address is not confirmed.
    Banner,
}

impl Part {
    fn placeholder(self) -> AnyView {
        match self {
            Part::AccountName => view! { <p class="account-name">" "</p> }.into_any(),
            Part::Header => {
                view! { <div class="switcher"><Loading label="Loading your workspace…" /></div> }
                    .into_any()
            }
            Part::Banner => ().into_any(),
        }
    }

    fn render(self, workspace: Workspace, env: Memo<EnvPath>) -> AnyView {
        match self {
            Part::AccountName => {
                view! { <p class="account-name" title="Account">{workspace.account.name.clone()}</p> }.into_any()
            }
            Part::Header => view! {
                <AccountPicker workspace=workspace.clone() />
                <WorkspaceSwitcher workspace=workspace.clone() env />
                <AdminMenu workspace env />
            }
            .into_any(),
            Part::Banner if !workspace.email_verified => {
                view! { <VerifyBanner email=workspace.admin.email.clone() /> }.into_any()
            }
            Part::Banner => ().into_any(),
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

/// An admin of several Accounts switches between them here; sign-in lands in the one chosen last.
#[component]
fn AccountPicker(workspace: Workspace) -> impl IntoView {
    if workspace.accounts.len() < 2 {
        return ().into_any();
    }
    let navigate = use_navigate();
    let switching = use_operation(move |account: String| {
        let navigate = navigate.clone();
        async move {
            let landing = switch_account(account).await?;
            navigate(&landing.overview_path(), Default::default());
            Ok(())
        }
    });
    let current = workspace.account.slug.clone();
    let busy = switching.busy();
    view! {
        <div class="field account-picker">
            <label for="account-picker" class="visually-hidden">"Account"</label>
            <select id="account-picker" data-testid="account-picker"
                disabled=move || busy.get()
                on:change=move |ev| switching.submit(event_target_value(&ev))>
                {workspace.accounts.into_iter().map(|account| {
                    let selected = account.slug == current;
                    view! { <option value=account.slug.clone() selected=selected>{account.name}</option> }
                }).collect_view()}
            </select>
        </div>
    }
    .into_any()
}

/// Shown on every dashboard page until the admin confirms their email; Resend sends a new link.
#[component]
fn VerifyBanner(email: String) -> impl IntoView {
    let toasts = use_toasts();
    let resending = use_operation(move |()| async move {
        let answer = resend_admin_verification().await?;
        toasts.success(answer.message);
        Ok(())
    });
    let busy = resending.busy();
    view! {
        <div class="banner verify-banner" role="status" data-testid="verify-banner">
            <span class="banner-icon" aria-hidden="true">"!"</span>
            <div>
                <p class="banner-title">"Confirm your email address"</p>
                <p>"We sent a link to " <strong>{email}</strong> ". Until you open it, you cannot invite other admins."</p>
            </div>
            <button type="button" class="btn btn-secondary btn-small" disabled=move || busy.get()
                on:click=move |_| resending.submit(()) data-testid="resend-verification">
                {move || if busy.get() { "Sending…" } else { "Resend" }}
            </button>
        </div>
    }
}

#[component]
fn AdminMenu(workspace: Workspace, env: Memo<EnvPath>) -> impl IntoView {
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
            <A href=move || env.with(|e| e.href("profile")) attr:class="admin-name" attr:title="Your profile and sessions" attr:data-testid="open-profile">
                <span>{full_name}</span>
                <small>{workspace.admin.email.clone()}</small>
            </A>
            <button class="btn btn-secondary btn-small" on:click=on_sign_out disabled=move || signing_out.get() data-testid="sign-out">
                {move || if signing_out.get() { "Signing out…" } else { "Sign out" }}
            </button>
        </div>
    }
    .into_any()
}
