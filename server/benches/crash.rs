//! Crash tests: `cargo bench -p server --bench crash` (not in CI: about two minutes per engine,
//! most of it waiting for the idempotency leases of the killed requests to run out).
//!
//! Per engine (SQLite in a temporary file; PostgreSQL in a private throwaway cluster this harness
//! creates and removes, so restarting it disturbs no one):
//! 1. an account, a full-access key and a role that grants `crash.read` are seeded through the
//!    services; then `ARBOR_CRASH_KILLS` times (default 20): the real `arbor serve` binary starts
//!    as a child process, `ARBOR_CRASH_CLIENTS` clients (default 4) send 200-row bulk creates
//!    (every other row assigning the role) each with its own `Idempotency-Key`, and the process
//!    is killed with SIGKILL at a random moment (0.2–2.5 s after it is ready). After each kill,
//!    the database is checked: every row of every request sent so far is either fully present
//!    (identity + membership + assignment + their audit events, each exactly once) or absent,
//!    and every acknowledged row is present with the ids its answer gave.
//! 2. Arbor is started once more and, once the killed requests' leases have run out
//!    (`idempotency::LEASE_MS`), every interrupted request is replayed with its key and body: it
//!    must complete (200) with every row present exactly once; every acknowledged request is
//!    replayed too and must get its stored answer back, byte for byte, with
//!    `Idempotent-Replayed: true`.
//! 3. PostgreSQL only: while clients write (bulk creates with keys and single creates), the
//!    cluster is stopped for 3 s and started again (`pg_ctl stop -m fast`, `pg_ctl start`).
//!    `/readyz`, polled every 100 ms, must answer 503 while the database is away and 200 again
//!    after, without restarting Arbor; no request may get a 500 or a dropped connection (503 is
//!    the expected answer while the database is away); every acknowledged write must be present
//!    exactly once afterwards, and nothing half-written.
//!
//! The PostgreSQL part needs Debian's server binaries (`/usr/lib/postgresql/<version>/bin`, as
//! `scripts/ensure-postgres.sh` installs them); when run as root, the cluster runs as the
//! `postgres` user. Results are written up in docs/reliability.md.

// This harness drives a child process; the in-process server and load driver are the others'.
// The memory probe of `arbor_process` is the evaluation bench's.
#[allow(dead_code)]
mod arbor_process;
#[allow(dead_code)]
mod common;

use app::model::{EnvScope, PermissionForm, RoleForm};
use app::services::{Caller, Services, catalog};
use arbor_process::{ARBOR, Arbor, free_port};
use common::Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BATCH: usize = 200;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A smoke run (`ARBOR_BENCH_SMOKE=1`, CI): 2 kills per engine and the per-kill checks, the
/// acknowledged requests replayed; no wait for the leases (so the interrupted requests are not
/// replayed) and no database restart.
fn smoke() -> bool {
    std::env::var_os("ARBOR_BENCH_SMOKE").is_some()
}

/// One bulk request as sent: its key, its exact body, its rows, and what it was answered.
#[derive(Clone)]
struct Sent {
    key: String,
    body: String,
    /// Each row's email and whether it assigns the role.
    rows: Vec<(String, bool)>,
    /// Status and body, when an answer came back.
    answer: Option<(u16, String)>,
}

/// Everything of the account the checks look at, read in a few queries.
struct Stored {
    identities: HashMap<String, String>,
    memberships: HashMap<String, Vec<String>>,
    assignments: HashMap<String, Vec<String>>,
    audit: HashMap<(String, String), usize>,
}

impl Stored {
    async fn read(s: &Services, scope: &EnvScope) -> anyhow::Result<Stored> {
        let db = s.db.reader();
        let identities: Vec<(String, String)> =
            sqlx::query_as("SELECT email, id FROM identities WHERE account_id = $1")
                .bind(&scope.account_id)
                .fetch_all(db)
                .await?;
        let mut memberships: HashMap<String, Vec<String>> = HashMap::new();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT identity_id, id FROM app_memberships WHERE account_id = $1")
                .bind(&scope.account_id)
                .fetch_all(db)
                .await?;
        for (identity, id) in rows {
            memberships.entry(identity).or_default().push(id);
        }
        let mut assignments: HashMap<String, Vec<String>> = HashMap::new();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT identity_id, id FROM assignments WHERE account_id = $1")
                .bind(&scope.account_id)
                .fetch_all(db)
                .await?;
        for (identity, id) in rows {
            assignments.entry(identity).or_default().push(id);
        }
        let mut audit = HashMap::new();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT action, resource_id FROM audit_events WHERE account_id = $1 \
             AND action IN ('identity.created', 'membership.activated', 'assignment.created')",
        )
        .bind(&scope.account_id)
        .fetch_all(db)
        .await?;
        for event in rows {
            *audit.entry(event).or_default() += 1;
        }
        Ok(Stored {
            identities: identities.into_iter().collect(),
            memberships,
            assignments,
            audit,
        })
    }

    fn audited(&self, action: &str, id: &str) -> usize {
        self.audit
            .get(&(action.to_owned(), id.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The row's identity id when it is fully present, `None` when absent; an error when it is
    /// half-written or doubled.
    fn row(&self, email: &str, assigns: bool) -> Result<Option<String>, String> {
        let Some(id) = self.identities.get(email) else {
            return Ok(None);
        };
        let memberships = self.memberships.get(id).map_or(&[][..], Vec::as_slice);
        let assignments = self.assignments.get(id).map_or(&[][..], Vec::as_slice);
        let complete = memberships.len() == 1
            && assignments.len() == usize::from(assigns)
            && self.audited("identity.created", id) == 1
            && self.audited("membership.activated", &memberships[0]) == 1
            && assignments
                .iter()
                .all(|a| self.audited("assignment.created", a) == 1);
        if complete {
            Ok(Some(id.clone()))
        } else {
            Err(format!(
                "{email} is half-written: {} memberships, {} assignments (expected {}), audit \
                 identity.created ×{}",
                memberships.len(),
                assignments.len(),
                usize::from(assigns),
                self.audited("identity.created", id)
            ))
        }
    }
}

/// Checks every row of every request: fully present or absent; acknowledged rows present with
/// the ids their answer gave. With `all_present`, every row must be present. Returns the problems
/// and how many rows are present.
fn check(stored: &Stored, sent: &[Sent], all_present: bool) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut present = 0;
    for request in sent {
        let answered: Option<Vec<Value>> = request.answer.as_ref().and_then(|(status, body)| {
            (*status == 200).then(|| {
                serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v["results"].as_array().cloned())
                    .unwrap_or_default()
            })
        });
        for (r, (email, assigns)) in request.rows.iter().enumerate() {
            match stored.row(email, *assigns) {
                Err(problem) => problems.push(problem),
                Ok(None) => {
                    if all_present || answered.is_some() {
                        problems.push(format!("{email} ({}) is missing", request.key));
                    }
                }
                Ok(Some(id)) => {
                    present += 1;
                    if let Some(results) = &answered
                        && results.get(r).and_then(|row| row["data"]["id"].as_str())
                            != Some(id.as_str())
                    {
                        problems.push(format!("{email}: stored id differs from the answer's"));
                    }
                }
            }
        }
    }
    let sent_rows: usize = sent.iter().map(|r| r.rows.len()).sum();
    if stored.identities.len() != present {
        problems.push(format!(
            "{} identities stored, {present} of the {sent_rows} rows sent",
            stored.identities.len()
        ));
    }
    (problems, present)
}

struct Seeded {
    scope: EnvScope,
    key: String,
    role: String,
    root: String,
}

async fn seed(s: &Services) -> anyhow::Result<Seeded> {
    let scope = common::sign_up(s).await?;
    let key = common::api_key(s, &scope).await?;
    let operator = Caller::operator(scope.clone());
    catalog::create_permission(
        s,
        &operator,
        &PermissionForm {
            key: "crash.read".into(),
            ..PermissionForm::default()
        },
    )
    .await?;
    let role = catalog::create_role(
        s,
        &operator,
        &RoleForm {
            name: "Crash".into(),
            description: String::new(),
        },
    )
    .await?
    .id;
    catalog::set_role_permissions(s, &operator, &role, &["crash.read".to_owned()]).await?;
    let root: String = sqlx::query_scalar(
        "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_one(s.db.reader())
    .await?;
    Ok(Seeded {
        scope,
        key,
        role,
        root,
    })
}

fn bulk_request(seeded: &Seeded, name: &str) -> Sent {
    let rows: Vec<(String, bool)> = (0..BATCH)
        .map(|r| (format!("{name}-{r}@example.com"), r % 2 == 0))
        .collect();
    let body = json!({
        "identities": rows.iter().map(|(email, assigns)| {
            let mut row = json!({ "email": email, "first_name": "Crash", "last_name": "Test" });
            if *assigns {
                row["role_id"] = json!(seeded.role);
                row["node_id"] = json!(seeded.root);
            }
            row
        }).collect::<Vec<_>>()
    });
    Sent {
        key: format!("crash-{name}"),
        body: body.to_string(),
        rows,
        answer: None,
    }
}

async fn post_bulk(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    sent: &Sent,
) -> reqwest::Result<(u16, String, bool)> {
    let response = http
        .post(format!("{base}/api/v1/identities/bulk-create"))
        .header("X-API-Key", key)
        .header("Idempotency-Key", &sent.key)
        .header("Content-Type", "application/json")
        .body(sent.body.clone())
        .send()
        .await?;
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    Ok((status, response.text().await?, replayed))
}

/// Clients sending bulk creates until their connection fails (the process was killed).
async fn fire(
    seeded: Arc<Seeded>,
    base: String,
    round: usize,
    clients: usize,
    log: Arc<Mutex<Vec<Sent>>>,
) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (seeded, base, log, http) = (seeded.clone(), base.clone(), log.clone(), http.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            loop {
                let sent = bulk_request(&seeded, &format!("r{round}-c{c}-n{n}"));
                let at = {
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    log.push(sent.clone());
                    log.len() - 1
                };
                n += 1;
                match post_bulk(&http, &base, &seeded.key, &sent).await {
                    // Killed: this request is interrupted, and so is this client.
                    Err(_) => return None,
                    Ok((status, body, _)) => {
                        let unexpected = (status != 200)
                            .then(|| format!("{}: HTTP {status}: {body:.300}", sent.key));
                        log.lock().unwrap_or_else(|p| p.into_inner())[at].answer =
                            Some((status, body));
                        if unexpected.is_some() {
                            return unexpected;
                        }
                    }
                }
            }
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        if let Ok(Some(failure)) = task.await {
            failures.push(failure);
        }
    }
    failures
}

struct KillReport {
    kills: usize,
    requests: usize,
    acknowledged: usize,
    interrupted: usize,
    /// Interrupted requests whose rows were all committed before the kill but whose answer was
    /// not stored yet; those whose answer was stored too (only its way back was cut); those with
    /// nothing committed, which the replay ran.
    committed_unanswered: usize,
    stored_unanswered: usize,
    replayed_fresh: usize,
    rows: usize,
    problems: Vec<String>,
}

/// Phases 1 and 2 on the database at `url`.
async fn kills(engine: &str, url: &str, dir: &Path) -> anyhow::Result<KillReport> {
    let s = common::services(url).await?;
    let seeded = Arc::new(seed(&s).await?);
    let log_file = dir.join(format!("arbor-{}.log", engine.to_lowercase()));
    let kills = setting("ARBOR_CRASH_KILLS", if smoke() { 2 } else { 20 }) as usize;
    let clients = setting("ARBOR_CRASH_CLIENTS", 4) as usize;
    let mut rng = Rng(0xC4A5_0000 ^ kills as u64);
    let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let mut problems = Vec::new();
    let mut last_kill = Instant::now();
    for round in 0..kills {
        let mut arbor = Arbor::start(url, &log_file).await?;
        let firing = tokio::spawn(fire(
            seeded.clone(),
            arbor.base.clone(),
            round,
            clients,
            sent.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(200 + rng.below(2300) as u64)).await;
        arbor.kill()?;
        last_kill = Instant::now();
        for failure in firing.await? {
            problems.push(format!("before the kill: {failure}"));
        }
        let snapshot = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let stored = Stored::read(&s, &seeded.scope).await?;
        let (found, present) = check(&stored, &snapshot, false);
        eprintln!(
            "  {engine}: kill {}/{kills}: {} requests so far, {present} rows present, {} problems",
            round + 1,
            snapshot.len(),
            found.len()
        );
        problems.extend(
            found
                .into_iter()
                .map(|p| format!("after kill {}: {p}", round + 1)),
        );
    }

    // Replays: once the killed requests' leases have run out, each interrupted request runs again
    // (or finds its rows), and each acknowledged one gets its stored answer.
    let arbor = Arbor::start(url, &log_file).await?;
    let lease = Duration::from_millis(app::services::idempotency::LEASE_MS as u64 + 1_000);
    let wait = if smoke() {
        Duration::ZERO
    } else {
        lease.saturating_sub(last_kill.elapsed())
    };
    eprintln!(
        "  {engine}: waiting {:.0} s for the killed requests' leases",
        wait.as_secs_f64()
    );
    tokio::time::sleep(wait).await;
    let http = reqwest::Client::new();
    let before = Stored::read(&s, &seeded.scope).await?;
    let mut requests = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (mut acknowledged, mut interrupted, mut committed_unanswered, mut replayed_fresh) =
        (0, 0, 0, 0);
    let mut stored_unanswered = 0;
    for request in &mut requests {
        if smoke() && request.answer.is_none() {
            interrupted += 1;
            continue;
        }
        let (status, body, replayed) = post_bulk(&http, &arbor.base, &seeded.key, request).await?;
        match &request.answer {
            Some(answer) => {
                acknowledged += 1;
                if (status, &body) != (answer.0, &answer.1) || !replayed {
                    problems.push(format!(
                        "{}: the replay of an acknowledged request got HTTP {status} \
                         (replayed: {replayed}), not the stored answer",
                        request.key
                    ));
                }
            }
            None => {
                interrupted += 1;
                let had_rows = request
                    .rows
                    .iter()
                    .filter(|(email, _)| before.identities.contains_key(email))
                    .count();
                match (status, had_rows) {
                    (200, 0) => replayed_fresh += 1,
                    // Committed and its answer stored; only the answer's way back was cut.
                    (200, n) if n == BATCH && replayed => stored_unanswered += 1,
                    // Committed before the kill, killed before its answer was stored: the
                    // replay runs again and finds every row taken. No duplicate; the client
                    // learns the rows exist (see docs/reliability.md).
                    (207, n) if n == BATCH => committed_unanswered += 1,
                    _ => problems.push(format!(
                        "{}: replay of an interrupted request got HTTP {status} with {had_rows} \
                         rows already present: {body:.300}",
                        request.key
                    )),
                }
                request.answer = Some((status, body));
            }
        }
    }
    drop(arbor);
    let stored = Stored::read(&s, &seeded.scope).await?;
    let (found, rows) = check(&stored, &requests, !smoke());
    problems.extend(found.into_iter().map(|p| format!("after the replays: {p}")));
    s.db.close().await;
    Ok(KillReport {
        kills,
        requests: requests.len(),
        acknowledged,
        interrupted,
        committed_unanswered,
        stored_unanswered,
        replayed_fresh,
        rows,
        problems,
    })
}

/// A PostgreSQL cluster of this run's own in a temporary directory; stopped when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Runs a PostgreSQL tool as the cluster's owner: `postgres` when this process is root (the
/// server refuses to run as root), else this user.
fn pg(bin: &Path, tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let program = bin.join(tool);
    let status = if is_root() {
        let quoted: Vec<String> = std::iter::once(program.display().to_string())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        Command::new("su")
            .args(["postgres", "-c", &quoted.join(" ")])
            .stdout(Stdio::null())
            .status()?
    } else {
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .status()?
    };
    anyhow::ensure!(status.success(), "{tool} {args:?} failed");
    Ok(())
}

/// Starts the cluster in `data` on `port` (loopback only, its socket in `data`).
fn start_cluster(bin: &Path, data: &Path, port: u16) -> anyhow::Result<()> {
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1",
        data.display()
    );
    let log = data.join("server.log").display().to_string();
    pg(
        bin,
        "pg_ctl",
        &[
            "-D",
            &data.display().to_string(),
            "-l",
            &log,
            "-o",
            &options,
            "-w",
            "start",
        ],
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Cluster {
    /// `None` when no PostgreSQL server binaries are installed.
    fn create() -> anyhow::Result<Option<Cluster>> {
        let Some(bin) = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .filter(|b| b.join("pg_ctl").exists())
                    .max()
            })
        else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        if is_root() {
            Command::new("chown")
                .args(["postgres:postgres", &dir.path().display().to_string()])
                .status()?;
        }
        let data = dir.path().join("data");
        let port = free_port()?;
        pg(
            &bin,
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "arbor",
                "--no-sync",
            ],
        )?;
        let cluster = Cluster {
            bin,
            data,
            port,
            _dir: dir,
        };
        cluster.start()?;
        Ok(Some(cluster))
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://arbor@127.0.0.1:{}/{database}", self.port)
    }

    fn start(&self) -> anyhow::Result<()> {
        start_cluster(&self.bin, &self.data, self.port)
    }

    fn stop(&self, mode: &str) -> anyhow::Result<()> {
        let data = self.data.display().to_string();
        pg(
            &self.bin,
            "pg_ctl",
            &["-D", &data, "-m", mode, "-w", "stop"],
        )
    }

    async fn database(&self, name: &str) -> anyhow::Result<String> {
        sqlx::any::install_default_drivers();
        let mut conn =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&self.url("postgres")).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        Ok(self.url(name))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop("immediate");
    }
}

struct RestartReport {
    readyz_503: usize,
    readyz_other: Vec<u16>,
    recovered_after: Duration,
    statuses: std::collections::BTreeMap<u16, usize>,
    acknowledged_after_restart: usize,
    acknowledged: usize,
    problems: Vec<String>,
}

/// Phase 3: the database stops and starts again under write load.
async fn restart(cluster: &Cluster, dir: &Path) -> anyhow::Result<RestartReport> {
    let url = cluster.database("arbor_crash_restart").await?;
    let s = common::services(&url).await?;
    let seeded = Arc::new(seed(&s).await?);
    let arbor = Arbor::start(&url, &dir.join("arbor-restart.log")).await?;
    let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let restarted_at = Arc::new(Mutex::new(None::<Instant>));
    let acked_after = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut tasks = Vec::new();
    for c in 0..4 {
        let (seeded, base, sent, statuses, problems, stop, http) = (
            seeded.clone(),
            arbor.base.clone(),
            sent.clone(),
            statuses.clone(),
            problems.clone(),
            stop.clone(),
            http.clone(),
        );
        let (restarted_at, acked_after) = (restarted_at.clone(), acked_after.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Half of the clients send bulk creates, the other half single creates (a 1-row
                // request recorded the same way).
                let mut request = bulk_request(&seeded, &format!("pg-c{c}-n{n}"));
                n += 1;
                let single = c % 2 == 1;
                if single {
                    request.rows.truncate(1);
                    let (email, assigns) = &request.rows[0];
                    let mut body =
                        json!({ "email": email, "first_name": "Crash", "last_name": "Single" });
                    if *assigns {
                        body["role_id"] = json!(seeded.role);
                        body["node_id"] = json!(seeded.root);
                    }
                    request.body = body.to_string();
                }
                let path = if single {
                    "identities"
                } else {
                    "identities/bulk-create"
                };
                let mut post = http
                    .post(format!("{base}/api/v1/{path}"))
                    .header("X-API-Key", &seeded.key)
                    .header("Content-Type", "application/json");
                if !single {
                    post = post.header("Idempotency-Key", &request.key);
                }
                let answer = post.body(request.body.clone()).send().await;
                let answer = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        response.text().await.map(|body| (status, body))
                    }
                    Err(e) => Err(e),
                };
                match answer {
                    Err(e) => {
                        problems
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{}: connection dropped: {e}", request.key));
                    }
                    Ok((status, body)) => {
                        *statuses
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(status)
                            .or_default() += 1;
                        let acked = matches!((single, status), (true, 201) | (false, 200));
                        if status == 503 {
                            let code = serde_json::from_str::<Value>(&body)
                                .ok()
                                .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                                .unwrap_or_default();
                            eprintln!("  PostgreSQL: {} answered 503 {code}", request.key);
                        }
                        if !acked && status != 503 {
                            problems
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(format!("{}: HTTP {status}: {body:.300}", request.key));
                        }
                        if acked
                            && restarted_at
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .is_some()
                        {
                            acked_after.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        if acked && single {
                            // The single answer is the row itself: shape it as a bulk answer's.
                            let data: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                            request.answer =
                                Some((200, json!({ "results": [{ "data": data }] }).to_string()));
                        } else if acked {
                            request.answer = Some((status, body));
                        }
                    }
                }
                sent.lock().unwrap_or_else(|p| p.into_inner()).push(request);
            }
        }));
    }
    // `/readyz` every 100 ms from before the stop until it answers 200 after the start.
    let poll = |http: reqwest::Client, base: String| async move {
        http.get(format!("{base}/readyz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_or(0, |r| r.status().as_u16())
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut readyz_503 = 0;
    let mut readyz_other = Vec::new();
    let bin = cluster.bin.clone();
    let data = cluster.data.display().to_string();
    let stopping = tokio::task::spawn_blocking(move || {
        pg(&bin, "pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
    });
    stopping.await??;
    eprintln!("  PostgreSQL: the cluster is stopped");
    let away = Instant::now();
    while away.elapsed() < Duration::from_secs(3) {
        match poll(http.clone(), arbor.base.clone()).await {
            503 => readyz_503 += 1,
            other => readyz_other.push(other),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (bin, data, port) = (cluster.bin.clone(), cluster.data.clone(), cluster.port);
    tokio::task::spawn_blocking(move || start_cluster(&bin, &data, port)).await??;
    let started = Instant::now();
    *restarted_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(started);
    eprintln!("  PostgreSQL: the cluster is started again");
    let recovered_after = loop {
        match poll(http.clone(), arbor.base.clone()).await {
            200 => break started.elapsed(),
            503 => readyz_503 += 1,
            other => readyz_other.push(other),
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "/readyz did not recover within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Writing goes on for a while after the recovery, then stops.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    drop(arbor);
    let requests = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let stored = Stored::read(&s, &seeded.scope).await?;
    let (found, _) = check(&stored, &requests, false);
    let mut problems = problems.lock().unwrap_or_else(|p| p.into_inner()).clone();
    problems.extend(found);
    let acknowledged_after_restart = acked_after.load(std::sync::atomic::Ordering::Relaxed);
    if acknowledged_after_restart == 0 {
        problems.push("no write was acknowledged after the database came back".into());
    }
    if readyz_503 == 0 {
        problems.push("/readyz never answered 503 while the database was away".into());
    }
    if !readyz_other.is_empty() {
        problems.push(format!(
            "/readyz answered {readyz_other:?} while the database was away (0: no answer)"
        ));
    }
    s.db.close().await;
    let statuses = statuses.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(RestartReport {
        readyz_503,
        readyz_other,
        recovered_after,
        statuses,
        acknowledged_after_restart,
        acknowledged: requests.iter().filter(|r| r.answer.is_some()).count(),
        problems,
    })
}

fn print_kills(engine: &str, r: &KillReport) -> bool {
    println!(
        "{engine}: {} kills survived: {} bulk requests of {BATCH} rows ({} acknowledged, {} \
         interrupted: {} ran on replay, {} had committed and stored their answer (replayed), {} \
         had committed without storing their answer (replay: every row's email taken)), {} rows \
         present exactly once; {} problems",
        r.kills,
        r.requests,
        r.acknowledged,
        r.interrupted,
        r.replayed_fresh,
        r.stored_unanswered,
        r.committed_unanswered,
        r.rows,
        r.problems.len()
    );
    for problem in r.problems.iter().take(20) {
        println!("  problem: {problem}");
    }
    r.problems.is_empty()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("crash: `{ARBOR} serve` killed with SIGKILL under bulk creates");
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/crash.db", dir.path().display());
    let mut ok = true;
    let report = kills("SQLite", &sqlite, dir.path()).await?;
    ok &= print_kills("SQLite", &report);
    match Cluster::create()? {
        None => println!("PostgreSQL skipped: no server binaries in /usr/lib/postgresql"),
        Some(cluster) => {
            let url = cluster.database("arbor_crash_kills").await?;
            let report = kills("PostgreSQL", &url, dir.path()).await?;
            ok &= print_kills("PostgreSQL", &report);
            if smoke() {
                return finish(ok, dir);
            }
            let r = restart(&cluster, dir.path()).await?;
            println!(
                "PostgreSQL restart under load: /readyz 503 ×{} while away (other answers: \
                 {:?}), 200 again {:.1} s after the start without restarting Arbor; answers {:?}; \
                 {} writes acknowledged ({} after the restart); {} problems",
                r.readyz_503,
                r.readyz_other,
                r.recovered_after.as_secs_f64(),
                r.statuses,
                r.acknowledged,
                r.acknowledged_after_restart,
                r.problems.len()
            );
            for problem in r.problems.iter().take(20) {
                println!("  problem: {problem}");
            }
            ok &= r.problems.is_empty();
        }
    }
    finish(ok, dir)
}

fn finish(ok: bool, dir: tempfile::TempDir) -> anyhow::Result<()> {
    if !ok {
        println!("server logs: {}", dir.keep().display());
    }
    anyhow::ensure!(ok, "the crash run failed (see above)");
    Ok(())
}
