//! The identity drawer (`?identity=<id>`): the identity's name and status over four tabs.

use super::assignments::AssignmentsTab;
use super::history::HistoryTab;
use super::memberships::MembershipsTab;
use super::profile::ProfileTab;
use crate::components::badge::IdentityStatusBadge;
use crate::components::states::{ErrorPanel, Loading};
use crate::model::EnvPath;
use crate::server::directory::load_identity_detail;
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum DrawerTab {
    Profile,
    Memberships,
    Assignments,
    History,
}

#[component]
pub fn IdentityDrawer(id: String) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let account = move || env.with(|e| e.account.clone());
    let reload = RwSignal::new(0u32);
    let id = StoredValue::new(id);
    let detail = LocalResource::new(move || {
        reload.track();
        load_identity_detail(account(), id.get_value())
    });
    let tab = RwSignal::new(DrawerTab::Profile);
    let changed = Callback::new(move |_: ()| reload.update(|n| *n += 1));
    let tabs = [
        (DrawerTab::Profile, "Profile"),
        (DrawerTab::Memberships, "Memberships"),
        (DrawerTab::Assignments, "Assignments"),
        (DrawerTab::History, "History"),
    ];
    view! {
        <div class="drawer-body" data-testid="identity-detail">
            {move || match detail.get() {
                None => view! { <Loading label="Loading the identity…" /> }.into_any(),
                Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                Some(Ok(d)) => view! {
                    <div class="drawer-title">
                        <h3>{d.identity.name()}</h3>
                        <IdentityStatusBadge status=d.identity.status />
                        <p class="muted small">{d.identity.email.clone()}</p>
                    </div>
                }.into_any(),
            }}
            <div class="guide-tabs" role="tablist">
                {tabs.into_iter().map(|(t, label)| view! {
                    <button type="button" role="tab" class="guide-tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t) data-testid=format!("tab-{}", label.to_lowercase())>{label}</button>
                }).collect_view()}
            </div>
            {move || detail.get().and_then(Result::ok).map(|d| match tab.get() {
                DrawerTab::Profile => view! { <ProfileTab detail=d changed /> }.into_any(),
                DrawerTab::Memberships => view! { <MembershipsTab detail=d changed /> }.into_any(),
                DrawerTab::Assignments => view! { <AssignmentsTab detail=d /> }.into_any(),
                DrawerTab::History => view! { <HistoryTab detail=d /> }.into_any(),
            })}
        </div>
    }
}
