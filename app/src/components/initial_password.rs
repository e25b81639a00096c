//! The optional "Initial password" of both Create Identity dialogs: the field (show/hide),
//! Generate, Copy, and "Require a new password at first sign-in".

use crate::components::browser::{copy_to_clipboard, generated_password};
use crate::components::field::TextField;
use crate::components::password_check::CommonPasswordCheck;
use crate::components::toast::use_toasts;
use leptos::prelude::*;

#[component]
pub fn InitialPassword(
    password: RwSignal<String>,
    require_change: RwSignal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] on_blur: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let common = CommonPasswordCheck::new(password);
    let error = Signal::derive(move || error.get().or_else(|| common.error()));
    let on_blur = Callback::new(move |()| {
        on_blur.try_run(());
        common.check();
    });
    let generate = move |_| {
        if let Some(generated) = generated_password() {
            password.set(generated);
        }
    };
    let copy = move |_| {
        copy_to_clipboard(&password.get_untracked());
        toasts.success("Password copied. Share it over a secure channel.");
    };
    let no_password = move || password.get().is_empty();
    view! {
        <TextField name="password" label="Initial password (optional)" input_type="password" autocomplete="new-password" value=password error
            on_blur revealable=true
            hint="8–64 characters. Without one the identity stays Pending until it sets a password." />
        <div class="inline-actions">
            <button type="button" class="btn btn-secondary btn-small" on:click=generate data-testid="generate-password">"Generate"</button>
            <button type="button" class="btn btn-secondary btn-small" disabled=no_password on:click=copy data-testid="copy-password">"Copy"</button>
        </div>
        <label class="checkbox checkbox-row" class:disabled=no_password>
            <input type="checkbox" prop:checked=move || require_change.get() disabled=no_password
                on:change=move |ev| require_change.set(event_target_checked(&ev)) data-testid="require-change" />
            " Require a new password at first sign-in"
        </label>
    }
}
