//! Who is calling, where, and with which grants: the one input every service operation takes.
//!
//! A surface only *builds* a `Caller` — a server function from the admin's session and the page's
//! `EnvPath`, the REST `Key` extractor from an API key — and each operation authorises itself with
//! `caller.require(SystemPermission::…)`, so the rule of an operation is written once, beside it,
//! for every surface. An admin's account role becomes grants (owners and admins hold every
//! management permission, viewers the read-only ones); an API key holds its scopes (none = all).

use crate::error::{AppError, Resource};
use crate::model::{AccountRole, EnvPath, EnvScope, SystemPermission};
use crate::services::Services;
use crate::services::admin_auth::AdminPrincipal;
use crate::services::audit::{Actor, Event};
use crate::services::workspace::{account_scope, environment_scope};

/// Who acts.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A dashboard admin, with their role in the account acted on.
    Admin {
        admin: AdminPrincipal,
        role: AccountRole,
    },
    /// A request authenticated by an API key of one environment.
    ApiKey { key_id: String, label: String },
    /// The operator at the server's command line (`arbor api-key …`): trusted with everything,
    /// recorded as the system.
    Operator,
}

#[derive(Debug, Clone)]
enum Grants {
    All,
    Only(Vec<SystemPermission>),
}

impl Grants {
    fn holds(&self, permission: SystemPermission) -> bool {
        match self {
            Grants::All => true,
            Grants::Only(granted) => granted.contains(&permission),
        }
    }
}

/// The caller of one operation: principal, the account (and environment) it acts in, its grants.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    account_id: String,
    /// The environment, for environment-tier operations; `None` at the Account tier.
    env: Option<EnvScope>,
    grants: Grants,
}

/// Owners hold everything; admins everything but managing the team (so an admin cannot make
/// anyone, themselves included, an owner); viewers the reads (decisions.md › Team).
fn admin_grants(role: AccountRole) -> Grants {
    match role {
        AccountRole::Owner => Grants::All,
        AccountRole::Admin => Grants::Only(
            SystemPermission::ALL
                .iter()
                .copied()
                .filter(|p| *p != SystemPermission::AdminManage)
                .collect(),
        ),
        AccountRole::Viewer => Grants::Only(
            SystemPermission::ALL
                .iter()
                .copied()
                .filter(|p| p.is_read_only())
                .collect(),
        ),
    }
}

impl Caller {
    /// An admin acting in the environment of a dashboard URL; `NotFound` (never `Forbidden`) when
    /// the admin has no access to it, so existence does not leak.
    pub async fn admin_in_environment(
        s: &Services,
        admin: &AdminPrincipal,
        path: &EnvPath,
    ) -> Result<Caller, AppError> {
        let (scope, app, env) = environment_scope(
            s,
            admin,
            &path.account,
            &path.application,
            &path.environment,
        )
        .await?;
        Ok(Caller {
            grants: admin_grants(scope.role),
            principal: Principal::Admin {
                admin: admin.clone(),
                role: scope.role,
            },
            env: Some(EnvScope {
                account_id: scope.account.id.clone(),
                application_id: app.id,
                environment_id: env.id,
            }),
            account_id: scope.account.id,
        })
    }

    /// An admin acting on a whole account (Tenant pages: the directory, the applications).
    pub async fn admin_in_account(
        s: &Services,
        admin: &AdminPrincipal,
        account_slug: &str,
    ) -> Result<Caller, AppError> {
        let scope = account_scope(s, admin, account_slug).await?;
        Ok(Caller {
            grants: admin_grants(scope.role),
            principal: Principal::Admin {
                admin: admin.clone(),
                role: scope.role,
            },
            env: None,
            account_id: scope.account.id,
        })
    }

    /// An API key of `env`; `scopes` empty means full access in that environment.
    pub fn api_key(key_id: String, label: String, env: EnvScope, scopes: &[String]) -> Caller {
        let grants = if scopes.is_empty() {
            // Full access is the environment's: the Account's Team permissions are never a key's.
            Grants::Only(
                SystemPermission::ALL
                    .iter()
                    .copied()
                    .filter(|p| p.is_environment_scope())
                    .collect(),
            )
        } else {
            // Keys are validated against the catalog when created; a scope unknown to this
            // build grants nothing rather than failing every request.
            Grants::Only(
                scopes
                    .iter()
                    .filter_map(|s| SystemPermission::from_key(s))
                    .filter(|p| p.is_environment_scope())
                    .collect(),
            )
        };
        Caller {
            principal: Principal::ApiKey { key_id, label },
            account_id: env.account_id.clone(),
            env: Some(env),
            grants,
        }
    }

    /// The operator at the command line, acting in `env`.
    pub fn operator(env: EnvScope) -> Caller {
        Caller {
            principal: Principal::Operator,
            account_id: env.account_id.clone(),
            env: Some(env),
            grants: Grants::All,
        }
    }

    /// The operator at the command line, acting on a whole account (`arbor mail send-test`).
    pub fn operator_in_account(account_id: String) -> Caller {
        Caller {
            principal: Principal::Operator,
            account_id,
            env: None,
            grants: Grants::All,
        }
    }

    /// Whether the caller may do what `permission` covers; the error names the permission (a
    /// key's missing scope, or what an admin's role lacks).
    pub fn require(&self, permission: SystemPermission) -> Result<(), AppError> {
        if self.grants.holds(permission) {
            return Ok(());
        }
        let permission = permission.key().to_owned();
        // ASVS 16.3.2: every refused authorization is logged with who and what; the request's
        // span adds its id and path. Not audited: refusals are attacker-driven volume.
        let (principal, principal_id) = match &self.principal {
            Principal::Admin { admin, .. } => ("admin", admin.profile.id.as_str()),
            Principal::ApiKey { key_id, .. } => ("api_key", key_id.as_str()),
            Principal::Operator => ("operator", "operator"),
        };
        tracing::warn!(
            principal,
            principal_id,
            account_id = %self.account_id,
            permission = %permission,
            "authorization refused"
        );
        Err(match self.principal {
            Principal::ApiKey { .. } => AppError::ScopeMissing { scope: permission },
            Principal::Admin { .. } | Principal::Operator => AppError::Forbidden { permission },
        })
    }

    pub fn holds(&self, permission: SystemPermission) -> bool {
        self.grants.holds(permission)
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The signed-in admin, for operations that only make sense in the dashboard.
    pub fn admin(&self) -> Option<&AdminPrincipal> {
        match &self.principal {
            Principal::Admin { admin, .. } => Some(admin),
            Principal::ApiKey { .. } | Principal::Operator => None,
        }
    }

    /// Who acts, as a stable id: the admin's, the key's, or `operator` (what an idempotency record
    /// belongs to).
    pub fn principal_id(&self) -> &str {
        match &self.principal {
            Principal::Admin { admin, .. } => &admin.profile.id,
            Principal::ApiKey { key_id, .. } => key_id,
            Principal::Operator => "operator",
        }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The environment acted in; an environment-tier operation called at the Account tier is a
    /// programming error, reported as such rather than guessed.
    pub fn env(&self) -> Result<&EnvScope, AppError> {
        self.env.as_ref().ok_or(AppError::NotFound {
            resource: Resource::Environment,
        })
    }

    /// The environment the caller is bound to, if any (API keys, environment pages).
    pub fn env_scope(&self) -> Option<&EnvScope> {
        self.env.as_ref()
    }

    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::Admin { admin, .. } => admin.actor(),
            Principal::ApiKey { key_id, label } => Actor::ApiKey {
                id: key_id.clone(),
                label: label.clone(),
            },
            Principal::Operator => Actor::System,
        }
    }

    /// An audit event by this caller, in its environment when it has one.
    pub fn event(&self, action: &'static str, category: &'static str) -> Event {
        let event = Event::new(&self.account_id, &self.actor(), action, category);
        match &self.env {
            Some(env) => event.scope(Some(&env.application_id), Some(&env.environment_id)),
            None => event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> EnvScope {
        EnvScope {
            account_id: "acc".into(),
            application_id: "app".into(),
            environment_id: "env".into(),
        }
    }

    #[test]
    fn a_scoped_key_holds_its_scopes_only_and_names_what_it_lacks() {
        let key = Caller::api_key("k".into(), "k".into(), env(), &["role.read".into()]);
        assert!(key.require(SystemPermission::RoleRead).is_ok());
        assert_eq!(
            key.require(SystemPermission::RoleManage),
            Err(AppError::ScopeMissing {
                scope: "role.manage".into()
            })
        );
        let full = Caller::api_key("k".into(), "k".into(), env(), &[]);
        for p in SystemPermission::ALL {
            assert_eq!(full.require(*p).is_ok(), p.is_environment_scope(), "{p}");
        }
    }

    /// A writer the test reads back: what the subscriber printed.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_refusal_is_logged_with_who_and_what() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let key = Caller::api_key("key-7".into(), "k".into(), env(), &["role.read".into()]);
        tracing::subscriber::with_default(subscriber, || {
            assert!(key.require(SystemPermission::RoleRead).is_ok());
            assert!(key.require(SystemPermission::RoleManage).is_err());
        });
        let text = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|p| p.into_inner()))
            .into_owned();
        assert_eq!(text.matches("authorization refused").count(), 1, "{text}");
        for expected in [
            "WARN",
            "principal=\"api_key\"",
            "key-7",
            "account_id=acc",
            "permission=role.manage",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
    }

    #[test]
    fn viewers_read_but_change_nothing() {
        let grants = admin_grants(AccountRole::Viewer);
        for p in SystemPermission::ALL {
            assert_eq!(grants.holds(*p), p.is_read_only(), "{p}");
        }
        for p in SystemPermission::ALL {
            assert!(admin_grants(AccountRole::Owner).holds(*p));
            assert_eq!(
                admin_grants(AccountRole::Admin).holds(*p),
                *p != SystemPermission::AdminManage,
                "{p}"
            );
        }
    }
}
