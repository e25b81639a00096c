//! The browser entry point: hydrates the server-rendered page. Empty on other targets, so host
//! builds of the workspace never compile the `hydrate` side of `app`.

#![cfg(target_arch = "wasm32")]
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (split into chunks of their own), so hydration waits for the chunk of
    // the current page before it walks the server's HTML: `hydrate_body` would hydrate an empty
    // route and find nodes it did not expect.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Lets browser tests (and people) know the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
