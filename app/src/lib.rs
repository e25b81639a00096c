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
            // Every page but the first-visit ones (home's redirect, sign-in, not found) and the
            // dashboard's layout is a lazy route: its code is a chunk of its own (see routes.rs).
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home ssr=SsrMode::Async />
                <Route path=path!("/signup") view={Lazy::<routes::SignUp>::new()} />
                <Route path=path!("/signin") view=pages::signin::SignIn />
                <Route path=path!("/signin/forgot") view={Lazy::<routes::AdminForgotPassword>::new()} />
                <Route path=path!("/signin/reset") view={Lazy::<routes::AdminResetPassword>::new()} ssr=SsrMode::Async />
                <Route path=path!("/signup/verify") view={Lazy::<routes::AdminVerifyEmail>::new()} ssr=SsrMode::Async />
                <Route path=path!("/login") view={Lazy::<routes::IdentityLogin>::new()} />
                <Route path=path!("/forgot-password") view={Lazy::<routes::ForgotPassword>::new()} />
                <Route path=path!("/reset-password") view={Lazy::<routes::ResetPassword>::new()} ssr=SsrMode::Async />
                <Route path=path!("/verify-email") view={Lazy::<routes::VerifyEmail>::new()} ssr=SsrMode::Async />
                <Route path=path!("/accept-invite") view={Lazy::<routes::AcceptInvite>::new()} />
                <Route path=path!("/accept-admin-invite") view={Lazy::<routes::AcceptAdminInvite>::new()} />
                // Async: the page is sent once its data is loaded, so a signed-out visit gets a real 302.
                <ParentRoute path=path!("/:account/:application/:environment") view=components::layout::DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::home::ToOverview />
                    <Route path=path!("overview") view={Lazy::<routes::Overview>::new()} />
                    <Route path=path!("permissions") view={Lazy::<routes::Permissions>::new()} />
                    <Route path=path!("roles") view={Lazy::<routes::Roles>::new()} />
                    <Route path=path!("hierarchy") view={Lazy::<routes::Hierarchy>::new()} />
                    <Route path=path!("identities") view={Lazy::<routes::Identities>::new()} />
                    <Route path=path!("identities/import") view={Lazy::<routes::IdentitiesImport>::new()} />
                    <Route path=path!("applications") view={Lazy::<routes::Applications>::new()} />
                    <Route path=path!("directory") view={Lazy::<routes::Directory>::new()} />
                    <Route path=path!("directory/import") view={Lazy::<routes::DirectoryImport>::new()} />
                    <Route path=path!("mailbox") view={Lazy::<routes::Mailbox>::new()} />
                    <Route path=path!("team") view={Lazy::<routes::Team>::new()} />
                    <Route path=path!("audit-log") view={Lazy::<routes::AuditLog>::new()} />
                    <Route path=path!("profile") view={Lazy::<routes::Profile>::new()} />
                    <Route path=path!("profile/sessions") view={Lazy::<routes::Sessions>::new()} />
                    <Route path=path!("api-keys") view={Lazy::<routes::ApiKeys>::new()} />
                    <Route path=path!("api-reference") view={Lazy::<routes::ApiReference>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
        <components::toast::Toasts />
    }
}
