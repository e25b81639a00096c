//! Integrations: how other systems reach an environment.

pub mod api_keys;
pub mod api_reference;
