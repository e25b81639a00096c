//! Picks the active Application, then Environment. Switching keeps the current page, changes the
//! URL (so it can be shared and the back button works) and is remembered server-side per
//! application for the next sign-in.

use crate::components::badge::EnvironmentBadge;
use crate::components::form::{use_form, use_operation};
use crate::components::scope::current_page;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{EnvPath, EnvironmentKind, Workspace};
use crate::server::workspace::{application_landing, remember_environment};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

#[component]
pub fn WorkspaceSwitcher(workspace: Workspace, env: Memo<EnvPath>) -> impl IntoView {
    let ws = StoredValue::new(workspace);
    let navigate = use_navigate();
    let location = use_location();
    let toasts = use_toasts();

    // `try_`: when a change reloads the workspace, this switcher is replaced, and the URL it
    // follows may move once more before it is disposed.
    let environments = Memo::new(move |_| {
        ws.try_with_value(|w| {
            env.with(|e| w.application(&e.application))
                .map(|a| a.environments.clone())
        })
        .flatten()
        .unwrap_or_default()
    });
    let env_kind = Memo::new(move |_| {
        environments
            .get()
            .iter()
            .find(|e| env.with(|current| e.slug == current.environment))
            .map(|e| (e.kind, e.name.clone()))
    });

    let go = {
        let navigate = navigate.clone();
        move |app: String, slug: String| {
            let page = current_page(&location.pathname.get_untracked());
            let page = if page.is_empty() {
                "overview".to_owned()
            } else {
                page
            };
            navigate(
                &EnvPath {
                    account: env.with_untracked(|e| e.account.clone()),
                    application: app,
                    environment: slug,
                }
                .href(&page),
                Default::default(),
            );
        }
    };

    // Every switch is remembered, even one made while the last is still being saved.
    let remember = use_form(move |switched: EnvPath| async move {
        let EnvPath {
            account,
            application,
            environment,
        } = switched;
        if remember_environment(account, application, environment)
            .await
            .is_err()
        {
            toasts.error("Could not remember this environment for your next sign-in.");
        }
        Ok::<_, AppError>(())
    });
    let on_env_change = {
        let go = go.clone();
        move |ev| {
            let slug = event_target_value(&ev);
            let name = environments
                .get_untracked()
                .iter()
                .find(|e| e.slug == slug)
                .map(|e| e.name.clone())
                .unwrap_or_else(|| slug.clone());
            let switched = EnvPath {
                environment: slug,
                ..env.get_untracked()
            };
            go(switched.application.clone(), switched.environment.clone());
            toasts.success(format!("Switched to {name}"));
            remember.send(switched);
        }
    };

    let landing = use_operation(move |app: String| {
        let go = go.clone();
        let account = env.with_untracked(|e| e.account.clone());
        async move {
            let slug = application_landing(account, app.clone()).await?;
            go(app, slug);
            Ok(())
        }
    });
    let on_app_change = move |ev| landing.send(event_target_value(&ev));

    view! {
        <div class="switcher" role="group" aria-label="Workspace">
            <label class="switcher-field">
                <span class="switcher-label">"Application"</span>
                <select on:change=on_app_change data-testid="app-switcher" prop:value=move || env.with(|e| e.application.clone())>
                    {ws.with_value(|w| w.applications.iter().map(|a| {
                        let slug = a.slug.clone();
                        view! {
                            <option value=a.slug.clone() selected=move || env.with(|e| e.application == slug)>{a.name.clone()}</option>
                        }
                    }).collect_view())}
                </select>
            </label>
            <span class="switcher-sep" aria-hidden="true">"/"</span>
            <label class="switcher-field">
                <span class="switcher-label">"Environment"</span>
                <select on:change=on_env_change data-testid="env-switcher" prop:value=move || env.with(|e| e.environment.clone())>
                    <For each=move || environments.get() key=|e| e.id.clone() let:choice>
                        {
                            let slug = choice.slug.clone();
                            view! { <option value=choice.slug.clone() selected=move || env.with(|e| e.environment == slug)>{choice.name.clone()}</option> }
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
