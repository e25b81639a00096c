//! What a signed-in admin can see: their account, its applications and environments, where to
//! land, and the per-environment overview. Every read is scoped to an account the admin is a
//! member of; anything else is "not found", never "forbidden", so existence does not leak.

use crate::error::{AppError, Resource};
use crate::model::{
    AccountRef, AccountRole, ApplicationCard, ApplicationRef, EnvironmentCard, EnvironmentRef,
    Landing, Overview, Workspace,
};
use crate::services::Services;
use crate::services::admin_auth::AdminPrincipal;
use crate::store::{self, workspace as ws};

/// The account a request is about, after checking the admin belongs to it.
pub struct AccountScope {
    pub account: AccountRef,
    pub role: AccountRole,
}

pub async fn account_scope(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
) -> Result<AccountScope, AppError> {
    ws::memberships(s.db.reader(), &admin.profile.id)
        .await?
        .into_iter()
        .find(|m| m.account.slug == account_slug)
        .map(|m| AccountScope {
            account: m.account,
            role: m.role,
        })
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })
}

async fn applications_of(
    s: &Services,
    account: &AccountRef,
) -> Result<Vec<ApplicationRef>, AppError> {
    let apps = ws::applications(s.db.reader(), &account.id).await?;
    let envs = ws::environments(s.db.reader(), &account.id).await?;
    Ok(apps
        .into_iter()
        .map(|app| ApplicationRef {
            environments: envs
                .iter()
                .filter(|(app_id, _)| *app_id == app.id)
                .map(|(_, env)| env.clone())
                .collect(),
            id: app.id,
            name: app.name,
            slug: app.slug,
        })
        .collect())
}

pub async fn workspace(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
) -> Result<Workspace, AppError> {
    let memberships = ws::memberships(s.db.reader(), &admin.profile.id).await?;
    let scope = memberships
        .iter()
        .find(|m| m.account.slug == account_slug)
        .map(|m| AccountScope {
            account: m.account.clone(),
            role: m.role,
        })
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })?;
    let applications = applications_of(s, &scope.account).await?;
    Ok(Workspace {
        admin: admin.profile.clone(),
        email_verified: crate::services::admin_security::is_verified(s, &admin.profile.id).await?,
        role: scope.role,
        account: scope.account,
        accounts: memberships.into_iter().map(|m| m.account).collect(),
        applications,
    })
}

/// Where to send an admin after sign-in: the Account they last chose in the Account picker (else
/// their first), its first application, in the environment they last used there, else the
/// application's default.
pub async fn landing(s: &Services, admin: &AdminPrincipal) -> Result<Landing, AppError> {
    let last = crate::store::admins::last_account(s.db.reader(), &admin.profile.id).await?;
    let mut memberships = ws::memberships(s.db.reader(), &admin.profile.id).await?;
    let chosen = memberships
        .iter()
        .position(|m| Some(&m.account.id) == last.as_ref())
        .unwrap_or(0);
    if chosen >= memberships.len() {
        return Err(AppError::NotFound {
            resource: Resource::Account,
        });
    }
    let membership = memberships.swap_remove(chosen);
    account_landing(s, admin, membership).await
}

/// The Account picker: remembers the Account for the next sign-in and says where to go in it.
pub async fn switch_account(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
) -> Result<Landing, AppError> {
    let membership = ws::memberships(s.db.reader(), &admin.profile.id)
        .await?
        .into_iter()
        .find(|m| m.account.slug == account_slug)
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })?;
    // The admin's own UI state (like the remembered environment), not the tenant's: not audited.
    let mut tx = s.db.begin().await?;
    crate::store::admins::set_last_account(&mut tx, &admin.profile.id, &membership.account.id)
        .await?;
    tx.commit().await?;
    account_landing(s, admin, membership).await
}

async fn account_landing(
    s: &Services,
    admin: &AdminPrincipal,
    membership: ws::Membership,
) -> Result<Landing, AppError> {
    let applications = applications_of(s, &membership.account).await?;
    let app = applications.first().ok_or(AppError::NotFound {
        resource: Resource::Application,
    })?;
    let environment = resume_environment(s, admin, &membership.account, app).await?;
    Ok(Landing {
        account: membership.account.slug,
        application: app.slug.clone(),
        environment: environment.slug,
    })
}

/// The environment to open for `app`: the one last used, else the default.
pub async fn resume_environment(
    s: &Services,
    admin: &AdminPrincipal,
    account: &AccountRef,
    app: &ApplicationRef,
) -> Result<EnvironmentRef, AppError> {
    let last = ws::last_environment(s.db.reader(), &account.id, &admin.profile.id, &app.id).await?;
    last.and_then(|id| app.environments.iter().find(|e| e.id == id))
        .or_else(|| app.default_environment())
        .cloned()
        .ok_or(AppError::NotFound {
            resource: Resource::Environment,
        })
}

/// Resolves `/{account}/{app}/{env}` for this admin.
pub async fn environment_scope(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
    application_slug: &str,
    environment_slug: &str,
) -> Result<(AccountScope, ApplicationRef, EnvironmentRef), AppError> {
    let scope = account_scope(s, admin, account_slug).await?;
    let app = applications_of(s, &scope.account)
        .await?
        .into_iter()
        .find(|a| a.slug == application_slug)
        .ok_or(AppError::NotFound {
            resource: Resource::Application,
        })?;
    let env = app
        .environments
        .iter()
        .find(|e| e.slug == environment_slug)
        .cloned()
        .ok_or(AppError::NotFound {
            resource: Resource::Environment,
        })?;
    Ok((scope, app, env))
}

/// Remembers the environment the admin switched to, so the next sign-in resumes there. This is
/// UI state, not a change to the tenant's configuration, so it writes no audit event.
pub async fn remember_environment(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
    application_slug: &str,
    environment_slug: &str,
) -> Result<(), AppError> {
    let (scope, app, env) =
        environment_scope(s, admin, account_slug, application_slug, environment_slug).await?;
    let mut tx = s.db.begin().await?;
    ws::remember_environment(
        &mut tx,
        &scope.account.id,
        &admin.profile.id,
        &app.id,
        &env.id,
        store::ms(s.now()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn overview(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
    application_slug: &str,
    environment_slug: &str,
) -> Result<Overview, AppError> {
    let (scope, app, env) =
        environment_scope(s, admin, account_slug, application_slug, environment_slug).await?;
    let counts = ws::counts(
        s.db.reader(),
        &scope.account.id,
        &app.id,
        &env.id,
        crate::store::ms(s.now()),
    )
    .await?;
    Ok(Overview {
        environment: env,
        counts,
    })
}

pub async fn application_cards(
    s: &Services,
    admin: &AdminPrincipal,
    account_slug: &str,
) -> Result<Vec<ApplicationCard>, AppError> {
    let scope = account_scope(s, admin, account_slug).await?;
    let created = ws::applications(s.db.reader(), &scope.account.id).await?;
    let mut cards = Vec::new();
    for app in applications_of(s, &scope.account).await? {
        let mut environments = Vec::new();
        for env in &app.environments {
            let counts = ws::counts(
                s.db.reader(),
                &scope.account.id,
                &app.id,
                &env.id,
                crate::store::ms(s.now()),
            )
            .await?;
            environments.push(EnvironmentCard {
                environment: env.clone(),
                counts,
            });
        }
        let created_at = created
            .iter()
            .find(|row| row.id == app.id)
            .map(|row| store::rfc3339(row.created_at_ms))
            .unwrap_or_default();
        cards.push(ApplicationCard {
            id: app.id,
            name: app.name,
            slug: app.slug,
            created_at,
            environments,
        });
    }
    Ok(cards)
}
