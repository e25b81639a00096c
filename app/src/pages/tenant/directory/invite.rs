//! The Account-tier Invite dialog (Tenant › Identities): the person and, optionally, the
//! application they join on acceptance. No role, no environment.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::toast::use_toasts;
use crate::model::{DirectoryInviteForm, EnvPath};
use crate::server::invites::invite_in_account;
use crate::server::workspace::load_workspace;
use leptos::prelude::*;

#[component]
pub fn InviteToAccount(open: RwSignal<bool>) -> impl IntoView {
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
    let application = RwSignal::new(String::new());
    let form = move || DirectoryInviteForm {
        email: email.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        application_id: Some(application.get()),
    };
    let submission = use_form(
        move |(account, form): (String, DirectoryInviteForm)| async move {
            let created = invite_in_account(account, form).await?;
            toasts.success(format!("Invite sent to {}.", created.invite.email));
            open.set(false);
            Ok(())
        },
    );
    let busy = submission.busy();
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form().field_error(f));
    let blur = Callback::new(move |_| submission.touch());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() {
            return;
        }
        let account = env.with_untracked(|e| e.account.clone());
        submission.submit((account, form()));
    };
    view! {
        <form on:submit=submit novalidate data-testid="directory-invite-form">
            <FormAlert error=submission.general_error() />
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email error=error_for("email") on_blur=blur autofocus=true />
            <div class="field-pair">
                <TextField name="first_name" label="First name" autocomplete="off" value=first_name error=error_for("first_name") on_blur=blur />
                <TextField name="last_name" label="Last name" autocomplete="off" value=last_name error=error_for("last_name") on_blur=blur />
            </div>
            <div class="field">
                <label for="field-invite-application">"Application (optional)"</label>
                <select id="field-invite-application" on:change=move |ev| application.set(event_target_value(&ev)) data-testid="invite-application">
                    <option value="">"None — directory only"</option>
                    {move || applications.get().unwrap_or_default().into_iter().map(|app| view! { <option value=app.id>{app.name}</option> }).collect_view()}
                </select>
                <p class="field-hint">"With an application they become its member when they accept. Roles are given per environment, on Access Control › Identities."</p>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="send-directory-invite">
                    {move || if busy.get() { "Sending…" } else { "Send Invite" }}
                </button>
            </div>
        </form>
    }
}
