//! Identity creation over the REST API: `cargo bench -p server --bench identities`.
//!
//! Per engine: a fresh database, the real server on a loopback port, an account signed up through
//! the service and a full-access Development key. Then, over HTTP:
//! 1. `POST /api/v1/identities` without passwords from 16 clients, then from one (half of the rows
//!    also assign a role at the root node, in the same transaction);
//! 2. `POST /api/v1/identities/bulk-create` with 200 rows without passwords, one batch at a time;
//! 3. the same with a valid initial password on every row, next to the raw argon2id hashes/s of
//!    the password service on all cores, measured in windows alternating with the batches (the
//!    physical limit of that phase);
//! 4. `POST /api/v1/permissions/evaluate` over the identities just created (the depth-6 tree
//!    numbers come from `--bench evaluate`).
//!
//! PostgreSQL runs as in `--bench evaluate` (`ARBOR_BENCH_POSTGRES_URL`). Results are written up
//! in docs/performance.md.

mod common;

use app::services::Services;
use common::{Latencies, Rng};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SINGLE: usize = 2_000;
const SEQUENTIAL: usize = 500;
const BATCH: usize = 200;
const BATCHES: usize = 20;
const PASSWORD_BATCHES: usize = 5;
/// How long each argon2id measurement hashes.
const HASH_WINDOW: Duration = Duration::from_secs(3);
const CHECKS: usize = 20_000;

struct Report {
    single: Latencies,
    sequential: Latencies,
    bulk: Latencies,
    bulk_passwords: Latencies,
    /// argon2id hashes/s on all cores over all windows, and each window's.
    hashes: f64,
    windows: Vec<f64>,
    hashes_one_thread: f64,
    /// CPU seconds per row of the bulk without passwords: (this process, PostgreSQL backends).
    write_cpu: (f64, f64),
    /// Share of all cores busy with this bench (and its backends): (hash windows, batches).
    busy: (f64, f64),
    evaluate: Latencies,
    allowed: usize,
}

/// The (role, node) pair for every other row.
fn every_other(i: usize, assign: &(String, String)) -> Option<(&str, &str)> {
    i.is_multiple_of(2)
        .then_some((assign.0.as_str(), assign.1.as_str()))
}

/// One identity row of the API, optionally assigning a role at a node and with a password.
fn row(email: String, assign: Option<(&str, &str)>, password: Option<String>) -> Value {
    let mut row = json!({ "email": email, "first_name": "Bench", "last_name": "User" });
    if let Some((role, node)) = assign {
        row["role_id"] = json!(role);
        row["node_id"] = json!(node);
    }
    if let Some(password) = password {
        row["password"] = json!(password);
    }
    row
}

/// Hashes made by the password service (argon2id, the parameters and the core-count bound the
/// server uses) from `threads` hashing tasks in `HASH_WINDOW`, the server idle; and the time
/// they took.
async fn hash_window(s: &Services, threads: usize) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let deadline = started + HASH_WINDOW;
    let mut tasks = Vec::new();
    for t in 0..threads {
        let passwords = s.passwords.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                passwords.hash(format!("meadow-lantern-{t}-{done}")).await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok((total, started.elapsed()))
}

fn progress(engine: &str, phase: &str, l: &Latencies) {
    eprintln!(
        "  {engine}: {phase}: {} requests, p50 {}, {:.1} requests/s",
        l.count,
        show(l.p50),
        l.per_second
    );
}

async fn run(engine: &'static str, url: &str) -> anyhow::Result<Report> {
    let s = common::services(url).await?;
    let scope = common::sign_up(&s).await?;
    let key = common::api_key(&s, &scope).await?;
    // A role holding every permission of the environment, for the rows that assign one.
    let role = "bench-role";
    let mut tx = s.db.begin().await?;
    sqlx::query(
        "INSERT INTO roles (account_id, id, environment_id, name, created_at, updated_at) VALUES ($1, $2, $3, 'Bench', 0, 0)",
    )
    .bind(&scope.account_id)
    .bind(role)
    .bind(&scope.environment_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO role_permissions (account_id, role_id, permission_id, created_at) \
         SELECT account_id, $2, id, 0 FROM permissions WHERE account_id = $1 AND environment_id = $3",
    )
    .bind(&scope.account_id)
    .bind(role)
    .bind(&scope.environment_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let root: String = sqlx::query_scalar(
        "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_one(s.db.reader())
    .await?;
    let server = common::serve(&s).await?;
    let one = format!("{}/api/v1/identities", server.base);
    let bulk = format!("{}/api/v1/identities/bulk-create", server.base);
    let assign = Arc::new((role.to_owned(), root));

    let a = assign.clone();
    let single = common::drive(&one, &key, CLIENTS, SINGLE, 201, move |i| {
        row(format!("single-{i}@example.com"), every_other(i, &a), None)
    })
    .await?;
    progress(engine, "single creates, 16 clients", &single);
    let a = assign.clone();
    let sequential = common::drive(&one, &key, 1, SEQUENTIAL, 201, move |i| {
        row(
            format!("sequential-{i}@example.com"),
            every_other(i, &a),
            None,
        )
    })
    .await?;
    progress(engine, "single creates, 1 client", &sequential);
    let a = assign.clone();
    let cpu = cpu_seconds(&s).await;
    let batches = common::drive(&bulk, &key, 1, BATCHES, 200, move |b| {
        let rows: Vec<Value> = (0..BATCH)
            .map(|r| {
                row(
                    format!("bulk-{b}-{r}@example.com"),
                    every_other(r, &a),
                    None,
                )
            })
            .collect();
        json!({ "identities": rows })
    })
    .await?;
    let after = cpu_seconds(&s).await;
    let rows = (BATCHES * BATCH) as f64;
    let write_cpu = ((after.0 - cpu.0) / rows, (after.1 - cpu.1) / rows);
    progress(engine, "bulk-create 200, no passwords", &batches);

    // Hashing windows and batches alternate, so that load from elsewhere on the machine weighs
    // on both alike; the limit is the windows' total hashes over their total time.
    let (mut hashes, mut hashing, mut windows) = (0, Duration::ZERO, Vec::new());
    let (mut timings, mut batch_time) = (Vec::new(), Duration::ZERO);
    let (mut window_cpu, mut batch_cpu) = (0.0, 0.0);
    for b in 0..=PASSWORD_BATCHES {
        let before = cpu_seconds(&s).await;
        let (done, took) = hash_window(&s, common::cores()).await?;
        let after = cpu_seconds(&s).await;
        window_cpu += after.0 - before.0 + after.1 - before.1;
        (hashes, hashing) = (hashes + done, hashing + took);
        windows.push(done as f64 / took.as_secs_f64());
        if b == PASSWORD_BATCHES {
            break;
        }
        let before = cpu_seconds(&s).await;
        let one = common::drive(&bulk, &key, 1, 1, 200, move |_| {
            let rows: Vec<Value> = (0..BATCH)
                .map(|r| {
                    row(
                        format!("password-{b}-{r}@example.com"),
                        None,
                        Some(format!("meadow-lantern-{b}-{r}")),
                    )
                })
                .collect();
            json!({ "identities": rows })
        })
        .await?;
        let after = cpu_seconds(&s).await;
        batch_cpu += after.0 - before.0 + after.1 - before.1;
        timings.push(one.max);
        batch_time += one.max;
    }
    let cores = common::cores() as f64;
    let busy = (
        window_cpu / (hashing.as_secs_f64() * cores),
        batch_cpu / (batch_time.as_secs_f64() * cores),
    );
    let bulk_passwords = common::latencies(timings, batch_time);
    let hashes = hashes as f64 / hashing.as_secs_f64();
    progress(engine, "bulk-create 200, passwords", &bulk_passwords);
    eprintln!("  {engine}: argon2id {hashes:.1} hashes/s");
    // One core's worth, to tell "hashing does not overlap" from "everything else costs".
    let (done, took) = hash_window(&s, 1).await?;
    let hashes_one_thread = done as f64 / took.as_secs_f64();
    eprintln!("  {engine}: argon2id, one thread {hashes_one_thread:.1} hashes/s");

    // Evaluate over what the phases above wrote: every identity, half of them holding the role.
    let identities: Vec<String> =
        sqlx::query_scalar("SELECT id FROM identities WHERE account_id = $1 ORDER BY id")
            .bind(&scope.account_id)
            .fetch_all(s.db.reader())
            .await?;
    let permissions: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM permissions WHERE account_id = $1 AND environment_id = $2 ORDER BY key",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_all(s.db.reader())
    .await?;
    anyhow::ensure!(!identities.is_empty() && !permissions.is_empty());
    let questions = Arc::new((identities, permissions, assign.1.clone()));
    let q = questions.clone();
    let evaluate = common::drive(
        &format!("{}/api/v1/permissions/evaluate", server.base),
        &key,
        CLIENTS,
        CHECKS,
        200,
        move |i| {
            let mut rng = Rng(1_000 + i as u64);
            json!({
                "identity_id": q.0[rng.below(q.0.len())],
                "permission": q.1[rng.below(q.1.len())],
                "node_id": q.2,
            })
        },
    )
    .await?;
    progress(engine, "evaluate", &evaluate);
    // The answers' mix, to show the checks were real ones (counted once, outside the timing).
    let mut allowed = 0;
    for i in 0..200 {
        let mut rng = Rng(1_000 + i as u64);
        let identity = &questions.0[rng.below(questions.0.len())];
        let permission = &questions.1[rng.below(questions.1.len())];
        let check = app::services::access_checks::Check {
            identity_id: identity,
            permission,
            node_id: Some(&questions.2),
        };
        let operator = app::services::Caller::operator(scope.clone());
        let decision = app::services::access_checks::evaluate(&s, &operator, check).await?;
        allowed += usize::from(decision.allowed);
    }
    Ok(Report {
        single,
        sequential,
        bulk: batches,
        bulk_passwords,
        hashes,
        windows,
        hashes_one_thread,
        write_cpu,
        busy,
        evaluate,
        allowed,
    })
}

/// CPU seconds used so far by this process (server and load generator) and by the PostgreSQL
/// backends serving this database (none on SQLite), from Linux's /proc; zero where unreadable.
/// Unlike wall time, it does not move with other work on the machine.
async fn cpu_seconds(s: &Services) -> (f64, f64) {
    // utime + stime, in clock ticks (100 a second on Linux), after the `(comm)` field.
    let ticks = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let fields: Vec<u64> = stat
                    .rsplit_once(')')?
                    .1
                    .split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|f| f.parse().ok())
                    .collect();
                Some(fields.iter().sum::<u64>() as f64 / 100.0)
            })
            .unwrap_or(0.0)
    };
    let backends: Vec<i32> = if s.db.engine() == app::store::Engine::Postgres {
        sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'",
        )
        .fetch_all(s.db.reader())
        .await
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    (
        ticks("self"),
        backends.iter().map(|pid| ticks(&pid.to_string())).sum(),
    )
}

/// A duration in the unit that keeps it readable.
fn show(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn print(engine: &str, r: &Report) {
    let line = |what: &str, l: Option<&Latencies>, rate: String| {
        let [p50, p99, max] = l.map_or_else(Default::default, |l| [l.p50, l.p99, l.max].map(show));
        println!("{engine:<10} | {what:<44} | {p50:>9} | {p99:>9} | {max:>9} | {rate}");
    };
    line(
        &format!("create, {CLIENTS} clients ({SINGLE})"),
        Some(&r.single),
        format!("{:.0} creates/s", r.single.per_second),
    );
    line(
        &format!("create, 1 client ({SEQUENTIAL})"),
        Some(&r.sequential),
        format!("{:.0} creates/s", r.sequential.per_second),
    );
    line(
        &format!("bulk-create {BATCH}, no passwords ({BATCHES} batches)"),
        Some(&r.bulk),
        format!("{:.0} rows/s", r.bulk.per_second * BATCH as f64),
    );
    let rows = r.bulk_passwords.per_second * BATCH as f64;
    line(
        &format!("bulk-create {BATCH}, passwords ({PASSWORD_BATCHES} batches)"),
        Some(&r.bulk_passwords),
        format!("{rows:.1} rows/s"),
    );
    let (low, high) = r
        .windows
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), w| (lo.min(*w), hi.max(*w)));
    line(
        &format!("argon2id, {} threads", common::cores()),
        None,
        format!(
            "{:.1} hashes/s ({} windows: {low:.1}–{high:.1})",
            r.hashes,
            r.windows.len()
        ),
    );
    // On an idle machine all cores hash at once; much less means other work took cores, and the
    // ratio below compares two phases that each got whatever was left.
    let speedup = r.hashes / r.hashes_one_thread;
    line(
        "argon2id, 1 thread",
        None,
        format!(
            "{:.1} hashes/s (all cores ÷ 1 = {speedup:.2}{})",
            r.hashes_one_thread,
            if speedup < 0.75 * common::cores() as f64 {
                ": other work took the cores, the ratio below is unreliable"
            } else {
                ""
            }
        ),
    );
    line(
        "CPU per row written (no passwords)",
        None,
        format!(
            "{:.2} ms server + {:.2} ms PostgreSQL backend",
            r.write_cpu.0 * 1e3,
            r.write_cpu.1 * 1e3
        ),
    );
    line(
        "cores busy: hash windows / password batches",
        None,
        format!("{:.0} % / {:.0} %", r.busy.0 * 100.0, r.busy.1 * 100.0),
    );
    line(
        "bulk rows/s with passwords ÷ hashes/s",
        None,
        format!("{:.0} % (target ≥ 90 %)", rows / r.hashes * 100.0),
    );
    line(
        &format!("evaluate, {CLIENTS} clients ({CHECKS})"),
        Some(&r.evaluate),
        format!(
            "{:.0} checks/s ({} of 200 sampled allowed)",
            r.evaluate.per_second, r.allowed
        ),
    );
}

/// The machine's load average: the cores are shared, and a busy machine shows in every number.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "load average unknown".to_owned(),
        |l| {
            let l: Vec<&str> = l.split_whitespace().take(3).collect();
            format!("load average {}", l.join(" "))
        },
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "identities: REST over loopback on {} cores; half of the non-password rows assign a role; {}",
        common::cores(),
        load()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/bench.db", dir.path().display());
    let mut reports = vec![("SQLite", run("SQLite", &sqlite).await?)];
    if let Some(report) =
        common::on_postgres(|url| async move { run("PostgreSQL", &url).await }).await?
    {
        reports.push(("PostgreSQL", report));
    }
    println!();
    println!(
        "{:<10} | {:<44} | {:>9} | {:>9} | {:>9} | throughput",
        "engine", "phase (requests)", "p50", "p99", "max"
    );
    for (engine, report) in &reports {
        print(engine, report);
    }
    println!("{}", load());
    Ok(())
}
