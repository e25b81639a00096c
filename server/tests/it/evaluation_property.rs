//! Evaluation through the database agrees with a brute-force reference, on both engines.
//!
//! Each generated *world* is written through the service layer into one environment (a fresh
//! subtree under the root, fresh roles and identities, so worlds never see each other), then
//! checked with generated questions at generated instants. The reference below is written from the
//! rules of decisions.md, independently of `services::evaluate`, and it is deliberately naive: it
//! looks at every assignment for every question. Per engine: 50 worlds × 200 checks = 10,000
//! cases, all through the real evaluation path (cache included, since each world's writes
//! invalidate it).

use crate::on_both_engines;
use crate::support::{Engine, START, TestApp};
use app::model::{
    AssignmentForm, DenialReason, EnvPath, EnvScope, HierarchySchema, NodeForm, NodePatch,
    PermissionGroupForm, Precondition, RoleForm, RolePatch,
};
use app::services::{Caller, access_checks, assignments, catalog, hierarchy};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::Duration;

on_both_engines!(evaluation_through_the_database_matches_the_reference);

const WORLDS: u32 = 50;
const CHECKS_PER_WORLD: usize = 200;
const ACTIONS: [&str; 4] = ["read", "write", "delete", "share"];
const MAX_WORLD_DEPTH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Active,
    Pending,
    Inactive,
}

#[derive(Debug, Clone)]
struct GenAssignment {
    role: usize,
    node: usize,
    /// Minutes after START; the window ends `length` minutes later, or never.
    from: i64,
    length: Option<i64>,
}

#[derive(Debug, Clone)]
struct GenIdentity {
    standing: Standing,
    member: bool,
    assignments: Vec<GenAssignment>,
}

#[derive(Debug, Clone)]
struct Check {
    /// `identities.len()` means an identity that does not exist.
    identity: usize,
    permission: usize,
    /// `None`: app-wide; `Some(nodes.len())`: a node that does not exist.
    node: Option<usize>,
    /// Minutes after START.
    at: i64,
}

#[derive(Debug, Clone)]
struct World {
    /// Parent of each world node; node 0 hangs under the environment's root.
    parents: Vec<Option<usize>>,
    node_active: Vec<bool>,
    roles: Vec<(bool, Vec<usize>)>,
    identities: Vec<GenIdentity>,
    checks: Vec<Check>,
}

fn world() -> impl Strategy<Value = World> {
    (1usize..14)
        .prop_flat_map(|count| {
            (
                proptest::collection::vec(any::<prop::sample::Index>(), count - 1),
                proptest::collection::vec(prop::bool::weighted(0.85), count),
                Just(count),
            )
        })
        .prop_flat_map(|(picks, node_active, count)| {
            let mut depth = vec![1usize];
            let mut parents = vec![None];
            for pick in &picks {
                let eligible: Vec<usize> = (0..depth.len())
                    .filter(|&i| depth[i] < MAX_WORLD_DEPTH)
                    .collect();
                let parent = eligible[pick.index(eligible.len())];
                parents.push(Some(parent));
                depth.push(depth[parent] + 1);
            }
            let roles = proptest::collection::vec(
                (
                    prop::bool::weighted(0.85),
                    proptest::collection::vec(0usize..ACTIONS.len(), 0..4),
                ),
                1..4,
            );
            let identities = proptest::collection::vec(
                (
                    prop_oneof![
                        6 => Just(Standing::Active),
                        1 => Just(Standing::Pending),
                        1 => Just(Standing::Inactive),
                    ],
                    prop::bool::weighted(0.85),
                    proptest::collection::vec(
                        (
                            0usize..4,
                            0usize..count,
                            0i64..100,
                            prop::option::weighted(0.6, 1i64..60),
                        ),
                        0..6,
                    ),
                ),
                1..5,
            );
            (Just(parents), Just(node_active), roles, identities)
        })
        .prop_flat_map(|(parents, node_active, roles, identities)| {
            let (node_count, identity_count) = (parents.len(), identities.len());
            let checks = proptest::collection::vec(
                (
                    0usize..=identity_count,
                    0usize..ACTIONS.len(),
                    prop::option::weighted(0.8, 0usize..=node_count),
                    -10i64..110,
                ),
                CHECKS_PER_WORLD,
            );
            (
                Just(parents),
                Just(node_active),
                Just(roles),
                Just(identities),
                checks,
            )
        })
        .prop_map(|(parents, node_active, roles, identities, checks)| {
            let role_count = roles.len();
            World {
                parents,
                node_active,
                roles,
                identities: identities
                    .into_iter()
                    .map(|(standing, member, assignments)| GenIdentity {
                        standing,
                        member,
                        assignments: assignments
                            .into_iter()
                            .map(|(role, node, from, length)| GenAssignment {
                                role: role % role_count,
                                node,
                                from,
                                length,
                            })
                            .collect(),
                    })
                    .collect(),
                checks: checks
                    .into_iter()
                    .map(|(identity, permission, node, at)| Check {
                        identity,
                        permission,
                        node,
                        at,
                    })
                    .collect(),
            }
        })
}

fn permission_key(action: usize) -> String {
    format!("doc.{}", ACTIONS[action])
}

fn minutes(offset: i64) -> time::OffsetDateTime {
    START + Duration::minutes(offset)
}

fn rfc3339(offset: i64) -> String {
    minutes(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What the world looks like once written: ids, and which generated assignments exist (the
/// service refuses a second identical (identity, role, node), so the first one stands).
struct Written {
    node_ids: Vec<String>,
    role_ids: Vec<String>,
    identity_ids: Vec<String>,
    kept: Vec<Vec<bool>>,
}

/// The naive rules (decisions.md › Evaluate): an active identity with an active membership is
/// allowed P at N when some assignment of theirs is inside its window now, its role is active and
/// holds P, and it sits on N or an ancestor of N, with N and all its ancestors active. App-wide:
/// the same, on any node whose lineage is all active.
fn reference(world: &World, written: &Written, check: &Check) -> bool {
    let Some(identity) = world.identities.get(check.identity) else {
        return false;
    };
    if identity.standing == Standing::Inactive || !identity.member {
        return false;
    }
    let lineage = |mut node: usize| {
        let mut chain = vec![node];
        while let Some(parent) = world.parents[node] {
            chain.push(parent);
            node = parent;
        }
        chain
    };
    let all_active = |chain: &[usize]| chain.iter().all(|&n| world.node_active[n]);
    if let Some(node) = check.node
        && (node >= world.parents.len() || !all_active(&lineage(node)))
    {
        return false;
    }
    identity
        .assignments
        .iter()
        .zip(&written.kept[check.identity])
        .filter(|(_, kept)| **kept)
        .any(|(a, _)| {
            let in_window = a.from <= check.at && a.length.is_none_or(|l| check.at < a.from + l);
            let (role_active, role_permissions) = &world.roles[a.role];
            let grants = *role_active && role_permissions.contains(&check.permission);
            let placed = match check.node {
                Some(node) => lineage(node).contains(&a.node),
                None => all_active(&lineage(a.node)),
            };
            in_window && grants && placed
        })
}

struct Fixture {
    app: TestApp,
    caller: Caller,
    scope: EnvScope,
    root_id: String,
    worlds: AtomicUsize,
}

async fn fixture(engine: Engine) -> Fixture {
    let app = TestApp::spawn(engine).await;
    let (_, landing) = app.sign_up("prop@example.com", "Proptest").await;
    let admin = app.admin_principal("prop@example.com").await;
    let text = |key: &str| landing[key].as_str().unwrap_or_default().to_owned();
    let env = EnvPath {
        account: text("account"),
        application: text("application"),
        environment: text("environment"),
    };
    let s = &app.services;
    let caller = Caller::admin_in_environment(s, &admin, &env)
        .await
        .unwrap_or_else(|e| panic!("resolve: {e:?}"));
    let scope = caller
        .env()
        .cloned()
        .unwrap_or_else(|e| panic!("scope: {e:?}"));
    let group = PermissionGroupForm {
        resource: "doc".into(),
        actions: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
    };
    catalog::create_permission_group(s, &caller, &group)
        .await
        .unwrap_or_else(|e| panic!("permissions: {e:?}"));
    let view = hierarchy::view(s, &caller)
        .await
        .unwrap_or_else(|e| panic!("view: {e:?}"));
    // One node type that may nest: the generated shape is the only constraint.
    let schema = HierarchySchema {
        node_types: vec!["unit".into()],
        allowed_children: BTreeMap::from([("unit".into(), vec!["unit".into()])]),
        max_depth: (MAX_WORLD_DEPTH + 1) as u32,
        root_node_type: "unit".into(),
    };
    let on = hierarchy::enable_hierarchy(s, &caller, view.environment_version, Some(schema))
        .await
        .unwrap_or_else(|e| panic!("enable: {e:?}"));
    let root_id = on
        .nodes
        .first()
        .map(|n| n.id.clone())
        .unwrap_or_else(|| panic!("no root"));
    Fixture {
        app,
        caller,
        scope,
        root_id,
        worlds: AtomicUsize::new(0),
    }
}

/// Writes `world` through the services (identities and memberships directly: their services come
/// with the identities issue).
async fn write(f: &Fixture, world: &World) -> Written {
    let (s, caller) = (&f.app.services, &f.caller);
    let w = f.worlds.fetch_add(1, Ordering::SeqCst);
    f.app.clock.set(START);
    let fail = |what: &str, e: app::error::AppError| -> ! { panic!("world {w}: {what}: {e:?}") };

    let mut node_ids: Vec<String> = Vec::new();
    for (i, parent) in world.parents.iter().enumerate() {
        let parent_id = parent.map_or(f.root_id.clone(), |p| node_ids[p].clone());
        let form = NodeForm {
            name: format!("w{w} n{i}"),
            node_type: "unit".into(),
        };
        let node = hierarchy::create_node(s, caller, &parent_id, &form)
            .await
            .unwrap_or_else(|e| fail("node", e));
        node_ids.push(node.id);
    }
    let mut role_ids = Vec::new();
    for (j, (_, actions)) in world.roles.iter().enumerate() {
        let form = RoleForm {
            name: format!("w{w} r{j}"),
            description: String::new(),
        };
        let role = catalog::create_role(s, caller, &form)
            .await
            .unwrap_or_else(|e| fail("role", e));
        let keys: Vec<String> = actions.iter().map(|a| permission_key(*a)).collect();
        catalog::set_role_permissions(s, caller, &role.id, &keys)
            .await
            .unwrap_or_else(|e| fail("grants", e));
        role_ids.push(role.id);
    }
    let mut identity_ids = Vec::new();
    for (k, _) in world.identities.iter().enumerate() {
        let id = format!("w{w}-i{k}");
        for sql in [
            "INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Gen', 'Erated', 'active', 0, 0)",
            "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, created_at, updated_at) \
             VALUES ($1, $2 || '-m', $2, $4, 'active', 0, 0)",
        ] {
            sqlx::query(sql)
                .bind(&f.scope.account_id)
                .bind(&id)
                .bind(format!("{id}@example.com"))
                .bind(&f.scope.application_id)
                .execute(s.db.reader())
                .await
                .unwrap_or_else(|e| panic!("identity: {e}"));
        }
        identity_ids.push(id);
    }
    let mut kept = Vec::new();
    for (k, identity) in world.identities.iter().enumerate() {
        let mut row = Vec::new();
        for a in &identity.assignments {
            let form = AssignmentForm {
                identity_id: identity_ids[k].clone(),
                role_id: role_ids[a.role].clone(),
                node_id: node_ids[a.node].clone(),
                effective_from: Some(rfc3339(a.from)),
                effective_to: a.length.map(|l| rfc3339(a.from + l)),
            };
            match assignments::create_assignment(s, caller, &form).await {
                Ok(_) => row.push(true),
                Err(app::error::AppError::AssignmentConflict) => row.push(false),
                Err(e) => fail("assignment", e),
            }
        }
        kept.push(row);
    }
    // Standing changes after the grants exist (as a kill switch would), written directly and
    // announced to the cache as every service write is.
    for (k, identity) in world.identities.iter().enumerate() {
        let status = match identity.standing {
            Standing::Active => "active",
            Standing::Pending => "pending",
            Standing::Inactive => "inactive",
        };
        sqlx::query("UPDATE identities SET status = $1 WHERE account_id = $2 AND id = $3")
            .bind(status)
            .bind(&f.scope.account_id)
            .bind(&identity_ids[k])
            .execute(s.db.reader())
            .await
            .unwrap_or_else(|e| panic!("standing: {e}"));
        if !identity.member {
            sqlx::query(
                "UPDATE app_memberships SET status = 'suspended' WHERE account_id = $1 AND identity_id = $2",
            )
            .bind(&f.scope.account_id)
            .bind(&identity_ids[k])
            .execute(s.db.reader())
            .await
            .unwrap_or_else(|e| panic!("membership: {e}"));
        }
    }
    s.access_cache.invalidate(&f.scope.account_id);
    // Deactivations last, through the services (roles and nodes must be active to be assigned).
    for (j, (active, _)) in world.roles.iter().enumerate() {
        if !active {
            let role = catalog::list_roles(s, caller)
                .await
                .unwrap_or_else(|e| fail("roles", e))
                .into_iter()
                .find(|r| r.id == role_ids[j])
                .unwrap_or_else(|| panic!("role vanished"));
            let patch = RolePatch {
                name: Some(role.name.clone()),
                description: Some(String::new()),
                is_active: Some(false),
            };
            catalog::update_role(
                s,
                caller,
                &role.id,
                Precondition::Version(role.version),
                &patch,
            )
            .await
            .unwrap_or_else(|e| fail("deactivate role", e));
        }
    }
    for (i, active) in world.node_active.iter().enumerate() {
        if !active {
            let node = hierarchy::view(s, caller)
                .await
                .unwrap_or_else(|e| fail("view", e))
                .nodes
                .into_iter()
                .find(|n| n.id == node_ids[i])
                .unwrap_or_else(|| panic!("node vanished"));
            let patch = NodePatch {
                name: Some(node.name.clone()),
                status: Some("inactive".into()),
            };
            hierarchy::update_node(
                s,
                caller,
                &node.id,
                Precondition::Version(node.version),
                &patch,
            )
            .await
            .unwrap_or_else(|e| fail("deactivate node", e));
        }
    }
    Written {
        node_ids,
        role_ids,
        identity_ids,
        kept,
    }
}

async fn check_world(f: &Fixture, world: &World) -> Result<(), TestCaseError> {
    let written = write(f, world).await;
    for check in &world.checks {
        f.app.clock.set(minutes(check.at));
        let identity = written
            .identity_ids
            .get(check.identity)
            .cloned()
            .unwrap_or_else(|| "nobody".into());
        let node = check.node.map(|n| {
            written
                .node_ids
                .get(n)
                .cloned()
                .unwrap_or_else(|| "nowhere".into())
        });
        let permission = permission_key(check.permission);
        let question = access_checks::Check {
            identity_id: &identity,
            permission: &permission,
            node_id: node.as_deref(),
        };
        let decision = access_checks::evaluate(&f.app.services, &f.caller, question)
            .await
            .map_err(|e| TestCaseError::fail(format!("evaluate: {e:?}")))?;
        let expected = reference(world, &written, check);
        prop_assert_eq!(decision.allowed, expected, "{:?} → {:?}", check, decision);
        if check.identity >= world.identities.len() {
            prop_assert_eq!(decision.denial_reason, Some(DenialReason::IdentityNotFound));
        }
        if decision.allowed {
            // Every granting role is an assignment in force now, and the path runs from where
            // the nearest one sits down to the node asked about.
            let mine = &world.identities[check.identity];
            for granting in &decision.granting_roles {
                let in_force = mine
                    .assignments
                    .iter()
                    .zip(&written.kept[check.identity])
                    .any(|(a, kept)| {
                        *kept
                            && written.role_ids[a.role] == granting.id
                            && written.node_ids[a.node] == granting.node_id
                            && a.from <= check.at
                            && a.length.is_none_or(|l| check.at < a.from + l)
                    });
                prop_assert!(in_force, "{:?} granted by {:?}", check, granting);
            }
            if let Some(node) = &node {
                prop_assert_eq!(decision.path.last(), Some(node));
                let first = decision.path.first().cloned().unwrap_or_default();
                prop_assert!(
                    decision.granting_roles.iter().any(|g| g.node_id == first),
                    "path {:?} does not start at a granting assignment",
                    decision.path
                );
            }
        }
    }
    Ok(())
}

async fn evaluation_through_the_database_matches_the_reference(engine: Engine) {
    let fixture = fixture(engine).await;
    let mut runner = TestRunner::new(Config {
        cases: WORLDS,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let outcome = runner.run(&world(), |world| {
        tokio::task::block_in_place(|| handle.block_on(check_world(&fixture, &world)))
    });
    if let Err(e) = outcome {
        panic!("{engine:?}: {e}");
    }
    let worlds = fixture.worlds.load(Ordering::SeqCst);
    assert!(worlds >= WORLDS as usize, "only {worlds} worlds ran");
}
