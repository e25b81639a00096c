//! "May identity X do P at node N?" over the stored environment, through the evaluation cache.

use crate::error::AppError;
use crate::model::{EnvScope, SystemPermission, checks_count_rule};
use crate::services::access_cache::Generation;
use crate::services::access_journal::{IDENTITY, KEY, STRUCTURE};
use crate::services::evaluate::{Decision, RoleInfo, Scope, Snapshot};
use crate::services::{Caller, Services};
use crate::store::{self, access as store_access, assignments as store_a, hierarchy as store_h};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Seqs one apply may cover; further behind, a whole reload is as cheap.
const MAX_APPLY_SEQS: i64 = 10_000;

/// `snapshot` with the environment's tree and roles read afresh.
async fn with_structure(
    s: &Services,
    scope: &EnvScope,
    base: &Snapshot,
) -> Result<Snapshot, AppError> {
    let reader = s.db.reader();
    let nodes = store_h::nodes(reader, scope).await?;
    let mut roles: HashMap<String, RoleInfo> = HashMap::new();
    for (id, name, active, key) in store_a::role_grants(reader, scope).await? {
        let role = roles.entry(id).or_insert_with(|| RoleInfo {
            name,
            active,
            permissions: BTreeSet::new(),
        });
        if let Some(key) = key {
            role.permissions.insert(key);
        }
    }
    Ok(base.with_structure(
        nodes
            .iter()
            .map(|n| (n.id.as_str(), n.parent_node_id.as_deref(), n.is_active())),
        roles.iter().map(|(id, role)| (id.as_str(), role.clone())),
    ))
}

/// Reads the whole environment as evaluation sees it: the tree, the roles, every identity of
/// the account with its standing here, then every assignment (grouped by identity) onto its
/// identity. Both reads are streamed and go straight into the snapshot, so a load holds no copy
/// of the directory beside it: what stays allocated afterwards is the snapshot (item 4's memory
/// bound at 1,000,000 assignments).
async fn load(s: &Services, scope: &EnvScope) -> Result<Snapshot, AppError> {
    let mut snapshot = with_structure(s, scope, &Snapshot::default()).await?;
    store_access::each_standing(s.db.reader(), scope, |row| {
        snapshot.put_standing(&row.identity_id, row.active, row.member, std::iter::empty());
    })
    .await?;
    let mut current: Option<String> = None;
    let mut held: Vec<store_access::HeldRow> = Vec::new();
    // An assignment of an identity the first read did not see (a racing write) is left to
    // that write's journal entry.
    let flush = |snapshot: &mut Snapshot, id: &str, held: &mut Vec<store_access::HeldRow>| {
        snapshot.put_held(
            id,
            held.iter()
                .map(|h| (h.role_id.as_str(), h.node_id.as_str(), h.from_ms, h.to_ms)),
        );
        held.clear();
    };
    store_access::each_held(s.db.reader(), scope, |row| {
        if current.as_deref() != Some(row.identity_id.as_str()) {
            if let Some(id) = current.take() {
                flush(&mut snapshot, &id, &mut held);
            }
            current = Some(row.identity_id.clone());
        }
        held.push(row);
    })
    .await?;
    if let Some(id) = current.take() {
        flush(&mut snapshot, &id, &mut held);
    }
    Ok(snapshot)
}

/// The journal since `base` applied to it, with the head it reached, or `None` when a whole
/// reload is needed (the journal no longer reaches back that far, or an entry asks for one).
async fn apply(
    s: &Services,
    scope: &EnvScope,
    from: Generation,
    base: &Snapshot,
) -> Result<Option<(store_access::Head, Snapshot)>, AppError> {
    let reader = s.db.reader();
    // The head before the entries, the entries before the rows they name: every row read is at
    // least as new as the seq the result is tagged with.
    let read = store_access::head_of(reader, &scope.account_id).await?;
    let head = read.seq;
    if head < from.seq || head - from.seq > MAX_APPLY_SEQS {
        return Ok(None);
    }
    let entries = store_access::entries(reader, &scope.account_id, from.seq, head).await?;
    let seqs: HashSet<i64> = entries.iter().map(|(seq, _)| *seq).collect();
    // Every committed seq has at least one entry: a missing one was pruned.
    if i64::try_from(seqs.len()).unwrap_or(i64::MAX) != head - from.seq {
        return Ok(None);
    }
    let here = |env: &Option<String>| env.as_deref().is_none_or(|e| e == scope.environment_id);
    let mut structure = false;
    let mut identities: Vec<&str> = Vec::new();
    for (_, entry) in &entries {
        if !here(&entry.environment_id) {
            continue;
        }
        match (entry.kind.as_str(), entry.identity_id.as_deref()) {
            (IDENTITY, Some(id)) => identities.push(id),
            (STRUCTURE, _) => structure = true,
            (KEY, _) => {}
            // `ENVIRONMENT`, or a kind this version does not know: read it all again.
            _ => return Ok(None),
        }
    }
    identities.sort_unstable();
    identities.dedup();
    let mut next = if structure {
        with_structure(s, scope, base).await?
    } else {
        base.clone()
    };
    if !identities.is_empty() {
        let standings = store_access::standings_of(reader, scope, &identities).await?;
        let held = store_access::held_of(reader, scope, &identities).await?;
        let mut by_identity: HashMap<&str, Vec<&store_access::HeldRow>> = HashMap::new();
        for row in &held {
            by_identity
                .entry(row.identity_id.as_str())
                .or_default()
                .push(row);
        }
        let mut gone: HashSet<&str> = identities.iter().copied().collect();
        for row in &standings {
            gone.remove(row.identity_id.as_str());
            let rows = by_identity
                .remove(row.identity_id.as_str())
                .unwrap_or_default();
            next.put_standing(
                &row.identity_id,
                row.active,
                row.member,
                rows.iter()
                    .map(|h| (h.role_id.as_str(), h.node_id.as_str(), h.from_ms, h.to_ms)),
            );
        }
        for id in gone {
            next.put_identity(id, None);
        }
    }
    Ok(Some((read, next)))
}

/// The environment's snapshot as of the newest write this process knows of: cached, or the
/// cached one with the journal since applied, or read whole.
pub(crate) async fn snapshot(s: &Services, scope: &EnvScope) -> Result<Arc<Snapshot>, AppError> {
    let known = s.access_cache.generation(&scope.account_id);
    if let Some(snapshot) = s.access_cache.get(&scope.environment_id, known) {
        metrics::counter!("arbor_evaluation_cache_hits_total").increment(1);
        return Ok(snapshot);
    }
    metrics::counter!("arbor_evaluation_cache_misses_total").increment(1);
    let loader = s.access_cache.loader(&scope.environment_id);
    let _loading = loader.lock().await;
    // Whoever held the lock before may have just brought it up to date.
    let known = s.access_cache.generation(&scope.account_id);
    if let Some(snapshot) = s.access_cache.get(&scope.environment_id, known) {
        return Ok(snapshot);
    }
    // A wall-clock measure for the metrics only; domain time comes from `s.now()`.
    let started = std::time::Instant::now();
    let base = s
        .access_cache
        .cached(&scope.environment_id)
        .filter(|(generation, _)| generation.epoch == known.epoch);
    let applied = match &base {
        Some((from, base)) => apply(s, scope, *from, base).await?,
        None => None,
    };
    let applied_from_journal = applied.is_some();
    let (head, snapshot) = match applied {
        Some(applied) => {
            metrics::histogram!("arbor_evaluation_cache_apply_seconds")
                .record(started.elapsed().as_secs_f64());
            applied
        }
        None => {
            // The committed seq first, then the data (see `access_cache`).
            let head = store_access::head_of(s.db.reader(), &scope.account_id).await?;
            let snapshot = load(s, scope).await?;
            metrics::histogram!("arbor_evaluation_cache_reload_seconds")
                .record(started.elapsed().as_secs_f64());
            (head, snapshot)
        }
    };
    let generation = Generation {
        epoch: known.epoch,
        seq: head.seq,
    };
    s.access_cache.count_load(applied_from_journal);
    let snapshot = Arc::new(snapshot);
    // What was read may be newer than what this process had heard of: its other caches (API
    // keys, other environments) should not lag behind it.
    s.access_cache.advance(&scope.account_id, head);
    s.access_cache
        .put(&scope.environment_id, generation, snapshot.clone());
    Ok(snapshot)
}

pub use crate::model::{EVALUATE_MANY_MAX, Question as Check};

fn decide(s: &Services, snapshot: &Snapshot, check: Check<'_>) -> Decision {
    let eval_scope = check
        .node_id
        .map_or(Scope::AppWide, |n| Scope::Node(n.to_owned()));
    snapshot.evaluate(
        check.identity_id,
        check.permission,
        &eval_scope,
        store::ms(s.now()),
    )
}

/// "May this identity do this here?" with the reason and the path that decided it.
pub async fn evaluate(
    s: &Services,
    caller: &Caller,
    check: Check<'_>,
) -> Result<Decision, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    let scope = caller.env()?;
    let snapshot = snapshot(s, scope).await?;
    Ok(decide(s, &snapshot, check))
}

/// Up to `EVALUATE_MANY_MAX` checks against one snapshot, answered in order.
pub async fn evaluate_many(
    s: &Services,
    caller: &Caller,
    checks: &[Check<'_>],
) -> Result<Vec<Decision>, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    checks_count_rule(checks.len())?;
    let scope = caller.env()?;
    let snapshot = snapshot(s, scope).await?;
    let mut decisions = Vec::with_capacity(checks.len());
    for check in checks {
        decisions.push(decide(s, &snapshot, *check));
    }
    Ok(decisions)
}

/// The dashboard's Access checker: like `evaluate`, but `identity` may also be an email, which
/// names the same identity as its id.
pub async fn check_access(
    s: &Services,
    caller: &Caller,
    identity: &str,
    permission: &str,
    node_id: Option<&str>,
) -> Result<Decision, AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    let scope = caller.env()?;
    let identity_id = match crate::model::Email::parse("identity", identity) {
        Ok(email) if identity.contains('@') => {
            store_a::identity_id_by_email(s.db.reader(), &scope.account_id, email.as_str())
                .await?
                .unwrap_or_else(|| identity.to_owned())
        }
        _ => identity.to_owned(),
    };
    let check = Check {
        identity_id: &identity_id,
        permission,
        node_id,
    };
    evaluate(s, caller, check).await
}

/// Every permission a member of the caller's application holds anywhere in the environment now.
pub async fn effective_permissions(
    s: &Services,
    caller: &Caller,
    identity_id: &str,
) -> Result<BTreeSet<String>, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let scope = caller.env()?;
    crate::services::identities::member_of(s, scope, identity_id).await?;
    let snapshot = snapshot(s, scope).await?;
    Ok(snapshot.effective_permissions(identity_id, store::ms(s.now())))
}

/// How many identities and assignments the environment's snapshot holds (for reports).
pub async fn snapshot_size(s: &Services, caller: &Caller) -> Result<(usize, usize), AppError> {
    caller.require(SystemPermission::PermissionEvaluate)?;
    Ok(snapshot(s, caller.env()?).await?.size())
}
