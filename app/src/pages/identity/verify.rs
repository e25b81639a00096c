//! `/verify-email?token=…`: opening it only checks the link; the button spends the token (mail
//! scanners open every link, and must not verify an address for its owner).

use super::HostedCard;
use super::reset::DeadLink;
use crate::components::form::{FormAlert, use_form};
use crate::components::states::Loading;
use crate::error::AppError;
use crate::server::identity_auth::{identity_verify_email, verification_link_preview};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn VerifyEmail() -> impl IntoView {
    let query = use_query_map();
    let token = StoredValue::new(query.with_untracked(|q| q.get("token").unwrap_or_default()));
    let preview = Resource::new(|| (), move |_| verification_link_preview(token.get_value()));
    let done = RwSignal::new(None::<String>);
    let submission = use_form(move |token: String| async move {
        done.set(Some(identity_verify_email(token).await?.message));
        Ok(())
    });
    let busy = submission.busy();
    let dead = move || {
        submission.error().get().filter(|e| {
            matches!(
                e,
                AppError::TokenExpired | AppError::TokenUsed | AppError::TokenInvalid
            )
        })
    };
    view! {
        <Title text="Verify your email" />
        <HostedCard title="Verify your email">
            <Suspense fallback=|| view! { <Loading label="Checking your link…" /> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(error) => view! { <DeadLink error again_href="/login" again="Go to sign in" /> }.into_any(),
                        Ok(found) => view! {
                            {move || if let Some(message) = done.get() {
                                view! { <div class="alert alert-success" role="status" data-testid="verify-done">{message}</div> }.into_any()
                            } else if let Some(error) = dead() {
                                view! { <DeadLink error again_href="/login" again="Go to sign in" /> }.into_any()
                            } else {
                                view! {
                                    <p>"Confirm that " <strong>{found.email.clone()}</strong> " is your email address at " {found.account_name.clone()} "."</p>
                                    <FormAlert error=submission.general_error() testid="form-error" />
                                    <button type="button" class="btn btn-primary btn-block" data-testid="submit"
                                        disabled=move || busy.get()
                                        on:click=move |_| submission.submit(token.get_value())>"Verify my email"</button>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </HostedCard>
    }
}
