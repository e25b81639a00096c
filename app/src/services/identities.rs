//! The environment tier's identities (Access Control › Identities, `/api/v1/identities`): the
//! members of one application, seen from one of its environments. Create Identity (Identity +
//! AppMembership + optional assignment, one transaction), "Add to this application instead", and
//! the application's member list with their assignments in the environment.

use crate::error::{AppError, Resource};
use crate::model::{
    AssignmentForm, BULK_MAX, CreatedIdentity, EnvScope, IdentityForm, MAX_PAGE, MemberRow, Page,
    SystemPermission, ValidAssignment, ValidIdentity, assignment_pair, count_rule,
};
use crate::services::assignments::{insert_checked, to_dto};
use crate::services::audit::{self, Event};
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services};
use crate::store::{self, Tx, assignments as store_a, identities as store_i};
use std::collections::HashMap;

/// The failpoint between writing the membership and writing the assignment.
pub const FAIL_BEFORE_ASSIGNMENT: &str = "identities.before_assignment";
/// The pause point after each row of a bulk create.
pub const PAUSE_AFTER_BULK_ROW: &str = "identities.after_bulk_row";

pub const MEMBERS_PER_PAGE: i64 = 25;

fn identity_event(caller: &Caller, action: &'static str, id: &str, email: &str) -> Event {
    caller
        .event(action, "identity")
        .resource("identity", id, email)
}

/// Writes the membership and, when set, the assignment for `identity_id`, inside `tx`.
async fn admit(
    s: &Services,
    tx: &mut Tx,
    caller: &Caller,
    identity_id: &str,
    email: &str,
    pair: Option<&(String, String)>,
) -> Result<(String, Option<String>, Vec<Event>), AppError> {
    let scope = caller.env()?;
    let now_ms = store::ms(s.now());
    let membership_id = store_i::activate_membership(
        tx,
        &scope.account_id,
        &scope.application_id,
        identity_id,
        &s.new_id(),
        now_ms,
    )
    .await?
    .ok_or(AppError::AlreadyMember)?;
    let mut events = vec![
        caller
            .event("membership.activated", "identity")
            .resource("app_membership", &membership_id, email)
            .metadata(serde_json::json!({ "identity_id": identity_id })),
    ];
    s.failpoints.check(FAIL_BEFORE_ASSIGNMENT)?;
    let assignment_id = match pair {
        None => None,
        Some((role_id, node_id)) => {
            let valid = ValidAssignment {
                identity_id: identity_id.to_owned(),
                role_id: role_id.clone(),
                node_id: node_id.clone(),
                effective_from: None,
                effective_to: None,
            };
            let id = insert_checked(s, tx, scope, &valid).await?;
            events.push(
                caller
                    .event("assignment.created", "rbac")
                    .resource("assignment", &id, "")
                    .metadata(serde_json::json!({
                        "identity_id": identity_id, "role_id": role_id, "node_id": node_id,
                    })),
            );
            Some(id)
        }
    };
    Ok((membership_id, assignment_id, events))
}

async fn created(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    identity_id: &str,
    membership_id: String,
    assignment_id: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let identity = store_i::by_id(&mut **tx, &scope.account_id, identity_id)
        .await?
        .ok_or_else(|| AppError::internal("identity", "vanished after insert"))?;
    let assignment = match assignment_id {
        Some(id) => store_a::by_id(&mut **tx, scope, &id)
            .await?
            .map(|row| to_dto(s, scope, row)),
        None => None,
    };
    Ok(CreatedIdentity {
        identity,
        membership_id,
        assignment,
        warnings: Vec::new(),
    })
}

/// Create Identity (Access Control › Identities, `POST /api/v1/identities`): the Identity in the
/// account directory, an active membership in the environment's application and — with role and
/// node — the assignment in the environment, all in one transaction. No email is sent.
pub async fn create(
    s: &Services,
    caller: &Caller,
    form: &IdentityForm,
) -> Result<CreatedIdentity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let valid = form.validate().map_err(AppError::identity_input)?;
    let password_hash = s.passwords.hash_initial(valid.password.as_ref()).await?;
    write(s, caller, &valid, password_hash).await
}

/// Bulk create (`POST /api/v1/identities/bulk-create`): 1 to `BULK_MAX` rows, each validated on
/// its own and written like `create`, in its own transaction and in row order, so a duplicate
/// inside the batch fails on its later row. Every row's password is hashed up front, concurrently
/// (the hasher bounds it to the cores), and each write goes ahead as soon as its row's hash is
/// ready — so a batch with passwords runs at the speed of hashing on all cores, not of one.
/// `Mode::Dry` runs the same rows in one rolled-back transaction (`services::rows`) and hashes
/// nothing: a password's only verdict is its validation, which runs either way.
pub async fn bulk_create(
    s: &Services,
    caller: &Caller,
    forms: &[IdentityForm],
    mode: Mode,
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    count_rule("identities", forms.len())?;
    let hashing: Vec<_> = forms
        .iter()
        .map(|form| form.validate().map_err(AppError::identity_input))
        .map(|row| {
            row.map(|valid| {
                let hasher = s.passwords.clone();
                let password = valid.password.clone();
                let hash = tokio::spawn(async move {
                    if mode.is_dry() {
                        Ok(password.map(|_| DRY_RUN_HASH.to_owned()))
                    } else {
                        hasher.hash_initial(password.as_ref()).await
                    }
                });
                (valid, hash)
            })
        })
        .collect();
    let mut rows = Rows::start(s, mode).await?;
    let mut results = Vec::with_capacity(hashing.len());
    for row in hashing {
        let outcome = match row {
            Ok((valid, hash)) => match hash.await {
                Ok(Ok(password_hash)) => {
                    write_row(s, &mut rows, caller, &valid, password_hash).await
                }
                Ok(Err(e)) => Err(e),
                Err(e) => Err(AppError::internal("password pool", e)),
            },
            Err(e) => Err(e),
        };
        results.push(outcome);
        s.failpoints.pause(PAUSE_AFTER_BULK_ROW).await;
    }
    rows.finish().await?;
    Ok(results)
}

/// What a dry run stores in place of a password hash: it never leaves the rolled-back
/// transaction, and no password verifies against it.
const DRY_RUN_HASH: &str = "dry-run";

/// Writes a validated identity whose password (if any) is already hashed.
async fn write(
    s: &Services,
    caller: &Caller,
    valid: &ValidIdentity,
    password_hash: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let mut rows = Rows::start(s, Mode::Real).await?;
    write_row(s, &mut rows, caller, valid, password_hash).await
}

/// One identity's writes in the row's transaction of `rows`.
async fn write_row(
    s: &Services,
    rows: &mut Rows,
    caller: &Caller,
    valid: &ValidIdentity,
    password_hash: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let scope = caller.env()?;
    let mut tx = rows.begin(s).await?;
    let email = valid.email.as_str();
    let id = s.new_id();
    let inserted = store_i::insert(
        &mut tx,
        &scope.account_id,
        store_i::NewIdentity::from_valid(&id, valid, password_hash.as_deref(), store::ms(s.now())),
    )
    .await;
    // Only a taken email costs the lookup that tells "in this application" from "elsewhere in the
    // account" (the insert does not abort the transaction: it skips on conflict).
    if let Err(AppError::IdentityEmailTaken) = inserted {
        let found = store_i::by_email_with_membership(
            &mut tx,
            &scope.account_id,
            &scope.application_id,
            email,
        )
        .await?;
        return Err(match found {
            Some((identity_id, membership)) if !membership.is_some_and(|m| m.is_active()) => {
                AppError::IdentityExistsInAccount { identity_id }
            }
            _ => AppError::IdentityEmailTaken,
        });
    }
    inserted?;
    let mut events = vec![
        identity_event(caller, "identity.created", &id, email).metadata(serde_json::json!({
            "with_password": password_hash.is_some(),
            "surface": "environment",
        })),
    ];
    let (membership_id, assignment_id, more) =
        admit(s, &mut tx, caller, &id, email, valid.assignment.as_ref()).await?;
    events.extend(more);
    // Read before the commit, in the row's transaction: a dry run's row is never committed.
    let mut done = created(s, &mut tx, scope, &id, membership_id, assignment_id).await?;
    tx.commit(s, events).await?;
    done.warnings.clone_from(&valid.warnings);
    Ok(done)
}

/// "Add to this application instead": an existing identity of the account becomes an active
/// member of the environment's application, with the assignment when role and node are set.
pub async fn add_to_application(
    s: &Services,
    caller: &Caller,
    identity_id: &str,
    role_id: Option<String>,
    node_id: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let scope = caller.env()?;
    // The pair follows the same rule as the create form: half a pair adds without an assignment.
    let (pair, skipped) = assignment_pair(role_id.as_deref(), node_id.as_deref());
    if let Some((role_id, node_id)) = &pair {
        AssignmentForm {
            identity_id: identity_id.to_owned(),
            role_id: role_id.clone(),
            node_id: node_id.clone(),
            ..AssignmentForm::default()
        }
        .validate()
        .map_err(AppError::validation)?;
    }
    let mut tx = s.db.begin().await?;
    let identity = store_i::by_id(&mut *tx, &scope.account_id, identity_id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Identity,
        })?;
    let (membership_id, assignment_id, events) = admit(
        s,
        &mut tx,
        caller,
        identity_id,
        &identity.email,
        pair.as_ref(),
    )
    .await?;
    let mut done = created(s, &mut tx, scope, identity_id, membership_id, assignment_id).await?;
    audit::commit(s, tx, events).await?;
    done.warnings.extend(skipped);
    Ok(done)
}

/// The application's members (newest first, optionally searched, optionally only those with —
/// or without — a role here) with their assignments in the environment, `per_page` at a time.
pub async fn members(
    s: &Services,
    caller: &Caller,
    q: &str,
    has_role: Option<bool>,
    page: i64,
    per_page: i64,
) -> Result<Page<MemberRow>, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let scope = caller.env()?;
    let page = page.clamp(1, MAX_PAGE);
    let (rows, total) = store_i::members_page(
        s.db.reader(),
        scope,
        q,
        has_role,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let ids: Vec<&str> = rows.iter().map(|(i, _)| i.id.as_str()).collect();
    let mut by_identity: HashMap<String, Vec<crate::model::Assignment>> = HashMap::new();
    for row in store_a::of_identities(s.db.reader(), scope, &ids).await? {
        by_identity
            .entry(row.identity_id.clone())
            .or_default()
            .push(to_dto(s, scope, row));
    }
    let items = rows
        .into_iter()
        .map(|(identity, membership_status)| MemberRow {
            assignments: by_identity.remove(&identity.id).unwrap_or_default(),
            identity,
            membership_status,
        })
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// One identity that is an active member of the environment's application, else not found.
pub async fn get_member(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<crate::model::Identity, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    member_of(s, caller.env()?, id).await
}

/// The membership rule of every identity-scoped read and change in an environment: the
/// identity exists in the account and is an active member of the environment's application.
pub(crate) async fn member_of(
    s: &Services,
    scope: &EnvScope,
    id: &str,
) -> Result<crate::model::Identity, AppError> {
    let not_found = AppError::NotFound {
        resource: Resource::Identity,
    };
    match store_a::identity_standing(s.db.reader(), scope, id).await? {
        Some((_, true)) => store_i::by_id(s.db.reader(), &scope.account_id, id)
            .await?
            .ok_or(not_found),
        _ => Err(not_found),
    }
}

/// "Add from directory": each identity becomes an active member of the environment's
/// application; one result per row, each in its own transaction.
pub async fn bulk_add_to_application(
    s: &Services,
    caller: &Caller,
    identity_ids: &[String],
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    if identity_ids.is_empty() || identity_ids.len() > BULK_MAX {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "identity_ids",
            "count",
            format!("Choose between 1 and {BULK_MAX} identities."),
        )]));
    }
    let mut results = Vec::with_capacity(identity_ids.len());
    for id in identity_ids {
        results.push(add_to_application(s, caller, id, None, None).await);
    }
    Ok(results)
}

/// `PATCH /identities/{id}`: an environment's caller edits a member of its application (names,
/// metadata); the edit itself is the directory's.
pub async fn update_member(
    s: &Services,
    caller: &Caller,
    id: &str,
    patch: &crate::model::IdentityPatch,
) -> Result<crate::model::Identity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    member_of(s, caller.env()?, id).await?;
    crate::services::directory::update_profile(
        s,
        caller,
        id,
        crate::model::Precondition::Any,
        patch,
    )
    .await
}

/// `DELETE /identities/{id}`: the member leaves the caller's application — its membership is
/// deactivated and its assignments in the application's environments revoked; the identity stays
/// in the account's directory.
pub async fn remove_from_application(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<u64, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let scope = caller.env()?;
    member_of(s, scope, id).await?;
    crate::services::directory::remove_membership(s, caller, id, &scope.application_id).await
}
