//! `/forgot-password`: asks for a reset link. The answer is the same for every email.

use super::HostedCard;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::model::{AccountEmailForm, AuthMessage};
use crate::pages::signup::focus_field;
use crate::server::identity_auth::identity_forgot_password;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let query = use_query_map();
    let account = RwSignal::new(query.with_untracked(|q| q.get("account").unwrap_or_default()));
    let email = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<AuthMessage>);
    let submission = use_form(move |form: AccountEmailForm| async move {
        sent.set(Some(identity_forgot_password(form).await?));
        Ok(())
    });
    let form = Memo::new(move |_| AccountEmailForm {
        account_slug: account.get(),
        email: email.get(),
    });
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
    let login_href = move || {
        let slug = account.get();
        if slug.trim().is_empty() {
            "/login".to_owned()
        } else {
            format!("/login?account={}", slug.trim())
        }
    };
    view! {
        <Title text="Forgot password" />
        <HostedCard title="Forgot password">
            {move || match sent.get() {
                Some(message) => view! {
                    <div class="alert alert-success" role="status" data-testid="forgot-sent">{message.message}</div>
                }.into_any(),
                None => view! {
                    <p class="muted">"Enter your account and email. If they match, we email you a link to choose a new password."</p>
                    <FormAlert error=submission.general_error() testid="form-error" />
                    <form on:submit=on_submit novalidate>
                        <TextField name="account_slug" label="Account" value=account error=error_for("account_slug") on_blur=Callback::new(move |_| submission.touch()) autocomplete="organization" hint="As in your account's address, e.g. acme" />
                        <TextField name="email" label="Email" input_type="email" value=email error=error_for("email") on_blur=Callback::new(move |_| submission.touch()) autocomplete="username" />
                        <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                            {move || if busy.get() { "Sending…" } else { "Email me a link" }}
                        </button>
                    </form>
                }.into_any(),
            }}
            <p class="auth-switch"><a href=login_href>"Back to sign in"</a></p>
        </HostedCard>
    }
}
