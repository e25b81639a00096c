//! Dialogs addressed by the URL. `?create=…` opens a page's create dialog (the Setup Guide links
//! with it) and is then dropped, so a reload or Back does not open it again. `?identity=<id>`
//! opens an identity drawer and stays while it is open, so it can be linked to (a toast does).

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

pub fn open_on_create_param(value: &'static str, open: RwSignal<bool>) {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if query.with(|q| q.get("create")).as_deref() == Some(value) {
            open.set(true);
            navigate(
                &location.pathname.get_untracked(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
}

/// The drawer of `?identity=<id>` on `page_href`: the id, and the open flag for its `Dialog`.
/// Closing the drawer returns to `page_href` and calls `on_close` (the drawer may have changed
/// what the page lists).
pub fn identity_drawer(
    page_href: impl Fn() -> String + 'static,
    on_close: Callback<()>,
) -> (Memo<Option<String>>, RwSignal<bool>) {
    let query = use_query_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| query.with(|q| q.get("identity")));
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let wanted = id.get().is_some();
        if open.get_untracked() != wanted {
            open.set(wanted);
        }
    });
    Effect::new(move |_| {
        if !open.get() && id.get_untracked().is_some() {
            navigate(&page_href(), Default::default());
            on_close.run(());
        }
    });
    (id, open)
}
