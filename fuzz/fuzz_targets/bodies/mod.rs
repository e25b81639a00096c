//! What the body targets share: decoding as the JSON extractor does, and the shape every refusal
//! must have on the wire.

use app::error::{AppError, FieldError};
use serde::de::DeserializeOwned;

/// Decodes as the JSON extractor does; a refusal is a `request.malformed` answer.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    match serde_json::from_slice(body) {
        Ok(value) => Some(value),
        Err(e) => {
            answer(&AppError::BadRequest {
                detail: e.to_string(),
            });
            None
        }
    }
}

/// A refusal as the client gets it: a 4xx with a stable code, serialisable.
pub fn answer(error: &AppError) {
    assert!((400..500).contains(&error.status()), "{}", error.status());
    assert!(error.code().contains('.'), "{}", error.code());
    assert!(serde_json::to_vec(error).is_ok());
}

/// A validation refusal: it names what is wrong, and answers as any refusal does.
pub fn refuse(errors: Vec<FieldError>) {
    assert!(!errors.is_empty(), "a refusal names what is wrong");
    answer(&AppError::validation(errors));
}
