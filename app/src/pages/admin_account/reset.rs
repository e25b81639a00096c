//! `/signin/reset?token=…`: opening it only checks the link; sending the form spends the token,
//! sets the new password (the sign-up policy) and signs the admin out everywhere.

use super::dead_link;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::states::Loading;
use crate::model::AdminResetForm;
use crate::pages::identity::HostedCard;
use crate::pages::identity::reset::DeadLink;
use crate::pages::signup::focus_field;
use crate::server::admin_security::{admin_reset_link_preview, admin_reset_password};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminResetPassword() -> impl IntoView {
    let query = use_query_map();
    let token = StoredValue::new(query.with_untracked(|q| q.get("token").unwrap_or_default()));
    let preview = Resource::new(|| (), move |_| admin_reset_link_preview(token.get_value()));
    let password = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let submission = use_form(move |form: AdminResetForm| async move {
        done.set(Some(admin_reset_password(form).await?.message));
        Ok(())
    });
    let form = Memo::new(move |_| AdminResetForm {
        token: token.get_value(),
        password: password.get(),
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
    let dead = move || dead_link(submission.error().get());
    view! {
        <Title text="Choose a new password" />
        <HostedCard title="Choose a new password">
            <Suspense fallback=|| view! { <Loading label="Checking your link…" /> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(error) => view! { <DeadLink error again_href="/signin/forgot" again="Ask for a new link" /> }.into_any(),
                        Ok(found) => view! {
                            {move || if let Some(message) = done.get() {
                                view! {
                                    <div class="alert alert-success" role="status" data-testid="reset-done">{message}</div>
                                    <p class="auth-switch"><a href="/signin" data-testid="to-signin">"Sign in"</a></p>
                                }.into_any()
                            } else if let Some(error) = dead() {
                                view! { <DeadLink error again_href="/signin/forgot" again="Ask for a new link" /> }.into_any()
                            } else {
                                view! {
                                    <p class="muted">"For " <strong>{found.email.clone()}</strong> ". 8 to 128 characters; a common password is refused. Every session of this account is signed out."</p>
                                    <FormAlert error=submission.general_error() testid="form-error" />
                                    <form on:submit=on_submit novalidate>
                                        <TextField name="password" label="New password" input_type="password" value=password error=error_for("password") on_blur=Callback::new(move |_| submission.touch()) autocomplete="new-password" revealable=true />
                                        <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                                            {move || if busy.get() { "Saving…" } else { "Set new password" }}
                                        </button>
                                    </form>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </HostedCard>
    }
}
