//! Arbor's shared crate: compiled for the server (`ssr`: services, store, server-function bodies)
//! and for the browser (`hydrate`: the same components and validation, hydrated).
#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod routes;
pub mod server;

#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="stylesheet" href="/pkg/arbor.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::toast::provide_toasts();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Arbor".to_owned() } else { format!("{page} · Arbor") } />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home ssr=SsrMode::Async />
                <Route path=path!("/signup") view=pages::signup::SignUp />
                <Route path=path!("/signin") view=pages::signin::SignIn />
                <Route path=path!("/signin/forgot") view=pages::admin_account::forgot::AdminForgotPassword />
                <Route path=path!("/signin/reset") view=pages::admin_account::reset::AdminResetPassword ssr=SsrMode::Async />
                <Route path=path!("/signup/verify") view=pages::admin_account::verify::AdminVerifyEmail ssr=SsrMode::Async />
                <Route path=path!("/login") view=pages::identity::login::IdentityLogin />
                <Route path=path!("/forgot-password") view=pages::identity::forgot::ForgotPassword />
                <Route path=path!("/reset-password") view=pages::identity::reset::ResetPassword ssr=SsrMode::Async />
                <Route path=path!("/verify-email") view=pages::identity::verify::VerifyEmail ssr=SsrMode::Async />
                <Route path=path!("/accept-invite") view=pages::accept_invite::AcceptInvitePage />
                <Route path=path!("/accept-admin-invite") view=pages::accept_admin_invite::AcceptAdminInvitePage />
                // Async: the page is sent once its data is loaded, so a signed-out visit gets a real 302.
                <ParentRoute path=path!("/:account/:application/:environment") view=components::layout::DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::home::ToOverview />
                    <Route path=path!("overview") view=pages::access_control::overview::OverviewPage />
                    <Route path=path!("permissions") view=pages::access_control::permissions::PermissionsPage />
                    <Route path=path!("roles") view=pages::access_control::roles::RolesPage />
                    <Route path=path!("hierarchy") view=pages::access_control::hierarchy::HierarchyPage />
                    <Route path=path!("identities") view=pages::access_control::identities::IdentitiesPage />
                    <Route path=path!("identities/import") view=|| view! { <pages::csv_import::CsvImportPage tier=pages::csv_import::Tier::Environment /> } />
                    <Route path=path!("applications") view=pages::tenant::applications::ApplicationsPage />
                    <Route path=path!("directory") view=pages::tenant::directory::DirectoryPage />
                    <Route path=path!("directory/import") view=|| view! { <pages::csv_import::CsvImportPage tier=pages::csv_import::Tier::Account /> } />
                    <Route path=path!("mailbox") view=pages::tenant::mailbox::MailboxPage />
                    <Route path=path!("team") view=pages::tenant::team::TeamPage />
                    <Route path=path!("audit-log") view=pages::tenant::audit_log::AuditLogPage />
                    <Route path=path!("profile") view=pages::profile::ProfilePage />
                    <Route path=path!("profile/sessions") view=pages::profile::SessionsPage />
                    <Route path=path!("api-keys") view=pages::integrations::api_keys::ApiKeysPage />
                    <Route path=path!("api-reference") view={Lazy::<routes::ApiReference>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
        <components::toast::Toasts />
    }
}
