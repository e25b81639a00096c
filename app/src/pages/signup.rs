//! Sign up: creates the account, its first application with Development and Production, and
//! signs the new owner in. Each field is checked when it loses focus, with the same rules the
//! server applies.

use crate::components::field::TextField;
use crate::components::form::use_form;
use crate::components::password_check::CommonPasswordCheck;
use crate::error::AppError;
use crate::model::{AdminPassword, SignupForm};
use crate::server::auth::sign_up;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use std::collections::HashSet;

#[component]
pub fn SignUp() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let account_name = RwSignal::new(String::new());
    let application_name = RwSignal::new(String::new());
    let touched = RwSignal::new(HashSet::<&'static str>::new());
    let navigate = use_navigate();

    let form = Memo::new(move |_| SignupForm {
        email: email.get(),
        password: password.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        account_name: account_name.get(),
        application_name: application_name.get(),
    });
    // A server-side field error (e.g. the email is taken) stays until that field changes.
    let server_form = RwSignal::new(None::<SignupForm>);
    let submission = use_form(move |submitted: SignupForm| {
        let navigate = navigate.clone();
        async move {
            match sign_up(submitted.clone()).await {
                Ok(landing) => {
                    navigate(&landing.overview_path(), Default::default());
                    Ok(())
                }
                Err(error) => {
                    server_form.set(Some(submitted));
                    if let AppError::AdminEmailTaken = error {
                        focus_field(Some("email"));
                    }
                    Err(error)
                }
            }
        }
    });
    let server_error = submission.error();
    let submitting = submission.busy_or_done();
    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            let current = form.get();
            if let (Some(err), Some(sent)) = (server_error.get(), server_form.get())
                && field_value(&sent, field) == field_value(&current, field)
                && let Some(message) = err.field_message(field)
            {
                return Some(message);
            }
            if touched.with(|t| t.contains(field)) {
                current.field_error(field).map(|e| e.message)
            } else {
                None
            }
        })
    };
    let blur = move |field: &'static str| {
        Callback::new(move |_| {
            touched.update(|t| {
                t.insert(field);
            })
        })
    };
    let common = CommonPasswordCheck::new(password);
    let password_error = {
        let local = error_for("password");
        Signal::derive(move || local.get().or_else(|| common.error()))
    };
    let password_blur = Callback::new(move |()| {
        blur("password").run(());
        common.check();
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.update(|t| t.extend(SignupForm::FIELDS));
        let submitted = form.get_untracked();
        if let Err(errors) = submitted.validate() {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };
    let page_error = move || {
        server_error
            .get()
            .filter(|e| !e.is_field_error())
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Create your account" />
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="signup-title">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Arbor"</div>
                <h1 id="signup-title">"Create your account"</h1>
                <p class="muted">"You get an account for your company, a first application, and two environments: Development and Production."</p>
                {move || page_error().map(|message| view! { <div class="alert alert-error" role="alert" data-testid="form-error">{message}</div> })}
                <form on:submit=on_submit novalidate>
                    <div class="field-row">
                        <TextField name="first_name" label="First name" value=first_name error=error_for("first_name") on_blur=blur("first_name") autocomplete="given-name" autofocus=true />
                        <TextField name="last_name" label="Last name" value=last_name error=error_for("last_name") on_blur=blur("last_name") autocomplete="family-name" />
                    </div>
                    <TextField name="email" label="Work email" input_type="email" value=email error=error_for("email") on_blur=blur("email") autocomplete="email" />
                    <TextField
                        name="password"
                        label="Password"
                        input_type="password"
                        value=password
                        error=password_error
                        on_blur=password_blur
                        autocomplete="new-password"
                        revealable=true
                        hint=format!("{}–{} characters. Long passphrases are welcome; common passwords are refused.", AdminPassword::MIN_LEN, AdminPassword::MAX_LEN)
                    />
                    <TextField name="account_name" label="Company name" value=account_name error=error_for("account_name") on_blur=blur("account_name") autocomplete="organization" hint="Your account is named after it." />
                    <TextField name="application_name" label="Application name" value=application_name error=error_for("application_name") on_blur=blur("application_name") hint="The first product you'll manage access for. You can add more later." />
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || submitting.get() data-testid="submit">
                        {move || if submitting.get() { "Creating your account…" } else { "Create account" }}
                    </button>
                </form>
                <p class="auth-switch">"Already have an account? " <a href="/signin">"Sign in"</a></p>
            </section>
        </main>
    }
}

fn field_value<'a>(form: &'a SignupForm, field: &str) -> &'a str {
    match field {
        "email" => &form.email,
        "password" => &form.password,
        "first_name" => &form.first_name,
        "last_name" => &form.last_name,
        "account_name" => &form.account_name,
        "application_name" => &form.application_name,
        _ => "",
    }
}

/// Moves keyboard focus to the first field that needs attention.
pub fn focus_field(field: Option<&str>) {
    let Some(field) = field else { return };
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("field-{field}")));
    if let Some(element) = element {
        use wasm_bindgen::JsCast;
        if let Ok(input) = element.dyn_into::<web_sys::HtmlElement>() {
            let _ = input.focus();
        }
    }
}
