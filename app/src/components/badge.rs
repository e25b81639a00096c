use crate::model::EnvironmentKind;
use leptos::prelude::*;

/// The coloured marker that keeps Production from ever looking like Development.
#[component]
pub fn EnvironmentBadge(kind: EnvironmentKind, #[prop(into)] name: String) -> impl IntoView {
    let class = format!("env-badge env-{}", kind.as_str());
    view! { <span class=class data-testid="env-badge">{name}</span> }
}
