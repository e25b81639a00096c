//! Integrations › API Keys: the environment's keys (preview, access, expiry, last use), revoke,
//! and the 3-step Create wizard — Details → Permissions → Review — ending on the one screen that
//! ever shows the key.

use crate::components::browser::copy_to_clipboard;
use crate::components::dialog::Dialog;
use crate::components::env_resource::env_resource;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::identity_assignments::short_time;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{
    ApiKey, ApiKeyForm, ApiKeyStatus, CreatedApiKey, EXPIRY_PRESETS, EnvPath, SystemPermission,
};
use crate::server::api_keys::{create_api_key, list_api_keys, revoke_api_key};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use std::collections::{BTreeMap, BTreeSet};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let (keys, changed) = env_resource(list_api_keys);
    let wizard_open = RwSignal::new(false);
    crate::components::deep_link::open_on_create_param("1", wizard_open);
    view! {
        <Title text="API Keys" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Integrations"</p>
                <h1>"API Keys"</h1>
                <p class="muted">"Keys let your backend call the REST API of this environment only. Send one in the "<code>"X-API-Key"</code>" header."</p>
            </div>
            <div class="page-actions">
                <A href=move || env.with(|e| e.href("api-reference")) attr:class="btn btn-secondary" attr:data-testid="open-api-reference">"API Reference"</A>
                <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| wizard_open.set(true) data-testid="open-create-key">"Create API Key"</button>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading API keys…" /> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state" data-testid="keys-empty">
                            <p><strong>"No API keys in this environment yet."</strong></p>
                            <p class="muted">"Create one for each backend or job that calls Arbor, with only the permissions it needs."</p>
                            <button class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| wizard_open.set(true)>"Create API Key"</button>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table data-testid="keys-table">
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Access"</th><th>"Expires"</th><th>"Last used"</th><th>"Created"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                <tbody>{list.into_iter().map(|key| view! { <KeyLine key changed /> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=wizard_open title="Create API Key" testid="key-wizard" wide=true>
            <CreateKeyWizard open=wizard_open on_created=changed />
        </Dialog>
    }
    .into_any()
}

#[component]
fn KeyLine(key: ApiKey, changed: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let confirming = RwSignal::new(false);
    let access = if key.scopes.is_empty() {
        "Full access".to_owned()
    } else {
        key.scopes.join(", ")
    };
    let (status_class, status) = match key.status {
        ApiKeyStatus::Active => ("pill status-active", "Active"),
        ApiKeyStatus::Expired => ("pill status-expired", "Expired"),
        ApiKeyStatus::Revoked => ("pill status-expired", "Revoked"),
    };
    let id = StoredValue::new(key.id.clone());
    let name = StoredValue::new(key.name.clone());
    let revoking = use_operation(move |env: EnvPath| async move {
        revoke_api_key(env, id.get_value()).await?;
        toasts.success(format!("Revoked {}", name.get_value()));
        changed.run(());
        Ok(())
    });
    let revoke = Callback::new(move |_: ()| {
        revoking.submit(env.get_untracked());
    });
    view! {
        <tr data-testid="key-row">
            <td><strong>{key.name.clone()}</strong><div class="muted small">{key.description.clone()}</div></td>
            <td><code data-testid="key-preview">{key.key_preview.clone()}</code></td>
            <td>{access}</td>
            <td>{key.expires_at.as_deref().map_or_else(|| "Never".to_owned(), short_time)}</td>
            <td>{key.last_used_at.as_deref().map_or_else(|| "Never used".to_owned(), short_time)}</td>
            <td>{short_time(&key.created_at)}</td>
            <td class="row-actions">
                <span class=status_class>{status}</span>
                {(key.status == ApiKeyStatus::Active).then(|| view! {
                    <Show when=move || confirming.get() fallback=move || view! {
                        <button type="button" class="btn btn-ghost btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| confirming.set(true) data-testid="revoke-key">"Revoke…"</button>
                    }>
                        <span class="confirm-inline-row">
                            "Revoke for good? Calls with it fail at once. "
                            <button type="button" class="btn btn-danger btn-small" on:click=move |_| revoke.run(()) data-testid="confirm-revoke">"Revoke"</button>
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    </Show>
                })}
            </td>
        </tr>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Details,
    Permissions,
    Review,
    Credentials,
}

#[component]
fn CreateKeyWizard(open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let step = RwSignal::new(Step::Details);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let preset = RwSignal::new("90d".to_owned());
    let custom_date = RwSignal::new(String::new());
    let scopes = RwSignal::new(BTreeSet::<String>::new());
    let created = RwSignal::new(None::<CreatedApiKey>);
    let expires = move || {
        if preset.get() == "custom" {
            custom_date.get()
        } else {
            preset.get()
        }
    };
    let form = move || ApiKeyForm {
        name: name.get(),
        description: description.get(),
        expires: expires(),
        scopes: scopes.get().into_iter().collect(),
    };
    let submission = use_form(move |(env, form): (EnvPath, ApiKeyForm)| async move {
        match create_api_key(env, form).await {
            Ok(key) => {
                created.set(Some(key));
                step.set(Step::Credentials);
                on_created.run(());
                Ok(())
            }
            Err(error) => {
                // A field problem belongs to the first step.
                if error.is_field_error() {
                    step.set(Step::Details);
                }
                Err(error)
            }
        }
    });
    let busy = submission.busy();
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let expires_error = error_for("expires");
    let details_ok =
        move || form().field_error("name").is_none() && form().field_error("expires").is_none();
    let next = move |_| {
        submission.touch();
        if details_ok() {
            step.set(Step::Permissions);
        }
    };
    let create = move |_| {
        submission.submit((env.get_untracked(), form()));
    };
    let mut groups: BTreeMap<&'static str, Vec<(&'static str, &'static str)>> = BTreeMap::new();
    for p in SystemPermission::ALL
        .iter()
        .filter(|p| p.is_environment_scope())
    {
        groups
            .entry(p.category())
            .or_default()
            .push((p.key(), p.description()));
    }
    let groups = StoredValue::new(groups);
    let steps = [
        (Step::Details, "Details"),
        (Step::Permissions, "Permissions"),
        (Step::Review, "Review"),
    ];
    view! {
        <ol class="wizard-steps" aria-label="Steps">
            {steps.into_iter().enumerate().map(|(i, (s, label))| view! {
                <li class:current=move || step.get() == s aria-current=move || (step.get() == s).then_some("step")>{format!("{} {label}", i + 1)}</li>
            }).collect_view()}
        </ol>
        <FormAlert error=submission.general_error() />
        {move || match step.get() {
            Step::Details => view! {
                <div data-testid="wizard-details">
                    <TextField name="name" label="Name" value=name error=error_for("name") on_blur=Callback::new(move |_| submission.touch()) autofocus=true
                        hint="Say where it is used, e.g. \"Billing backend (prod)\"." />
                    <TextField name="description" label="Description (optional)" value=description error=error_for("description") on_blur=Callback::new(|_| ()) />
                    <fieldset class="field radio-group">
                        <legend>"Expires"</legend>
                        {EXPIRY_PRESETS.iter().map(|(value, label)| view! {
                            <label class="radio">
                                <input type="radio" name="expires" value=*value prop:checked=move || preset.get() == *value
                                    on:change=move |_| preset.set((*value).to_owned()) data-testid=format!("expires-{value}") />
                                " " {*label}
                            </label>
                        }).collect_view()}
                        <label class="radio">
                            <input type="radio" name="expires" value="custom" prop:checked=move || preset.get() == "custom"
                                on:change=move |_| preset.set("custom".to_owned()) data-testid="expires-custom" />
                            " On a date"
                        </label>
                        {move || (preset.get() == "custom").then(|| view! {
                            <input type="date" aria-label="Expiration date" prop:value=move || custom_date.get()
                                on:input=move |ev| custom_date.set(event_target_value(&ev)) data-testid="expires-date" />
                        })}
                        <p class="field-error" role="alert" data-testid="error-expires">{move || expires_error.get().unwrap_or_default()}</p>
                    </fieldset>
                    <div class="dialog-actions">
                        <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button type="button" class="btn btn-primary" on:click=next data-testid="wizard-next">"Next"</button>
                    </div>
                </div>
            }.into_any(),
            Step::Permissions => view! {
                <div data-testid="wizard-permissions">
                    <p class="notice" role="status" data-testid="access-summary">{move || if scopes.with(BTreeSet::is_empty) {
                        "Nothing ticked: this key will have full access to this environment.".to_owned()
                    } else {
                        format!("This key will be able to use only the {} permission(s) ticked.", scopes.with(BTreeSet::len))
                    }}</p>
                    {groups.with_value(|groups| groups.iter().map(|(category, items)| view! {
                        <fieldset class="grid-group">
                            <legend>{*category}</legend>
                            {items.iter().map(|(key, help)| {
                                let key = *key;
                                view! {
                                    <label class="checkbox grid-item">
                                        <input type="checkbox" prop:checked=move || scopes.with(|s| s.contains(key))
                                            on:change=move |ev| { let on = event_target_checked(&ev); scopes.update(|s| { if on { s.insert(key.to_owned()); } else { s.remove(key); } }); }
                                            data-testid=format!("scope-{key}") />
                                        <code>{key}</code>
                                        <span class="muted small">{*help}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }).collect_view())}
                    <div class="dialog-actions">
                        <button type="button" class="btn btn-secondary" on:click=move |_| step.set(Step::Details)>"Back"</button>
                        <button type="button" class="btn btn-primary" on:click=move |_| step.set(Step::Review) data-testid="wizard-next">"Next"</button>
                    </div>
                </div>
            }.into_any(),
            Step::Review => view! {
                <div data-testid="wizard-review">
                    <dl class="facts">
                        <dt>"Name"</dt><dd>{name.get()}</dd>
                        <dt>"Description"</dt><dd>{move || { let d = description.get(); if d.trim().is_empty() { "—".to_owned() } else { d } }}</dd>
                        <dt>"Expires"</dt><dd>{move || { let e = expires(); EXPIRY_PRESETS.iter().find(|(v, _)| *v == e).map_or(e, |(_, label)| (*label).to_owned()) }}</dd>
                        <dt>"Access"</dt><dd data-testid="review-access">{move || if scopes.with(BTreeSet::is_empty) { "Full access to this environment".to_owned() } else { scopes.with(|s| s.iter().cloned().collect::<Vec<_>>().join(", ")) }}</dd>
                    </dl>
                    <div class="dialog-actions">
                        <button type="button" class="btn btn-secondary" on:click=move |_| step.set(Step::Permissions)>"Back"</button>
                        <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=create data-testid="wizard-create">
                            {move || if busy.get() { "Creating…" } else { "Create" }}
                        </button>
                    </div>
                </div>
            }.into_any(),
            Step::Credentials => view! { <Credentials created=created.get() open /> }.into_any(),
        }}
    }
}

/// Focusing the key selects all of it, ready to copy by hand.
fn select_all(ev: leptos::ev::FocusEvent) {
    event_target::<web_sys::HtmlInputElement>(&ev).select();
}

/// The only screen that shows the key.
#[component]
fn Credentials(created: Option<CreatedApiKey>, open: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let key = created.map(|c| c.key).unwrap_or_default();
    let copy_key = key.clone();
    view! {
        <div data-testid="wizard-credentials">
            <div class="alert alert-warning" role="alert">
                <strong>"Copy this key now."</strong>
                " It is shown only this once; Arbor keeps only a fingerprint of it, so nobody — not even you — can see it again. Lost keys are replaced, not recovered."
            </div>
            <div class="field">
                <label for="new-key">"Your API key"</label>
                <div class="input-with-action">
                    <input id="new-key" class="code" readonly prop:value=key.clone() data-testid="new-key"
                        on:focus=select_all />
                </div>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| { copy_to_clipboard(&copy_key); toasts.success("API key copied"); } data-testid="copy-key">"Copy"</button>
                <button type="button" class="btn btn-primary" on:click=move |_| open.set(false) data-testid="wizard-done">"Done"</button>
            </div>
        </div>
    }
}
