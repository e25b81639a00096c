//! The Account-tier Create Identity dialog.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::initial_password::InitialPassword;
use crate::components::toast::use_toasts;
use crate::model::{DirectoryIdentityForm, EnvPath, parse_metadata_text};
use crate::server::directory::create_directory_identity;
use crate::server::workspace::load_workspace;
use leptos::prelude::*;

/// The Account-tier Create Identity: person, optional password, external id and metadata, and
/// optionally an application to admit the identity to. Never a role.
#[component]
pub fn CreateDirectoryIdentity(open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let applications = LocalResource::new(move || {
        let account = env.with(|e| e.account.clone());
        async move {
            load_workspace(account)
                .await
                .map(|w| w.applications)
                .unwrap_or_default()
        }
    });
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let require_change = RwSignal::new(true);
    let external_id = RwSignal::new(String::new());
    let metadata_text = RwSignal::new(String::new());
    let application = RwSignal::new(String::new());
    // The editor's text goes through the same metadata rule; bad JSON is a field error here.
    let metadata = move || parse_metadata_text(&metadata_text.get());
    let form = move || DirectoryIdentityForm {
        email: email.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        password: Some(password.get()),
        require_password_change: require_change.get(),
        external_id: Some(external_id.get()),
        metadata: metadata().ok().flatten(),
        application_id: Some(application.get()),
    };
    let submission = use_form(
        move |(account, form): (String, DirectoryIdentityForm)| async move {
            let identity = create_directory_identity(account, form).await?;
            let link =
                env.with_untracked(|e| format!("{}?identity={}", e.href("directory"), identity.id));
            toasts.success_with_link(format!("Created {}.", identity.name()), "View", link);
            open.set(false);
            on_created.run(());
            Ok(())
        },
    );
    let busy = submission.busy();
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
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() || metadata().is_err() {
            return;
        }
        let account = env.with_untracked(|e| e.account.clone());
        submission.submit((account, form()));
    };
    view! {
        <form on:submit=submit novalidate data-testid="directory-form">
            <FormAlert error=submission.general_error() />
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email error=error_for("email") on_blur=Callback::new(move |_| submission.touch()) autofocus=true />
            <div class="field-pair">
                <TextField name="first_name" label="First name" autocomplete="off" value=first_name error=error_for("first_name") on_blur=Callback::new(move |_| submission.touch()) />
                <TextField name="last_name" label="Last name" autocomplete="off" value=last_name error=error_for("last_name") on_blur=Callback::new(move |_| submission.touch()) />
            </div>
            <InitialPassword password require_change error=error_for("password") on_blur=Callback::new(move |_| submission.touch()) />
            <TextField name="external_id" label="External id (optional)" autocomplete="off" value=external_id error=error_for("external_id")
                on_blur=Callback::new(move |_| submission.touch()) hint="Your HR or IdP id for this person; unique in the account." />
            <div class="field" class:field-invalid=move || metadata_error.get().is_some()>
                <label for="field-metadata">"Metadata (optional JSON object)"</label>
                <textarea id="field-metadata" rows="4" class="code" placeholder="{\"department\": \"Sales\"}"
                    prop:value=move || metadata_text.get() on:input=move |ev| metadata_text.set(event_target_value(&ev))
                    on:blur=move |_| submission.touch()
                    aria-invalid=move || metadata_error.get().is_some().to_string() data-testid="input-metadata"></textarea>
                <p class="field-error" role="alert" data-testid="error-metadata">{move || metadata_error.get().unwrap_or_default()}</p>
            </div>
            <div class="field">
                <label for="field-application">"Application (optional)"</label>
                <select id="field-application" on:change=move |ev| application.set(event_target_value(&ev)) data-testid="input-application">
                    <option value="">"None — directory only"</option>
                    {move || applications.get().unwrap_or_default().into_iter().map(|app| view! { <option value=app.id>{app.name}</option> }).collect_view()}
                </select>
                <p class="field-hint">"With an application the identity becomes its member now. Roles are given per environment, on Access Control › Identities."</p>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="submit-directory-identity">
                    {move || if busy.get() { "Creating…" } else { "Create Identity" }}
                </button>
            </div>
        </form>
    }
}
