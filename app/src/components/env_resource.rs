//! A resource of the current environment: data a page loads for the environment in its URL,
//! loaded again when the admin switches environment or when the page reports a change.

use crate::error::AppError;
use crate::model::EnvPath;
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use std::future::Future;

/// The resource, and the callback that loads it again after a change.
pub fn env_resource<T, Fut>(
    load: impl Fn(EnvPath) -> Fut + Send + Sync + 'static,
) -> (Resource<Result<T, AppError>>, Callback<()>)
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    env_resource_by(|| (), move |env, ()| load(env))
}

/// [`env_resource`] that also depends on page state (a search, a filter, a page number).
pub fn env_resource_by<K, T, Fut>(
    key: impl Fn() -> K + Send + Sync + 'static,
    load: impl Fn(EnvPath, K) -> Fut + Send + Sync + 'static,
) -> (Resource<Result<T, AppError>>, Callback<()>)
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let env = expect_context::<Memo<EnvPath>>();
    let version = RwSignal::new(0u32);
    let resource = Resource::new(
        move || (env.get(), key(), version.get()),
        move |(env, key, _)| load(env, key),
    );
    (
        resource,
        Callback::new(move |_| version.update(|n| *n += 1)),
    )
}

/// Secondary data of the current environment, loaded in the browser only: used inside a page
/// that is already suspended, so the server and the hydrating browser agree on the first render.
pub fn env_local_resource<T, Fut>(
    load: impl Fn(EnvPath) -> Fut + 'static,
) -> (LocalResource<Result<T, AppError>>, Callback<()>)
where
    T: 'static,
    Fut: Future<Output = Result<T, AppError>> + 'static,
{
    // A snapshot: the components using this are created again when the environment changes.
    let env = expect_context::<Memo<EnvPath>>().get_untracked();
    let version = RwSignal::new(0u32);
    let resource = LocalResource::new(move || {
        version.track();
        load(env.clone())
    });
    (
        resource,
        Callback::new(move |_| version.update(|n| *n += 1)),
    )
}
