//! The hosted accept page of an admin invite, `/accept-admin-invite?token=…`. Opening it only
//! reads the invite (`admin_invite_info`): mail scanners and link previews spend nothing. A new
//! admin chooses names and a password; an admin of another Account confirms with their current
//! password. Submitting spends the token, signs the admin in and goes on to the Account.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form};
use crate::error::AppError;
use crate::model::{AcceptAdminInviteForm, AdminInviteInfo, AdminPassword};
use crate::pages::signup::focus_field;
use crate::server::team::{accept_admin_invite, load_admin_invite_info};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn AcceptAdminInvitePage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let info = Resource::new(token, |token| async move {
        if token.trim().is_empty() {
            return Err(AppError::InviteInvalid);
        }
        load_admin_invite_info(token).await
    });
    view! {
        <Title text="Join the team" />
        // Belt and braces with the server's header: the tokenized URL is never sent as a referrer.
        <Meta name="referrer" content="no-referrer" />
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="accept-title" data-testid="accept-admin-invite">
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
            "An invite link works once. Sign in with your password.",
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
        <a class="btn btn-secondary btn-block" href="/signin">"Go to sign in"</a>
    }
}

#[component]
fn AcceptForm(info: AdminInviteInfo, token: String) -> impl IntoView {
    let existing = info.existing_admin;
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = move || AcceptAdminInviteForm {
        token: token.clone(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        password: password.get(),
    };
    let submission = use_form(move |submitted: AcceptAdminInviteForm| async move {
        match accept_admin_invite(submitted).await {
            Ok(done) => {
                // A full load: the new session's workspace replaces whatever this tab had.
                if let Some(window) = web_sys::window() {
                    let _ = window.location().set_href(&done.next);
                }
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
        submission.error_for(field, move |f| form().field_error(existing, f))
    };
    let busy = submission.busy_or_done();
    let form_for_submit = form.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        let submitted = form_for_submit();
        if let Err(errors) = submitted.check(existing) {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };
    let on_blur = Callback::new(move |()| submission.touch());
    let lead = if existing {
        format!(
            "You already have an Arbor admin account as {}. Enter its password to join {} (your password stays the same).",
            info.email, info.account_name
        )
    } else {
        "Enter your name and choose a password to create your admin account.".to_owned()
    };
    view! {
        <h1 id="accept-title">{format!("Join {}", info.account_name)}</h1>
        <p class="muted">
            {format!("{} invited {} as {}. ", info.inviter_email, info.email, info.role.label().to_lowercase())}
            {lead}
        </p>
        <FormAlert error=submission.general_error() testid="form-error" />
        <form on:submit=submit novalidate data-testid="accept-admin-form" data-existing=existing.to_string()>
            {(!existing).then(|| view! {
                <TextField name="first_name" label="First name" autocomplete="given-name" value=first_name error=error_for("first_name") on_blur autofocus=true />
                <TextField name="last_name" label="Last name" autocomplete="family-name" value=last_name error=error_for("last_name") on_blur />
            })}
            {if existing {
                view! {
                    <TextField name="password" label="Current password" input_type="password" autocomplete="current-password"
                        value=password error=error_for("password") on_blur revealable=true autofocus=true />
                }.into_any()
            } else {
                view! {
                    <TextField name="password" label="New password" input_type="password" autocomplete="new-password"
                        value=password error=error_for("password") on_blur revealable=true
                        hint=format!("{}–{} characters. Long passphrases are welcome; common passwords are refused.", AdminPassword::MIN_LEN, AdminPassword::MAX_LEN) />
                }.into_any()
            }}
            <button type="submit" class="btn btn-primary btn-block" disabled=move || busy.get() data-testid="submit">
                {move || if busy.get() { "Joining…" } else if existing { "Confirm and join" } else { "Create account and join" }}
            </button>
        </form>
    }
}
