//! Sign in. Wrong email and wrong password get the same message.

use crate::components::field::TextField;
use crate::components::form::use_form;
use crate::model::{SignInForm, safe_next};
use crate::pages::signup::focus_field;
use crate::server::auth::sign_in;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn SignIn() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let attempted = RwSignal::new(false);
    let navigate = use_navigate();
    // The page the admin asked for while signed out (`/signin?next=…`), if it is on this site.
    let query = use_query_map();
    let next = move || {
        query.with_untracked(|q| q.get("next").and_then(|n| safe_next(&n).map(str::to_owned)))
    };
    let submission = use_form(move |submitted: SignInForm| {
        let navigate = navigate.clone();
        async move {
            match sign_in(submitted).await {
                Ok(landing) => {
                    let to = next().unwrap_or_else(|| landing.overview_path());
                    navigate(&to, Default::default());
                    Ok(())
                }
                Err(error) => {
                    password.set(String::new());
                    focus_field(Some("password"));
                    Err(error)
                }
            }
        }
    });
    let server_error = submission.error();
    let submitting = submission.busy_or_done();

    let form = Memo::new(move |_| SignInForm {
        email: email.get(),
        password: password.get(),
    });
    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            if !attempted.get() {
                return None;
            }
            form.get()
                .validate()
                .err()
                .and_then(|errors| errors.into_iter().find(|e| e.field == field))
                .map(|e| e.message)
        })
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        let submitted = form.get_untracked();
        if let Err(errors) = submitted.validate() {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };

    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="signin-title">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Arbor"</div>
                <h1 id="signin-title">"Sign in"</h1>
                {move || server_error.get().map(|e| view! { <div class="alert alert-error" role="alert" data-testid="form-error">{e.to_string()}</div> })}
                <form on:submit=on_submit novalidate>
                    <TextField name="email" label="Email" input_type="email" value=email error=error_for("email") on_blur=Callback::new(|_| ()) autocomplete="username" autofocus=true />
                    <TextField name="password" label="Password" input_type="password" value=password error=error_for("password") on_blur=Callback::new(|_| ()) autocomplete="current-password" revealable=true />
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || submitting.get() data-testid="submit">
                        {move || if submitting.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="auth-switch"><a href="/signin/forgot" data-testid="forgot-password">"Forgot password?"</a></p>
                <p class="auth-switch">"New to Arbor? " <a href="/signup">"Create an account"</a></p>
            </section>
        </main>
    }
}
