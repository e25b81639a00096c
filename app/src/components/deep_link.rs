//! `?create=…` opens a page's create dialog (the Setup Guide links with it); the parameter is
//! then dropped from the URL so a reload or Back does not open it again.

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
