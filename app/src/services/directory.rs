//! The Account tier's identities (Tenant › Identities): the one directory of the account.
//! Create (with an optional application membership, never a role), list with counts, filters and
//! sort, and one identity's profile, Account-wide status (the kill switch), memberships and
//! history.

use crate::error::{AppError, FieldError, Resource};
use crate::model::{
    DIRECTORY_COUNT_CAP, DirectoryIdentityForm, DirectoryPage, DirectoryQuery, DirectorySort,
    DirectorySummary, Identity, IdentityDetail, IdentityPatch, Precondition, SystemPermission,
    ValidIdentity, count_rule,
};
use crate::services::assignments::assignment_at;
use crate::services::audit::{self, Event};
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services};
use crate::store::{self, Tx, directory as store_d, identities as store_i};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

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

/// Values counted from an account's rows (the stat cards, an application's member count), each
/// kept with the account's journal head it was counted at and served while the head stays there.
/// Every write to identities or memberships ends in `audit::commit`, which moves the account's
/// head in the write's transaction (`access_journal`), so a value counted at the current head is
/// exact — on every node, since the head is read from the database on each request (one key
/// lookup). The head is read before counting: a write that lands during the count only makes the
/// next request count again.
pub struct HeadCache<T>(Mutex<HashMap<String, (i64, T)>>);

impl<T> Default for HeadCache<T> {
    fn default() -> Self {
        HeadCache(Mutex::new(HashMap::new()))
    }
}

impl<T: Clone> HeadCache<T> {
    /// The value of `key` counted at `head`, or counted now by `count` (and kept).
    pub async fn get_or_count<F, Fut>(
        &self,
        key: String,
        head: i64,
        count: F,
    ) -> Result<T, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        let cached = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .filter(|(at, _)| *at == head)
            .map(|(_, value)| value.clone());
        if let Some(value) = cached {
            return Ok(value);
        }
        let value = count().await?;
        let mut values = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // A slower count that started at an older head never replaces a newer one.
        if values.get(&key).is_none_or(|(at, _)| *at <= head) {
            values.insert(key, (head, value.clone()));
        }
        Ok(value)
    }
}

/// The stat cards. Counting them reads about 200,000 index entries at 100,000 identities (tens of
/// milliseconds), so they are counted once per change of the account's directory (`HeadCache`).
pub async fn summary(s: &Services, caller: &Caller) -> Result<DirectorySummary, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let account_id = caller.account_id();
    let reader = s.db.reader();
    let head = store::access::head(reader, account_id).await?;
    s.directory_cards
        .get_or_count(account_id.to_owned(), head, || {
            store_d::summary(reader, account_id)
        })
        .await
}

/// One page of the directory. With `query.cursor` (the dashboard's way) the page after it — a
/// keyset read whatever the depth; without, the page by number, whose offset is bounded by
/// `DIRECTORY_COUNT_CAP` (a crafted deeper page gets the last one within it). The total is counted
/// up to the same cap.
pub async fn list(
    s: &Services,
    caller: &Caller,
    query: &DirectoryQuery,
) -> Result<DirectoryPage, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let after = query
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| decode_cursor(query, c))
        .transpose()?;
    let last_page = DIRECTORY_COUNT_CAP / PER_PAGE;
    let offset = (query.page.clamp(1, last_page) - 1) * PER_PAGE;
    let reader = s.db.reader();
    // One more row than shown says whether a next page exists.
    let mut rows = store_d::page(
        reader,
        caller.account_id(),
        query,
        after.as_ref(),
        offset,
        PER_PAGE + 1,
    )
    .await?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > PER_PAGE;
    rows.truncate(usize::try_from(PER_PAGE).unwrap_or(0));
    let next_cursor = more
        .then(|| rows.last().map(|(_, at)| encode_cursor(query, at)))
        .flatten();
    let total = store_d::count(reader, caller.account_id(), query, DIRECTORY_COUNT_CAP).await?;
    Ok(DirectoryPage {
        items: rows.into_iter().map(|(row, _)| row).collect(),
        total: total.min(DIRECTORY_COUNT_CAP),
        total_is_lower_bound: total > DIRECTORY_COUNT_CAP,
        per_page: PER_PAGE,
        next_cursor,
    })
}

fn cursor_error() -> AppError {
    AppError::Validation {
        errors: vec![FieldError::new(
            "cursor",
            "invalid",
            "This cursor is not one we issued for this sort. Start again from the first page.",
        )],
    }
}

/// The sort a cursor belongs to: a cursor only continues the order that made it.
fn sort_tag(query: &DirectoryQuery) -> String {
    let sort = match query.sort {
        DirectorySort::Created => "c",
        DirectorySort::Name => "n",
        DirectorySort::Email => "e",
        DirectorySort::Status => "s",
    };
    format!("{sort}{}", if query.descending { "d" } else { "a" })
}

/// The opaque cursor of the page after the row at `at`: base64url of
/// `<sort tag>.<id>.<created ms>.<sort key>` (ids hold no dot; the key, last, may).
fn encode_cursor(query: &DirectoryQuery, at: &store_d::Position) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}.{}.{}.{}",
        sort_tag(query),
        at.id,
        at.created_ms,
        at.key
    ))
}

fn decode_cursor(query: &DirectoryQuery, raw: &str) -> Result<store_d::Position, AppError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| cursor_error())?;
    let text = String::from_utf8(bytes).map_err(|_| cursor_error())?;
    let mut parts = text.splitn(4, '.');
    let (Some(tag), Some(id), Some(created), Some(key)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(cursor_error());
    };
    let created_ms = created.parse().map_err(|_| cursor_error())?;
    if tag != sort_tag(query) || id.is_empty() || id.len() > 64 || key.len() > 1024 {
        return Err(cursor_error());
    }
    Ok(store_d::Position {
        key: key.to_owned(),
        created_ms,
        id: id.to_owned(),
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
