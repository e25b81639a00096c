//! Three real `arbor serve` processes on one PostgreSQL database behind a round-robin client
//! (issue 15 item 9): sessions and API keys work on every node, a revoked key and a grant or
//! revocation reach every other node in time (measured and printed), a key's rate limit and the
//! admin sign-in throttle are shared, and background work is done once. PostgreSQL only: SQLite
//! is one node by construction.

use crate::support::{Engine, PASSWORD, TestDatabase, sign_in_form, signup_form};
use app::model::{ApiKeyForm, EnvScope, IdentityForm, PermissionForm, RoleForm};
use app::services::{Caller, Services, SystemClock, api_keys, catalog, identities};
use serde_json::{Value, json};
use server::config::{Config, Settings};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests a minute per key on every node (`ARBOR_API_RATE_LIMIT`): small, so the shared budget
/// is spent in a second of requests.
const RATE: usize = 60;

struct Node {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Node {
    fn spawn(url: &str, dir: &Path, n: usize) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|e| panic!("port: {e}"))
            .port();
        let log = dir.join(format!("node{n}.log"));
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("log: {e}"));
        let err = file.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_arbor"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("ARBOR_ADDR", format!("127.0.0.1:{port}"))
            .env("ARBOR_CONFIG", "/nonexistent")
            .env("ARBOR_LOG", "warn")
            .env("ARBOR_API_RATE_LIMIT", RATE.to_string())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn arbor: {e}"));
        Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    async fn ready(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = http
                .get(format!("{}/readyz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} never became ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            eprintln!("--- {} ({}):", self.base, self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Three nodes and a client that sends request `i` to node `i % 3`.
struct Cluster {
    nodes: Vec<Node>,
    http: reqwest::Client,
}

impl Cluster {
    fn base(&self, i: usize) -> &str {
        &self.nodes[i % self.nodes.len()].base
    }

    async fn api(
        &self,
        i: usize,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.base(i));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_default();
        let mut request = self.http.request(method, url).header("X-API-Key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A server function through node `i`, with `client`'s cookies.
    async fn call(
        &self,
        i: usize,
        client: &reqwest::Client,
        endpoint: &str,
        args: Value,
    ) -> (u16, Value) {
        let response = client
            .post(format!("{}/api/{endpoint}", self.base(i)))
            .json(&args)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn allowed(&self, i: usize, key: &str, identity: &str, node: &str) -> bool {
        let (status, body) = self
            .api(
                i,
                "POST",
                "/permissions/evaluate",
                key,
                Some(json!({ "identity_id": identity, "permission": "doc.read", "node_id": node })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["allowed"] == true
    }

    /// How long after `since` node `i` answers `want` for the check (polled every millisecond).
    async fn until_allowed(
        &self,
        i: usize,
        key: &str,
        identity: &str,
        node: &str,
        want: bool,
        since: Instant,
    ) -> Duration {
        loop {
            if self.allowed(i, key, identity, node).await == want {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(2),
                "node {i} did not see allowed={want} within 2 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

async fn key(s: &Services, scope: &EnvScope, name: &str) -> String {
    let form = ApiKeyForm {
        name: name.into(),
        expires: "never".into(),
        ..ApiKeyForm::default()
    };
    api_keys::create(s, &Caller::operator(scope.clone()), &form)
        .await
        .unwrap_or_else(|e| panic!("key {name}: {e:?}"))
        .key
}

async fn scalar(s: &Services, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(s.db.reader())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_sessions_keys_grants_limits_and_background_work() {
    let database = TestDatabase::create(Engine::Postgres).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // The schema once (`arbor migrate`'s job in a deployment), then the nodes.
    let config = Config::resolve(
        Settings {
            database_url: Some(database.url.clone()),
            ..Settings::default()
        },
        None,
    )
    .unwrap_or_else(|e| panic!("config: {e}"));
    let db = server::open_database(&database.url)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    // The test's own services write fixtures on the nodes' clock (real time).
    let s = server::services(db, Arc::new(SystemClock), &config);
    let cluster = Cluster {
        nodes: (0..3)
            .map(|n| Node::spawn(&database.url, dir.path(), n))
            .collect(),
        http: reqwest::Client::new(),
    };
    let up = Instant::now();
    for node in &cluster.nodes {
        node.ready(&cluster.http).await;
    }

    // An admin session: signed up through node 0, valid on every node; a sign-in through node 2
    // likewise.
    let admin = cookie_client();
    let (status, landing) = cluster
        .call(
            0,
            &admin,
            "sign_up",
            signup_form("ops@example.com", "Scale"),
        )
        .await;
    assert_eq!(status, 200, "sign-up: {landing}");
    let account = landing["account"].as_str().unwrap_or_default().to_owned();
    for i in 0..3 {
        let (status, body) = cluster
            .call(i, &admin, "workspace", json!({ "account": account }))
            .await;
        assert_eq!(status, 200, "node {i}: {body}");
    }
    let other = cookie_client();
    let (status, body) = cluster
        .call(
            2,
            &other,
            "sign_in",
            sign_in_form("ops@example.com", PASSWORD),
        )
        .await;
    assert_eq!(status, 200, "sign-in: {body}");
    for i in 0..3 {
        let (status, body) = cluster
            .call(i, &other, "workspace", json!({ "account": account }))
            .await;
        assert_eq!(status, 200, "node {i}: {body}");
    }

    // Fixtures: a role granting doc.read, an identity, keys.
    let account_id = scalar(&s, "SELECT id FROM accounts").await;
    let (application_id, environment_id): (String, String) =
        sqlx::query_as("SELECT application_id, id FROM environments WHERE slug = 'development'")
            .fetch_one(s.db.reader())
            .await
            .unwrap_or_else(|e| panic!("environment: {e}"));
    let scope = EnvScope {
        account_id,
        application_id,
        environment_id,
    };
    let operator = Caller::operator(scope.clone());
    catalog::create_permission(
        &s,
        &operator,
        &PermissionForm {
            key: "doc.read".into(),
            ..PermissionForm::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("permission: {e:?}"));
    let role = catalog::create_role(
        &s,
        &operator,
        &RoleForm {
            name: "Reader".into(),
            description: String::new(),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("role: {e:?}"))
    .id;
    catalog::set_role_permissions(&s, &operator, &role, &["doc.read".to_owned()])
        .await
        .unwrap_or_else(|e| panic!("grant: {e:?}"));
    let pat = identities::create(
        &s,
        &operator,
        &IdentityForm {
            email: "pat@example.com".into(),
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            ..IdentityForm::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("identity: {e:?}"))
    .identity
    .id;
    let root = scalar(
        &s,
        "SELECT id FROM nodes WHERE parent_node_id IS NULL AND environment_id = \
         (SELECT id FROM environments WHERE slug = 'development')",
    )
    .await;
    let ops = key(&s, &scope, "Ops").await;
    let metered = key(&s, &scope, "Metered").await;
    let doomed = key(&s, &scope, "Doomed").await;

    // The key works on every node (each now holds it in its key cache).
    for i in 0..3 {
        assert_eq!(cluster.api(i, "GET", "/roles", &doomed, None).await.0, 200);
        assert!(!cluster.allowed(i, &ops, &pat, &root).await);
    }

    // A grant through node 0 reaches the evaluations of nodes 1 and 2, then a revocation.
    let (status, assignment) = cluster
        .api(
            0,
            "POST",
            "/assignments",
            &ops,
            Some(json!({ "identity_id": pat, "role_id": role, "node_id": root })),
        )
        .await;
    assert_eq!(status, 201, "{assignment}");
    // Both other nodes are watched at once, so neither's figure includes the other's polling.
    let granted = Instant::now();
    let (one, two) = tokio::join!(
        cluster.until_allowed(1, &ops, &pat, &root, true, granted),
        cluster.until_allowed(2, &ops, &pat, &root, true, granted),
    );
    let mut latencies = vec![("grant", 1, one), ("grant", 2, two)];
    let id = assignment["id"].as_str().unwrap_or_default();
    let (status, body) = cluster
        .api(0, "DELETE", &format!("/assignments/{id}"), &ops, None)
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");
    let revoked = Instant::now();
    let (one, two) = tokio::join!(
        cluster.until_allowed(1, &ops, &pat, &root, false, revoked),
        cluster.until_allowed(2, &ops, &pat, &root, false, revoked),
    );
    latencies.extend([("revocation", 1, one), ("revocation", 2, two)]);
    for (what, node, latency) in &latencies {
        println!("scale-out: {what} through node 0 seen by node {node} after {latency:?}");
        assert!(
            *latency < Duration::from_millis(100),
            "{what} on node {node}: {latency:?}"
        );
    }

    // A key revoked (here, by a fourth process on the database) is refused by every node within
    // a second.
    let doomed_id = scalar(&s, "SELECT id FROM api_keys WHERE name = 'Doomed'").await;
    api_keys::revoke(&s, &operator, &doomed_id)
        .await
        .unwrap_or_else(|e| panic!("revoke: {e:?}"));
    let revoked = Instant::now();
    for i in 0..3 {
        loop {
            let (status, _) = cluster.api(i, "GET", "/roles", &doomed, None).await;
            if status == 401 {
                println!(
                    "scale-out: revoked key refused by node {i} after {:?}",
                    revoked.elapsed()
                );
                break;
            }
            assert!(
                revoked.elapsed() < Duration::from_secs(1),
                "node {i} still accepts the revoked key"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // One key's budget is shared: three times the limit, round-robin, passes about the limit.
    let started = Instant::now();
    let mut passed = 0;
    for i in 0..3 * RATE {
        match cluster.api(i, "GET", "/roles", &metered, None).await {
            (200, _) => passed += 1,
            (429, body) => assert_eq!(body["error"]["code"], "api_keys.rate_limited", "{body}"),
            (status, body) => panic!("{status}: {body}"),
        }
    }
    // The refill while the requests ran (a token a second), and at most one chunk (one token
    // at this rate) unspent per node.
    let refill = usize::try_from(started.elapsed().as_secs()).unwrap_or(0) + 1;
    println!(
        "scale-out: {passed} of {} requests of one key passed across 3 nodes (limit {RATE}/min, {:?})",
        3 * RATE,
        started.elapsed()
    );
    assert!(passed >= RATE, "{passed} passed");
    assert!(
        passed <= RATE + refill + 3,
        "{passed} passed: the limit is not shared"
    );

    // Five failed admin sign-ins for one email, spread over the nodes, lock it on all of them.
    let guesser = reqwest::Client::new();
    for i in 0..5 {
        let (status, body) = cluster
            .call(
                i,
                &guesser,
                "sign_in",
                sign_in_form("ops@example.com", "wrong guess"),
            )
            .await;
        assert_eq!(status, 401, "attempt {i}: {body}");
    }
    for i in 0..3 {
        let (status, body) = cluster
            .call(
                i,
                &guesser,
                "sign_in",
                sign_in_form("ops@example.com", PASSWORD),
            )
            .await;
        assert_eq!(status, 429, "node {i}: {body}");
        assert_eq!(body["kind"], "too_many_attempts", "{body}");
    }

    // Each node tried each periodic job as it started; one lease per job, one run each.
    let jobs: Vec<(String, i64)> = sqlx::query_as("SELECT job, runs FROM job_leases ORDER BY job")
        .fetch_all(s.db.reader())
        .await
        .unwrap_or_else(|e| panic!("job_leases: {e}"));
    // The minute jobs may legitimately run again if this machine made the test last minutes.
    let periods = i64::try_from(up.elapsed().as_secs() / 60).unwrap_or(0) + 1;
    let names: Vec<&str> = jobs.iter().map(|(job, _)| job.as_str()).collect();
    assert_eq!(
        names,
        ["access_journal_prune", "audit_purge", "limit_purge"]
    );
    for (job, runs) in &jobs {
        let most = if job == "audit_purge" { 1 } else { periods };
        assert!(
            (1..=most).contains(runs),
            "{job} ran {runs} times for three nodes: {jobs:?}"
        );
    }
    println!("scale-out: job runs with three nodes {jobs:?}");
}
