//! The browser entry point: hydrates the server-rendered page. Empty on other targets, so host
//! builds of the workspace never compile the `hydrate` side of `app`.

#![cfg(target_arch = "wasm32")]
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets browser tests (and people) know the page is interactive.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
