//! `/signup/verify?token=…`: opening it only checks the link; the button spends the token (mail
//! scanners open every link, and must not confirm an address for its owner). Works signed out.

use super::dead_link;
use crate::components::form::{FormAlert, use_form};
use crate::components::states::Loading;
use crate::pages::identity::HostedCard;
use crate::pages::identity::reset::DeadLink;
use crate::server::admin_security::{admin_verification_link_preview, verify_admin_email};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminVerifyEmail() -> impl IntoView {
    let query = use_query_map();
    let token = StoredValue::new(query.with_untracked(|q| q.get("token").unwrap_or_default()));
    let preview = Resource::new(
        || (),
        move |_| admin_verification_link_preview(token.get_value()),
    );
    let done = RwSignal::new(None::<String>);
    let submission = use_form(move |token: String| async move {
        done.set(Some(verify_admin_email(token).await?.message));
        Ok(())
    });
    let busy = submission.busy();
    let dead = move || dead_link(submission.error().get());
    view! {
        <Title text="Confirm your email" />
        <HostedCard title="Confirm your email">
            <Suspense fallback=|| view! { <Loading label="Checking your link…" /> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(error) => view! { <DeadLink error again_href="/signin" again="Go to sign in" /> }.into_any(),
                        Ok(found) => view! {
                            {move || if let Some(message) = done.get() {
                                view! {
                                    <div class="alert alert-success" role="status" data-testid="verify-done">{message}</div>
                                    <p class="auth-switch"><a href="/">"Continue to Arbor"</a></p>
                                }.into_any()
                            } else if let Some(error) = dead() {
                                view! { <DeadLink error again_href="/signin" again="Go to sign in" /> }.into_any()
                            } else {
                                view! {
                                    <p>"Confirm that " <strong>{found.email.clone()}</strong> " is your email address as an Arbor admin."</p>
                                    <FormAlert error=submission.general_error() testid="form-error" />
                                    <button type="button" class="btn btn-primary btn-block" data-testid="submit"
                                        disabled=move || busy.get()
                                        on:click=move |_| submission.submit(token.get_value())>"Confirm my email"</button>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </HostedCard>
    }
}
