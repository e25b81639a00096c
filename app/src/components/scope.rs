//! The environment the dashboard shows: the `EnvPath` of its URL, as one `Memo<EnvPath>` that
//! the dashboard layout provides and every page inside it reads with
//! `expect_context::<Memo<EnvPath>>()`.
//!
//! Read it untracked (`get_untracked`, `with_untracked`) in a component's setup code, in event
//! handlers and after an `.await`: a tracked read there warns in the console. Read it tracked
//! (`get`, `with`) only inside reactive closures and resource sources, which then follow the URL.

use crate::model::EnvPath;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Makes the environment in the URL the dashboard's context; for the dashboard layout only.
pub fn provide_env_in_scope() -> Memo<EnvPath> {
    let params = use_params_map();
    let env = Memo::new(move |_| {
        params.with(|p| EnvPath {
            account: p.get("account").unwrap_or_default(),
            application: p.get("application").unwrap_or_default(),
            environment: p.get("environment").unwrap_or_default(),
        })
    });
    provide_context(env);
    env
}

/// The page segment after `/{account}/{app}/{env}/`, so switching keeps the admin on it.
pub fn current_page(path: &str) -> String {
    path.split('/').skip(4).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_page_is_what_follows_the_environment() {
        assert_eq!(current_page("/acme/billing/staging/roles"), "roles");
        assert_eq!(current_page("/acme/billing/staging"), "");
        assert_eq!(
            current_page("/acme/billing/staging/directory/extra"),
            "directory/extra"
        );
    }
}
