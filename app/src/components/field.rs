//! A labelled input with its inline error, wired for accessibility (`aria-invalid`,
//! `aria-describedby`) so errors are announced next to the field they belong to.

use crate::error::{AppError, FieldError};
use leptos::prelude::*;

/// What to show under `field`: the server's answer about that field if it gave one, otherwise —
/// once the form has been touched — the shared validation rule's message.
pub fn inline_error(
    field: &'static str,
    server_error: impl Into<Signal<Option<AppError>>>,
    touched: Signal<bool>,
    rule: impl Fn(&'static str) -> Option<FieldError> + Send + Sync + 'static,
) -> Signal<Option<String>> {
    let server_error = server_error.into();
    Signal::derive(move || {
        server_error
            .get()
            .and_then(|e| e.field_message(field))
            .or_else(|| {
                touched
                    .get()
                    .then(|| rule(field).map(|e| e.message))
                    .flatten()
            })
    })
}

#[component]
pub fn TextField(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// Called when the field loses focus: the form validates it then.
    #[prop(into)]
    on_blur: Callback<()>,
    #[prop(into, default = "text".to_owned())] input_type: String,
    #[prop(into, default = String::new())] autocomplete: String,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] autofocus: bool,
    /// For passwords: a Show/Hide button that reveals what was typed.
    #[prop(optional)]
    revealable: bool,
) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let shown_type = move || {
        if revealable && revealed.get() {
            "text".to_owned()
        } else {
            input_type.clone()
        }
    };
    let input_id = format!("field-{name}");
    let error_id = format!("{input_id}-error");
    let hint_id = format!("{input_id}-hint");
    let described_by = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=input_id.clone()>{label}</label>
            <div class="input-with-action">
            <input
                id=input_id.clone()
                name=name.clone()
                type=shown_type
                autocomplete=autocomplete
                autofocus=autofocus
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                // `try_`: a dialog that closes after a submit removes its focused input, which
                // fires one last blur after the callback's owner is gone.
                on:blur=move |_| { on_blur.try_run(()); }
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                data-testid=format!("input-{name}")
            />
            {revealable.then(|| view! {
                <button
                    type="button"
                    class="btn btn-ghost btn-small input-action"
                    aria-controls=input_id.clone()
                    aria-pressed=move || revealed.get().to_string()
                    on:click=move |_| revealed.update(|r| *r = !*r)
                >
                    {move || if revealed.get() { "Hide" } else { "Show" }}
                </button>
            })}
            </div>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=error_id data-testid=format!("error-{name}") role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}
