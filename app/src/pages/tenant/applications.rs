//! Tenant › Applications: each application with a card per environment.

use crate::components::badge::EnvironmentBadge;
use crate::components::states::{ErrorPanel, Loading};
use crate::model::{ApplicationCard, EnvPath, EnvironmentCard};
use crate::server::workspace::load_applications;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let cards = Resource::new(move || env.with(|e| e.account.clone()), load_applications);
    view! {
        <Title text="Applications" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <h1>"Applications"</h1>
                <p class="muted">"Each application has its own environments. Roles, permissions, the hierarchy and assignments live in an environment; identities live in your account."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading applications…" /> }>
            {move || Suspend::new(async move {
                match cards.await {
                    Ok(apps) if apps.is_empty() => view! {
                        <div class="empty-state"><p>"No applications yet."</p></div>
                    }.into_any(),
                    Ok(apps) => apps.into_iter().map(|app| view! { <Application app account=env.with_untracked(|e| e.account.clone()) /> }).collect_view().into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Application(app: ApplicationCard, account: String) -> impl IntoView {
    let created = app.created_at.get(..10).unwrap_or_default().to_owned();
    view! {
        <section class="card app-card" data-testid=format!("app-{}", app.slug)>
            <header class="app-card-header">
                <div>
                    <h2>{app.name.clone()}</h2>
                    <p class="muted mono">{app.slug.clone()} " · created " {created}</p>
                </div>
            </header>
            <div class="env-grid">
                {app.environments.into_iter().map(|env| {
                    let href = format!("/{account}/{}/{}/overview", app.slug, env.environment.slug);
                    view! { <Environment card=env href /> }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Environment(card: EnvironmentCard, href: String) -> impl IntoView {
    let env = card.environment;
    let counts = card.counts;
    let complete = counts.roles_and_permissions_complete();
    view! {
        <article class=format!("env-card env-card-{}", env.kind.as_str()) data-testid=format!("env-card-{}", env.slug)>
            <header>
                <EnvironmentBadge kind=env.kind name=env.name.clone() />
                {env.is_default.then(|| view! { <span class="pill" data-testid="default-marker">"Default"</span> })}
            </header>
            <p class="muted mono">{env.slug.clone()}</p>
            <dl class="env-counts">
                <div><dt>"Identities"</dt><dd>{counts.identities}</dd></div>
                <div><dt>"Roles"</dt><dd>{counts.custom_roles}</dd></div>
                <div><dt>"Permissions"</dt><dd>{counts.custom_permissions}</dd></div>
                <div><dt>"Nodes"</dt><dd>{counts.nodes}</dd></div>
            </dl>
            <p class="setup-state" class:setup-complete=complete>
                {if complete { "Roles & permissions set up" } else { "Roles & permissions setup incomplete" }}
            </p>
            <a class="btn btn-secondary btn-small" href=href>"Open " {env.name}</a>
        </article>
    }
}
