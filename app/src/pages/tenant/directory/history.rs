//! The drawer's History tab: the audit events about the identity.

use crate::components::identity_assignments::short_time;
use crate::model::IdentityDetail;
use leptos::prelude::*;

/// `membership.activated` → "Membership activated".
fn describe(action: &str) -> String {
    let words = action.replace(['.', '_'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[component]
pub fn HistoryTab(detail: IdentityDetail) -> impl IntoView {
    view! {
        <ol class="history" data-testid="drawer-history">
            {detail.history.into_iter().map(|e| view! {
                <li>
                    <span class="history-action">{describe(&e.action)}</span>
                    <span class="muted small">{format!("{} · {}", short_time(&e.at), if e.actor.is_empty() { "system".to_owned() } else { e.actor.clone() })}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}
