//! The Account tier's identities (Tenant › Identities): the one directory of the account.
//! Create (with an optional application membership, never a role), list with counts, filters and
//! sort, and one identity's profile, Account-wide status (the kill switch), memberships and
//! history.

use crate::error::{AppError, Resource};
use crate::model::{
    DirectoryIdentityForm, DirectoryQuery, DirectoryRow, DirectorySummary, Identity,
    IdentityDetail, IdentityPatch, MAX_PAGE, Page, Precondition, SystemPermission, ValidIdentity,
    count_rule,
};
use crate::services::assignments::assignment_at;
use crate::services::audit::{self, Event};
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services};
use crate::store::{self, Tx, directory as store_d, identities as store_i};

pub const PER_PAGE: i64 = 25;
const HISTORY: i64 = 50;

/// An Account-tier event about `identity` (no environment, even for an environment's caller).
fn event(caller: &Caller, action: &'static str, identity: &Identity) -> Event {
    Event::new(caller.account_id(), &caller.actor(), action, "identity").resource(
        "identity",
        &identity.id,
        &identity.email,
    )
}

/// A membership event of `application_id`.
fn membership_event(caller: &Caller, action: &'static str, application_id: &str) -> Event {
    Event::new(caller.account_id(), &caller.actor(), action, "identity")
        .scope(Some(application_id), None)
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

pub async fn summary(s: &Services, caller: &Caller) -> Result<DirectorySummary, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    store_d::summary(s.db.reader(), caller.account_id()).await
}

pub async fn list(
    s: &Services,
    caller: &Caller,
    query: &DirectoryQuery,
) -> Result<Page<DirectoryRow>, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    // The dashboard never asks past the last page; a crafted call gets the last possible one.
    let page = query.page.clamp(1, MAX_PAGE);
    let (items, total) = store_d::page(
        s.db.reader(),
        caller.account_id(),
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
    caller: &Caller,
    form: &DirectoryIdentityForm,
) -> Result<Identity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let (valid, application_id) = form.validate().map_err(AppError::identity_input)?;
    let password_hash = s.passwords.hash_initial(valid.password.as_ref()).await?;
    let mut rows = Rows::start(s, Mode::Real).await?;
    write_row(
        s,
        &mut rows,
        caller,
        &valid,
        application_id.as_ref(),
        password_hash,
    )
    .await
}

/// Account-tier bulk create (the CSV import wizard's Account mode): 1 to `BULK_MAX` rows, each
/// validated and written like `create`, in its own transaction and in row order (a duplicate email
/// inside the batch fails on its later row). Passwords are hashed concurrently, as in the
/// environment tier's bulk create; `Mode::Dry` hashes nothing and writes nothing (`services::rows`).
pub async fn bulk_create(
    s: &Services,
    caller: &Caller,
    forms: &[DirectoryIdentityForm],
    mode: Mode,
) -> Result<Vec<Result<Identity, AppError>>, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    count_rule("identities", forms.len())?;
    let hashing: Vec<_> = forms
        .iter()
        .map(|form| {
            let (valid, application_id) = form.validate().map_err(AppError::identity_input)?;
            let hasher = s.passwords.clone();
            let password = valid.password.clone();
            let hash = tokio::spawn(async move {
                if mode.is_dry() {
                    Ok(password.map(|_| DRY_RUN_HASH.to_owned()))
                } else {
                    hasher.hash_initial(password.as_ref()).await
                }
            });
            Ok((valid, application_id, hash))
        })
        .collect();
    let mut rows = Rows::start(s, mode).await?;
    let mut results = Vec::with_capacity(hashing.len());
    for row in hashing {
        let outcome = match row {
            Ok((valid, application_id, hash)) => match hash.await {
                Ok(Ok(password_hash)) => {
                    write_row(
                        s,
                        &mut rows,
                        caller,
                        &valid,
                        application_id.as_ref(),
                        password_hash,
                    )
                    .await
                }
                Ok(Err(e)) => Err(e),
                Err(e) => Err(AppError::internal("password pool", e)),
            },
            Err(e) => Err(e),
        };
        results.push(outcome);
    }
    rows.finish(s).await?;
    Ok(results)
}

/// What a dry run stores in place of a password hash (never committed, never verifies).
const DRY_RUN_HASH: &str = "dry-run";

/// One Account-tier identity's writes in the row's transaction of `rows`.
async fn write_row(
    s: &Services,
    rows: &mut Rows,
    caller: &Caller,
    valid: &ValidIdentity,
    application_id: Option<&String>,
    password_hash: Option<String>,
) -> Result<Identity, AppError> {
    let account_id = caller.account_id().to_owned();
    let mut tx = rows.begin(s).await?;
    if let Some(app) = application_id {
        application_of_account(&mut tx, &account_id, app).await?;
    }
    let id = s.new_id();
    let now_ms = store::ms(s.now());
    store_i::insert(
        &mut tx,
        &account_id,
        store_i::NewIdentity::from_valid(&id, valid, password_hash.as_deref(), now_ms),
    )
    .await?;
    let identity = existing(&mut tx, &account_id, &id).await?;
    let mut events = vec![event(caller, "identity.created", &identity).metadata(
        serde_json::json!({ "with_password": password_hash.is_some(), "surface": "directory" }),
    )];
    if let Some(app) = application_id {
        let membership_id =
            store_i::activate_membership(&mut tx, &account_id, app, &id, &s.new_id(), now_ms)
                .await?
                .ok_or(AppError::AlreadyMember)?;
        events.push(
            membership_event(caller, "membership.activated", app)
                .resource("app_membership", &membership_id, &identity.email)
                .metadata(serde_json::json!({ "identity_id": id })),
        );
    }
    tx.commit(s, events).await?;
    Ok(identity)
}

pub async fn detail(s: &Services, caller: &Caller, id: &str) -> Result<IdentityDetail, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let account_id = caller.account_id();
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

/// Edits names and/or metadata (`null` clears it) under `precondition`. The Account tier's edit;
/// an environment's caller edits its members through `identities::update_member`.
pub async fn update_profile(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &IdentityPatch,
) -> Result<Identity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    if precondition == Precondition::Any {
        store::versioned::lock_identity(&mut tx, account_id, id).await?;
    }
    let current = existing(&mut tx, account_id, id).await?;
    let version = precondition.version(current.version)?;
    let form = patch.apply(
        version,
        &current.first_name,
        &current.last_name,
        current.metadata.as_ref(),
    );
    let (first, last, metadata) = form.validate().map_err(AppError::validation)?;
    let update = store_i::ProfileUpdate {
        first_name: first.as_str(),
        last_name: last.as_str(),
        metadata: metadata.as_deref(),
        version,
        now_ms: store::ms(s.now()),
    };
    if !store_i::update_profile(&mut tx, account_id, id, update).await? {
        return Err(AppError::VersionConflict);
    }
    let identity = existing(&mut tx, account_id, id).await?;
    audit::commit(s, tx, vec![event(caller, "identity.updated", &identity)]).await?;
    Ok(identity)
}

/// Activate or deactivate the identity everywhere in the account (the kill switch). Memberships
/// and assignments stay; access needs both gates open again.
pub async fn set_status(
    s: &Services,
    caller: &Caller,
    id: &str,
    active: bool,
) -> Result<Identity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    existing(&mut tx, account_id, id).await?;
    store_i::set_active(&mut tx, account_id, id, active, store::ms(s.now())).await?;
    let identity = existing(&mut tx, account_id, id).await?;
    let action = if active {
        "identity.activated"
    } else {
        "identity.deactivated"
    };
    audit::commit(s, tx, vec![event(caller, action, &identity)]).await?;
    Ok(identity)
}

/// Adds the identity to an application of the account (membership only; roles come after).
pub async fn add_membership(
    s: &Services,
    caller: &Caller,
    id: &str,
    application_id: &str,
) -> Result<IdentityDetail, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let identity = existing(&mut tx, account_id, id).await?;
    application_of_account(&mut tx, account_id, application_id).await?;
    let membership_id = store_i::activate_membership(
        &mut tx,
        account_id,
        application_id,
        id,
        &s.new_id(),
        store::ms(s.now()),
    )
    .await?
    .ok_or(AppError::AlreadyMember)?;
    let e = membership_event(caller, "membership.activated", application_id)
        .resource("app_membership", &membership_id, &identity.email)
        .metadata(serde_json::json!({ "identity_id": id }));
    audit::commit(s, tx, vec![e]).await?;
    detail(s, caller, id).await
}

/// Removes the identity from an application: the membership is deactivated and every assignment
/// it holds in that application's environments is revoked, in one transaction. Returns how many
/// were revoked.
pub async fn remove_membership(
    s: &Services,
    caller: &Caller,
    id: &str,
    application_id: &str,
) -> Result<u64, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let identity = existing(&mut tx, account_id, id).await?;
    let revoked =
        store_i::deactivate_membership(&mut tx, account_id, application_id, id, store::ms(s.now()))
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Membership,
            })?;
    let e = membership_event(caller, "membership.deactivated", application_id)
        .resource("identity", id, &identity.email)
        .metadata(serde_json::json!({ "identity_id": id, "assignments_revoked": revoked }));
    audit::commit(s, tx, vec![e]).await?;
    Ok(revoked)
}
