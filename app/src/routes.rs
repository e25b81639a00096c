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
