//! `/login`: an identity signs in to its account (`?account=` prefills it). Afterwards the page
//! says who is signed in to which application, with a Sign out button; an identity in several
//! applications picks one first. `?return_to=<path on this site>` continues there after signing
//! in — the hook a later OAuth 2.0 / OIDC authorize step uses (docs/decisions.md).

use super::HostedCard;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::model::{IdentityLoginForm, LoginAnswer, SelectApplicationForm, safe_next};
use crate::pages::signup::focus_field;
use crate::server::identity_auth::{
    identity_select_application, identity_sign_in, identity_sign_out,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn IdentityLogin() -> impl IntoView {
    let query = use_query_map();
    let account = RwSignal::new(query.with_untracked(|q| q.get("account").unwrap_or_default()));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let return_to = move || {
        query.with_untracked(|q| {
            q.get("return_to")
                .and_then(|n| safe_next(&n).map(str::to_owned))
        })
    };
    // The answer of the last sign-in: a session, or the applications to pick from.
    let answer = RwSignal::new(None::<LoginAnswer>);
    let signed_in = move || answer.get().filter(|a| !a.requires_application_selection);
    let choosing = move || answer.get().filter(|a| a.requires_application_selection);

    let finish = move |granted: LoginAnswer| {
        if !granted.requires_application_selection
            && let Some(to) = return_to()
            && let Some(window) = web_sys::window()
        {
            let _ = window.location().assign(&to);
        }
        answer.set(Some(granted));
    };
    let submission = use_form(move |form: IdentityLoginForm| async move {
        match identity_sign_in(form).await {
            Ok(granted) => {
                password.set(String::new());
                finish(granted);
                Ok(())
            }
            Err(error) => {
                password.set(String::new());
                focus_field(Some("password"));
                Err(error)
            }
        }
    });
    let form = Memo::new(move |_| IdentityLoginForm {
        account_slug: account.get(),
        email: email.get(),
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

    let selecting = use_form(
        move |(token, application_id): (String, String)| async move {
            let form = SelectApplicationForm {
                account_id: None,
                application_id,
            };
            finish(identity_select_application(token, form).await?);
            Ok(())
        },
    );
    let signing_out = use_form(move |token: String| async move {
        identity_sign_out(token).await?;
        answer.set(None);
        submission.clear_error();
        Ok(())
    });
    let forgot_href = move || {
        let slug = account.get();
        if slug.trim().is_empty() {
            "/forgot-password".to_owned()
        } else {
            format!("/forgot-password?account={}", slug.trim())
        }
    };

    view! {
        <Title text="Sign in" />
        <HostedCard title="Sign in">
            {move || if let Some(session) = signed_in() {
                let token = session.access_token.clone();
                let application = session.application.clone().map(|a| a.name).unwrap_or_default();
                view! {
                    <div class="alert alert-success" role="status" data-testid="signed-in">
                        "Signed in as " <strong>{session.identity.name()}</strong> " (" {session.identity.email.clone()} ") to " <strong>{application}</strong>
                    </div>
                    {session.password_change_required.then(|| view! {
                        <p class="muted" data-testid="password-change-required">"Your administrator asks you to choose a new password before you continue."</p>
                    })}
                    <FormAlert error=signing_out.error() />
                    <button type="button" class="btn btn-secondary btn-block" data-testid="sign-out"
                        disabled=move || signing_out.busy().get()
                        on:click=move |_| signing_out.submit(token.clone())>"Sign out"</button>
                }.into_any()
            } else if let Some(offer) = choosing() {
                let token = StoredValue::new(offer.access_token.clone());
                view! {
                    <p>"You can use several applications. Which one do you want to sign in to?"</p>
                    <FormAlert error=selecting.error() />
                    <ul class="choice-list" data-testid="application-choices">
                        {offer.applications.into_iter().map(|app| {
                            let id = app.id.clone();
                            view! {
                                <li><button type="button" class="btn btn-secondary btn-block"
                                    disabled=move || selecting.busy().get()
                                    on:click=move |_| selecting.submit((token.get_value(), id.clone()))>{app.name}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! {
                    <FormAlert error=submission.general_error() testid="form-error" />
                    <form on:submit=on_submit novalidate>
                        <TextField name="account_slug" label="Account" value=account error=error_for("account_slug") on_blur=Callback::new(move |_| submission.touch()) autocomplete="organization" hint="As in your account's address, e.g. acme" />
                        <TextField name="email" label="Email" input_type="email" value=email error=error_for("email") on_blur=Callback::new(move |_| submission.touch()) autocomplete="username" />
                        <TextField name="password" label="Password" input_type="password" value=password error=error_for("password") on_blur=Callback::new(|_| ()) autocomplete="current-password" revealable=true />
                        <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                            {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </form>
                    <p class="auth-switch"><a href=forgot_href data-testid="forgot-link">"Forgot password?"</a></p>
                }.into_any()
            }}
        </HostedCard>
    }
}
