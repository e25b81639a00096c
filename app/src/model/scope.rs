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

impl EnvPath {
    /// The dashboard URL of `page` (e.g. `overview`, `roles?create=1`) in this environment.
    pub fn href(&self, page: &str) -> String {
        format!(
            "/{}/{}/{}/{page}",
            self.account, self.application, self.environment
        )
    }
}

/// An environment resolved to its ids (an API key carries one; an admin's `EnvPath` becomes one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvScope {
    pub account_id: String,
    pub application_id: String,
    pub environment_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn href_puts_the_page_after_the_three_slugs() {
        let env = EnvPath {
            account: "acme".into(),
            application: "billing".into(),
            environment: "staging".into(),
        };
        assert_eq!(env.href("overview"), "/acme/billing/staging/overview");
        assert_eq!(
            env.href("roles?create=1"),
            "/acme/billing/staging/roles?create=1"
        );
    }
}
