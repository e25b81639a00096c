//! The evaluation change journal: after each kind of write the next check sees it, by applying
//! what changed (not by reloading the environment), and a second node on the same PostgreSQL
//! database sees grants, revocations and revoked API keys in time.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::error::AppError;
use app::model::{
    ApiKeyForm, AssignmentForm, DenialReason, EnvPath, HierarchySchema, IdentityForm, NodeForm,
    NodePatch, PermissionGroupForm, Precondition, RoleForm, RolePatch,
};
use app::services::access_checks::{self, Check};
use app::services::rows::Mode;
use app::services::{
    Caller, Services, api_keys, assignments, catalog, directory, hierarchy, identities,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

on_both_engines!(
    each_kind_of_write_is_seen_by_the_next_check_without_a_reload,
    a_pruned_journal_falls_back_to_a_whole_reload,
    a_cached_key_outlives_the_identity_writes_made_with_it_but_not_a_revocation,
    a_writes_bookkeeping_rows_each_carry_their_own_values,
);

struct World {
    app: TestApp,
    env: EnvPath,
    admin: app::services::admin_auth::AdminPrincipal,
    caller: Caller,
    root: String,
    team: String,
    role: String,
}

fn ok<T>(what: &str, result: Result<T, AppError>) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

async fn world(engine: Engine) -> World {
    let app = TestApp::spawn(engine).await;
    let (_, landing) = app.sign_up("journal@example.com", "Journal").await;
    let admin = app.admin_principal("journal@example.com").await;
    let text = |key: &str| landing[key].as_str().unwrap_or_default().to_owned();
    let env = EnvPath {
        account: text("account"),
        application: text("application"),
        environment: text("environment"),
    };
    let s = &app.services;
    let caller = ok(
        "caller",
        Caller::admin_in_environment(s, &admin, &env).await,
    );
    let group = PermissionGroupForm {
        resource: "doc".into(),
        actions: vec!["read".into()],
    };
    ok(
        "permissions",
        catalog::create_permission_group(s, &caller, &group).await,
    );
    let view = ok("view", hierarchy::view(s, &caller).await);
    let schema = HierarchySchema {
        node_types: vec!["unit".into()],
        allowed_children: BTreeMap::from([("unit".into(), vec!["unit".into()])]),
        max_depth: 4,
        root_node_type: "unit".into(),
    };
    let on = ok(
        "enable",
        hierarchy::enable_hierarchy(s, &caller, view.environment_version, Some(schema)).await,
    );
    let root = on.nodes[0].id.clone();
    let form = NodeForm {
        name: "Team".into(),
        node_type: "unit".into(),
    };
    let team = ok(
        "node",
        hierarchy::create_node(s, &caller, &root, &form).await,
    )
    .id;
    let role = ok(
        "role",
        catalog::create_role(
            s,
            &caller,
            &RoleForm {
                name: "Reader".into(),
                description: String::new(),
            },
        )
        .await,
    )
    .id;
    ok(
        "grants",
        catalog::set_role_permissions(s, &caller, &role, &["doc.read".to_owned()]).await,
    );
    World {
        app,
        env,
        admin,
        caller,
        root,
        team,
        role,
    }
}

/// The decision for `identity` reading docs at `node`, through the real evaluation path.
async fn check(s: &Services, caller: &Caller, identity: &str, node: &str) -> Option<DenialReason> {
    let check = Check {
        identity_id: identity,
        permission: "doc.read",
        node_id: Some(node),
    };
    ok("evaluate", access_checks::evaluate(s, caller, check).await).denial_reason
}

fn identity_form(email: &str) -> IdentityForm {
    IdentityForm {
        email: email.into(),
        first_name: "Pat".into(),
        last_name: "Lee".into(),
        password: None,
        password_hash: None,
        require_password_change: false,
        external_id: None,
        metadata: None,
        role_id: None,
        node_id: None,
    }
}

async fn each_kind_of_write_is_seen_by_the_next_check_without_a_reload(engine: Engine) {
    let w = world(engine).await;
    let (s, caller) = (&w.app.services, &w.caller);
    let unknown = "0193a1f3-0000-7000-8000-00000000dead";
    assert_eq!(
        check(s, caller, unknown, &w.team).await,
        Some(DenialReason::IdentityNotFound)
    );
    let loads = s.access_cache.counts().full_loads;

    // A new identity without assignments is known to the snapshot (answered from memory).
    let pat = ok(
        "identity",
        identities::create(s, caller, &identity_form("pat@example.com")).await,
    )
    .identity
    .id;
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NoActiveAssignment)
    );

    // Assignments: granted at the root, inherited below; removed again.
    let form = AssignmentForm {
        identity_id: pat.clone(),
        role_id: w.role.clone(),
        node_id: w.root.clone(),
        effective_from: None,
        effective_to: None,
    };
    let assignment = ok(
        "assign",
        assignments::create_assignment(s, caller, &form).await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);
    ok(
        "unassign",
        assignments::remove_assignment(s, caller, &assignment.id).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NoActiveAssignment)
    );
    ok(
        "assign again",
        assignments::create_assignment(s, caller, &form).await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);

    // The role's permissions.
    ok(
        "revoke key",
        catalog::set_role_permissions(s, caller, &w.role, &[]).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::PermissionNotGranted)
    );
    ok(
        "grant key",
        catalog::set_role_permissions(s, caller, &w.role, &["doc.read".to_owned()]).await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);

    // A node's status.
    let team = ok("view", hierarchy::view(s, caller).await)
        .nodes
        .into_iter()
        .find(|n| n.id == w.team)
        .unwrap_or_else(|| panic!("team"));
    let patch = |status: &str| NodePatch {
        name: Some(team.name.clone()),
        status: Some(status.into()),
    };
    let off = ok(
        "deactivate node",
        hierarchy::update_node(s, caller, &w.team, Precondition::Any, &patch("inactive")).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NodeInactive)
    );
    ok(
        "activate node",
        hierarchy::update_node(
            s,
            caller,
            &w.team,
            Precondition::Version(off.version),
            &patch("active"),
        )
        .await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);

    // A node created after the snapshot was read: known at once, and inherits.
    let form = NodeForm {
        name: "Squad".into(),
        node_type: "unit".into(),
    };
    let squad = ok(
        "squad",
        hierarchy::create_node(s, caller, &w.team, &form).await,
    )
    .id;
    assert_eq!(check(s, caller, &pat, &squad).await, None);

    // The identity's status.
    ok(
        "deactivate",
        directory::set_status(s, caller, &pat, false).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::IdentityInactive)
    );
    ok(
        "activate",
        directory::set_status(s, caller, &pat, true).await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);

    // The role's status.
    let role = ok("roles", catalog::list_roles(s, caller).await)
        .into_iter()
        .find(|r| r.id == w.role)
        .unwrap_or_else(|| panic!("role"));
    let patch = |active: bool| RolePatch {
        name: Some(role.name.clone()),
        description: Some(String::new()),
        is_active: Some(active),
    };
    ok(
        "deactivate role",
        catalog::update_role(s, caller, &w.role, Precondition::Any, &patch(false)).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NoActiveAssignment)
    );
    ok(
        "activate role",
        catalog::update_role(s, caller, &w.role, Precondition::Any, &patch(true)).await,
    );
    assert_eq!(check(s, caller, &pat, &w.team).await, None);

    // The membership: removing it revokes the application's assignments too.
    let application = caller
        .env()
        .map(|e| e.application_id.clone())
        .unwrap_or_else(|e| panic!("scope: {e:?}"));
    ok(
        "remove membership",
        directory::remove_membership(s, caller, &pat, &application).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::MembershipInactive)
    );
    ok(
        "add membership",
        directory::add_membership(s, caller, &pat, &application).await,
    );
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NoActiveAssignment)
    );

    // A bulk create: every row's identity is known at once.
    let forms: Vec<IdentityForm> = (0..5)
        .map(|i| IdentityForm {
            role_id: Some(w.role.clone()),
            node_id: Some(w.root.clone()),
            ..identity_form(&format!("bulk{i}@example.com"))
        })
        .collect();
    let rows = ok(
        "bulk",
        identities::bulk_create(s, caller, &forms, Mode::Real).await,
    );
    for row in rows {
        let id = ok("bulk row", row).identity.id;
        assert_eq!(check(s, caller, &id, &squad).await, None);
    }

    assert_eq!(
        s.access_cache.counts().full_loads,
        loads,
        "every write was applied from the journal, none reloaded the environment"
    );
    assert!(s.access_cache.counts().applies > 0);
}

async fn a_pruned_journal_falls_back_to_a_whole_reload(engine: Engine) {
    let w = world(engine).await;
    let (s, caller) = (&w.app.services, &w.caller);
    let pat = ok(
        "identity",
        identities::create(s, caller, &identity_form("pat@example.com")).await,
    )
    .identity
    .id;
    assert_eq!(
        check(s, caller, &pat, &w.team).await,
        Some(DenialReason::NoActiveAssignment)
    );
    let loads = s.access_cache.counts().full_loads;
    let form = AssignmentForm {
        identity_id: pat.clone(),
        role_id: w.role.clone(),
        node_id: w.team.clone(),
        effective_from: None,
        effective_to: None,
    };
    ok(
        "assign",
        assignments::create_assignment(s, caller, &form).await,
    );
    // The rows this snapshot would need are gone (as if pruned while nobody checked).
    sqlx::query("DELETE FROM access_journal")
        .execute(s.db.reader())
        .await
        .unwrap_or_else(|e| panic!("prune: {e}"));
    assert_eq!(check(s, caller, &pat, &w.team).await, None);
    assert_eq!(s.access_cache.counts().full_loads, loads + 1);
}

/// `seq, ord, kind, environment_id, identity_id`
type JournalRow = (i64, i64, String, Option<String>, Option<String>);
/// `action, resource_type, resource_id, environment_id, correlation_id`
type AuditRow = (String, String, Option<String>, Option<String>, String);

/// A write's bookkeeping (its audit rows, the account's head, the journal entries under it)
/// travels to the database as one batch, one command on SQLite: every row must still carry its
/// own statement's values, and the entries the head's new seq.
async fn a_writes_bookkeeping_rows_each_carry_their_own_values(engine: Engine) {
    let w = world(engine).await;
    let (s, caller) = (&w.app.services, &w.caller);
    let mut form = identity_form("pat@example.com");
    form.role_id = Some(w.role.clone());
    form.node_id = Some(w.team.clone());
    let created = ok("identity", identities::create(s, caller, &form).await);
    let pat = created.identity.id.clone();
    let account_id = caller.account_id().to_owned();

    let reader = s.db.reader();
    let (seq, key_seq): (i64, i64) =
        sqlx::query_as("SELECT seq, key_seq FROM access_heads WHERE account_id = $1")
            .bind(&account_id)
            .fetch_one(reader)
            .await
            .unwrap_or_else(|e| panic!("head: {e}"));
    let entries: Vec<JournalRow> = sqlx::query_as(
        "SELECT seq, ord, kind, environment_id, identity_id FROM access_journal \
         WHERE account_id = $1 AND seq = (SELECT MAX(seq) FROM access_journal WHERE account_id = $1) \
         ORDER BY ord",
    )
    .bind(&account_id)
    .fetch_all(reader)
    .await
    .unwrap_or_else(|e| panic!("journal: {e}"));
    let env_id = caller.env().map(|e| e.environment_id.clone()).ok();
    assert_eq!(
        entries,
        vec![
            (seq, 0, "identity".to_owned(), None, Some(pat.clone())),
            (
                seq,
                1,
                "identity".to_owned(),
                env_id.clone(),
                Some(pat.clone())
            ),
        ],
        "the create's entries, under the head it took"
    );
    assert!(key_seq < seq, "an identity write moves no key seq");

    let audit: Vec<AuditRow> = sqlx::query_as(
        "SELECT action, resource_type, resource_id, environment_id, correlation_id \
         FROM audit_events WHERE account_id = $1 AND (metadata LIKE $2 OR resource_id = $3) \
         ORDER BY action",
    )
    .bind(&account_id)
    .bind(format!("%{pat}%"))
    .bind(&pat)
    .fetch_all(reader)
    .await
    .unwrap_or_else(|e| panic!("audit: {e}"));
    let assignment_id = created.assignment.map(|a| a.id);
    let membership_id = Some(created.membership_id);
    assert_eq!(
        audit
            .iter()
            .map(|(action, kind, id, env, _)| (
                action.as_str(),
                kind.as_str(),
                id.clone(),
                env.clone()
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                "assignment.created",
                "assignment",
                assignment_id,
                env_id.clone()
            ),
            (
                "identity.created",
                "identity",
                Some(pat.clone()),
                env_id.clone()
            ),
            (
                "membership.activated",
                "app_membership",
                membership_id,
                env_id
            ),
        ]
    );
    assert!(
        audit.iter().all(|row| row.4 == audit[0].4),
        "one operation, one correlation id: {audit:?}"
    );
}

fn key_label(caller: &Caller) -> String {
    match caller.actor() {
        app::services::audit::Actor::ApiKey { label, .. } => label,
        other => panic!("not a key: {other:?}"),
    }
}

/// Cached API keys watch the account's `key_seq`, not its seq: the identity writes a backend makes
/// with its key leave the cached copy in use (the next request reads no key row — a change made
/// behind the services' back shows that), while a revocation moves `key_seq` and is refused at
/// once. The test clock does not move, so the 1 s re-read bound plays no part.
async fn a_cached_key_outlives_the_identity_writes_made_with_it_but_not_a_revocation(
    engine: Engine,
) {
    let w = world(engine).await;
    let s = &w.app.services;
    let form = ApiKeyForm {
        name: "Backend".into(),
        description: String::new(),
        expires: "never".into(),
        scopes: Vec::new(),
    };
    let created = ok("key", api_keys::create(s, &w.caller, &form).await);
    let keyed = ok(
        "authenticate",
        api_keys::authenticate(s, Some(&created.key)).await,
    );
    assert!(key_label(&keyed).starts_with("Backend ("));
    ok(
        "create with the key",
        identities::create(s, &keyed, &identity_form("kim@example.com")).await,
    );
    // Out of band: no journal entry, so only a re-read of the row would see the new name.
    sqlx::query("UPDATE api_keys SET name = 'Renamed' WHERE id = $1")
        .bind(&created.api_key.id)
        .execute(s.db.writer())
        .await
        .unwrap_or_else(|e| panic!("rename: {e}"));
    let again = ok(
        "authenticate after the create",
        api_keys::authenticate(s, Some(&created.key)).await,
    );
    assert!(
        key_label(&again).starts_with("Backend ("),
        "the key was read again after an identity write: {}",
        key_label(&again)
    );
    ok(
        "revoke",
        api_keys::revoke(s, &w.caller, &created.api_key.id).await,
    );
    assert_eq!(
        api_keys::authenticate(s, Some(&created.key)).await.err(),
        Some(AppError::ApiKeyRevoked)
    );
}

/// Two nodes on one PostgreSQL database: what one writes, the other sees in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_sees_grants_revocations_and_revoked_keys_in_time() {
    let w = world(Engine::Postgres).await;
    let (a, caller_a) = (&w.app.services, &w.caller);
    let b = w.app.second_node().await;
    let caller_b = ok(
        "caller b",
        Caller::admin_in_environment(&b, &w.admin, &w.env).await,
    );
    let pat = ok(
        "identity",
        identities::create(a, caller_a, &identity_form("pat@example.com")).await,
    )
    .identity
    .id;
    // Node B has read the environment (and so has a snapshot to keep current).
    let until = |deadline: Duration, want: Option<DenialReason>| {
        let (b, caller_b, pat, team) = (&b, &caller_b, pat.clone(), w.team.clone());
        async move {
            let started = Instant::now();
            loop {
                if check(b, caller_b, &pat, &team).await == want {
                    return started.elapsed();
                }
                assert!(
                    started.elapsed() < deadline,
                    "node B did not see {want:?} within {deadline:?}"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    };
    until(
        Duration::from_secs(2),
        Some(DenialReason::NoActiveAssignment),
    )
    .await;

    let form = AssignmentForm {
        identity_id: pat.clone(),
        role_id: w.role.clone(),
        node_id: w.root.clone(),
        effective_from: None,
        effective_to: None,
    };
    let assignment = ok(
        "grant on A",
        assignments::create_assignment(a, caller_a, &form).await,
    );
    let granted = until(Duration::from_millis(100), None).await;
    ok(
        "revoke on A",
        assignments::remove_assignment(a, caller_a, &assignment.id).await,
    );
    let revoked = until(
        Duration::from_millis(100),
        Some(DenialReason::NoActiveAssignment),
    )
    .await;
    eprintln!("cross-node propagation: grant {granted:?}, revocation {revoked:?}");

    // An API key revoked on A is refused by B within a second (the clock does not move: no
    // recheck interval helps, only the journal).
    let form = ApiKeyForm {
        name: "Backend".into(),
        description: String::new(),
        expires: "never".into(),
        scopes: Vec::new(),
    };
    let created = ok("key", api_keys::create(a, caller_a, &form).await);
    ok(
        "use on B",
        api_keys::authenticate(&b, Some(&created.key)).await,
    );
    ok(
        "revoke key on A",
        api_keys::revoke(a, caller_a, &created.api_key.id).await,
    );
    let started = Instant::now();
    loop {
        match api_keys::authenticate(&b, Some(&created.key)).await {
            Err(AppError::ApiKeyRevoked) => break,
            Ok(_) => {}
            Err(e) => panic!("unexpected: {e:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "node B still accepts the revoked key"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("cross-node key revocation: {:?}", started.elapsed());
}
