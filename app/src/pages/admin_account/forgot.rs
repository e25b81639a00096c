//! `/signin/forgot`: an admin asks for a reset link. The answer is the same for every email.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::model::{AdminForgotForm, AuthMessage};
use crate::pages::identity::HostedCard;
use crate::pages::signup::focus_field;
use crate::server::admin_security::admin_forgot_password;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminForgotPassword() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<AuthMessage>);
    let submission = use_form(move |form: AdminForgotForm| async move {
        sent.set(Some(admin_forgot_password(form).await?));
        Ok(())
    });
    let form = Memo::new(move |_| AdminForgotForm { email: email.get() });
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form.get().field_error(f));
    let busy = submission.busy();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        let submitted = form.get_untracked();
        if let Err(errors) = submitted.validate() {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };
    view! {
        <Title text="Forgot password" />
        <HostedCard title="Forgot your password?">
            {move || match sent.get() {
                Some(message) => view! {
                    <div class="alert alert-success" role="status" data-testid="forgot-sent">{message.message}</div>
                }.into_any(),
                None => view! {
                    <p class="muted">"Enter the email you sign in with. If it belongs to an admin, we email a link to choose a new password."</p>
                    <FormAlert error=submission.general_error() testid="form-error" />
                    <form on:submit=on_submit novalidate>
                        <TextField name="email" label="Email" input_type="email" value=email error=error_for("email") on_blur=Callback::new(move |_| submission.touch()) autocomplete="username" autofocus=true />
                        <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                            {move || if busy.get() { "Sending…" } else { "Email me a link" }}
                        </button>
                    </form>
                }.into_any(),
            }}
            <p class="auth-switch"><a href="/signin">"Back to sign in"</a></p>
        </HostedCard>
    }
}
