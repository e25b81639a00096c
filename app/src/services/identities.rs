//! Identities: the environment-scoped Create Identity (Identity + AppMembership + optional
//! assignment, one transaction), "Add to this application instead", and the application's member
//! list with their assignments in the environment.

use crate::error::{AppError, Resource};
use crate::model::{
    AssignmentForm, BULK_MAX, CreatedIdentity, EnvPath, IdentityForm, MemberRow, Page,
    ValidAssignment, ValidIdentity, assignment_pair,
};
use crate::services::Services;
use crate::services::admin_auth::AdminPrincipal;
use crate::services::assignments::{insert_checked, to_dto};
use crate::services::audit::{self, Actor, Event};
use crate::services::catalog::{EnvScope, resolve, resolve_writable};
use crate::store::{self, Tx, assignments as store_a, identities as store_i};
use std::collections::HashMap;

/// The failpoint between writing the membership and writing the assignment.
pub const FAIL_BEFORE_ASSIGNMENT: &str = "identities.before_assignment";

pub const MEMBERS_PER_PAGE: i64 = 25;

fn identity_event(
    scope: &EnvScope,
    actor: &Actor,
    action: &'static str,
    id: &str,
    email: &str,
) -> Event {
    scope
        .event_by(actor, action, "identity")
        .resource("identity", id, email)
}

/// Writes the membership and, when set, the assignment for `identity_id`, inside `tx`.
async fn admit(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    actor: &Actor,
    identity_id: &str,
    email: &str,
    pair: Option<&(String, String)>,
) -> Result<(String, Option<String>, Vec<Event>), AppError> {
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
        scope
            .event_by(actor, "membership.activated", "identity")
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
                scope
                    .event_by(actor, "assignment.created", "rbac")
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
    scope: &EnvScope,
    identity_id: &str,
    membership_id: String,
    assignment_id: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let reader = s.db.reader();
    let identity = store_i::by_id(reader, &scope.account_id, identity_id)
        .await?
        .ok_or_else(|| AppError::internal("identity", "vanished after commit"))?;
    let assignment = match assignment_id {
        Some(id) => store_a::by_id(reader, scope.key(), &id)
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
pub async fn create_in_environment(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    form: &IdentityForm,
) -> Result<CreatedIdentity, AppError> {
    let valid = form.validate().map_err(AppError::identity_input)?;
    let scope = resolve_writable(s, admin, path).await?;
    create_in_scope(s, &admin.actor(), &scope, &valid).await
}

/// `create_in_environment` for an already resolved environment (bulk create and the API).
pub async fn create_in_scope(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    valid: &ValidIdentity,
) -> Result<CreatedIdentity, AppError> {
    let password_hash = s.passwords.hash_initial(valid.password.as_ref()).await?;
    write_in_scope(s, actor, scope, valid, password_hash).await
}

/// Bulk create (`POST /api/v1/identities/bulk-create`): each valid row is written like
/// `create_in_scope`, in its own transaction and in row order, so a duplicate inside the batch
/// fails on its later row. Every row's password is hashed up front, concurrently (the hasher
/// bounds it to the cores), and each write goes ahead as soon as its row's hash is ready — so a
/// batch with passwords runs at the speed of hashing on all cores, not of one.
pub async fn bulk_create_in_scope(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    rows: Vec<Result<ValidIdentity, AppError>>,
) -> Vec<Result<CreatedIdentity, AppError>> {
    let hashing: Vec<_> = rows
        .into_iter()
        .map(|row| {
            row.map(|valid| {
                let hasher = s.passwords.clone();
                let password = valid.password.clone();
                let hash =
                    tokio::spawn(async move { hasher.hash_initial(password.as_ref()).await });
                (valid, hash)
            })
        })
        .collect();
    let mut results = Vec::with_capacity(hashing.len());
    for row in hashing {
        let outcome = match row {
            Ok((valid, hash)) => match hash.await {
                Ok(Ok(password_hash)) => {
                    write_in_scope(s, actor, scope, &valid, password_hash).await
                }
                Ok(Err(e)) => Err(e),
                Err(e) => Err(AppError::internal("password pool", e)),
            },
            Err(e) => Err(e),
        };
        results.push(outcome);
    }
    results
}

/// Writes a validated identity whose password (if any) is already hashed.
async fn write_in_scope(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    valid: &ValidIdentity,
    password_hash: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let mut tx = s.db.begin().await?;
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
            Some((identity_id, membership)) if membership.as_deref() != Some("active") => {
                AppError::IdentityExistsInAccount { identity_id }
            }
            _ => AppError::IdentityEmailTaken,
        });
    }
    inserted?;
    let mut events = vec![
        identity_event(scope, actor, "identity.created", &id, email).metadata(serde_json::json!({
            "with_password": password_hash.is_some(),
            "surface": "environment",
        })),
    ];
    let (membership_id, assignment_id, more) = admit(
        s,
        &mut tx,
        scope,
        actor,
        &id,
        email,
        valid.assignment.as_ref(),
    )
    .await?;
    events.extend(more);
    audit::commit(s, tx, events).await?;
    let mut done = created(s, scope, &id, membership_id, assignment_id).await?;
    done.warnings.clone_from(&valid.warnings);
    Ok(done)
}

/// "Add to this application instead": an existing identity of the account becomes an active
/// member of the environment's application, with the assignment when role and node are set.
pub async fn add_to_application(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    identity_id: &str,
    role_id: Option<String>,
    node_id: Option<String>,
) -> Result<CreatedIdentity, AppError> {
    let scope = resolve_writable(s, admin, path).await?;
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
        &scope,
        &admin.actor(),
        identity_id,
        &identity.email,
        pair.as_ref(),
    )
    .await?;
    audit::commit(s, tx, events).await?;
    let mut done = created(s, &scope, identity_id, membership_id, assignment_id).await?;
    done.warnings.extend(skipped);
    Ok(done)
}

/// The application's members (newest first, optionally searched, optionally only those with —
/// or without — a role here) with their assignments in the environment.
pub async fn members(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    q: &str,
    has_role: Option<bool>,
    page: i64,
) -> Result<Page<MemberRow>, AppError> {
    let scope = resolve(s, admin, path).await?;
    members_in_scope(s, &scope, q, has_role, page, MEMBERS_PER_PAGE).await
}

/// `members` within a resolved environment, `per_page` at a time (the API's `take`).
pub async fn members_in_scope(
    s: &Services,
    scope: &EnvScope,
    q: &str,
    has_role: Option<bool>,
    page: i64,
    per_page: i64,
) -> Result<Page<MemberRow>, AppError> {
    let page = page.max(1);
    let (rows, total) = store_i::members_page(
        s.db.reader(),
        scope.key(),
        q,
        has_role,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let ids: Vec<&str> = rows.iter().map(|(i, _)| i.id.as_str()).collect();
    let mut by_identity: HashMap<String, Vec<crate::model::Assignment>> = HashMap::new();
    for row in store_a::of_identities(s.db.reader(), scope.key(), &ids).await? {
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
pub async fn member_in_scope(
    s: &Services,
    scope: &EnvScope,
    id: &str,
) -> Result<crate::model::Identity, AppError> {
    let not_found = AppError::NotFound {
        resource: Resource::Identity,
    };
    match store_a::identity_standing(s.db.reader(), scope.key(), id).await? {
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
    admin: &AdminPrincipal,
    path: &EnvPath,
    identity_ids: &[String],
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    if identity_ids.is_empty() || identity_ids.len() > BULK_MAX {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "identity_ids",
            "count",
            format!("Choose between 1 and {BULK_MAX} identities."),
        )]));
    }
    let mut results = Vec::with_capacity(identity_ids.len());
    for id in identity_ids {
        results.push(add_to_application(s, admin, path, id, None, None).await);
    }
    Ok(results)
}
