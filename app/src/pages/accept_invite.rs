//! The hosted accept page, `/accept-invite?token=…`, for a signed-out person. Opening it only
//! reads the invite (`invite_info`): mail scanners and link previews that fetch it spend nothing.
//! The form decides by intent — `activate`: first and last name (pre-filled) and a new password;
//! `add_to_app`: the current password ("sign in to confirm"); `password_reset`: a new password —
//! and its submit spends the token. Expired, revoked, used and unknown links get a page that says
//! so and nothing more.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::components::password_check::CommonPasswordCheck;
use crate::error::AppError;
use crate::model::{AcceptInviteForm, AcceptedInvite, InviteInfo, InviteIntent};
use crate::pages::signup::focus_field;
use crate::server::invites::{accept_invite, load_invite_info};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let info = Resource::new(token, |token| async move {
        if token.trim().is_empty() {
            return Err(AppError::InviteInvalid);
        }
        load_invite_info(token).await
    });
    view! {
        <Title text="Accept invite" />
        // Belt and braces with the server's header: the tokenized URL is never sent as a referrer.
        <Meta name="referrer" content="no-referrer" />
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="accept-title" data-testid="accept-invite">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Arbor"</div>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your invite…"</p> }>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(info) => view! { <AcceptForm info token=token() /> }.into_any(),
                            Err(error) => view! { <Unusable error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

/// Why the link cannot be used, in words that say nothing about any account.
#[component]
fn Unusable(error: AppError) -> impl IntoView {
    let (title, text) = match &error {
        AppError::InviteExpired => (
            "This invite has expired",
            "Invite links work for 7 days. Ask the person who invited you to send a new one.",
        ),
        AppError::InviteRevoked => (
            "This invite was withdrawn",
            "Ask the person who invited you if you still need access.",
        ),
        AppError::InviteAlreadyAccepted => (
            "This invite was already accepted",
            "An invite link works once. Sign in with the password you chose.",
        ),
        AppError::InviteInvalid => (
            "This invite link is not valid",
            "It may be incomplete, or replaced by a newer invite. Use the latest link you received.",
        ),
        _ => (
            "We could not open this invite",
            "Please try again in a moment.",
        ),
    };
    view! {
        <h1 id="accept-title">{title}</h1>
        <p class="muted" data-testid="invite-unusable" data-code=error.code()>{text}</p>
    }
}

#[component]
fn Accepted(done: AcceptedInvite) -> impl IntoView {
    view! {
        <h1 id="accept-title">"You're all set"</h1>
        <p role="status" data-testid="invite-accepted">{done.message.clone()}</p>
        <a class="btn btn-primary btn-block" href=done.sign_in_path.clone() data-testid="go-sign-in">"Sign in"</a>
    }
}

#[component]
fn AcceptForm(info: InviteInfo, token: String) -> impl IntoView {
    // Owned here, with the form's action: the success view replaces the form's fields, never
    // the owner of the request that is finishing.
    let accepted = RwSignal::new(None::<AcceptedInvite>);
    let intent = info.intent;
    let first_name = RwSignal::new(info.first_name.clone());
    let last_name = RwSignal::new(info.last_name.clone());
    let password = RwSignal::new(String::new());
    let common = CommonPasswordCheck::new(password);
    let form = move || AcceptInviteForm {
        token: token.clone(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        password: password.get(),
    };
    let submission = use_form(move |submitted: AcceptInviteForm| async move {
        match accept_invite(submitted).await {
            Ok(done) => {
                accepted.set(Some(done));
                Ok(())
            }
            Err(error) => {
                if matches!(error, AppError::InvalidCredentials) {
                    password.set(String::new());
                }
                Err(error)
            }
        }
    });
    let form_for_errors = form.clone();
    let error_for = move |field: &'static str| {
        let form = form_for_errors.clone();
        submission.error_for(field, move |f| form().field_error(intent, f))
    };
    let password_error = {
        let own = error_for("password");
        Signal::derive(move || {
            own.get().or_else(|| {
                (intent != InviteIntent::AddToApp)
                    .then(|| common.error())
                    .flatten()
            })
        })
    };
    let busy = submission.busy_or_done();
    let form_for_submit = form.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        let submitted = form_for_submit();
        if let Err(errors) = submitted.validate(intent) {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };
    let place = info
        .app_name
        .clone()
        .unwrap_or_else(|| info.account_name.clone());
    let (title, lead, button) = match intent {
        InviteIntent::Activate => (
            format!("Join {place}"),
            "Check your name and choose a password to activate your account.".to_owned(),
            "Accept invite",
        ),
        InviteIntent::AddToApp => (
            format!("Join {place}"),
            format!(
                "You already have an account with {}. Sign in to confirm: enter your current password (it stays the same).",
                info.account_name
            ),
            "Confirm and join",
        ),
        InviteIntent::PasswordReset => (
            format!("Set your password for {place}"),
            "Choose a new password.".to_owned(),
            "Set password",
        ),
    };
    let on_blur = Callback::new(move |()| submission.touch());
    let password_blur = Callback::new(move |()| {
        submission.touch();
        if intent != InviteIntent::AddToApp {
            common.check();
        }
    });
    let form_view = view! {
        <h1 id="accept-title">{title}</h1>
        <p class="muted">
            {info.inviter_email.clone().map(|by| format!("{by} invited {}. ", info.email)).unwrap_or_else(|| format!("Invitation for {}. ", info.email))}
            {lead}
        </p>
        <FormAlert error=submission.general_error() testid="form-error" />
        <form on:submit=submit novalidate data-testid="accept-form" data-intent=intent.as_str()>
            {(intent == InviteIntent::Activate).then(|| view! {
                <TextField name="first_name" label="First name" autocomplete="given-name" value=first_name error=error_for("first_name") on_blur />
                <TextField name="last_name" label="Last name" autocomplete="family-name" value=last_name error=error_for("last_name") on_blur />
            })}
            {match intent {
                InviteIntent::AddToApp => view! {
                    <TextField name="password" label="Current password" input_type="password" autocomplete="current-password"
                        value=password error=password_error on_blur=password_blur revealable=true autofocus=true />
                }.into_any(),
                _ => view! {
                    <TextField name="password" label="New password" input_type="password" autocomplete="new-password"
                        value=password error=password_error on_blur=password_blur revealable=true
                        hint="8–64 characters. Not a common password." />
                }.into_any(),
            }}
            <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                {move || if busy.get() { "Working…" } else { button }}
            </button>
        </form>
    }
    .into_any();
    // The form stays mounted (hidden) once accepted, so nothing it owns is dropped mid-request.
    view! {
        {move || accepted.get().map(|done| view! { <Accepted done /> })}
        <div hidden=move || accepted.with(Option::is_some)>{form_view}</div>
    }
}
