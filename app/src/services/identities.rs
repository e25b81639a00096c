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
use crate::services::idempotency::Recorder;
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services};
use crate::store::batch::{Batch, OneTrip};
use crate::store::{self, Tx, assignments as store_a, identities as store_i};
use std::collections::{HashMap, HashSet};

/// The failpoint between writing the membership and writing the assignment.
pub const FAIL_BEFORE_ASSIGNMENT: &str = "identities.before_assignment";
/// The pause point of a bulk create whose rows are validated and hashed, before its transaction.
pub const PAUSE_BEFORE_BULK_WRITE: &str = "identities.before_bulk_write";

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
    if let Some(created) = create_in_one_trip(s, caller, &valid, password_hash.as_deref()).await? {
        return Ok(created);
    }
    // A refused row needs its verdict: the set-based write gives the answers every create gives.
    write_set(
        s,
        caller,
        &[Ok((valid, password_hash))],
        Mode::Real,
        &mut Recorder::none(),
    )
    .await?
    .pop()
    .unwrap_or_else(|| Err(AppError::internal("identities", "no result for the row")))
}

/// `create` where nothing waits for an answer from the database: the identity, its membership,
/// the assignment (its role and node checked in its statement: `store_a::push_new_checked`), their
/// events and the journal go in one trip with the commit (`audit::write_in_one_trip`). `None`
/// when a constraint refused it (the email or external id is taken, the role or node is not one
/// the row may assign): nothing was kept, and `write_set` finds which, as for any row.
async fn create_in_one_trip(
    s: &Services,
    caller: &Caller,
    valid: &ValidIdentity,
    password_hash: Option<&str>,
) -> Result<Option<CreatedIdentity>, AppError> {
    let scope = caller.env()?;
    let now_ms = store::ms(s.now());
    let (id, membership_id) = (s.new_id(), s.new_id());
    let assignment = valid
        .assignment
        .as_ref()
        .map(|(role_id, node_id)| (s.new_id(), role_id.as_str(), node_id.as_str()));
    // The failpoint sits between a transaction's identity and its assignment; one command has no
    // such point, so an armed one sends the create to `write_set`, which has.
    if assignment.is_some() && s.failpoints.armed(FAIL_BEFORE_ASSIGNMENT) {
        return Ok(None);
    }
    let row = store_i::NewIdentity::from_valid(&id, valid, password_hash, now_ms);
    let trip = OneTrip::begin(&s.db).await?;
    let mut writes = Batch::default();
    store_i::push_new(&mut writes, trip.conn(), &scope.account_id, &row);
    store_i::push_memberships(
        &mut writes,
        trip.conn(),
        &scope.account_id,
        &scope.application_id,
        &[(membership_id.as_str(), id.as_str())],
        now_ms,
    );
    let mut events = created_events(
        caller,
        &id,
        valid.email.as_str(),
        &membership_id,
        password_hash,
    );
    if let Some((assignment_id, role_id, node_id)) = &assignment {
        store_a::push_new_checked(
            &mut writes,
            trip.conn(),
            scope,
            (assignment_id, &id, role_id, node_id),
            now_ms,
        );
        events.push(assignment_event(
            caller,
            assignment_id,
            &id,
            role_id,
            node_id,
        ));
    }
    let Some(rows) = audit::write_in_one_trip(s, trip, writes, vec![events]).await? else {
        return Ok(None);
    };
    let identity = match rows.first() {
        Some(row) => store_i::stored_of_row(row)?,
        None => return Err(AppError::internal("identities", "no row for the insert")),
    };
    let assignment = match (assignment, rows.get(1)) {
        (Some((assignment_id, role_id, node_id)), Some(names)) => {
            let (role_name, node_name) = store_a::names_of_row(names)?;
            Some(to_dto(
                s,
                scope,
                store_a::AssignmentRow {
                    id: assignment_id,
                    identity_id: id,
                    role_id: role_id.to_owned(),
                    role_name,
                    node_id: node_id.to_owned(),
                    node_name,
                    from_ms: now_ms,
                    to_ms: None,
                    created_ms: now_ms,
                },
            ))
        }
        (Some(_), None) => {
            return Err(AppError::internal(
                "identities",
                "no names for the assignment",
            ));
        }
        (None, _) => None,
    };
    Ok(Some(CreatedIdentity {
        identity,
        membership_id,
        assignment,
        warnings: valid.warnings.clone(),
    }))
}

/// The event of an assignment made with a created identity.
fn assignment_event(
    caller: &Caller,
    assignment_id: &str,
    identity_id: &str,
    role_id: &str,
    node_id: &str,
) -> Event {
    caller
        .event("assignment.created", "rbac")
        .resource("assignment", assignment_id, "")
        .metadata(serde_json::json!({
            "identity_id": identity_id, "role_id": role_id, "node_id": node_id,
        }))
}

/// The events of a created identity and its membership (an assignment's come after).
fn created_events(
    caller: &Caller,
    identity_id: &str,
    email: &str,
    membership_id: &str,
    password_hash: Option<&str>,
) -> Vec<Event> {
    vec![
        identity_event(caller, "identity.created", identity_id, email).metadata(
            serde_json::json!({
                "with_password": password_hash.is_some(),
                "surface": "environment",
            }),
        ),
        caller
            .event("membership.activated", "identity")
            .resource("app_membership", membership_id, email)
            .metadata(serde_json::json!({ "identity_id": identity_id })),
    ]
}

/// Bulk create (`POST /api/v1/identities/bulk-create`): 1 to `BULK_MAX` rows, each validated on
/// its own and with the outcome `create` would give it had the rows been created one after the
/// other, in row order (a duplicate inside the batch fails on its later row; a row that fails
/// leaves nothing behind and never affects another). Every row's password is hashed first,
/// concurrently and outside any transaction (the hasher bounds it to the cores); then the whole
/// batch is written set-based in one transaction (`write_set`). `Mode::Dry` runs the same writes
/// and rolls them back, and hashes nothing: a password's only verdict is its validation, which
/// runs either way.
pub async fn bulk_create(
    s: &Services,
    caller: &Caller,
    forms: &[IdentityForm],
    mode: Mode,
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    bulk_create_answered(s, caller, forms, mode, &mut Recorder::none()).await
}

/// `bulk_create` for an API request: its answer is stored by `recorder` in the transaction that
/// writes the rows (`idempotency`), so a crash leaves both or neither.
pub async fn bulk_create_answered(
    s: &Services,
    caller: &Caller,
    forms: &[IdentityForm],
    mode: Mode,
    recorder: &mut Recorder<CreatedIdentity>,
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    count_rule("identities", forms.len())?;
    let hashing: Vec<_> = forms
        .iter()
        .map(|form| form.validate().map_err(AppError::identity_input))
        .map(|row| {
            row.map(|valid| {
                // A row without a password has nothing to wait for: no task for it.
                let hash = valid.password.clone().map(|password| {
                    let hasher = s.passwords.clone();
                    tokio::spawn(async move {
                        if mode.is_dry() {
                            Ok(Some(DRY_RUN_HASH.to_owned()))
                        } else {
                            hasher.hash_initial(Some(&password)).await
                        }
                    })
                });
                (valid, hash)
            })
        })
        .collect();
    let mut ready: Vec<Ready> = Vec::with_capacity(hashing.len());
    for row in hashing {
        ready.push(match row {
            Ok((valid, None)) => Ok((valid, None)),
            Ok((valid, Some(hash))) => match hash.await {
                Ok(Ok(password_hash)) => Ok((valid, password_hash)),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(AppError::internal("password pool", e)),
            },
            Err(e) => Err(e),
        });
    }
    s.failpoints.pause(PAUSE_BEFORE_BULK_WRITE).await;
    let results = match write_set(s, caller, &ready, mode, recorder).await {
        Ok(results) => results,
        // The request's claim was taken over: the request that took it writes the rows.
        Err(e @ AppError::IdempotencyInProgress) => return Err(e),
        // A database error the set-based write cannot attribute to a row (a role deleted under
        // it, a PostgreSQL deadlock between batches with crossed external ids): nothing of it was
        // kept, and the rows are written one at a time instead, each with its own verdict.
        Err(e) => {
            tracing::warn!(
                code = e.code(),
                "bulk create: set-based write failed, writing row by row"
            );
            write_each(s, caller, &ready, mode, recorder).await?
        }
    };
    Ok(results)
}

/// A bulk row ready to be written: validated, its password (if any) hashed; or its verdict.
type Ready = Result<(ValidIdentity, Option<String>), AppError>;

/// The rows one at a time, each in a savepoint of one transaction (`services::rows`): the
/// fallback of `write_set`, with the same verdicts, and still one commit with the answer.
async fn write_each(
    s: &Services,
    caller: &Caller,
    ready: &[Ready],
    mode: Mode,
    recorder: &mut Recorder<CreatedIdentity>,
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    let mut rows = Rows::batch(s, mode).await?;
    let mut results = Vec::with_capacity(ready.len());
    for row in ready {
        results.push(match row {
            Ok((valid, password_hash)) => {
                write_row(s, &mut rows, caller, valid, password_hash.clone()).await
            }
            Err(e) => Err(e.clone()),
        });
    }
    rows.finish_answered(s, recorder, &results).await?;
    Ok(results)
}

/// Why an assignment's role and node cannot be used, as `assignments::check_target` says it.
fn target_verdict(
    pair: Option<&(String, String)>,
    roles: &HashMap<String, store_a::RoleTarget>,
    nodes: &HashMap<String, String>,
) -> Option<AppError> {
    let (role_id, node_id) = pair?;
    match roles.get(role_id) {
        None => Some(AppError::NotFound {
            resource: Resource::Role,
        }),
        Some(role) if role.is_system => Some(AppError::SystemRoleNotAssignable),
        Some(role) if !role.is_active => Some(AppError::RoleInactive),
        Some(_) if !nodes.contains_key(node_id) => Some(AppError::NotFound {
            resource: Resource::Node,
        }),
        Some(_) => None,
    }
}

/// The set-based write of `create` and `bulk_create`: every row's identity, membership,
/// assignment and audit events in one transaction, in a handful of statements, with each row's
/// verdict exactly what creating the rows one by one, in order, would have given:
///
/// - the roles and nodes the rows assign are read once; a row whose target is unusable writes
///   nothing (its verdict is still an email or external-id conflict first, as for a single create);
/// - rows are inserted in rounds: a round holds the pending rows that share no email or external id
///   with an earlier pending row, so a later duplicate is only tried once the row it depends on has
///   its verdict (it fails when that row succeeded, and may succeed when it failed);
/// - a round is one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` in email order (the
///   lock order that keeps two concurrent batches from deadlocking on PostgreSQL); a skipped row's
///   conflict is looked up as the single create looks it up;
/// - memberships and assignments of the new identities cannot conflict: one insert each, sent
///   with the audit rows and the journal at the commit (a round's memberships at once when a later
///   round's duplicate must find them).
///
/// `Mode::Dry` runs all of it and rolls back. An error is a database failure no row explains;
/// nothing was kept.
async fn write_set(
    s: &Services,
    caller: &Caller,
    ready: &[Ready],
    mode: Mode,
    recorder: &mut Recorder<CreatedIdentity>,
) -> Result<Vec<Result<CreatedIdentity, AppError>>, AppError> {
    let scope = caller.env()?;
    let now_ms = store::ms(s.now());
    let valid = |i: usize| ready[i].as_ref().ok();
    let email = |i: usize| valid(i).map_or("", |(v, _)| v.email.as_str());
    let mut tx = s.db.begin().await?;

    let (mut role_ids, mut node_ids) = (Vec::new(), Vec::new());
    for (valid, _) in ready.iter().flatten() {
        if let Some((role_id, node_id)) = &valid.assignment {
            role_ids.push(role_id.as_str());
            node_ids.push(node_id.as_str());
        }
    }
    role_ids.sort_unstable();
    role_ids.dedup();
    node_ids.sort_unstable();
    node_ids.dedup();
    let (roles, nodes) = store_a::targets(&mut tx, scope, &role_ids, &node_ids).await?;
    let unusable: Vec<Option<AppError>> = ready
        .iter()
        .map(|row| {
            row.as_ref()
                .ok()
                .and_then(|(v, _)| target_verdict(v.assignment.as_ref(), &roles, &nodes))
        })
        .collect();

    let ids: Vec<String> = ready.iter().map(|_| s.new_id()).collect();
    let mut identities: Vec<Option<Result<crate::model::Identity, AppError>>> =
        ready.iter().map(|_| None).collect();
    let mut membership_ids: HashMap<usize, String> = HashMap::new();
    let mut pending: Vec<usize> = (0..ready.len()).filter(|i| valid(*i).is_some()).collect();
    // The last round's new members, whose memberships go with the bookkeeping.
    let mut last_members: Vec<usize> = Vec::new();
    while !pending.is_empty() {
        let (mut emails, mut external_ids) = (HashSet::new(), HashSet::new());
        let (mut round, mut later) = (Vec::new(), Vec::new());
        for &i in &pending {
            let external_id = valid(i).and_then(|(v, _)| v.external_id.as_deref());
            // Both keys are marked seen either way: a row depends on every earlier row sharing one.
            let email_free = emails.insert(email(i));
            let external_free = external_id.is_none_or(|x| external_ids.insert(x));
            if email_free && external_free {
                round.push(i);
            } else {
                later.push(i);
            }
        }
        let mut writers: Vec<usize> = round
            .iter()
            .copied()
            .filter(|i| unusable[*i].is_none())
            .collect();
        writers.sort_by(|a, b| email(*a).cmp(email(*b)));
        let new_rows: Vec<store_i::NewIdentity<'_>> = writers
            .iter()
            .filter_map(|&i| {
                valid(i).map(|(v, hash)| {
                    store_i::NewIdentity::from_valid(&ids[i], v, hash.as_deref(), now_ms)
                })
            })
            .collect();
        let mut inserted: HashMap<String, crate::model::Identity> =
            store_i::insert_new(&mut tx, &scope.account_id, &new_rows)
                .await?
                .into_iter()
                .map(|identity| (identity.id.clone(), identity))
                .collect();
        // Their memberships: at once when a later round's duplicate must find them members,
        // else with the write's bookkeeping (one trip to the database fewer).
        let mut members = Vec::new();
        for &i in &writers {
            if inserted.contains_key(&ids[i]) {
                membership_ids.insert(i, s.new_id());
                members.push(i);
            }
        }
        if later.is_empty() {
            last_members = members;
        } else {
            let mut at_once = Batch::default();
            store_i::push_memberships(
                &mut at_once,
                &tx,
                &scope.account_id,
                &scope.application_id,
                &membership_pairs(&members, &membership_ids, &ids),
                now_ms,
            );
            at_once.run(&mut tx).await?;
        }
        // The rows that wrote nothing: a conflict skipped them, or their target is unusable.
        let unresolved: Vec<usize> = round
            .iter()
            .copied()
            .filter(|i| !inserted.contains_key(&ids[*i]))
            .collect();
        if !unresolved.is_empty() {
            let taken_emails: Vec<&str> = unresolved.iter().map(|i| email(*i)).collect();
            let taken = store_i::by_emails_with_membership(
                &mut tx,
                &scope.account_id,
                &scope.application_id,
                &taken_emails,
            )
            .await?;
            let probes: Vec<&str> = unresolved
                .iter()
                .filter(|i| unusable[**i].is_some() && !taken.contains_key(email(**i)))
                .filter_map(|i| valid(*i).and_then(|(v, _)| v.external_id.as_deref()))
                .collect();
            let external_taken = if probes.is_empty() {
                HashSet::new()
            } else {
                store_i::external_ids_taken(&mut tx, &scope.account_id, &probes).await?
            };
            for i in unresolved {
                let external_id = valid(i).and_then(|(v, _)| v.external_id.as_deref());
                let verdict = match (taken.get(email(i)), &unusable[i]) {
                    (Some((identity_id, membership)), _) => {
                        if membership.is_some_and(|m| m.is_active()) {
                            AppError::IdentityEmailTaken
                        } else {
                            AppError::IdentityExistsInAccount {
                                identity_id: identity_id.clone(),
                            }
                        }
                    }
                    (None, Some(target)) => {
                        if external_id.is_some_and(|x| external_taken.contains(x)) {
                            AppError::ExternalIdTaken
                        } else {
                            target.clone()
                        }
                    }
                    (None, None) => AppError::ExternalIdTaken,
                };
                identities[i] = Some(Err(verdict));
            }
        }
        for i in writers {
            if let Some(identity) = inserted.remove(&ids[i]) {
                identities[i] = Some(Ok(identity));
            }
        }
        pending = later;
    }

    let created: Vec<usize> = (0..ready.len())
        .filter(|i| matches!(identities[*i], Some(Ok(_))))
        .collect();
    let mut assignment_ids: HashMap<usize, String> = HashMap::new();
    // The rows nothing above reads back, sent with the write's bookkeeping at the end.
    let mut writes = Batch::default();
    store_i::push_memberships(
        &mut writes,
        &tx,
        &scope.account_id,
        &scope.application_id,
        &membership_pairs(&last_members, &membership_ids, &ids),
        now_ms,
    );
    if !created.is_empty() {
        s.failpoints.check(FAIL_BEFORE_ASSIGNMENT)?;
        for i in &created {
            if valid(*i).is_some_and(|(v, _)| v.assignment.is_some()) {
                assignment_ids.insert(*i, s.new_id());
            }
        }
        let assignments: Vec<(&str, &str, &str, &str)> = created
            .iter()
            .filter_map(|i| {
                let (role_id, node_id) = valid(*i)?.0.assignment.as_ref()?;
                Some((
                    assignment_ids.get(i)?.as_str(),
                    ids[*i].as_str(),
                    role_id.as_str(),
                    node_id.as_str(),
                ))
            })
            .collect();
        store_a::push_new(&mut writes, &tx, scope, &assignments, now_ms);
    }

    let mut groups = Vec::with_capacity(created.len());
    let mut results = Vec::with_capacity(ready.len());
    for (i, (row, identity)) in ready.iter().zip(identities).enumerate() {
        let (valid, password_hash) = match row {
            Ok(row) => row,
            Err(e) => {
                results.push(Err(e.clone()));
                continue;
            }
        };
        let identity = match identity {
            Some(Ok(identity)) => identity,
            Some(Err(e)) => {
                results.push(Err(e));
                continue;
            }
            None => {
                results.push(Err(AppError::internal("identities", "row left undecided")));
                continue;
            }
        };
        let membership_id = membership_ids.get(&i).cloned().unwrap_or_default();
        let mut events = created_events(
            caller,
            &identity.id,
            &identity.email,
            &membership_id,
            password_hash.as_deref(),
        );
        let assignment = match (assignment_ids.get(&i), &valid.assignment) {
            (Some(id), Some((role_id, node_id))) => {
                events.push(assignment_event(caller, id, &identity.id, role_id, node_id));
                let row = store_a::AssignmentRow {
                    id: id.clone(),
                    identity_id: identity.id.clone(),
                    role_id: role_id.clone(),
                    role_name: roles
                        .get(role_id)
                        .map(|r| r.name.clone())
                        .unwrap_or_default(),
                    node_id: node_id.clone(),
                    node_name: nodes.get(node_id).cloned().unwrap_or_default(),
                    from_ms: now_ms,
                    to_ms: None,
                    created_ms: now_ms,
                };
                Some(to_dto(s, scope, row))
            }
            _ => None,
        };
        groups.push(events);
        results.push(Ok(CreatedIdentity {
            identity,
            membership_id,
            assignment,
            warnings: valid.warnings.clone(),
        }));
    }
    if mode.is_dry() {
        // Every row is written all the same, so a failure there fails the run as for real.
        writes.run(&mut tx).await?;
        audit::append_each(s, &mut tx, &groups).await?;
        tx.rollback().await?;
    } else {
        // The request's answer commits with its rows, or neither does.
        recorder.record(s, &mut tx, &results).await?;
        audit::commit_each_after(s, tx, writes, groups).await?;
    }
    Ok(results)
}

/// `(membership id, identity id)` of the rows `members`.
fn membership_pairs<'a>(
    members: &[usize],
    membership_ids: &'a HashMap<usize, String>,
    ids: &'a [String],
) -> Vec<(&'a str, &'a str)> {
    members
        .iter()
        .filter_map(|i| Some((membership_ids.get(i)?.as_str(), ids.get(*i)?.as_str())))
        .collect()
}

/// What a dry run stores in place of a password hash: it never leaves the rolled-back
/// transaction, and no password verifies against it.
const DRY_RUN_HASH: &str = "dry-run";

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
    let reader = s.db.reader();
    // Counting 80,000 memberships costs milliseconds per page; counted once per write instead.
    let head = crate::store::access::head(reader, &scope.account_id).await?;
    let member_count = s
        .member_counts
        .get_or_count(
            format!("{}/{}", scope.account_id, scope.application_id),
            head,
            || store_i::member_count(reader, scope),
        )
        .await?;
    let (rows, total) = store_i::members_page(
        reader,
        scope,
        q,
        has_role,
        per_page,
        (page - 1) * per_page,
        member_count,
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
    precondition: crate::model::Precondition,
    patch: &crate::model::IdentityPatch,
) -> Result<crate::model::Identity, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    member_of(s, caller.env()?, id).await?;
    crate::services::directory::update_profile(s, caller, id, precondition, patch).await
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
