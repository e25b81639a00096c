//! Picks the active Application, then Environment. Switching keeps the current page, changes the
//! URL (so it can be shared and the back button works) and is remembered server-side per
//! application for the next sign-in.

use crate::components::badge::EnvironmentBadge;
use crate::components::layout::{WorkspaceScope, current_page};
use crate::components::toast::use_toasts;
use crate::model::{EnvironmentKind, Workspace};
use crate::server::workspace::{application_landing, remember_environment};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

#[component]
pub fn WorkspaceSwitcher(workspace: Workspace, scope: WorkspaceScope) -> impl IntoView {
    let ws = StoredValue::new(workspace);
    let navigate = use_navigate();
    let location = use_location();
    let toasts = use_toasts();

    let environments = Memo::new(move |_| {
        ws.with_value(|w| {
            w.application(&scope.application.get())
                .map(|a| a.environments.clone())
                .unwrap_or_default()
        })
    });
    let env_kind = Memo::new(move |_| {
        environments
            .get()
            .iter()
            .find(|e| e.slug == scope.environment.get())
            .map(|e| (e.kind, e.name.clone()))
    });

    let go = {
        let navigate = navigate.clone();
        move |app: String, env: String| {
            let page = current_page(&location.pathname.get_untracked());
            let page = if page.is_empty() {
                "overview".to_owned()
            } else {
                page
            };
            navigate(
                &format!("/{}/{app}/{env}/{page}", scope.account.get_untracked()),
                Default::default(),
            );
        }
    };

    let on_env_change = {
        let go = go.clone();
        move |ev| {
            let env = event_target_value(&ev);
            let app = scope.application.get_untracked();
            let account = scope.account.get_untracked();
            let name = environments
                .get_untracked()
                .iter()
                .find(|e| e.slug == env)
                .map(|e| e.name.clone())
                .unwrap_or_else(|| env.clone());
            go(app.clone(), env.clone());
            toasts.success(format!("Switched to {name}"));
            leptos::task::spawn_local(async move {
                if remember_environment(account, app, env).await.is_err() {
                    toasts.error("Could not remember this environment for your next sign-in.");
                }
            });
        }
    };

    let on_app_change = move |ev| {
        let app = event_target_value(&ev);
        let account = scope.account.get_untracked();
        let go = go.clone();
        leptos::task::spawn_local(async move {
            match application_landing(account, app.clone()).await {
                Ok(env) => go(app, env),
                Err(error) => toasts.error(error.to_string()),
            }
        });
    };

    view! {
        <div class="switcher" role="group" aria-label="Workspace">
            <label class="switcher-field">
                <span class="switcher-label">"Application"</span>
                <select on:change=on_app_change data-testid="app-switcher" prop:value=move || scope.application.get()>
                    {ws.with_value(|w| w.applications.iter().map(|a| {
                        let slug = a.slug.clone();
                        view! {
                            <option value=a.slug.clone() selected=move || scope.application.get() == slug>{a.name.clone()}</option>
                        }
                    }).collect_view())}
                </select>
            </label>
            <span class="switcher-sep" aria-hidden="true">"/"</span>
            <label class="switcher-field">
                <span class="switcher-label">"Environment"</span>
                <select on:change=on_env_change data-testid="env-switcher" prop:value=move || scope.environment.get()>
                    <For each=move || environments.get() key=|e| e.id.clone() let:env>
                        {
                            let slug = env.slug.clone();
                            view! { <option value=env.slug.clone() selected=move || scope.environment.get() == slug>{env.name.clone()}</option> }
                        }
                    </For>
                </select>
            </label>
            {move || env_kind.get().map(|(kind, name)| view! { <EnvironmentBadge kind name /> })}
            {move || (env_kind.get().map(|(k, _)| k) == Some(EnvironmentKind::Production)).then(|| view! {
                <span class="live-note" data-testid="production-note">"Live data"</span>
            })}
        </div>
    }
    .into_any()
}
