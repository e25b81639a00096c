//! Integrations › API Keys.

use crate::error::AppError;
use crate::model::{ApiKey, ApiKeyForm, CreatedApiKey, EnvPath};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "list_api_keys", input = Json)]
pub async fn list_api_keys(env: EnvPath) -> Result<Vec<ApiKey>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::api_keys::list(&s, &caller).await
}

/// The key itself is in the answer this once and never again.
#[server(endpoint = "create_api_key", input = Json)]
pub async fn create_api_key(env: EnvPath, form: ApiKeyForm) -> Result<CreatedApiKey, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::api_keys::create(&s, &caller, &form).await
}

#[server(endpoint = "revoke_api_key", input = Json)]
pub async fn revoke_api_key(env: EnvPath, id: String) -> Result<(), AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::api_keys::revoke(&s, &caller, &id).await
}
