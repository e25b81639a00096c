//! A stat card: label, big number, hint.

use leptos::prelude::*;

#[component]
pub fn Stat(
    #[prop(into)] label: String,
    #[prop(into)] value: i64,
    #[prop(into)] hint: String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    view! {
        <div class="stat" data-testid=testid>
            <p class="stat-label">{label}</p>
            <p class="stat-value">{value}</p>
            <p class="stat-hint">{hint}</p>
        </div>
    }
}
