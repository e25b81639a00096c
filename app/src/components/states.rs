//! Loading, error and empty states, so every page answers "what is happening?".

use crate::error::AppError;
use crate::model::signin_path;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[component]
pub fn Loading(#[prop(into, default = "Loading…".to_owned())] label: String) -> impl IntoView {
    view! {
        <div class="loading" aria-busy="true">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// Shows an error; an expired session sends the admin to sign in instead.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    if error == AppError::Unauthenticated {
        // Back to this very page once signed in again.
        let location = use_location();
        let search = location.search.get_untracked();
        let here = match search.as_str() {
            "" => location.pathname.get_untracked(),
            query => format!("{}?{query}", location.pathname.get_untracked()),
        };
        return view! { <Redirect path=signin_path(&here) /> }.into_any();
    }
    let title = match &error {
        AppError::NotFound { .. } => "Not found",
        AppError::Forbidden { .. } => "Not allowed",
        _ => "Something went wrong",
    };
    view! {
        <div class="alert alert-error" role="alert">
            <strong>{title}</strong>
            <p>{error.to_string()}</p>
        </div>
    }
    .into_any()
}
