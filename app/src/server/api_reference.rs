//! Integrations › API Reference: the generated OpenAPI document, as the page shows it.

use crate::error::AppError;
use crate::model::ApiReference;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// How the server hands its OpenAPI document (JSON text) to the dashboard: the document is built
/// in the `server` crate, from its handlers, which this crate cannot see.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
pub struct ApiDocument(pub fn() -> Result<&'static str, AppError>);

#[server(endpoint = "load_api_reference", input = Json)]
pub async fn load_api_reference() -> Result<ApiReference, AppError> {
    use super::context::*;
    require_admin().await?;
    let document = use_context::<ApiDocument>()
        .ok_or_else(|| AppError::internal("context", "API document missing"))?;
    let value: serde_json::Value =
        serde_json::from_str((document.0)()?).map_err(|e| AppError::internal("API document", e))?;
    Ok(ApiReference::from_document(&value))
}
