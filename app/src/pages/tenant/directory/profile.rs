//! The drawer's Profile tab: name and metadata, and the Account-wide status switch.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::identity_assignments::short_time;
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{EnvPath, IdentityDetail, IdentityStatus, ProfileForm, parse_metadata_text};
use crate::server::directory::{
    send_identity_password_reset, send_identity_verification, set_identity_status,
    update_identity_profile,
};
use leptos::prelude::*;
#[component]
pub fn ProfileTab(detail: IdentityDetail, changed: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let identity = StoredValue::new(detail.identity.clone());
    let first_name = RwSignal::new(detail.identity.first_name.clone());
    let last_name = RwSignal::new(detail.identity.last_name.clone());
    let metadata_text = RwSignal::new(
        detail
            .identity
            .metadata
            .as_ref()
            .and_then(|m| serde_json::to_string_pretty(m).ok())
            .unwrap_or_default(),
    );
    let confirm_off = RwSignal::new(false);
    let metadata = move || parse_metadata_text(&metadata_text.get());
    let form = move || ProfileForm {
        version: identity.with_value(|i| i.version),
        first_name: first_name.get(),
        last_name: last_name.get(),
        metadata: metadata().ok().flatten(),
    };
    let submission = use_form(
        move |(account, id, form): (String, String, ProfileForm)| async move {
            let saved = update_identity_profile(account, id, form).await?;
            toasts.success(format!("Saved {}", saved.name()));
            changed.run(());
            Ok(())
        },
    )
    .touched_from_start();
    let error_for = move |field: &'static str| {
        submission.error_for(field, move |f| {
            if f == "metadata"
                && let Err(e) = metadata()
            {
                return Some(e);
            }
            form().field_error(f)
        })
    };
    let metadata_error = error_for("metadata");
    let account = move || env.with_untracked(|e| e.account.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form().validate().is_err() || metadata().is_err() {
            return;
        }
        submission.submit((account(), identity.with_value(|i| i.id.clone()), form()));
    };
    let switching = use_operation(
        move |(account, id, active): (String, String, bool)| async move {
            let updated = set_identity_status(account, id, active).await?;
            toasts.success(if active {
                format!("{} is active again", updated.name())
            } else {
                format!("{} is deactivated everywhere", updated.name())
            });
            confirm_off.set(false);
            changed.run(());
            Ok(())
        },
    );
    let set_active = move |active: bool| {
        switching.submit((account(), identity.with_value(|i| i.id.clone()), active));
    };
    // The admin only learns that an email went out: the link's token never reaches the browser.
    let emailing = use_operation(
        move |(account, id, reset): (String, String, bool)| async move {
            let sent = if reset {
                send_identity_password_reset(account, id).await?
            } else {
                send_identity_verification(account, id).await?
            };
            toasts.success(sent.message);
            changed.run(());
            Ok(())
        },
    );
    let send = move |reset: bool| {
        emailing.submit((account(), identity.with_value(|i| i.id.clone()), reset));
    };
    let inactive = detail.identity.status == IdentityStatus::Inactive;
    view! {
        <form on:submit=save novalidate class="drawer-section">
            <FormAlert error=submission.general_error() />
            <div class="field-pair">
                <TextField name="first_name" label="First name" value=first_name error=error_for("first_name") on_blur=Callback::new(|_| ()) />
                <TextField name="last_name" label="Last name" value=last_name error=error_for("last_name") on_blur=Callback::new(|_| ()) />
            </div>
            <dl class="facts">
                <dt>"Email"</dt><dd>{detail.identity.email.clone()}</dd>
                <dt>"External id"</dt><dd>{detail.identity.external_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Password"</dt><dd>{if detail.identity.has_password { if detail.identity.password_change_required { "Set; must change at first sign-in" } else { "Set" } } else { "None yet" }}</dd>
                <dt>"Created"</dt><dd>{short_time(&detail.identity.created_at)}</dd>
            </dl>
            <div class="field" class:field-invalid=move || metadata_error.get().is_some()>
                <label for="profile-metadata">"Metadata (JSON object)"</label>
                <textarea id="profile-metadata" rows="4" class="code" prop:value=move || metadata_text.get()
                    on:input=move |ev| metadata_text.set(event_target_value(&ev)) data-testid="profile-metadata"></textarea>
                <p class="field-error" role="alert" data-testid="error-profile-metadata">{move || metadata_error.get().unwrap_or_default()}</p>
            </div>
            <button type="submit" class="btn btn-primary" disabled=viewer_disabled() title=read_only_title() data-testid="save-profile">"Save profile"</button>
        </form>
        <section class="drawer-section">
            <h4>"Sign-in"</h4>
            <p class="muted">"Email the identity a link: to choose a new password (1 hour; a pending identity becomes active), or to confirm its email address (24 hours)."</p>
            <div class="inline-actions">
                <button type="button" class="btn btn-secondary" disabled={let ro = viewer_disabled(); move || ro.get() || inactive || emailing.busy().get()} title=read_only_title()
                    on:click=move |_| send(true) data-testid="send-password-reset">"Send password reset"</button>
                <button type="button" class="btn btn-secondary" disabled={let ro = viewer_disabled(); move || ro.get() || emailing.busy().get()} title=read_only_title()
                    on:click=move |_| send(false) data-testid="send-verification">"Send verification email"</button>
            </div>
        </section>
        <section class="drawer-section danger-zone">
            <h4>"Account-wide status"</h4>
            {if inactive {
                view! {
                    <p class="muted">"Deactivated: shut out of every application. Memberships and roles are kept and apply again once reactivated."</p>
                    <button type="button" class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| set_active(true) data-testid="activate-identity">"Activate"</button>
                }.into_any()
            } else {
                view! {
                    <p class="muted">"Deactivating is the kill switch: the identity loses access in every application at once."</p>
                    <Show when=move || !confirm_off.get() fallback=move || view! {
                        <div class="confirm-inline" role="alert">
                            <p>"Deactivate " <strong>{identity.with_value(|i| i.name())}</strong> " everywhere?"</p>
                            <button type="button" class="btn btn-danger btn-small" on:click=move |_| set_active(false) data-testid="confirm-deactivate">"Deactivate"</button>
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirm_off.set(false)>"Cancel"</button>
                        </div>
                    }>
                        <button type="button" class="btn btn-secondary danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| confirm_off.set(true) data-testid="deactivate-identity">"Deactivate…"</button>
                    </Show>
                }.into_any()
            }}
        </section>
    }
}
