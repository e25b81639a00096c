//! Loading, error and empty states, so every page answers "what is happening?".

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

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
        return view! { <Redirect path="/signin" /> }.into_any();
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
