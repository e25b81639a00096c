//! A session of one account can never read another account's data through any server function.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::json;

on_both_engines!(a_session_of_one_account_cannot_read_another_account);

async fn a_session_of_one_account_cannot_read_another_account(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (alice, _) = app.sign_up("alice@a.test", "Alpha").await;
    let (bob, _) = app.sign_up("bob@b.test", "Beta").await;

    // Every server function that takes an account, asked about Beta by Alpha's admin.
    let probes = [
        ("workspace", json!({ "account": "beta" })),
        ("applications", json!({ "account": "beta" })),
        (
            "overview",
            json!({ "account": "beta", "application": "billing-portal", "environment": "development" }),
        ),
        (
            "remember_environment",
            json!({ "account": "beta", "application": "billing-portal", "environment": "production" }),
        ),
        (
            "application_landing",
            json!({ "account": "beta", "application": "billing-portal" }),
        ),
    ];
    for (endpoint, args) in &probes {
        let reply = app.call(&alice, endpoint, args.clone()).await;
        assert_eq!(reply.status, 404, "{endpoint}: {}", reply.body);
        assert_eq!(reply.code(), "accounts.not_found", "{endpoint}");
        assert!(
            !reply.body.to_string().contains("bob@b.test"),
            "{endpoint} leaked data"
        );
        // The owner sees their own account through the same function.
        let own = app.call(&bob, endpoint, args.clone()).await;
        assert_eq!(own.status, 200, "{endpoint} for its owner: {}", own.body);
    }
    // Nothing was remembered for Alpha's admin in Beta.
    assert_eq!(
        app.count("admin_app_state").await,
        1,
        "only Bob's own switch was stored"
    );

    // And without a session nothing is readable at all.
    let anonymous = app.client();
    for (endpoint, args) in &probes {
        let reply = app.call(&anonymous, endpoint, args.clone()).await;
        assert_eq!(reply.status, 401, "{endpoint}");
    }
}

// ------------------------------------------------------------------------------------------------
// The property: no request, whoever sends it, crosses a tenant boundary.
//
// Each generated *world* is a few Accounts (account 0 is the caller's), each with one or two
// Applications, Development and Production, nodes, roles and identities with assignments, written
// through the dashboard's server functions into one shared database (worlds never share an
// Account). Account 0 also gets an admin and a viewer besides its owner, an API key with full access
// and an API key with one generated scope. Requests are generated from the route tables themselves
// — every REST operation of the OpenAPI document and every registered server function — with
// arguments drawn from the world: the caller's own ids, slugs and emails, or another Account's.
//
// After each request:
// - **nothing leaks**: every id (UUID) and email in the answer belongs to the caller's Account (and,
//   for an API key, to its Environment where the entity is environment-scoped) or was in the
//   request itself; no generated name of another tenant appears; ids and emails of earlier worlds
//   (other Accounts) never appear;
// - **nothing is written outside**: the rows of the other Accounts (and, for an API key, of the
//   other Environments) are unchanged (count and last update of every tenant table).
//
// CI runs a few worlds per engine (every route at least once); `ARBOR_ISOLATION_WORLDS=1000` is the
// full run. Failing seeds are kept in `isolation.regressions` and replayed first.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

on_both_engines!(no_request_crosses_a_tenant_boundary);

/// Worlds per engine in CI; enough that every route is sent at least once.
const CI_WORLDS: u32 = 6;
/// Requests per world: a window of the shuffled route table, so consecutive worlds cover it all.
const REQUESTS_PER_WORLD: usize = 40;

#[derive(Debug, Clone)]
struct WorldSpec {
    /// Accounts besides the caller's: 1 or 2.
    others: usize,
    /// Per account: whether it has a second application.
    second_app: Vec<bool>,
    /// Per account: nodes, roles and identities in each environment it fills.
    sizes: Vec<(usize, usize, usize)>,
    /// The scope of the second API key (an index into the environment scopes).
    key_scope: usize,
    /// Per request: which caller sends it and the seed its arguments are drawn from.
    picks: Vec<(usize, u64)>,
}

fn world_spec() -> impl Strategy<Value = WorldSpec> {
    (1usize..=2).prop_flat_map(|others| {
        let accounts = others + 1;
        (
            Just(others),
            prop::collection::vec(any::<bool>(), accounts),
            prop::collection::vec((1usize..=2, 1usize..=2, 1usize..=2), accounts),
            0usize..64,
            prop::collection::vec((0usize..CALLERS, any::<u64>()), REQUESTS_PER_WORLD),
        )
            .prop_map(|(others, second_app, sizes, key_scope, picks)| WorldSpec {
                others,
                second_app,
                sizes,
                key_scope,
                picks,
            })
    })
}

/// Owner, admin, viewer, full-access key, scoped key, nobody.
const CALLERS: usize = 6;

enum Credential {
    Session(reqwest::Client),
    Key { key: String, environment_id: String },
    Nobody(reqwest::Client),
}

struct Caller {
    label: &'static str,
    credential: Credential,
}

/// What one entity is, and whose.
#[derive(Debug, Clone)]
struct Owner {
    account: String,
    /// Set for environment-scoped rows.
    environment: Option<String>,
    table: &'static str,
}

/// The slugs that address one environment.
#[derive(Debug, Clone)]
struct EnvSlugs {
    account: String,
    application: String,
    environment: String,
}

struct World {
    number: usize,
    /// Account ids; index 0 is the caller's.
    accounts: Vec<String>,
    /// Per account: the environments it has.
    envs: Vec<Vec<EnvSlugs>>,
    /// Every id and email of the world's accounts, with its owner.
    owners: HashMap<String, Vec<Owner>>,
    /// Generated names of each account, to find them in answers.
    names: Vec<Vec<String>>,
    callers: Vec<Caller>,
}

/// Tables that hold tenant data: (table, has an environment column, how an update shows).
const TENANT_TABLES: &[(&str, bool, &str)] = &[
    ("applications", false, "MAX(updated_at)"),
    ("environments", false, "MAX(updated_at)"),
    ("nodes", true, "MAX(updated_at)"),
    ("permissions", true, "MAX(updated_at)"),
    ("roles", true, "MAX(updated_at)"),
    ("role_permissions", false, "COUNT(*)"),
    ("identities", false, "MAX(updated_at)"),
    ("app_memberships", false, "MAX(updated_at)"),
    ("assignments", true, "MAX(updated_at)"),
    ("api_keys", true, "COUNT(revoked_at)"),
    ("identity_invites", true, "MAX(updated_at)"),
    ("identity_tokens", true, "COUNT(*)"),
    ("identity_sessions", true, "COUNT(*)"),
    ("admin_invites", false, "MAX(updated_at)"),
    ("account_members", false, "SUM(LENGTH(role))"),
    ("audit_events", false, "COUNT(*)"),
    ("outbox", false, "COUNT(*)"),
];

/// Tables whose rows carry an `id` worth finding in answers.
const ID_TABLES: &[(&str, bool)] = &[
    ("applications", false),
    ("environments", false),
    ("nodes", true),
    ("permissions", true),
    ("roles", true),
    ("identities", false),
    ("app_memberships", false),
    ("assignments", true),
    ("api_keys", true),
    ("identity_invites", true),
    ("admin_invites", false),
    ("audit_events", false),
];

struct Fixture {
    app: TestApp,
    /// The REST operations: (method, path template, operation).
    operations: Vec<(String, String, Value)>,
    openapi: Value,
    server_fns: Vec<String>,
    /// The route table, shuffled once: REST operations as `METHOD path`, server functions by name.
    routes: Vec<String>,
    /// Ids and emails of earlier worlds: foreign to every later caller.
    earlier: Mutex<HashSet<String>>,
    worlds: std::sync::atomic::AtomicUsize,
    requests: std::sync::atomic::AtomicUsize,
    /// Answers by status class, and the routes that answered 2xx at least once: a run where
    /// every request is refused at the door would prove nothing.
    statuses: Mutex<std::collections::BTreeMap<u16, usize>>,
    answered: Mutex<HashSet<String>>,
}

async fn isolation_fixture(engine: Engine) -> Fixture {
    let app = TestApp::spawn(engine).await;
    let openapi: Value = app
        .client()
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("openapi: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("openapi json: {e}"));
    let mut operations = Vec::new();
    for (path, item) in openapi["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                operations.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(operations.len() > 40, "{} operations", operations.len());
    let server_fns: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    assert!(server_fns.len() > 60, "{server_fns:?}");
    let mut routes: Vec<String> = operations
        .iter()
        .map(|(method, path, _)| format!("{method} {path}"))
        .chain(server_fns.iter().cloned())
        .collect();
    routes.sort();
    // A fixed shuffle: the windows of consecutive worlds cover the table in a mixed order.
    let mut state = 0x5EED_0F15_0A7E_u64;
    for i in (1..routes.len()).rev() {
        state = splitmix(state);
        routes.swap(i, (state % (i as u64 + 1)) as usize);
    }
    Fixture {
        app,
        operations,
        openapi,
        server_fns,
        routes,
        earlier: Mutex::default(),
        worlds: Default::default(),
        requests: Default::default(),
        statuses: Mutex::default(),
        answered: Mutex::default(),
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A tiny deterministic generator for request arguments (the seed comes from proptest).
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: usize) -> usize {
        self.0 = splitmix(self.0);
        (self.0 % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

async fn no_request_crosses_a_tenant_boundary(engine: Engine) {
    let fixture = isolation_fixture(engine).await;
    let worlds = std::env::var("ARBOR_ISOLATION_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CI_WORLDS);
    let mut runner = TestRunner::new(Config {
        cases: worlds,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/it/isolation.regressions",
        ))),
        // A counterexample is a whole world; a few shrink steps make it readable, not minimal.
        max_shrink_iters: 32,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let outcome = runner.run(&world_spec(), |spec| {
        tokio::task::block_in_place(|| handle.block_on(check_isolation(&fixture, &spec)))
    });
    if let Err(e) = outcome {
        panic!("{engine:?}: {e}");
    }
    let ran = fixture.worlds.load(std::sync::atomic::Ordering::SeqCst);
    let requests = fixture.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(ran >= worlds as usize, "only {ran} worlds ran");
    // Every route was sent at least once when the run is long enough to cover the table.
    if worlds as usize * REQUESTS_PER_WORLD >= fixture.routes.len() {
        assert!(requests >= fixture.routes.len(), "{requests} requests");
    }
    let statuses = lock(&fixture.statuses).clone();
    let answered = lock(&fixture.answered).len();
    println!(
        "{engine:?}: {ran} worlds, {requests} requests over {} routes ({} REST operations, {} server functions); \
         statuses {statuses:?}; {answered} routes answered 2xx",
        fixture.routes.len(),
        fixture.operations.len(),
        fixture.server_fns.len()
    );
    let succeeded: usize = statuses
        .iter()
        .filter(|(status, _)| (200..300).contains(*status))
        .map(|(_, n)| n)
        .sum();
    assert!(
        succeeded * 7 >= requests,
        "only {succeeded} of {requests} requests succeeded: the generated requests do not reach the data"
    );
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn check_isolation(fixture: &Fixture, spec: &WorldSpec) -> Result<(), TestCaseError> {
    let number = fixture
        .worlds
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut world = build_world(fixture, spec, number).await;
    let callers = std::mem::take(&mut world.callers);
    // What the world's callers wrote successfully so far: the caller's own account may hold
    // another tenant's email or name because it was told it (an invite to that address), and
    // showing it back is no leak. Refused requests wrote nothing, so they do not count.
    let mut told = String::new();
    let start = number * REQUESTS_PER_WORLD;
    for (offset, (caller, seed)) in spec.picks.iter().enumerate() {
        let route = &fixture.routes[(start + offset) % fixture.routes.len()];
        let mut draw = Draw(*seed);
        let server_fn = fixture.server_fns.contains(route);
        // Mostly the credential the route is made for (sessions for server functions, keys for
        // the REST API); sometimes any, to see the wrong kind refused.
        let caller = if draw.chance(85) {
            let own_kind: &[usize] = if server_fn { &[0, 1, 2] } else { &[3, 4] };
            own_kind[*caller % own_kind.len()]
        } else {
            *caller
        };
        let caller = &callers[caller % callers.len()];
        let request = if server_fn {
            server_fn_request(&world, route, &mut draw)
        } else {
            rest_request(fixture, &world, route, &mut draw)
        };
        let public = request.public;
        let guarded = !public && !matches!(caller.credential, Credential::Nobody(_));
        let membership_route = route == "DELETE /api/v1/identities/{id}";
        let before = if guarded {
            Some(tenant_fingerprint(&fixture.app, &world, caller, membership_route).await)
        } else {
            None
        };
        fixture.app.clock.advance(time::Duration::seconds(1));
        let (status, answer) = send(&fixture.app, caller, &request).await;
        fixture
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *lock(&fixture.statuses).entry(status).or_default() += 1;
        if (200..300).contains(&status) {
            lock(&fixture.answered).insert(route.clone());
        }
        if std::env::var("ARBOR_ISOLATION_TRACE").is_ok() {
            println!(
                "{} {} {} → {status}",
                caller.label, request.method, request.path
            );
        }
        let context = || {
            format!(
                "world {number}, {} → {} {}: {status} {}",
                caller.label,
                request.method,
                request.path,
                truncate(&answer)
            )
        };
        prop_assert!(status < 500, "server error: {}", context());
        if let Some(before) = before {
            let after = tenant_fingerprint(&fixture.app, &world, caller, membership_route).await;
            prop_assert_eq!(
                &before,
                &after,
                "wrote outside the caller's tenant: {}",
                context()
            );
        }
        let mut asked = request.text().to_lowercase();
        asked.push_str(&told);
        if let Some(leak) = find_leak(fixture, &mut world, caller, &asked, &answer).await {
            prop_assert!(false, "{leak} leaked: {}", context());
        }
        if (200..300).contains(&status) {
            told.push(' ');
            told.push_str(&request.text().to_lowercase());
        }
    }
    let mut earlier = fixture
        .earlier
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    earlier.extend(world.owners.keys().cloned());
    Ok(())
}

fn truncate(text: &str) -> String {
    text.chars().take(600).collect()
}

/// Writes one world through the owner's dashboard: the caller's account and the others.
async fn build_world(fixture: &Fixture, spec: &WorldSpec, number: usize) -> World {
    let app = &fixture.app;
    let mut accounts = Vec::new();
    let mut envs = Vec::new();
    let mut names = Vec::new();
    let mut owners_clients = Vec::new();
    for account in 0..=spec.others {
        let tag = format!("Zq{number:05}a{account}");
        let email = format!("{}@w{number:05}.test", tag.to_lowercase());
        let (owner, landing) = app.sign_up(&email, &tag).await;
        let slug = landing["account"].as_str().unwrap_or_default().to_owned();
        let first_app = landing["application"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let id = app
            .strings(&format!("SELECT id FROM accounts WHERE slug = '{slug}'"))
            .await
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut account_names = vec![tag.clone()];
        let mut applications = vec![first_app];
        if spec.second_app[account] {
            let name = format!("{tag}p2");
            let created = app
                .call(
                    &owner,
                    "create_application",
                    json!({ "account": slug, "form": { "name": name } }),
                )
                .await;
            assert_eq!(created.status, 200, "{}", created.body);
            applications.push(created.body["slug"].as_str().unwrap_or_default().to_owned());
            account_names.push(name);
        }
        let mut account_envs = Vec::new();
        for application in &applications {
            for environment in ["development", "production"] {
                account_envs.push(EnvSlugs {
                    account: slug.clone(),
                    application: application.clone(),
                    environment: environment.to_owned(),
                });
            }
        }
        // Nodes, roles and identities with assignments in the first application's two
        // environments (the identities join the application: one directory per account).
        let (node_count, role_count, identity_count) = spec.sizes[account];
        for (e, env) in account_envs.iter().take(2).enumerate() {
            let env_json = json!({ "account": env.account, "application": env.application, "environment": env.environment });
            let tree = app
                .call(&owner, "hierarchy", json!({ "env": env_json }))
                .await;
            let tree = app
                .call(&owner, "enable_hierarchy", json!({ "env": env_json, "version": tree.body["environment_version"], "schema": null }))
                .await;
            assert_eq!(tree.status, 200, "{}", tree.body);
            let root = tree.body["nodes"][0]["id"].clone();
            let mut nodes = vec![root.clone()];
            for n in 0..node_count {
                let name = format!("{tag}e{e}n{n}");
                let created = app
                    .call(&owner, "create_node", json!({ "env": env_json, "parent_node_id": root, "form": { "name": name, "node_type": "region" } }))
                    .await;
                assert_eq!(created.status, 200, "{}", created.body);
                nodes.push(created.body["id"].clone());
                account_names.push(name);
            }
            let mut roles = Vec::new();
            for r in 0..role_count {
                let name = format!("{tag}e{e}r{r}");
                let created = app
                    .call(
                        &owner,
                        "create_role",
                        json!({ "env": env_json, "form": { "name": name } }),
                    )
                    .await;
                assert_eq!(created.status, 200, "{}", created.body);
                roles.push(created.body["id"].clone());
                account_names.push(name);
            }
            for i in 0..identity_count {
                let first = format!("{tag}e{e}i{i}f");
                let last = format!("{tag}e{e}i{i}l");
                let created = app
                    .call(&owner, "create_identity", json!({ "env": env_json, "form": {
                        "email": format!("{}@w{number:05}.test", format!("{tag}e{e}i{i}").to_lowercase()),
                        "first_name": first, "last_name": last,
                        "role_id": roles[i % roles.len()], "node_id": nodes[(i + 1) % nodes.len()] } }))
                    .await;
                assert_eq!(created.status, 200, "{}", created.body);
                account_names.push(first);
                account_names.push(last);
            }
        }
        accounts.push(id);
        envs.push(account_envs);
        names.push(account_names);
        owners_clients.push((owner, email));
    }

    // The caller's account: its owner, an admin, a viewer, two API keys and nobody.
    let (owner, _) = owners_clients.swap_remove(0);
    let own = envs[0][0].clone();
    let mut callers = vec![Caller {
        label: "owner",
        credential: Credential::Session(owner.clone()),
    }];
    for (label, role) in [("admin", "admin"), ("viewer", "viewer")] {
        let email = format!("zq{number:05}{role}@w{number:05}.test");
        let invited = app
            .call(
                &owner,
                "invite_admin",
                json!({ "account": own.account, "form": { "email": email, "role": role } }),
            )
            .await;
        assert_eq!(invited.status, 200, "{}", invited.body);
        let token = admin_invite_token(app, &email).await;
        let client = app.client();
        let accepted = app
            .call(&client, "accept_admin_invite", json!({ "form": { "token": token, "first_name": format!("Zq{number:05}{role}f"), "last_name": format!("Zq{number:05}{role}l"), "password": "Correct-Horse-Battery-42" } }))
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        callers.push(Caller {
            label,
            credential: Credential::Session(client),
        });
    }
    let scopes: Vec<&str> = app::model::SystemPermission::ALL
        .iter()
        .map(|p| p.key())
        .filter(|k| app::model::is_management_scope(k))
        .collect();
    let scoped_env = envs[0][1].clone();
    for (label, env, key_scopes) in [
        ("full-access key", own.clone(), Vec::new()),
        (
            "scoped key",
            scoped_env,
            vec![scopes[spec.key_scope % scopes.len()]],
        ),
    ] {
        let env_json = json!({ "account": env.account, "application": env.application, "environment": env.environment });
        let created = app
            .call(&owner, "create_api_key", json!({ "env": env_json, "form": { "name": format!("Zq{number:05}k{}", callers.len()), "scopes": key_scopes } }))
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let key = created.body["key"].as_str().unwrap_or_default().to_owned();
        let environment_id = app
            .strings(&format!(
                "SELECT e.id FROM environments e JOIN applications a ON a.id = e.application_id \
                 JOIN accounts c ON c.id = a.account_id \
                 WHERE c.slug = '{}' AND a.slug = '{}' AND e.slug = '{}'",
                env.account, env.application, env.environment
            ))
            .await
            .into_iter()
            .next()
            .unwrap_or_default();
        callers.push(Caller {
            label,
            credential: Credential::Key {
                key,
                environment_id,
            },
        });
    }
    callers.push(Caller {
        label: "nobody",
        credential: Credential::Nobody(app.client()),
    });
    assert_eq!(callers.len(), CALLERS);

    let mut world = World {
        number,
        accounts,
        envs,
        owners: HashMap::new(),
        names,
        callers,
    };
    index_owners(app, &mut world).await;
    world
}

async fn admin_invite_token(app: &TestApp, email: &str) -> String {
    let bodies = app
        .strings(&format!(
            "SELECT text_body FROM outbox WHERE kind = 'admin_invite' AND recipient = '{email}'"
        ))
        .await;
    let body = bodies.first().cloned().unwrap_or_default();
    body.split("/accept-admin-invite?token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Reads who owns every id and email of the world's accounts (again, after a request created
/// something).
async fn index_owners(app: &TestApp, world: &mut World) {
    let accounts = sql_list(&world.accounts);
    let mut owners: HashMap<String, Vec<Owner>> = HashMap::new();
    let pool = app.services.db.reader();
    for &(table, scoped) in ID_TABLES {
        let environment = if scoped { "environment_id" } else { "NULL" };
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT id, account_id, {environment} FROM {table} WHERE account_id IN ({accounts})"
        ))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
        for (id, account, environment) in rows {
            owners.entry(id).or_default().push(Owner {
                account,
                environment,
                table,
            });
        }
    }
    for (sql, table) in [
        (
            "SELECT id, id FROM accounts WHERE id IN ({accounts})",
            "accounts",
        ),
        (
            "SELECT LOWER(email), account_id FROM identities WHERE account_id IN ({accounts})",
            "identities",
        ),
        (
            "SELECT u.id, m.account_id FROM admin_users u JOIN account_members m ON m.admin_user_id = u.id \
             WHERE m.account_id IN ({accounts})",
            "admin_users",
        ),
        (
            "SELECT LOWER(u.email), m.account_id FROM admin_users u JOIN account_members m ON m.admin_user_id = u.id \
             WHERE m.account_id IN ({accounts})",
            "admin_users",
        ),
    ] {
        let rows: Vec<(String, String)> = sqlx::query_as(&sql.replace("{accounts}", &accounts))
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        for (key, account) in rows {
            owners.entry(key).or_default().push(Owner {
                account,
                environment: None,
                table,
            });
        }
    }
    world.owners = owners;
}

fn sql_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The other tenants' rows as the caller must leave them: per table, the row count and the sign
/// of its last change, for every other account — and for an API key, also its own account's
/// other environments.
async fn tenant_fingerprint(
    app: &TestApp,
    world: &World,
    caller: &Caller,
    membership_route: bool,
) -> Vec<(String, i64)> {
    let others = sql_list(&world.accounts[1..]);
    let own = &world.accounts[0];
    let mut parts = Vec::new();
    for &(table, scoped, change) in TENANT_TABLES {
        parts.push(format!(
            "SELECT '{table}' AS t, CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE account_id IN ({others}) \
             UNION ALL SELECT '{table}~', CAST(COALESCE({change}, 0) AS BIGINT) FROM {table} WHERE account_id IN ({others})"
        ));
        if let Credential::Key { environment_id, .. } = &caller.credential
            && scoped
        {
            // The one write that reaches past the key's environment by design (decisions.md ›
            // REST API): `DELETE /identities/{id}` ends the identity's membership of the
            // *application*, and so revokes its assignments in the application's other
            // environments too. Everything else stays inside the key's environment.
            let application_wide = membership_route && table == "assignments";
            let others = if application_wide {
                format!(
                    "environment_id NOT IN (SELECT id FROM environments WHERE application_id = \
                     (SELECT application_id FROM environments WHERE id = '{environment_id}'))"
                )
            } else {
                format!("environment_id <> '{environment_id}'")
            };
            parts.push(format!(
                "SELECT '{table}@', CAST(COUNT(*) AS BIGINT) FROM {table} WHERE account_id = '{own}' AND {others} \
                 UNION ALL SELECT '{table}@~', CAST(COALESCE({change}, 0) AS BIGINT) FROM {table} WHERE account_id = '{own}' AND {others}"
            ));
        }
    }
    sqlx::query_as(&parts.join(" UNION ALL "))
        .fetch_all(app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("fingerprint: {e}"))
}

struct Request {
    method: String,
    path: String,
    body: Option<Value>,
    if_match: bool,
    /// Routes a signed-out visitor may use (sign-up, sign-in, token pages…): they act on
    /// whichever account an email or token names, by design, so only the leak check applies.
    public: bool,
}

impl Request {
    fn text(&self) -> String {
        format!(
            "{} {}",
            self.path,
            self.body.as_ref().map(Value::to_string).unwrap_or_default()
        )
    }
}

/// Public server functions and REST operations (see `team.rs` for the server-function list).
fn is_public_server_fn(name: &str) -> bool {
    crate::team::PUBLIC.contains(&name)
}

/// An id of `kind` from the caller's account (any environment) or, as often, another's.
fn draw_id(world: &World, draw: &mut Draw, kind: &str) -> String {
    let own = draw.chance(50);
    let candidates: Vec<&String> = world
        .owners
        .iter()
        .filter(|(key, owners)| {
            !key.contains('@')
                && owners.iter().any(|o| {
                    (kind == "any" || o.table == kind) && (o.account == world.accounts[0]) == own
                })
        })
        .map(|(key, _)| key)
        .collect();
    let mut candidates = candidates;
    candidates.sort();
    draw.pick(&candidates)
        .map(|id| (*id).clone())
        .unwrap_or_else(|| "0193a1f0-0000-7000-8000-000000000000".to_owned())
}

fn draw_env(world: &World, draw: &mut Draw) -> EnvSlugs {
    // Mostly the caller's own environments: the interesting attack is an own context with
    // another tenant's object in it.
    let account = if draw.chance(75) {
        0
    } else {
        1 + draw.below(world.accounts.len() - 1)
    };
    let envs = &world.envs[account];
    envs[draw.below(envs.len())].clone()
}

/// The kind of entity an argument or field names, from its name.
fn kind_of(field: &str, path_hint: &str) -> Option<&'static str> {
    Some(match field {
        "identity_id" | "identity_ids" | "actor_id" => "identities",
        "node_id" | "parent_node_id" | "new_parent_id" | "parent_id" => "nodes",
        "role_id" | "new_role_id" => "roles",
        "application_id" => "applications",
        "admin_id" => "admin_users",
        "permission_id" => "permissions",
        "assignment_id" | "assignment_ids" => "assignments",
        "id" | "ids" | "resource_id" => match path_hint {
            h if h.contains("assignment") => "assignments",
            h if h.contains("identity-invites") || h.contains("invite") => "identity_invites",
            h if h.contains("identit") => "identities",
            h if h.contains("node") || h.contains("hierarchy") => "nodes",
            h if h.contains("permission") => "permissions",
            h if h.contains("role") => "roles",
            h if h.contains("api_key") => "api_keys",
            h if h.contains("application") => "applications",
            _ => "any",
        },
        _ => return None,
    })
}

/// Fills a form (or a generated body) with values drawn from the world, field by field.
fn fill(value: &mut Value, world: &World, draw: &mut Draw, hint: &str, serial: &mut usize) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                *serial += 1;
                let fresh = format!("Zr{:05}x{serial:03}", world.number);
                match (name.as_str(), &mut *field) {
                    ("email", _) => {
                        *field = if draw.chance(30) {
                            // Someone else's address: the answer must not tell whose it is.
                            Value::String(draw_email(world, draw))
                        } else {
                            Value::String(format!(
                                "{}@w{:05}.test",
                                fresh.to_lowercase(),
                                world.number
                            ))
                        }
                    }
                    ("name" | "first_name" | "last_name" | "description", _) => {
                        *field = Value::String(fresh)
                    }
                    ("key" | "permission", _) => *field = json!("doc.read"),
                    ("password" | "new_password", _) => *field = json!("Correct-Horse-Battery-42"),
                    ("current_password", _) => *field = json!("Correct-Horse-Battery-42"),
                    (name, Value::Array(items)) if kind_of(name, hint).is_some() => {
                        let kind = kind_of(name, hint).unwrap_or("any");
                        *items = vec![Value::String(draw_id(world, draw, kind))];
                    }
                    (name, _) if kind_of(name, hint).is_some() => {
                        let kind = kind_of(name, hint).unwrap_or("any");
                        *field = Value::String(draw_id(world, draw, kind));
                    }
                    (_, nested) => fill(nested, world, draw, hint, serial),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                fill(item, world, draw, hint, serial);
            }
        }
        _ => {}
    }
}

fn draw_email(world: &World, draw: &mut Draw) -> String {
    let mut emails: Vec<&String> = world.owners.keys().filter(|k| k.contains('@')).collect();
    emails.sort();
    draw.pick(&emails).map(|e| (*e).clone()).unwrap_or_default()
}

fn server_fn_request(world: &World, endpoint: &str, draw: &mut Draw) -> Request {
    let env = draw_env(world, draw);
    let mut serial = 0;
    let mut args = json!({
        "env": { "account": env.account, "application": env.application, "environment": env.environment },
        "account": env.account, "application": env.application, "environment": env.environment,
        "version": 1, "active": false, "cascade": true, "page": 1, "q": "",
        "dry_run": false, "mode": "create", "confirm": "", "role": "viewer",
        "permission_keys": ["doc.read"], "permission": "doc.read",
        "filter": app::model::AuditFilter::default(),
        "summary": app::model::csv_import::ImportSummary::default(),
        "schema": app::model::HierarchySchema::default(),
        "query": app::model::DirectoryQuery::default(),
        "token": "not-a-token", "access_token": "x", "selection_token": "x",
    });
    for name in [
        "id",
        "identity_id",
        "node_id",
        "parent_node_id",
        "role_id",
        "application_id",
        "admin_id",
    ] {
        let kind = kind_of(name, endpoint).unwrap_or("any");
        args[name] = Value::String(draw_id(world, draw, kind));
    }
    let kind = kind_of("ids", endpoint).unwrap_or("any");
    args["ids"] = json!([draw_id(world, draw, kind)]);
    args["identity_ids"] = json!([draw_id(world, draw, "identities")]);
    if let Some(mut form) = crate::team::form_for(endpoint) {
        fill(&mut form, world, draw, endpoint, &mut serial);
        args["form"] = form;
    }
    let mut assignment =
        serde_json::to_value(app::model::AssignmentForm::default()).unwrap_or(Value::Null);
    fill(&mut assignment, world, draw, endpoint, &mut serial);
    args["forms"] = json!([assignment]);
    Request {
        method: "POST".to_owned(),
        path: format!("/api/{endpoint}"),
        body: Some(args),
        if_match: false,
        public: is_public_server_fn(endpoint),
    }
}

fn rest_request(fixture: &Fixture, world: &World, route: &str, draw: &mut Draw) -> Request {
    let (method, template) = route.split_once(' ').unwrap_or(("GET", route));
    let operation = fixture
        .operations
        .iter()
        .find(|(m, p, _)| m == method && p == template)
        .map(|(_, _, op)| op.clone())
        .unwrap_or(Value::Null);
    let mut path = template.to_owned();
    let mut if_match = false;
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default();
        match parameter["in"].as_str() {
            Some("path") => {
                let kind = kind_of(name, template).unwrap_or("any");
                path = path.replace(&format!("{{{name}}}"), &draw_id(world, draw, kind));
            }
            Some("header") if name == "If-Match" => if_match = true,
            _ => {}
        }
    }
    let body = operation["requestBody"]["content"]["application/json"]["schema"]
        .as_object()
        .map(|schema| {
            let mut serial = 0;
            let mut value = example(&fixture.openapi, &Value::Object(schema.clone()), 0);
            fill(&mut value, world, draw, template, &mut serial);
            value
        });
    Request {
        method: method.to_owned(),
        path,
        body,
        if_match,
        public: template.starts_with("/v1/identity/"),
    }
}

/// A value of the schema's shape (every property present), for `fill` to give meaning to.
fn example(openapi: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return example(openapi, &openapi["components"]["schemas"][name], depth + 1);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[combinator].as_array().and_then(|s| s.first()) {
            return example(openapi, first, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        other => other.as_str().unwrap_or("object").to_owned(),
    };
    match kind.as_str() {
        "object" => Value::Object(
            schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, property)| (name.clone(), example(openapi, property, depth + 1)))
                .collect(),
        ),
        "array" => json!([example(openapi, &schema["items"], depth + 1)]),
        "string" => json!("x"),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

async fn send(app: &TestApp, caller: &Caller, request: &Request) -> (u16, String) {
    let url = format!("{}{}", app.base, request.path);
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let (client, key) = match &caller.credential {
        Credential::Session(client) | Credential::Nobody(client) => (client.clone(), None),
        Credential::Key { key, .. } => (app.client(), Some(key.clone())),
    };
    let mut builder = client.request(method, url);
    if let Some(key) = key {
        builder = builder.header("X-API-Key", key);
    }
    if request.if_match {
        builder = builder.header("If-Match", "*");
    }
    if let Some(body) = &request.body {
        builder = builder.json(body);
    }
    let response = builder
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", request.method, request.path));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The first id, email or name in `answer` the caller must not see, if any.
async fn find_leak(
    fixture: &Fixture,
    world: &mut World,
    caller: &Caller,
    asked: &str,
    answer: &str,
) -> Option<String> {
    let mut markers: Vec<String> = uuids_in(answer);
    markers.extend(emails_in(answer));
    markers.retain(|m| !asked.contains(m.as_str()));
    if markers.iter().any(|m| !world.owners.contains_key(m)) {
        // Perhaps created by this very request: read the world's owners again.
        index_owners(&fixture.app, world).await;
    }
    let earlier = fixture
        .earlier
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for marker in &markers {
        match world.owners.get(marker) {
            Some(owners) if !owners.iter().any(|o| visible_to(world, caller, o)) => {
                return Some(format!("{marker} (of {owners:?})"));
            }
            Some(_) => {}
            None if earlier.contains(marker) => {
                return Some(format!("{marker} (an earlier world's)"));
            }
            None => {}
        }
    }
    let lowered = answer.to_lowercase();
    for (account, names) in world.names.iter().enumerate().skip(1) {
        for name in names {
            let name = name.to_lowercase();
            if lowered.contains(&name) && !asked.contains(&name) {
                return Some(format!("the name {name} of account {account}"));
            }
        }
    }
    None
}

fn visible_to(world: &World, caller: &Caller, owner: &Owner) -> bool {
    if owner.account != world.accounts[0] {
        return false;
    }
    match &caller.credential {
        Credential::Session(_) => true,
        // A key sees its account's directory, and only its own environment's scoped rows.
        Credential::Key { environment_id, .. } => owner
            .environment
            .as_ref()
            .is_none_or(|environment| environment == environment_id),
        Credential::Nobody(_) => false,
    }
}

fn uuids_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let shape = |window: &[u8]| {
        window.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    };
    let mut i = 0;
    while i + 36 <= bytes.len() {
        if shape(&bytes[i..i + 36]) {
            found.push(text[i..i + 36].to_lowercase());
            i += 36;
        } else {
            i += 1;
        }
    }
    found
}

fn emails_in(text: &str) -> Vec<String> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let local: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| is_part(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let domain: String = text[at + 1..].chars().take_while(|c| is_part(*c)).collect();
        if !local.is_empty() && domain.contains('.') {
            found.push(format!("{local}@{domain}").to_lowercase());
        }
    }
    found
}
