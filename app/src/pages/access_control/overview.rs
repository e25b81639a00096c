//! Access Control › Overview: what the active environment holds, and what is left to set up.

use crate::components::badge::EnvironmentBadge;
use crate::components::env_resource::env_resource;
use crate::components::setup_guide::{GuideTab, use_setup_guide};
use crate::components::stat::Stat;
use crate::components::states::{ErrorPanel, Loading};
use crate::model::{EnvPath, EnvironmentCounts, Overview};
use crate::server::workspace::load_overview;
use leptos::prelude::*;
use leptos_meta::Title;

pub const ROLES_BANNER: &str = "Your roles & permissions setup is incomplete.";
pub const INVITE_BANNER: &str = "You haven't invited any users or assigned them roles yet.";

#[component]
pub fn OverviewPage() -> impl IntoView {
    let (overview, _) =
        env_resource(|env: EnvPath| load_overview(env.account, env.application, env.environment));
    view! {
        <Title text="Overview" />
        <Transition fallback=|| view! { <Loading label="Loading overview…" /> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => view! { <OverviewBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn OverviewBody(data: Overview) -> impl IntoView {
    let counts = data.counts;
    let env = data.environment;
    view! {
        <div class="page-header">
            <div>
                <p class="eyebrow">"Access Control"</p>
                <h1>"Overview " <EnvironmentBadge kind=env.kind name=env.name.clone() /></h1>
                <p class="muted">"Everything below belongs to " <strong>{env.name.clone()}</strong> " only; other environments have their own roles, permissions, hierarchy and assignments."</p>
            </div>
        </div>
        <Banners counts />
        <section class="stat-grid" aria-label="Summary" data-testid="overview-stats">
            <Stat label="Identities" value=counts.identities hint="members of this application" testid="stat-identities" />
            <Stat label="Roles" value=counts.custom_roles hint="custom roles" testid="stat-roles" />
            <Stat label="Permissions" value=counts.custom_permissions hint=format!("custom · {} system permissions built in", counts.system_permissions) testid="stat-permissions" />
            <Stat label="Nodes" value=counts.nodes hint=if counts.nodes <= 1 { "flat model: the root only".to_owned() } else { "in the hierarchy".to_owned() } testid="stat-nodes" />
            <Stat label="Assignments" value=counts.assignments hint="role assignments" testid="stat-assignments" />
        </section>
    }
}

#[component]
fn Banners(counts: EnvironmentCounts) -> impl IntoView {
    let guide = use_setup_guide();
    let roles = (!counts.roles_and_permissions_complete()).then(|| view! {
        <div class="banner" data-testid="banner-roles">
            <span class="banner-icon" aria-hidden="true">"!"</span>
            <div>
                <p class="banner-title">{ROLES_BANNER}</p>
                <p class="muted">"Create permissions, bundle them into roles, then grant the roles their permissions."</p>
            </div>
            <button type="button" class="btn btn-primary btn-small" on:click=move |_| if let Some(g) = guide { g.show(GuideTab::RolesAndPermissions) }
                data-testid="complete-roles-setup">"Complete Roles & Permissions Setup"</button>
        </div>
    });
    let invite = (!counts.users_invited_and_assigned()).then(|| view! {
        <div class="banner" data-testid="banner-invite">
            <span class="banner-icon" aria-hidden="true">"!"</span>
            <div>
                <p class="banner-title">{INVITE_BANNER}</p>
                <p class="muted">"Add identities to this application and assign them roles at a node."</p>
            </div>
            <button type="button" class="btn btn-primary btn-small" on:click=move |_| if let Some(g) = guide { g.show(GuideTab::InviteAndAssign) }
                data-testid="complete-invite-setup">"Complete Invite & Assign Users Setup"</button>
        </div>
    });
    view! { <div class="banners">{roles}{invite}</div> }
}
