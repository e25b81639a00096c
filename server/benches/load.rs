//! Mixed REST traffic under load, then an exactly-once check against the database:
//! `cargo bench -p server --bench load`.
//!
//! Per engine: a fresh database, the real server (`server::router`, every layer) on a loopback
//! port, an account signed up through the service, a full-access Development key, a role that
//! grants `load.read` (assigned by the identity creates), a second role for `POST /assignments`,
//! and eight roles that only the `PATCH` traffic edits. Then `ARBOR_LOAD_CLIENTS` (default 50)
//! concurrent keep-alive clients send, for `ARBOR_LOAD_SECONDS` (default 60), a weighted random
//! mix of:
//! - `POST /identities` (every other one assigning the role; one in ten re-sends an email the
//!   client already created: 409 expected);
//! - `POST /identities/bulk-create` with 200 rows and an `Idempotency-Key`: clean batches (200),
//!   batches with in-batch duplicates, an email created before, an invalid email and an unknown
//!   role (207, each row's verdict checked); one in four is replayed at once and must get the same
//!   answer with `Idempotent-Replayed: true`;
//! - `POST /assignments` then, for half of them, `DELETE /assignments/{id}`;
//! - `POST /permissions/evaluate` for identities the client created (allowed when assigned);
//! - `GET /identities?page=…`, `GET /identities/{id}`, `GET /roles`;
//! - `GET /roles/{id}` then `PATCH /roles/{id}` with its `ETag` in `If-Match` (200, or 409 when
//!   another client changed it in between); one in five sends a stale `If-Match` on purpose (409
//!   `common.version_conflict` — Arbor's documented answer for a stale tag, decisions.md).
//!
//! The per-key rate limits (`ARBOR_API_RATE_LIMIT`, `ARBOR_EVALUATE_RATE_LIMIT`) are lifted for
//! the run (`common::services`): one key drives all the traffic, and the harness measures the
//! server, not the limiter.
//!
//! It fails on any answer ≥ 500, any dropped connection, and any status the request did not
//! expect. Afterwards it checks against the database that every acknowledged write is there
//! exactly once — each identity with its membership, its assignment and their audit events; each
//! standalone assignment present (or, when its removal was acknowledged, gone) with its audit
//! events — and that nothing unacknowledged is there: the account holds exactly the identities
//! and the environment exactly the assignments the harness was told were written, and none of
//! them is half-written. Prints count, p50, p99 and the status histogram per endpoint.
//!
//! PostgreSQL runs as in the other benches (`ARBOR_BENCH_POSTGRES_URL` or
//! `ARBOR_TEST_POSTGRES_URL`, a fresh database per run). CI runs a 10-second version
//! (`ARBOR_LOAD_SECONDS=10`). Results are written up in docs/performance.md › Load.

// The clients here are the harness's own (mixed traffic); `common::drive` is the other benches'.
#[allow(dead_code)]
mod common;

use app::model::{EnvScope, PermissionForm, RoleForm};
use app::services::{Caller, Services, catalog};
use common::Rng;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 200;
const PATCH_ROLES: usize = 8;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the clients share: where to send, with which key, and the seeded ids.
struct World {
    base: String,
    key: String,
    /// Grants `load.read`; assigned by the identity creates.
    reader_role: String,
    /// Assigned and removed by `POST`/`DELETE /assignments`.
    extra_role: String,
    patch_roles: Vec<String>,
    root: String,
}

/// An identity the server acknowledged (201, or a `success` row of a bulk answer).
#[derive(Debug, Clone)]
struct Acked {
    id: String,
    email: String,
    membership_id: String,
    assignment_id: Option<String>,
}

/// Latency samples and status counts of one endpoint.
#[derive(Default)]
struct Endpoint {
    samples: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

/// One client's view of the run: its measurements, what it was told was written, what went wrong.
#[derive(Default)]
struct Ledger {
    endpoints: BTreeMap<&'static str, Endpoint>,
    identities: Vec<Acked>,
    /// Standalone assignments acknowledged (201): id → identity.
    assignments: Vec<(String, String)>,
    /// Standalone assignments whose removal was acknowledged (204).
    removed: HashSet<String>,
    /// Answers ≥ 500, dropped connections, unexpected statuses or bodies.
    failures: Vec<String>,
    replays: usize,
    stale_patches: usize,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

struct Client {
    http: reqwest::Client,
    world: Arc<World>,
    rng: Rng,
    n: usize,
    tag: usize,
    ledger: Ledger,
    /// Identities of this client without a standalone assignment (may get one).
    free: Vec<usize>,
    /// Standalone assignments of this client still in place: (assignment, index in identities).
    placed: Vec<(String, usize)>,
}

impl Client {
    /// Sends one request, times it, and records its status; `None` (and a failure) when the
    /// connection dropped, the answer was ≥ 500 or not one of `expect`.
    async fn call(
        &mut self,
        label: &'static str,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
        expect: &[u16],
    ) -> Option<Answer> {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.world.base))
            .header("X-API-Key", &self.world.key);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let outcome = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Answer {
                status,
                headers,
                body,
            })
        }
        .await;
        let elapsed = started.elapsed();
        let endpoint = self.ledger.endpoints.entry(label).or_default();
        match outcome {
            Err(e) => {
                *endpoint.statuses.entry(0).or_default() += 1;
                self.ledger
                    .failures
                    .push(format!("{label}: connection dropped: {e}"));
                None
            }
            Ok(answer) => {
                endpoint.samples.push(elapsed);
                *endpoint.statuses.entry(answer.status).or_default() += 1;
                if answer.status >= 500 || !expect.contains(&answer.status) {
                    self.ledger.failures.push(format!(
                        "{label}: HTTP {} (expected {expect:?}): {:.400}",
                        answer.status, answer.body
                    ));
                    return None;
                }
                Some(answer)
            }
        }
    }

    fn email(&mut self, what: &str) -> String {
        self.n += 1;
        format!("load-{}-{what}-{}@example.com", self.tag, self.n)
    }

    fn own_identity(&mut self) -> Option<usize> {
        (!self.ledger.identities.is_empty()).then(|| self.rng.below(self.ledger.identities.len()))
    }

    fn acked(&mut self, data: &Value) {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        if data["id"].as_str().is_none() || data["membership_id"].as_str().is_none() {
            self.ledger
                .failures
                .push(format!("an acknowledged identity without ids: {data}"));
            return;
        }
        self.free.push(self.ledger.identities.len());
        self.ledger.identities.push(Acked {
            id: text(&data["id"]),
            email: text(&data["email"]),
            membership_id: text(&data["membership_id"]),
            assignment_id: data["assignment"]["id"].as_str().map(str::to_owned),
        });
    }

    async fn single_create(&mut self) {
        let repeat = self.rng.below(10) == 0;
        if repeat && let Some(i) = self.own_identity() {
            let email = self.ledger.identities[i].email.clone();
            let body = json!({ "email": email, "first_name": "Load", "last_name": "Again" });
            self.call(
                "POST /identities (email taken)",
                Method::POST,
                "/identities",
                &[],
                Some(&body),
                &[409],
            )
            .await;
            return;
        }
        let email = self.email("single");
        let mut body = json!({ "email": email, "first_name": "Load", "last_name": "Single" });
        if self.n.is_multiple_of(2) {
            body["role_id"] = json!(self.world.reader_role);
            body["node_id"] = json!(self.world.root);
        }
        if let Some(answer) = self
            .call(
                "POST /identities",
                Method::POST,
                "/identities",
                &[],
                Some(&body),
                &[201],
            )
            .await
        {
            let data = answer.json();
            self.acked(&data);
        }
    }

    /// A 200-row batch; `flavour` 0 is clean, 1 repeats rows inside the batch and has an invalid
    /// email, 2 re-sends emails created before and names an unknown role. Returns each row's
    /// body and whether it must fail.
    fn batch(&mut self, flavour: usize) -> Vec<(Value, bool)> {
        let mut rows: Vec<(Value, bool)> = Vec::with_capacity(BATCH);
        for r in 0..BATCH {
            let email = self.email("bulk");
            let mut row = json!({ "email": email, "first_name": "Load", "last_name": "Bulk" });
            if r % 2 == 0 {
                row["role_id"] = json!(self.world.reader_role);
                row["node_id"] = json!(self.world.root);
            }
            rows.push((row, false));
        }
        match flavour {
            1 => {
                // Rows 190–197 repeat rows 0–7: the later row fails, the first stands.
                for r in 0..8 {
                    let repeated = rows[r].0["email"].clone();
                    rows[190 + r].0["email"] = repeated;
                    rows[190 + r].1 = true;
                }
                rows[199].0["email"] = json!("not-an-email");
                rows[199].1 = true;
            }
            2 => {
                for row in rows.iter_mut().take(4) {
                    if let Some(i) = self.own_identity() {
                        row.0["email"] = json!(self.ledger.identities[i].email);
                        row.1 = true;
                    }
                }
                rows[10].0["role_id"] = json!("no-such-role");
                rows[10].0["node_id"] = json!(self.world.root);
                rows[10].1 = true;
            }
            _ => {}
        }
        rows
    }

    async fn bulk_create(&mut self) {
        let flavour = self.rng.below(3);
        let rows = self.batch(flavour);
        let any_fails = rows.iter().any(|(_, fails)| *fails);
        let body =
            json!({ "identities": rows.iter().map(|(row, _)| row.clone()).collect::<Vec<_>>() });
        let key = format!("load-{}-{}", self.tag, self.n);
        let headers = [("Idempotency-Key", key)];
        let expect: &[u16] = if any_fails { &[207] } else { &[200] };
        let Some(answer) = self
            .call(
                "POST /identities/bulk-create",
                Method::POST,
                "/identities/bulk-create",
                &headers,
                Some(&body),
                expect,
            )
            .await
        else {
            return;
        };
        let results = answer.json()["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if results.len() != BATCH {
            self.ledger.failures.push(format!(
                "bulk-create: {} results for {BATCH} rows",
                results.len()
            ));
        }
        for (result, (_, fails)) in results.iter().zip(&rows) {
            match (result["status"].as_str(), fails) {
                (Some("success"), false) => self.acked(&result["data"]),
                (Some("error"), true) => {}
                _ => self.ledger.failures.push(format!(
                    "bulk-create row {}: {} (expected it to {})",
                    result["index"],
                    result["code"],
                    if *fails { "fail" } else { "succeed" }
                )),
            }
        }
        if self.rng.below(4) == 0 {
            self.ledger.replays += 1;
            if let Some(replay) = self
                .call(
                    "POST /identities/bulk-create (replay)",
                    Method::POST,
                    "/identities/bulk-create",
                    &headers,
                    Some(&body),
                    expect,
                )
                .await
                && (replay.body != answer.body
                    || replay
                        .headers
                        .get("idempotent-replayed")
                        .is_none_or(|v| v != "true"))
            {
                self.ledger
                    .failures
                    .push("bulk-create: a replay did not return the stored answer".into());
            }
        }
    }

    async fn assign_and_remove(&mut self) {
        if !self.placed.is_empty() && self.rng.below(2) == 0 {
            let at = self.rng.below(self.placed.len());
            let (id, identity) = self.placed.swap_remove(at);
            if self
                .call(
                    "DELETE /assignments/{id}",
                    Method::DELETE,
                    &format!("/assignments/{id}"),
                    &[],
                    None,
                    &[204],
                )
                .await
                .is_some()
            {
                self.ledger.removed.insert(id);
                self.free.push(identity);
            }
            return;
        }
        if self.free.is_empty() {
            return;
        }
        let at = self.rng.below(self.free.len());
        let identity = self.free.swap_remove(at);
        let body = json!({
            "identity_id": self.ledger.identities[identity].id,
            "role_id": self.world.extra_role,
            "node_id": self.world.root,
        });
        if let Some(answer) = self
            .call(
                "POST /assignments",
                Method::POST,
                "/assignments",
                &[],
                Some(&body),
                &[201],
            )
            .await
        {
            match answer.json()["id"].as_str() {
                Some(id) => {
                    self.ledger
                        .assignments
                        .push((id.to_owned(), self.ledger.identities[identity].id.clone()));
                    self.placed.push((id.to_owned(), identity));
                }
                None => self
                    .ledger
                    .failures
                    .push("POST /assignments: no id in the answer".into()),
            }
        }
    }

    async fn evaluate(&mut self) {
        let Some(i) = self.own_identity() else {
            return;
        };
        let identity = self.ledger.identities[i].clone();
        let body = json!({
            "identity_id": identity.id, "permission": "load.read", "node_id": self.world.root,
        });
        if let Some(answer) = self
            .call(
                "POST /permissions/evaluate",
                Method::POST,
                "/permissions/evaluate",
                &[],
                Some(&body),
                &[200],
            )
            .await
        {
            let allowed = answer.json()["allowed"].as_bool();
            if allowed != Some(identity.assignment_id.is_some()) {
                self.ledger.failures.push(format!(
                    "evaluate: {} answered allowed = {allowed:?} (assigned: {})",
                    identity.email,
                    identity.assignment_id.is_some()
                ));
            }
        }
    }

    async fn read(&mut self) {
        match self.rng.below(3) {
            0 => {
                let page = 1 + self.rng.below(5);
                self.call(
                    "GET /identities?page=",
                    Method::GET,
                    &format!("/identities?page={page}&take=20"),
                    &[],
                    None,
                    &[200],
                )
                .await;
            }
            1 => {
                if let Some(i) = self.own_identity() {
                    let id = self.ledger.identities[i].id.clone();
                    self.call(
                        "GET /identities/{id}",
                        Method::GET,
                        &format!("/identities/{id}"),
                        &[],
                        None,
                        &[200],
                    )
                    .await;
                }
            }
            _ => {
                self.call("GET /roles", Method::GET, "/roles", &[], None, &[200])
                    .await;
            }
        }
    }

    async fn read_then_patch(&mut self) {
        let role = self.world.patch_roles[self.rng.below(PATCH_ROLES)].clone();
        let path = format!("/roles/{role}");
        let Some(read) = self
            .call("GET /roles/{id}", Method::GET, &path, &[], None, &[200])
            .await
        else {
            return;
        };
        let Some(etag) = read
            .headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
        else {
            self.ledger.failures.push("GET /roles/{id}: no ETag".into());
            return;
        };
        self.n += 1;
        let body = json!({ "description": format!("edited by client {} ({})", self.tag, self.n) });
        if self.rng.below(5) == 0 {
            // A version that is no longer current: the role was at `version` when read.
            let version: i64 = etag.trim_matches('"').parse().unwrap_or(1);
            self.ledger.stale_patches += 1;
            self.call(
                "PATCH /roles/{id} (stale If-Match)",
                Method::PATCH,
                &path,
                &[("If-Match", format!("\"{}\"", version - 1))],
                Some(&body),
                &[409],
            )
            .await;
        } else {
            self.call(
                "PATCH /roles/{id} (If-Match)",
                Method::PATCH,
                &path,
                &[("If-Match", etag)],
                Some(&body),
                // 409: another client changed it between this client's read and its write.
                &[200, 409],
            )
            .await;
        }
    }

    async fn run(mut self, until: Instant) -> Ledger {
        while Instant::now() < until {
            match self.rng.below(100) {
                0..20 => self.single_create().await,
                20..23 => self.bulk_create().await,
                23..38 => self.assign_and_remove().await,
                38..68 => self.evaluate().await,
                68..83 => self.read().await,
                _ => self.read_then_patch().await,
            }
        }
        self.ledger
    }
}

/// Seeds the account, the key and the roles through the services.
async fn seed(s: &Services) -> anyhow::Result<(EnvScope, World)> {
    let scope = common::sign_up(s).await?;
    let key = common::api_key(s, &scope).await?;
    let operator = Caller::operator(scope.clone());
    catalog::create_permission(
        s,
        &operator,
        &PermissionForm {
            key: "load.read".into(),
            ..PermissionForm::default()
        },
    )
    .await?;
    let role = |name: String| RoleForm {
        name,
        description: String::new(),
    };
    let reader_role = catalog::create_role(s, &operator, &role("Load reader".into()))
        .await?
        .id;
    catalog::set_role_permissions(s, &operator, &reader_role, &["load.read".to_owned()]).await?;
    let extra_role = catalog::create_role(s, &operator, &role("Load extra".into()))
        .await?
        .id;
    let mut patch_roles = Vec::with_capacity(PATCH_ROLES);
    for r in 0..PATCH_ROLES {
        patch_roles.push(
            catalog::create_role(s, &operator, &role(format!("Patched {r}")))
                .await?
                .id,
        );
    }
    let root: String = sqlx::query_scalar(
        "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_one(s.db.reader())
    .await?;
    Ok((
        scope,
        World {
            base: String::new(),
            key,
            reader_role,
            extra_role,
            patch_roles,
            root,
        },
    ))
}

/// The exactly-once check: problems found, or none.
async fn verify(s: &Services, scope: &EnvScope, ledger: &Ledger) -> anyhow::Result<Vec<String>> {
    let db = s.db.reader();
    let mut problems = Vec::new();
    // Every identity of the account (the sign-up makes none) with what it must come with.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, email FROM identities WHERE account_id = $1")
            .bind(&scope.account_id)
            .fetch_all(db)
            .await?;
    let present: HashMap<String, String> = rows.into_iter().collect();
    let memberships: Vec<(String, String)> = sqlx::query_as(
        "SELECT identity_id, id FROM app_memberships WHERE account_id = $1 AND application_id = $2",
    )
    .bind(&scope.account_id)
    .bind(&scope.application_id)
    .fetch_all(db)
    .await?;
    let mut membership_of: HashMap<String, Vec<String>> = HashMap::new();
    for (identity, id) in memberships {
        membership_of.entry(identity).or_default().push(id);
    }
    let assignments: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, identity_id FROM assignments WHERE account_id = $1 AND environment_id = $2",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_all(db)
    .await?;
    let assigned: HashMap<String, String> = assignments.into_iter().collect();
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, resource_id FROM audit_events WHERE account_id = $1 \
         AND action IN ('identity.created', 'membership.activated', 'assignment.created', 'assignment.removed')",
    )
    .bind(&scope.account_id)
    .fetch_all(db)
    .await?;
    let mut audit: HashMap<(String, String), usize> = HashMap::new();
    for event in events {
        *audit.entry(event).or_default() += 1;
    }
    let audited = |action: &str, id: &str| {
        audit
            .get(&(action.to_owned(), id.to_owned()))
            .copied()
            .unwrap_or(0)
    };

    let mut acked_ids = HashSet::new();
    for acked in &ledger.identities {
        if !acked_ids.insert(acked.id.clone()) {
            problems.push(format!("{} acknowledged twice", acked.email));
        }
        match present.get(&acked.id) {
            Some(email) if *email == acked.email => {}
            Some(email) => problems.push(format!("{} is stored as {email}", acked.email)),
            None => problems.push(format!("acknowledged {} is missing", acked.email)),
        }
        if membership_of.get(&acked.id).map(Vec::as_slice)
            != Some(std::slice::from_ref(&acked.membership_id))
        {
            problems.push(format!("{}: membership not exactly once", acked.email));
        }
        if audited("identity.created", &acked.id) != 1
            || audited("membership.activated", &acked.membership_id) != 1
        {
            problems.push(format!("{}: audit events not exactly once", acked.email));
        }
        if let Some(assignment) = &acked.assignment_id {
            if assigned.get(assignment) != Some(&acked.id) {
                problems.push(format!("{}: its assignment is missing", acked.email));
            }
            if audited("assignment.created", assignment) != 1 {
                problems.push(format!(
                    "{}: assignment audit not exactly once",
                    acked.email
                ));
            }
        }
    }
    // Nothing the harness was not told about, and nothing half-written.
    for (id, email) in &present {
        if !acked_ids.contains(id) {
            problems.push(format!("{email} is stored but was never acknowledged"));
        }
        if membership_of.get(id).map_or(0, Vec::len) != 1 || audited("identity.created", id) != 1 {
            problems.push(format!("{email} is half-written"));
        }
    }
    let mut expected: HashMap<String, String> = ledger
        .identities
        .iter()
        .filter_map(|a| Some((a.assignment_id.clone()?, a.id.clone())))
        .collect();
    for (id, identity) in &ledger.assignments {
        let removed = ledger.removed.contains(id);
        if audited("assignment.created", id) != 1 {
            problems.push(format!("assignment {id}: creation audit not exactly once"));
        }
        if removed {
            if audited("assignment.removed", id) != 1 {
                problems.push(format!("assignment {id}: removal audit not exactly once"));
            }
        } else {
            expected.insert(id.clone(), identity.clone());
        }
    }
    for (id, identity) in &assigned {
        match expected.get(id) {
            Some(owner) if owner == identity => {}
            Some(_) => problems.push(format!("assignment {id} belongs to another identity")),
            None => problems.push(format!("assignment {id} is stored but not acknowledged")),
        }
    }
    for id in expected.keys() {
        if !assigned.contains_key(id) {
            problems.push(format!("acknowledged assignment {id} is missing"));
        }
    }
    Ok(problems)
}

struct Outcome {
    endpoints: BTreeMap<&'static str, Endpoint>,
    elapsed: Duration,
    failures: Vec<String>,
    problems: Vec<String>,
    identities: usize,
    assignments: usize,
    removed: usize,
    replays: usize,
    stale_patches: usize,
}

async fn run(engine: &'static str, url: &str) -> anyhow::Result<Outcome> {
    let s = common::services(url).await?;
    let (scope, mut world) = seed(&s).await?;
    let server = common::serve(&s).await?;
    world.base = server.base.clone();
    let world = Arc::new(world);
    let clients = setting("ARBOR_LOAD_CLIENTS", 50) as usize;
    let seconds = setting("ARBOR_LOAD_SECONDS", 60);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(120))
        .build()?;
    eprintln!("  {engine}: {clients} clients for {seconds} s");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for tag in 0..clients {
        let client = Client {
            http: http.clone(),
            world: world.clone(),
            rng: Rng(0x10AD_0000 + tag as u64),
            n: 0,
            tag,
            ledger: Ledger::default(),
            free: Vec::new(),
            placed: Vec::new(),
        };
        tasks.push(tokio::spawn(client.run(until)));
    }
    let mut all = Ledger::default();
    for task in tasks {
        let ledger = task.await?;
        for (label, endpoint) in ledger.endpoints {
            let into = all.endpoints.entry(label).or_default();
            into.samples.extend(endpoint.samples);
            for (status, n) in endpoint.statuses {
                *into.statuses.entry(status).or_default() += n;
            }
        }
        all.identities.extend(ledger.identities);
        all.assignments.extend(ledger.assignments);
        all.removed.extend(ledger.removed);
        all.failures.extend(ledger.failures);
        all.replays += ledger.replays;
        all.stale_patches += ledger.stale_patches;
    }
    let elapsed = started.elapsed();
    drop(server);
    let problems = verify(&s, &scope, &all).await?;
    Ok(Outcome {
        elapsed,
        failures: all.failures,
        problems,
        identities: all.identities.len(),
        assignments: all.assignments.len(),
        removed: all.removed.len(),
        replays: all.replays,
        stale_patches: all.stale_patches,
        endpoints: all.endpoints,
    })
}

fn show(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Prints the outcome; false when it failed.
fn report(engine: &str, o: &Outcome) -> bool {
    println!();
    println!(
        "{engine}: {:.1} s, {} identities and {} standalone assignments acknowledged ({} removed), \
         {} idempotent replays, {} stale If-Match",
        o.elapsed.as_secs_f64(),
        o.identities,
        o.assignments,
        o.removed,
        o.replays,
        o.stale_patches
    );
    println!(
        "{:<38} | {:>7} | {:>9} | {:>9} | statuses",
        "endpoint", "count", "p50", "p99"
    );
    let mut total = 0;
    for (label, endpoint) in &o.endpoints {
        let l = common::latencies(endpoint.samples.clone(), o.elapsed);
        let statuses: Vec<String> = endpoint
            .statuses
            .iter()
            .map(|(status, n)| match status {
                0 => format!("dropped×{n}"),
                s => format!("{s}×{n}"),
            })
            .collect();
        total += endpoint.statuses.values().sum::<usize>();
        println!(
            "{label:<38} | {:>7} | {:>9} | {:>9} | {}",
            endpoint.statuses.values().sum::<usize>(),
            show(l.p50),
            show(l.p99),
            statuses.join(" ")
        );
    }
    let errors = o
        .endpoints
        .values()
        .flat_map(|e| e.statuses.iter())
        .filter(|(status, _)| **status == 0 || **status >= 500)
        .map(|(_, n)| n)
        .sum::<usize>();
    println!(
        "{engine}: {total} requests ({:.0}/s), {errors} answers ≥ 500 or dropped, {} unexpected answers; \
         exactly-once check: {}",
        total as f64 / o.elapsed.as_secs_f64(),
        o.failures.len(),
        if o.problems.is_empty() {
            "every acknowledged write present exactly once, nothing else stored".to_owned()
        } else {
            format!("{} problems", o.problems.len())
        }
    );
    for failure in o.failures.iter().take(20) {
        println!("  failure: {failure}");
    }
    for problem in o.problems.iter().take(20) {
        println!("  problem: {problem}");
    }
    o.failures.is_empty() && o.problems.is_empty()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "load: mixed REST traffic over loopback on {} cores",
        common::cores()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/load.db", dir.path().display());
    // Each engine's report as soon as it is done: a later failure does not lose it.
    let mut ok = report("SQLite", &run("SQLite", &sqlite).await?);
    if let Some(outcome) =
        common::on_postgres(|url| async move { run("PostgreSQL", &url).await }).await?
    {
        ok &= report("PostgreSQL", &outcome);
    }
    anyhow::ensure!(ok, "the load run failed (see above)");
    Ok(())
}
