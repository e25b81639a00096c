//! Server functions: thin adapters that authenticate the caller, call one service, and map the
//! result. They are the dashboard's only way to the server (POST, JSON, typed `AppError`).

pub mod admin_security;
pub mod api_keys;
pub mod api_reference;
pub mod applications;
pub mod assignments;
pub mod audit_log;
pub mod auth;
pub mod catalog;
pub mod csv_import;
pub mod directory;
pub mod hierarchy;
pub mod identities;
pub mod identity_auth;
pub mod invites;
pub mod mail;
pub mod passwords;
pub mod team;
pub mod workspace;

#[cfg(feature = "ssr")]
pub(crate) mod context;
#[cfg(feature = "ssr")]
pub use context::session_token_in;
