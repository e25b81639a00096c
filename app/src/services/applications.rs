//! Tenant › Applications: create an application (seeded exactly as sign-up seeds one), rename,
//! delete; per application create a blank environment, rename it, make it the default, delete it.
//! Account-tier operations, each one transaction ending in `audit::commit`, each refusing a
//! caller without `account.manage` (viewers, and API keys — keys never reach these).
//!
//! A deletion removes exactly what `*_impact` counts (the dialog shows it): environments with their
//! nodes, catalog, roles, assignments, API keys and invites, the application's memberships, and
//! identity sessions bound to it. Identities stay in the directory; audit events stay in the log.

use crate::error::{AppError, FieldError, Resource};
use crate::model::{
    ApplicationForm, ApplicationRef, DeletionImpact, EnvironmentForm, EnvironmentKind,
    EnvironmentRef, KeyEnvironment, KeyEnvironmentRef, KeyRef, NamedRef, Slug, SystemPermission,
    confirmation_error, confirms,
};
use crate::services::audit::{self, Event};
use crate::services::caller::Principal;
use crate::services::tenancy::{self, RootNode};
use crate::services::{Caller, Services};
use crate::store::{self, Tx, applications as store_a};

fn validation(error: FieldError) -> AppError {
    AppError::Validation {
        errors: vec![error],
    }
}

async fn application(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
) -> Result<store_a::ApplicationRow, AppError> {
    store_a::application(tx, caller.account_id(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Application,
        })
}

async fn environment(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
) -> Result<store_a::EnvironmentRow, AppError> {
    store_a::environment(tx, caller.account_id(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Environment,
        })
}

fn application_event(caller: &Caller, action: &'static str, app: &str, name: &str) -> Event {
    Event::new(caller.account_id(), &caller.actor(), action, "tenancy")
        .resource("application", app, name)
        .scope(Some(app), None)
}

fn environment_event(
    caller: &Caller,
    action: &'static str,
    env: &store_a::EnvironmentRow,
    name: &str,
) -> Event {
    Event::new(caller.account_id(), &caller.actor(), action, "tenancy")
        .resource("environment", &env.id, name)
        .scope(Some(&env.application_id), Some(&env.id))
}

/// Creates an application named `form.name` (slug derived, the next free one in the account),
/// with Development (default) and Production, each with its root node and the system catalog.
pub async fn create_application(
    s: &Services,
    caller: &Caller,
    form: &ApplicationForm,
) -> Result<ApplicationRef, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let name = form.validate().map_err(validation)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let taken = store_a::application_slugs(&mut tx, account_id).await?;
    let slug = Slug::first_free(&Slug::derive(name.as_str(), "app"), |c| {
        taken.iter().any(|t| t == c)
    })
    .to_string();
    let (account_name, account_slug) = store_a::account_names(&mut tx, account_id).await?;
    let seeded = tenancy::seed_application(
        s,
        &mut tx,
        account_id,
        &caller.actor(),
        name.as_str(),
        &slug,
        RootNode {
            name: &account_name,
            slug: &account_slug,
        },
        store::ms(s.now()),
    )
    .await?;
    let environments =
        store::workspace::environments_of(&mut tx, account_id, &seeded.application_id).await?;
    audit::commit(s, tx, seeded.events).await?;
    Ok(ApplicationRef {
        id: seeded.application_id,
        name: name.as_str().to_owned(),
        slug,
        environments,
    })
}

pub async fn rename_application(
    s: &Services,
    caller: &Caller,
    id: &str,
    form: &ApplicationForm,
) -> Result<(), AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let name = form.validate().map_err(validation)?;
    let mut tx = s.db.begin().await?;
    let app = application(&mut tx, caller, id).await?;
    if app.name == name.as_str() {
        return Ok(());
    }
    store_a::rename_application(
        &mut tx,
        caller.account_id(),
        id,
        name.as_str(),
        store::ms(s.now()),
    )
    .await?;
    let event = application_event(caller, "application.renamed", id, name.as_str()).metadata(
        serde_json::json!({ "before": { "name": app.name }, "after": { "name": name.as_str() } }),
    );
    audit::commit(s, tx, vec![event]).await
}

/// What deleting the application would remove (the confirmation dialog's list).
pub async fn application_impact(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<DeletionImpact, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let mut tx = s.db.begin().await?;
    application(&mut tx, caller, id).await?;
    let impact = store_a::application_impact(&mut tx, caller.account_id(), id).await?;
    tx.rollback().await?;
    Ok(impact)
}

/// Deletes the application when `confirm` is its name; refuses the account's last one. Answers
/// what was removed.
pub async fn delete_application(
    s: &Services,
    caller: &Caller,
    id: &str,
    confirm: &str,
) -> Result<DeletionImpact, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let app = application(&mut tx, caller, id).await?;
    if !confirms(confirm, &app.name) {
        return Err(validation(confirmation_error(&app.name)));
    }
    if store_a::count_applications(&mut tx, account_id).await? <= 1 {
        return Err(AppError::LastApplication);
    }
    let impact = store_a::application_impact(&mut tx, account_id, id).await?;
    store_a::delete_application(&mut tx, account_id, id).await?;
    let event = application_event(caller, "application.deleted", id, &app.name).metadata(
        serde_json::json!({ "slug": app.slug, "removed": impact, "before": { "name": app.name, "slug": app.slug } }),
    );
    audit::commit(s, tx, vec![event]).await?;
    Ok(impact)
}

/// Creates a blank environment in the application: root node and system catalog, flat model.
pub async fn create_environment(
    s: &Services,
    caller: &Caller,
    application_id: &str,
    form: &EnvironmentForm,
) -> Result<EnvironmentRef, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let name = form.validate().map_err(validation)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    application(&mut tx, caller, application_id).await?;
    let taken = store_a::environment_slugs(&mut tx, account_id, application_id).await?;
    let slug = Slug::first_free(&Slug::derive(name.as_str(), "env"), |c| {
        taken.iter().any(|t| t == c)
    })
    .to_string();
    let (account_name, account_slug) = store_a::account_names(&mut tx, account_id).await?;
    let (id, event) = tenancy::seed_environment(
        s,
        &mut tx,
        tenancy::NewEnvironment {
            account_id,
            application_id,
            name: name.as_str(),
            slug: &slug,
            kind: form.kind.as_str(),
            is_default: false,
            root: RootNode {
                name: &account_name,
                slug: &account_slug,
            },
            now_ms: store::ms(s.now()),
        },
        &caller.actor(),
    )
    .await?;
    audit::commit(s, tx, vec![event]).await?;
    Ok(EnvironmentRef {
        id,
        name: name.as_str().to_owned(),
        slug,
        kind: form.kind,
        is_default: false,
    })
}

/// Renames the environment and sets its kind; the slug (its URLs) stays.
pub async fn update_environment(
    s: &Services,
    caller: &Caller,
    id: &str,
    form: &EnvironmentForm,
) -> Result<(), AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let name = form.validate().map_err(validation)?;
    let mut tx = s.db.begin().await?;
    let env = environment(&mut tx, caller, id).await?;
    let kind = form.kind.as_str();
    if env.name == name.as_str() && env.kind == kind {
        return Ok(());
    }
    store_a::update_environment(
        &mut tx,
        caller.account_id(),
        id,
        name.as_str(),
        kind,
        store::ms(s.now()),
    )
    .await?;
    let event = environment_event(caller, "environment.updated", &env, name.as_str()).metadata(
        serde_json::json!({
            "before": { "name": env.name, "kind": env.kind },
            "after": { "name": name.as_str(), "kind": kind },
        }),
    );
    audit::commit(s, tx, vec![event]).await
}

/// Makes the environment its application's default (where admins and identities land).
pub async fn set_default_environment(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<(), AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let env = environment(&mut tx, caller, id).await?;
    let app = application(&mut tx, caller, &env.application_id).await?;
    if app.default_environment_id.as_deref() == Some(id) {
        return Ok(());
    }
    crate::store::accounts::set_default_environment(&mut tx, account_id, &app.id, id).await?;
    let event = environment_event(caller, "environment.default_changed", &env, &env.name).metadata(
        serde_json::json!({
            "before": { "default_environment_id": app.default_environment_id },
            "after": { "default_environment_id": id },
        }),
    );
    audit::commit(s, tx, vec![event]).await
}

pub async fn environment_impact(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<DeletionImpact, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let mut tx = s.db.begin().await?;
    environment(&mut tx, caller, id).await?;
    let impact = store_a::environment_impact(&mut tx, caller.account_id(), id).await?;
    tx.rollback().await?;
    Ok(impact)
}

/// Deletes the environment when `confirm` is its name; refuses the application's last one and
/// its default.
pub async fn delete_environment(
    s: &Services,
    caller: &Caller,
    id: &str,
    confirm: &str,
) -> Result<DeletionImpact, AppError> {
    caller.require(SystemPermission::AccountManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let env = environment(&mut tx, caller, id).await?;
    if !confirms(confirm, &env.name) {
        return Err(validation(confirmation_error(&env.name)));
    }
    if store_a::count_environments(&mut tx, account_id, &env.application_id).await? <= 1 {
        return Err(AppError::LastEnvironment);
    }
    let app = application(&mut tx, caller, &env.application_id).await?;
    if app.default_environment_id.as_deref() == Some(id) {
        return Err(AppError::DefaultEnvironment);
    }
    let impact = store_a::environment_impact(&mut tx, account_id, id).await?;
    store_a::delete_environment(&mut tx, account_id, id).await?;
    let event = environment_event(caller, "environment.deleted", &env, &env.name).metadata(
        serde_json::json!({ "slug": env.slug, "removed": impact, "before": { "name": env.name, "slug": env.slug, "kind": env.kind } }),
    );
    audit::commit(s, tx, vec![event]).await?;
    Ok(impact)
}

/// What an API key is bound to (`GET /api/v1/environment`). Any valid key may ask: it is the
/// key's own scope, not data of the environment, so it needs no management permission.
pub async fn key_environment(s: &Services, caller: &Caller) -> Result<KeyEnvironment, AppError> {
    let Principal::ApiKey { key_id, .. } = caller.principal() else {
        return Err(AppError::NotFound {
            resource: Resource::ApiKey,
        });
    };
    let env = caller.env()?;
    let reader = s.db.reader();
    let row =
        store::workspace::key_environment(reader, &env.account_id, key_id, &env.environment_id)
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Environment,
            })?;
    Ok(KeyEnvironment {
        account: NamedRef {
            id: env.account_id.clone(),
            name: row.account_name,
            slug: row.account_slug,
        },
        application: NamedRef {
            id: env.application_id.clone(),
            name: row.application_name,
            slug: row.application_slug,
        },
        environment: KeyEnvironmentRef {
            id: env.environment_id.clone(),
            name: row.environment_name,
            slug: row.environment_slug,
            kind: EnvironmentKind::parse(&row.environment_kind)
                .as_str()
                .to_owned(),
            is_default: row.is_default.into(),
        },
        api_key: KeyRef {
            id: key_id.clone(),
            name: row.key_name,
            key_preview: row.key_preview,
            scopes: serde_json::from_str(&row.key_scopes).unwrap_or_default(),
        },
    })
}
