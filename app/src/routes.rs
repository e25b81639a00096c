//! The dashboard's pages as lazy routes: each page's code is split by `wasm-split` (see `cargo
//! xtask site`) into a chunk of its own that the browser fetches when it first shows the page, so
//! the initial download is the shell, the router and the current page rather than all 40 pages.
//! The pages themselves do not change; only how the router mounts them.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares a lazy route for a page: a unit type whose `view` is split out of the main module.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $view:expr) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_page!(
    /// Integrations › API Reference.
    ApiReference => view! { <crate::pages::integrations::api_reference::ApiReferencePage /> }
);
lazy_page!(
    /// The first account's sign-up.
    SignUp => view! { <crate::pages::signup::SignUp /> }
);
lazy_page!(
    /// An administrator's forgotten password.
    AdminForgotPassword => view! { <crate::pages::admin_account::forgot::AdminForgotPassword /> }
);
lazy_page!(
    /// An administrator's password reset (token page).
    AdminResetPassword => view! { <crate::pages::admin_account::reset::AdminResetPassword /> }
);
lazy_page!(
    /// An administrator's email verification (token page).
    AdminVerifyEmail => view! { <crate::pages::admin_account::verify::AdminVerifyEmail /> }
);
lazy_page!(
    /// An identity's sign-in.
    IdentityLogin => view! { <crate::pages::identity::login::IdentityLogin /> }
);
lazy_page!(
    /// An identity's forgotten password.
    ForgotPassword => view! { <crate::pages::identity::forgot::ForgotPassword /> }
);
lazy_page!(
    /// An identity's password reset (token page).
    ResetPassword => view! { <crate::pages::identity::reset::ResetPassword /> }
);
lazy_page!(
    /// An identity's email verification (token page).
    VerifyEmail => view! { <crate::pages::identity::verify::VerifyEmail /> }
);
lazy_page!(
    /// An identity's invitation (token page).
    AcceptInvite => view! { <crate::pages::accept_invite::AcceptInvitePage /> }
);
lazy_page!(
    /// An administrator's invitation (token page).
    AcceptAdminInvite => view! { <crate::pages::accept_admin_invite::AcceptAdminInvitePage /> }
);
lazy_page!(
    /// Access Control › Overview.
    Overview => view! { <crate::pages::access_control::overview::OverviewPage /> }
);
lazy_page!(
    /// Access Control › Permissions.
    Permissions => view! { <crate::pages::access_control::permissions::PermissionsPage /> }
);
lazy_page!(
    /// Access Control › Roles.
    Roles => view! { <crate::pages::access_control::roles::RolesPage /> }
);
lazy_page!(
    /// Access Control › Hierarchy.
    Hierarchy => view! { <crate::pages::access_control::hierarchy::HierarchyPage /> }
);
lazy_page!(
    /// Access Control › Identities.
    Identities => view! { <crate::pages::access_control::identities::IdentitiesPage /> }
);
lazy_page!(
    /// Access Control › Identities › Import.
    IdentitiesImport => view! {
        <crate::pages::csv_import::CsvImportPage tier=crate::pages::csv_import::Tier::Environment />
    }
);
lazy_page!(
    /// Tenant › Applications.
    Applications => view! { <crate::pages::tenant::applications::ApplicationsPage /> }
);
lazy_page!(
    /// Tenant › Directory.
    Directory => view! { <crate::pages::tenant::directory::DirectoryPage /> }
);
lazy_page!(
    /// Tenant › Directory › Import.
    DirectoryImport => view! {
        <crate::pages::csv_import::CsvImportPage tier=crate::pages::csv_import::Tier::Account />
    }
);
lazy_page!(
    /// Tenant › Mailbox.
    Mailbox => view! { <crate::pages::tenant::mailbox::MailboxPage /> }
);
lazy_page!(
    /// Tenant › Team.
    Team => view! { <crate::pages::tenant::team::TeamPage /> }
);
lazy_page!(
    /// Tenant › Audit Log.
    AuditLog => view! { <crate::pages::tenant::audit_log::AuditLogPage /> }
);
lazy_page!(
    /// Profile.
    Profile => view! { <crate::pages::profile::ProfilePage /> }
);
lazy_page!(
    /// Profile › Sessions.
    Sessions => view! { <crate::pages::profile::SessionsPage /> }
);
lazy_page!(
    /// Integrations › API Keys.
    ApiKeys => view! { <crate::pages::integrations::api_keys::ApiKeysPage /> }
);
