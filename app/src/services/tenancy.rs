//! Accounts and what sign-up (or `arbor bootstrap`) seeds: the owner admin, the first
//! application, and its Development and Production environments, each with a root node and the
//! system permission catalog — all in one transaction.

use crate::error::AppError;
use crate::model::SystemPermission;
use crate::model::{Landing, Slug, ValidSignup};
use crate::services::Services;
use crate::services::audit::{self, Actor, Event};
use crate::store::{self, Tx, accounts, admins};

/// The failpoint between seeding the environments and committing.
pub const FAIL_AFTER_ENVIRONMENTS: &str = "signup.after_environments";

#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub admin_id: String,
    pub account_id: String,
    pub account_slug: String,
    pub application_slug: String,
    pub environment_slugs: Vec<String>,
    pub landing: Landing,
}

/// The environments every new application starts with: (name, slug, kind). The first is the
/// application's default.
const SEEDED_ENVIRONMENTS: [(&str, &str, &str); 2] = [
    ("Development", "development", "development"),
    ("Production", "production", "production"),
];

/// The root node type of the flat model; also the root type of the suggested hierarchy schema.
pub const ROOT_NODE_TYPE: &str = "organization";

/// Creates an account with its owner admin. Refuses an email that already has an admin.
pub async fn create_account(s: &Services, input: &ValidSignup) -> Result<CreatedAccount, AppError> {
    let password_hash = s.passwords.hash(input.password.expose().to_owned()).await?;
    // A concurrent sign-up can take the slug we picked between our read and our insert; the
    // whole transaction is then retried with the next free suffix.
    for _ in 0..5 {
        let mut tx = s.db.begin().await?;
        match seed_account(s, &mut tx, input, &password_hash).await? {
            Some(created) => {
                tx.commit().await?;
                tracing::info!(account = %created.account_slug, "account created");
                return Ok(created);
            }
            None => tx.rollback().await?,
        }
    }
    Err(AppError::internal(
        "signup",
        "could not find a free account slug",
    ))
}

/// `Ok(None)` means the account slug was taken concurrently: roll back and retry.
async fn seed_account(
    s: &Services,
    tx: &mut Tx,
    input: &ValidSignup,
    password_hash: &str,
) -> Result<Option<CreatedAccount>, AppError> {
    let now = s.now();
    let now_ms = store::ms(now);
    let correlation_id = s.new_id();

    if admins::email_exists(tx, input.email.as_str()).await? {
        return Err(AppError::AdminEmailTaken);
    }

    let account_id = s.new_id();
    let account_slug = free_account_slug(tx, input.account_name.as_str()).await?;
    if !accounts::insert_account(
        tx,
        &account_id,
        input.account_name.as_str(),
        &account_slug,
        now_ms,
    )
    .await?
    {
        return Ok(None);
    }

    let admin_id = s.new_id();
    let inserted = admins::insert(
        tx,
        admins::NewAdmin {
            id: &admin_id,
            email: input.email.as_str(),
            first_name: input.first_name.as_str(),
            last_name: input.last_name.as_str(),
            password_hash,
            now_ms,
        },
    )
    .await?;
    if !inserted {
        return Err(AppError::AdminEmailTaken);
    }
    admins::add_member(tx, &account_id, &admin_id, "owner", now_ms).await?;
    crate::services::admin_security::send_signup_verification(
        s,
        tx,
        &account_id,
        &admin_id,
        input.email.as_str(),
        input.first_name.as_str(),
    )
    .await?;

    let actor = Actor::Admin {
        id: admin_id.clone(),
        label: input.email.to_string(),
    };
    let mut events = vec![
        Event::new(&account_id, &actor, "account.created", "tenancy").resource(
            "account",
            &account_id,
            input.account_name.as_str(),
        ),
        Event::new(&account_id, &actor, "admin_user.created", "admin_user")
            .resource("admin_user", &admin_id, input.email.as_str())
            .metadata(serde_json::json!({ "role": "owner" })),
    ];

    // The account's first application: only reserved slugs are in the way.
    let application_slug = Slug::first_free(
        &Slug::derive(input.application_name.as_str(), "app"),
        |_| false,
    )
    .to_string();
    let root = RootNode {
        name: input.account_name.as_str(),
        slug: &account_slug,
    };
    let seeded = seed_application(
        s,
        tx,
        &account_id,
        &actor,
        input.application_name.as_str(),
        &application_slug,
        root,
        now_ms,
    )
    .await?;
    events.extend(seeded.events);
    let environment_slugs = seeded.environment_slugs;

    s.failpoints.check(FAIL_AFTER_ENVIRONMENTS)?;

    for event in events {
        audit::record(tx, s.new_id(), now, &correlation_id, event).await?;
    }

    let landing = Landing {
        account: account_slug.clone(),
        application: application_slug.clone(),
        environment: environment_slugs.first().cloned().unwrap_or_default(),
    };
    Ok(Some(CreatedAccount {
        admin_id,
        account_id,
        account_slug,
        application_slug,
        environment_slugs,
        landing,
    }))
}

/// What a new environment's root node is named after: the account.
#[derive(Debug, Clone, Copy)]
pub struct RootNode<'a> {
    pub name: &'a str,
    pub slug: &'a str,
}

/// An application as seeded: its id, its environments' slugs (the default first) and the audit
/// events of the seeding.
pub struct SeededApplication {
    pub application_id: String,
    pub environment_slugs: Vec<String>,
    pub events: Vec<Event>,
}

/// Seeds an application as sign-up does: the row, then Development (its default) and Production,
/// each seeded by `seed_environment`. Sign-up and Tenant › Applications both call this, so a
/// created application is exactly a signed-up one.
#[allow(clippy::too_many_arguments)]
pub async fn seed_application(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    actor: &Actor,
    name: &str,
    slug: &str,
    root: RootNode<'_>,
    now_ms: i64,
) -> Result<SeededApplication, AppError> {
    let application_id = s.new_id();
    accounts::insert_application(tx, account_id, &application_id, name, slug, now_ms).await?;
    let mut events = vec![
        Event::new(account_id, actor, "application.created", "tenancy")
            .resource("application", &application_id, name)
            .scope(Some(&application_id), None)
            .metadata(serde_json::json!({ "slug": slug })),
    ];
    let mut environment_slugs = Vec::new();
    for (index, (env_name, env_slug, kind)) in SEEDED_ENVIRONMENTS.iter().enumerate() {
        let seeded = seed_environment(
            s,
            tx,
            NewEnvironment {
                account_id,
                application_id: &application_id,
                name: env_name,
                slug: env_slug,
                kind,
                is_default: index == 0,
                root,
                now_ms,
            },
            actor,
        )
        .await?;
        events.push(seeded.1);
        environment_slugs.push((*env_slug).to_owned());
    }
    Ok(SeededApplication {
        application_id,
        environment_slugs,
        events,
    })
}

/// A blank environment to seed.
pub struct NewEnvironment<'a> {
    pub account_id: &'a str,
    pub application_id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub kind: &'a str,
    /// Makes it its application's default.
    pub is_default: bool,
    pub root: RootNode<'a>,
    pub now_ms: i64,
}

/// Seeds one blank environment: the row (flat access model), its root node and the system
/// permission catalog. Returns its id and its `environment.created` event.
pub async fn seed_environment(
    s: &Services,
    tx: &mut Tx,
    new: NewEnvironment<'_>,
    actor: &Actor,
) -> Result<(String, Event), AppError> {
    let NewEnvironment {
        account_id,
        application_id,
        name,
        slug,
        kind,
        is_default,
        root,
        now_ms,
    } = new;
    let settings = serde_json::json!({ "access_model": "flat", "hierarchy_schema": null });
    let environment_id = s.new_id();
    accounts::insert_environment(
        tx,
        accounts::NewEnvironment {
            account_id,
            application_id,
            id: &environment_id,
            name,
            slug,
            kind,
            settings: &settings,
            now_ms,
        },
    )
    .await?;
    if is_default {
        accounts::set_default_environment(tx, account_id, application_id, &environment_id).await?;
    }
    accounts::insert_root_node(
        tx,
        accounts::NewRootNode {
            account_id,
            environment_id: &environment_id,
            id: &s.new_id(),
            node_type: ROOT_NODE_TYPE,
            name: root.name,
            slug: root.slug,
            now_ms,
        },
    )
    .await?;
    for permission in environment_permissions() {
        accounts::insert_permission(
            tx,
            accounts::NewPermission {
                account_id,
                environment_id: &environment_id,
                id: s.new_id(),
                key: permission.key(),
                description: permission.description(),
                category: permission.category(),
                source: "system",
                now_ms,
            },
        )
        .await?;
    }
    let event = Event::new(account_id, actor, "environment.created", "tenancy")
        .resource("environment", &environment_id, name)
        .scope(Some(application_id), Some(&environment_id))
        .metadata(serde_json::json!({
            "slug": slug,
            "kind": kind,
            "system_permissions": environment_permissions().count(),
            "default": is_default,
        }));
    Ok((environment_id, event))
}

/// `acme`, or `acme-2`, `acme-3`, ... when taken or reserved (`api` becomes `api-2`).
async fn free_account_slug(tx: &mut Tx, name: &str) -> Result<String, AppError> {
    let base = Slug::derive(name, "account");
    let taken = accounts::slugs_like(tx, base.as_str()).await?;
    let slug = Slug::first_free(&base, |candidate| taken.iter().any(|t| t == candidate));
    Ok(slug.to_string())
}

/// The system permissions an environment's catalog holds: the Account-tier ones (the team, the
/// account's applications and settings) are not an environment's to grant.
fn environment_permissions() -> impl Iterator<Item = &'static SystemPermission> {
    SystemPermission::ALL
        .iter()
        .filter(|p| p.is_environment_scope())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_environment_slugs_are_not_reserved() {
        for (_, slug, _) in SEEDED_ENVIRONMENTS {
            assert!(!crate::model::is_reserved(slug), "{slug}");
        }
    }
}
