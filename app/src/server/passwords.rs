//! The common-password check for forms that show it as the person types. The list lives only on
//! the server (it would add ~45 KB gzipped to the browser bundle); the same rule refuses such a
//! password again when the form is submitted.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The message to show when `password` is on the common-password list, else `None`. Open to
/// signed-out callers (sign-up needs it); it reads nothing and writes nothing.
#[server(endpoint = "password_too_common", input = Json)]
pub async fn password_too_common(password: String) -> Result<Option<String>, AppError> {
    Ok(crate::model::common_password_error("password", &password).map(|e| e.message))
}
