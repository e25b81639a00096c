use crate::components::states::{ErrorPanel, Loading};
use crate::model::EnvPath;
use crate::server::auth::current_landing;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `/`: the dashboard where the admin left off, or the sign-in page.
#[component]
pub fn Home() -> impl IntoView {
    let landing = Resource::new(|| (), |_| current_landing());
    view! {
        <Suspense fallback=|| view! { <main class="centered"><Loading /></main> }>
            {move || Suspend::new(async move {
                match landing.await {
                    Ok(Some(landing)) => view! { <Redirect path=landing.overview_path() /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/signin" /> }.into_any(),
                    Err(error) => view! { <main class="centered"><ErrorPanel error /></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/{account}/{app}/{env}`: the environment's overview.
#[component]
pub fn ToOverview() -> impl IntoView {
    let href = expect_context::<Memo<EnvPath>>().with_untracked(|e| e.href("overview"));
    view! { <Redirect path=href /> }
}
