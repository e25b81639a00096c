//! The hosted identity pages (signed-out, outside the dashboard): sign-in, forgot password,
//! and the two pages opened from emailed links. They call the same operations as
//! `/v1/identity/auth/…`, through server functions.

pub mod forgot;
pub mod login;
pub mod reset;
pub mod verify;

use leptos::prelude::*;

/// The card every hosted page sits in.
#[component]
pub fn HostedCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="hosted-title">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Arbor"</div>
                <h1 id="hosted-title">{title}</h1>
                {children()}
            </section>
        </main>
    }
}
