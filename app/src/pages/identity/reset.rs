//! `/reset-password?token=…`: opening it only checks the link (read-only: mail scanners open
//! every link); sending the form spends the token. Expired, used and forged links get a page
//! that says so.

use super::HostedCard;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::states::Loading;
use crate::error::AppError;
use crate::model::ResetPasswordForm;
use crate::pages::signup::focus_field;
use crate::server::identity_auth::{identity_reset_password, reset_link_preview};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The page for a link that cannot be used (shared with the verification page).
#[component]
pub fn DeadLink(
    error: AppError,
    #[prop(into)] again_href: String,
    #[prop(into)] again: String,
) -> impl IntoView {
    let title = match error {
        AppError::TokenExpired => "This link has expired",
        AppError::TokenUsed => "This link was already used",
        AppError::TokenInvalid => "This link is not valid",
        _ => "Something went wrong",
    };
    view! {
        <div class="alert alert-error" role="alert" data-testid="dead-link">
            <strong>{title}</strong>
            <p>{error.to_string()}</p>
        </div>
        <p class="auth-switch"><a href=again_href>{again}</a></p>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let query = use_query_map();
    let token = StoredValue::new(query.with_untracked(|q| q.get("token").unwrap_or_default()));
    let preview = Resource::new(|| (), move |_| reset_link_preview(token.get_value()));
    let password = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let submission = use_form(move |form: ResetPasswordForm| async move {
        done.set(Some(identity_reset_password(form).await?.message));
        Ok(())
    });
    let form = Memo::new(move |_| ResetPasswordForm {
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
    // A token that died while the page was open (used in another tab, expired) gets the same
    // page as one that was dead on arrival.
    let dead = move || {
        submission.error().get().filter(|e| {
            matches!(
                e,
                AppError::TokenExpired | AppError::TokenUsed | AppError::TokenInvalid
            )
        })
    };
    view! {
        <Title text="Choose a new password" />
        <HostedCard title="Choose a new password">
            <Suspense fallback=|| view! { <Loading label="Checking your link…" /> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(error) => view! { <DeadLink error again_href="/forgot-password" again="Ask for a new link" /> }.into_any(),
                        Ok(found) => view! {
                            {move || if let Some(message) = done.get() {
                                view! {
                                    <div class="alert alert-success" role="status" data-testid="reset-done">{message}</div>
                                    <p class="auth-switch"><a href="/login">"Sign in"</a></p>
                                }.into_any()
                            } else if let Some(error) = dead() {
                                view! { <DeadLink error again_href="/forgot-password" again="Ask for a new link" /> }.into_any()
                            } else {
                                view! {
                                    <p class="muted">"For " <strong>{found.email.clone()}</strong> " at " {found.account_name.clone()} ". 8 to 64 characters; a common password is refused."</p>
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
