//! Tenant › Identities: the Account directory. Create (with an optional application
//! membership, never a role), list with counts, filters and sort, and one identity's profile,
//! Account-wide status (the kill switch), memberships and history.

use crate::error::{AppError, Resource};
use crate::model::{
    AccountRole, DirectoryIdentityForm, DirectoryQuery, DirectoryRow, DirectorySummary, Identity,
    IdentityDetail, Page, ProfileForm,
};
use crate::services::Services;
use crate::services::admin_auth::AdminPrincipal;
use crate::services::assignments::assignment_at;
use crate::services::audit::{self, Actor, Event};
use crate::services::workspace::{AccountScope, account_scope};
use crate::store::{self, Tx, directory as store_d, identities as store_i};

pub const PER_PAGE: i64 = 25;
const HISTORY: i64 = 50;

async fn writable(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
) -> Result<AccountScope, AppError> {
    let scope = account_scope(s, admin, account).await?;
    match scope.role {
        AccountRole::Owner | AccountRole::Admin => Ok(scope),
        AccountRole::Viewer => Err(AppError::Forbidden),
    }
}

fn event(
    scope: &AccountScope,
    admin: &AdminPrincipal,
    action: &'static str,
    identity: &Identity,
) -> Event {
    Event::new(&scope.account.id, &admin.actor(), action, "identity").resource(
        "identity",
        &identity.id,
        &identity.email,
    )
}

async fn existing(tx: &mut Tx, account_id: &str, id: &str) -> Result<Identity, AppError> {
    store_i::by_id(&mut **tx, account_id, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Identity,
        })
}

async fn application_of_account(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<(), AppError> {
    if store_i::application_exists(tx, account_id, application_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound {
            resource: Resource::Application,
        })
    }
}

pub async fn summary(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
) -> Result<DirectorySummary, AppError> {
    let scope = account_scope(s, admin, account).await?;
    store_d::summary(s.db.reader(), &scope.account.id).await
}

pub async fn list(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    query: &DirectoryQuery,
) -> Result<Page<DirectoryRow>, AppError> {
    let scope = account_scope(s, admin, account).await?;
    let page = query.page.max(1);
    let (items, total) = store_d::page(
        s.db.reader(),
        &scope.account.id,
        query,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    Ok(Page {
        items,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// Create Identity (Account-tier): the directory row and, with an application, its active
/// membership — one transaction. A duplicate email in the account → `identities.email_taken`.
pub async fn create(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    form: &DirectoryIdentityForm,
) -> Result<Identity, AppError> {
    let (valid, application_id) = form.validate().map_err(AppError::identity_input)?;
    let scope = writable(s, admin, account).await?;
    let account_id = scope.account.id.clone();
    let password_hash = s.passwords.hash_initial(valid.password.as_ref()).await?;
    let mut tx = s.db.begin().await?;
    if let Some(app) = &application_id {
        application_of_account(&mut tx, &account_id, app).await?;
    }
    let id = s.new_id();
    let now_ms = store::ms(s.now());
    store_i::insert(
        &mut tx,
        &account_id,
        store_i::NewIdentity::from_valid(&id, &valid, password_hash.as_deref(), now_ms),
    )
    .await?;
    let identity = existing(&mut tx, &account_id, &id).await?;
    let mut events =
        vec![event(&scope, admin, "identity.created", &identity).metadata(
        serde_json::json!({ "with_password": password_hash.is_some(), "surface": "directory" }),
    )];
    if let Some(app) = &application_id {
        let membership_id =
            store_i::activate_membership(&mut tx, &account_id, app, &id, &s.new_id(), now_ms)
                .await?
                .ok_or(AppError::AlreadyMember)?;
        events.push(
            Event::new(
                &account_id,
                &admin.actor(),
                "membership.activated",
                "identity",
            )
            .scope(Some(app), None)
            .resource("app_membership", &membership_id, &identity.email)
            .metadata(serde_json::json!({ "identity_id": id })),
        );
    }
    audit::commit(s, tx, events).await?;
    Ok(identity)
}

pub async fn detail(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    id: &str,
) -> Result<IdentityDetail, AppError> {
    let scope = account_scope(s, admin, account).await?;
    let account_id = &scope.account.id;
    let reader = s.db.reader();
    let identity = store_i::by_id(reader, account_id, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Identity,
        })?;
    let now = s.now();
    let assignments = store_d::assignments_everywhere(reader, account_id, id)
        .await?
        .into_iter()
        .map(|(application_id, environment_id, environment_name, row)| {
            (
                environment_name,
                assignment_at(now, application_id, environment_id, row),
            )
        })
        .collect();
    Ok(IdentityDetail {
        memberships: store_d::memberships(reader, account_id, id).await?,
        assignments,
        history: store_d::history(reader, account_id, id, HISTORY).await?,
        identity,
    })
}

/// Edit names and metadata (`metadata: None` clears it), checking `version`.
pub async fn update_profile(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    id: &str,
    form: &ProfileForm,
) -> Result<Identity, AppError> {
    form.validate().map_err(AppError::validation)?;
    let scope = writable(s, admin, account).await?;
    update_profile_in(s, &admin.actor(), &scope.account.id, id, form).await
}

/// `update_profile` by any actor in a known account (the REST API calls this).
pub async fn update_profile_in(
    s: &Services,
    actor: &Actor,
    account_id: &str,
    id: &str,
    form: &ProfileForm,
) -> Result<Identity, AppError> {
    let (first, last, metadata) = form.validate().map_err(AppError::validation)?;
    let mut tx = s.db.begin().await?;
    existing(&mut tx, account_id, id).await?;
    let update = store_i::ProfileUpdate {
        first_name: first.as_str(),
        last_name: last.as_str(),
        metadata: metadata.as_deref(),
        version: form.version,
        now_ms: store::ms(s.now()),
    };
    if !store_i::update_profile(&mut tx, account_id, id, update).await? {
        return Err(AppError::VersionConflict);
    }
    let identity = existing(&mut tx, account_id, id).await?;
    let e = Event::new(account_id, actor, "identity.updated", "identity").resource(
        "identity",
        &identity.id,
        &identity.email,
    );
    audit::commit(s, tx, vec![e]).await?;
    Ok(identity)
}

/// Activate or deactivate the identity everywhere in the account (the kill switch). Memberships
/// and assignments stay; access needs both gates open again.
pub async fn set_status(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    id: &str,
    active: bool,
) -> Result<Identity, AppError> {
    let scope = writable(s, admin, account).await?;
    let mut tx = s.db.begin().await?;
    existing(&mut tx, &scope.account.id, id).await?;
    store_i::set_active(&mut tx, &scope.account.id, id, active, store::ms(s.now())).await?;
    let identity = existing(&mut tx, &scope.account.id, id).await?;
    let action = if active {
        "identity.activated"
    } else {
        "identity.deactivated"
    };
    audit::commit(s, tx, vec![event(&scope, admin, action, &identity)]).await?;
    Ok(identity)
}

/// Adds the identity to an application of the account (membership only; roles come after).
pub async fn add_membership(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    id: &str,
    application_id: &str,
) -> Result<IdentityDetail, AppError> {
    let scope = writable(s, admin, account).await?;
    let mut tx = s.db.begin().await?;
    let identity = existing(&mut tx, &scope.account.id, id).await?;
    application_of_account(&mut tx, &scope.account.id, application_id).await?;
    let membership_id = store_i::activate_membership(
        &mut tx,
        &scope.account.id,
        application_id,
        id,
        &s.new_id(),
        store::ms(s.now()),
    )
    .await?
    .ok_or(AppError::AlreadyMember)?;
    let e = Event::new(
        &scope.account.id,
        &admin.actor(),
        "membership.activated",
        "identity",
    )
    .scope(Some(application_id), None)
    .resource("app_membership", &membership_id, &identity.email)
    .metadata(serde_json::json!({ "identity_id": id }));
    audit::commit(s, tx, vec![e]).await?;
    detail(s, admin, account, id).await
}

/// Removes the identity from an application: the membership is deactivated and every assignment
/// it holds in that application's environments is revoked, in one transaction. Returns how many
/// were revoked.
pub async fn remove_membership(
    s: &Services,
    admin: &AdminPrincipal,
    account: &str,
    id: &str,
    application_id: &str,
) -> Result<u64, AppError> {
    let scope = writable(s, admin, account).await?;
    remove_membership_in(s, &admin.actor(), &scope.account.id, id, application_id).await
}

/// `remove_membership` by any actor in a known account (the REST API's DELETE calls this).
pub async fn remove_membership_in(
    s: &Services,
    actor: &Actor,
    account_id: &str,
    id: &str,
    application_id: &str,
) -> Result<u64, AppError> {
    let mut tx = s.db.begin().await?;
    let identity = existing(&mut tx, account_id, id).await?;
    let revoked =
        store_i::deactivate_membership(&mut tx, account_id, application_id, id, store::ms(s.now()))
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Membership,
            })?;
    let e = Event::new(account_id, actor, "membership.deactivated", "identity")
        .scope(Some(application_id), None)
        .resource("identity", id, &identity.email)
        .metadata(serde_json::json!({ "identity_id": id, "assignments_revoked": revoked }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(revoked)
}
