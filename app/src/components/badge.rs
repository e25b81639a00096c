use crate::model::{EnvironmentKind, IdentityStatus};
use leptos::prelude::*;

/// The coloured marker that keeps Production from ever looking like Development.
#[component]
pub fn EnvironmentBadge(kind: EnvironmentKind, #[prop(into)] name: String) -> impl IntoView {
    let class = format!("env-badge env-{}", kind.as_str());
    view! { <span class=class data-testid="env-badge">{name}</span> }
}

/// An identity's status: Active, Pending (no password yet) or Inactive (switched off).
#[component]
pub fn IdentityStatusBadge(status: IdentityStatus) -> impl IntoView {
    let class = match status {
        IdentityStatus::Active => "pill status-active",
        IdentityStatus::Pending => "pill status-scheduled",
        IdentityStatus::Inactive => "pill status-expired",
    };
    view! { <span class=class data-testid="identity-status">{status.label()}</span> }
}
