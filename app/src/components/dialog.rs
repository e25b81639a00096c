//! A modal dialog on the native `<dialog>` element: the page behind is inert (focus stays
//! inside), Escape closes it, and focus returns to where it was when it closes.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// Opens and closes the dialog.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into, optional)] testid: String,
    /// Room for tables and side-by-side fields.
    #[prop(optional)]
    wide: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    let title_id = format!("dialog-title-{}", testid);
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    view! {
        <dialog
            node_ref=node
            class:dialog-wide=wide
            aria-labelledby=title_id.clone()
            data-testid=testid
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                open.set(false);
            }
        >
            <div class="dialog-header">
                <h2 id=title_id.clone()>{move || title.get()}</h2>
                <button type="button" class="btn btn-ghost btn-small" aria-label="Close" on:click=move |_| open.set(false)>"✕"</button>
            </div>
            <Show when=move || open.get()>{children()}</Show>
        </dialog>
    }
}
