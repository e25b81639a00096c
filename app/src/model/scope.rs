//! "An environment in scope", in its two forms: the slugs of a dashboard URL (`EnvPath`), and the
//! ids they resolve to once the caller's access is checked (`EnvScope`). Every environment-tier
//! operation works on an `EnvScope`; only a `Caller` makes one from an `EnvPath`.

use serde::{Deserialize, Serialize};

/// The workspace part of a dashboard URL: which environment a request is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvPath {
    pub account: String,
    pub application: String,
    pub environment: String,
}

/// An environment resolved to its ids (an API key carries one; an admin's `EnvPath` becomes one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvScope {
    pub account_id: String,
    pub application_id: String,
    pub environment_id: String,
}
