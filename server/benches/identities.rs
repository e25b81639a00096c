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
const BATCH: usize = 200;

/// How much each phase does: the full run, or a smoke run (`ARBOR_BENCH_SMOKE=1`, a few seconds,
/// which only proves the bench still works).
struct Sizes {
    single: usize,
    sequential: usize,
    batches: usize,
    password_batches: usize,
    /// How long each argon2id measurement hashes.
    hash_window: Duration,
    checks: usize,
    /// Directory sizes at which sequential single creates are measured, how many at each size,
    /// and in how many windows taking turns with the other sizes.
    scale: &'static [usize],
    scale_creates: usize,
    scale_rounds: usize,
}

const FULL: Sizes = Sizes {
    single: 2_000,
    sequential: 500,
    batches: 20,
    password_batches: 5,
    hash_window: Duration::from_secs(3),
    checks: 20_000,
    scale: &[1_000, 10_000, 100_000],
    scale_creates: 1_000,
    scale_rounds: 10,
};

const SMOKE: Sizes = Sizes {
    single: 64,
    sequential: 32,
    batches: 2,
    password_batches: 1,
    hash_window: Duration::from_millis(300),
    checks: 200,
    scale: &[200, 400],
    scale_creates: 20,
    scale_rounds: 2,
};

fn sizes() -> &'static Sizes {
    if std::env::var_os("ARBOR_BENCH_SMOKE").is_some() {
        &SMOKE
    } else {
        &FULL
    }
}

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
    /// The bulk batches' rows written by hand: one multi-row INSERT per table, one transaction.
    floor: Latencies,
    /// Sequential single creates with the directory at each size.
    scale: Vec<Scaled>,
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
/// server uses) from `threads` hashing tasks in the window, the server idle; and the time
/// they took.
async fn hash_window(s: &Services, threads: usize) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let deadline = started + sizes().hash_window;
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
    let z = sizes();
    let single = common::drive(&one, &key, CLIENTS, z.single, 201, move |i| {
        row(format!("single-{i}@example.com"), every_other(i, &a), None)
    })
    .await?;
    progress(engine, "single creates, 16 clients", &single);
    let a = assign.clone();
    let sequential = common::drive(&one, &key, 1, z.sequential, 201, move |i| {
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
    let batches = common::drive(&bulk, &key, 1, z.batches, 200, move |b| {
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
    let rows = (z.batches * BATCH) as f64;
    let write_cpu = ((after.0 - cpu.0) / rows, (after.1 - cpu.1) / rows);
    progress(engine, "bulk-create 200, no passwords", &batches);
    let floor = floor(&s, &scope, &assign, z.batches).await?;
    progress(engine, "floor: the same rows, one INSERT per table", &floor);

    // Hashing windows and batches alternate, so that load from elsewhere on the machine weighs
    // on both alike; the limit is the windows' total hashes over their total time.
    let (mut hashes, mut hashing, mut windows) = (0, Duration::ZERO, Vec::new());
    let (mut timings, mut batch_time) = (Vec::new(), Duration::ZERO);
    let (mut window_cpu, mut batch_cpu) = (0.0, 0.0);
    for b in 0..=z.password_batches {
        let before = cpu_seconds(&s).await;
        let (done, took) = hash_window(&s, common::cores()).await?;
        let after = cpu_seconds(&s).await;
        window_cpu += after.0 - before.0 + after.1 - before.1;
        (hashes, hashing) = (hashes + done, hashing + took);
        windows.push(done as f64 / took.as_secs_f64());
        if b == z.password_batches {
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
        z.checks,
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
    drop(server);
    let scale = scale(engine, url).await?;
    Ok(Report {
        floor,
        scale,
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

/// The floor of a bulk batch: the rows `batches` bulk requests write (an identity, its membership,
/// every other row an assignment, and their audit events), inserted by hand with multi-row
/// `INSERT`s in one transaction per batch on the same database. Nothing checks anything; it is what
/// the engine itself costs for those rows. Each table's rows go in statements built and sized as
/// the product's (`store::values_list`, `store::rows_per_insert`): on SQLite numbered binds cost
/// sqlx-sqlite quadratic time, which would measure sqlx, not the engine.
async fn floor(
    s: &Services,
    scope: &app::model::EnvScope,
    assign: &(String, String),
    batches: usize,
) -> anyhow::Result<Latencies> {
    let started = Instant::now();
    let mut samples = Vec::with_capacity(batches);
    for b in 0..batches {
        let one = Instant::now();
        let now = app::store::ms(s.now());
        let ids: Vec<(String, String, String)> = (0..BATCH)
            .map(|_| (s.new_id(), s.new_id(), s.new_id()))
            .collect();
        let mut tx = s.db.begin().await?;
        let per = |binds_per_row: usize| app::store::rows_per_insert(&tx, binds_per_row);
        let (identity_rows, membership_rows) = (per(8), per(8));
        let (assignment_rows, audit_rows) = (per(9), per(17));
        for (c, chunk) in ids.chunks(identity_rows).enumerate() {
            let sql = format!(
                "INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) VALUES {}",
                app::store::values_list(&tx, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (r, (id, _, _)) in chunk.iter().enumerate() {
                q = q
                    .bind(&scope.account_id)
                    .bind(id)
                    .bind(format!("floor-{b}-{}@example.com", c * identity_rows + r))
                    .bind("Bench")
                    .bind("User")
                    .bind("pending")
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in ids.chunks(membership_rows) {
            let sql = format!(
                "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, activated_at, created_at, updated_at) VALUES {}",
                app::store::values_list(&tx, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (id, membership, _) in chunk {
                q = q
                    .bind(&scope.account_id)
                    .bind(membership)
                    .bind(id)
                    .bind(&scope.application_id)
                    .bind("active")
                    .bind(now)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        let assigned: Vec<&(String, String, String)> = ids.iter().step_by(2).collect();
        for chunk in assigned.chunks(assignment_rows) {
            let sql = format!(
                "INSERT INTO assignments (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, created_at, updated_at) VALUES {}",
                app::store::values_list(&tx, chunk.len(), 9)
            );
            let mut q = sqlx::query(&sql);
            for (id, _, assignment) in chunk {
                q = q
                    .bind(&scope.account_id)
                    .bind(assignment)
                    .bind(&scope.environment_id)
                    .bind(id)
                    .bind(&assign.0)
                    .bind(&assign.1)
                    .bind(now)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        // The audit events a batch writes: identity + membership per row, one per assignment.
        let mut events: Vec<(&str, &str, &'static str)> = Vec::new();
        for (r, (id, membership, assignment)) in ids.iter().enumerate() {
            events.push((id, id, "identity.created"));
            events.push((membership, id, "membership.activated"));
            if r % 2 == 0 {
                events.push((assignment, id, "assignment.created"));
            }
        }
        for chunk in events.chunks(audit_rows) {
            let sql = format!(
                "INSERT INTO audit_events (account_id, id, application_id, environment_id, actor_type, actor_id, \
                   actor_label, action, category, resource_type, resource_id, resource_label, outcome, severity, \
                   correlation_id, metadata, created_at) VALUES {}",
                app::store::values_list(&tx, chunk.len(), 17)
            );
            let mut q = sqlx::query(&sql);
            for (resource, identity, action) in chunk {
                q = q
                    .bind(&scope.account_id)
                    .bind(s.new_id())
                    .bind(&scope.application_id)
                    .bind(&scope.environment_id)
                    .bind("api_key")
                    .bind("bench-key")
                    .bind("Bench (arb_dev_…)")
                    .bind(*action)
                    .bind("identity")
                    .bind("identity")
                    .bind(*resource)
                    .bind("floor@example.com")
                    .bind("success")
                    .bind("info")
                    .bind(*identity)
                    .bind(format!("{{\"identity_id\":\"{identity}\"}}"))
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        samples.push(one.elapsed());
    }
    Ok(common::latencies(samples, started.elapsed()))
}

/// Sequential single creates (1 client, every other one assigning a role) with the environment
/// holding each of `sizes().scale` identities. Each size has a database of its own, seeded through
/// the bulk create service in batches of 200 before any size is measured; then the sizes take
/// turns, `scale_rounds` windows each (the order rotating every round), and each size's figure
/// pools its windows. This VM's speed drifts by a third from one minute to the next: measured one
/// after the other, the sizes would compare minutes of the machine as much as sizes of the
/// directory; taking turns, every size meets the same drift. The cost of a create must not grow
/// with the directory.
async fn scale(engine: &'static str, url: &str) -> anyhow::Result<Vec<Scaled>> {
    if url.starts_with("sqlite:") {
        let urls: Vec<String> = sizes()
            .scale
            .iter()
            .map(|size| format!("{url}-scale-{size}"))
            .collect();
        return measure_scale(engine, &urls).await;
    }
    // Databases of their own beside the main one, dropped afterwards.
    let admin = std::env::var("ARBOR_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("ARBOR_TEST_POSTGRES_URL"))?;
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    let mut names = Vec::new();
    let outcome = async {
        for size in sizes().scale {
            let name = format!("arbor_bench_scale_{size}_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            names.push(name);
        }
        let urls: Vec<String> = names.iter().map(|name| format!("{base}/{name}")).collect();
        measure_scale(engine, &urls).await
    }
    .await;
    for name in &names {
        if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
        {
            eprintln!("could not drop the database {name}: {e}");
        }
    }
    outcome
}

/// The rate of sequential single creates with the directory at one size: all its windows pooled,
/// and each window's rate (round by round, to compare with the other sizes' same round).
struct Scaled {
    size: usize,
    creates: Latencies,
    windows: Vec<f64>,
}

/// One size's database, seeded, behind a server of its own.
struct ScaleTarget {
    size: usize,
    endpoint: String,
    key: String,
    assign: Arc<(String, String)>,
    _server: common::Server,
}

impl ScaleTarget {
    async fn seeded(engine: &'static str, url: &str, size: usize) -> anyhow::Result<Self> {
        let s = common::services(url).await?;
        let scope = common::sign_up(&s).await?;
        let key = common::api_key(&s, &scope).await?;
        let root: String = sqlx::query_scalar(
            "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
        )
        .bind(&scope.account_id)
        .bind(&scope.environment_id)
        .fetch_one(s.db.reader())
        .await?;
        let operator = app::services::Caller::operator(scope.clone());
        let role = app::services::catalog::create_role(
            &s,
            &operator,
            &app::model::RoleForm {
                name: "Scale".into(),
                description: String::new(),
            },
        )
        .await?
        .id;
        let seeding = Instant::now();
        let mut seeded = 0usize;
        while seeded < size {
            let n = BATCH.min(size - seeded);
            let forms: Vec<app::model::IdentityForm> = (seeded..seeded + n)
                .map(|i| app::model::IdentityForm {
                    email: format!("seed-{i}@example.com"),
                    first_name: "Seed".into(),
                    last_name: "User".into(),
                    ..Default::default()
                })
                .collect();
            let results = app::services::identities::bulk_create(
                &s,
                &operator,
                &forms,
                app::services::rows::Mode::Real,
            )
            .await?;
            anyhow::ensure!(results.iter().all(Result::is_ok), "seeding failed");
            seeded += n;
        }
        if s.db.engine() == app::store::Engine::Postgres {
            sqlx::query("ANALYZE").execute(s.db.reader()).await?;
        }
        eprintln!(
            "  {engine}: seeded {size} identities in {:.1?}",
            seeding.elapsed()
        );
        let server = common::serve(&s).await?;
        Ok(Self {
            size,
            endpoint: format!("{}/api/v1/identities", server.base),
            key,
            assign: Arc::new((role, root)),
            _server: server,
        })
    }
}

/// Seeds a database per size (`urls` in the order of `sizes().scale`), then measures the sizes in
/// turn, round after round.
async fn measure_scale(engine: &'static str, urls: &[String]) -> anyhow::Result<Vec<Scaled>> {
    let mut targets = Vec::with_capacity(urls.len());
    for (url, &size) in urls.iter().zip(sizes().scale) {
        targets.push(ScaleTarget::seeded(engine, url, size).await?);
    }
    let rounds = sizes().scale_rounds;
    let per_window = sizes().scale_creates / rounds;
    let mut pooled: Vec<(Vec<Duration>, Duration, Vec<f64>)> =
        vec![(Vec::new(), Duration::ZERO, Vec::new()); targets.len()];
    for round in 0..rounds {
        for turn in 0..targets.len() {
            let t = (round + turn) % targets.len();
            let (size, assign) = (targets[t].size, targets[t].assign.clone());
            let (samples, took) = common::drive_samples(
                &targets[t].endpoint,
                &targets[t].key,
                1,
                per_window,
                201,
                move |i| {
                    row(
                        format!("at-{size}-{round}-{i}@example.com"),
                        every_other(i, &assign),
                        None,
                    )
                },
            )
            .await?;
            let (all, time, windows) = &mut pooled[t];
            windows.push(samples.len() as f64 / took.as_secs_f64());
            all.extend(samples);
            *time += took;
        }
    }
    let scaled: Vec<Scaled> = targets
        .iter()
        .zip(pooled)
        .map(|(target, (samples, time, windows))| Scaled {
            size: target.size,
            creates: common::latencies(samples, time),
            windows,
        })
        .collect();
    for s in &scaled {
        progress(
            engine,
            &format!("single creates, 1 client, at {} ({rounds} rounds)", s.size),
            &s.creates,
        );
    }
    Ok(scaled)
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
    let z = sizes();
    let line = |what: &str, l: Option<&Latencies>, rate: String| {
        let [p50, p99, max] = l.map_or_else(Default::default, |l| [l.p50, l.p99, l.max].map(show));
        println!("{engine:<10} | {what:<44} | {p50:>9} | {p99:>9} | {max:>9} | {rate}");
    };
    line(
        &format!("create, {CLIENTS} clients ({})", z.single),
        Some(&r.single),
        format!("{:.0} creates/s", r.single.per_second),
    );
    line(
        &format!("create, 1 client ({})", z.sequential),
        Some(&r.sequential),
        format!("{:.0} creates/s", r.sequential.per_second),
    );
    line(
        &format!("bulk-create {BATCH}, no passwords ({} batches)", z.batches),
        Some(&r.bulk),
        format!("{:.0} rows/s", r.bulk.per_second * BATCH as f64),
    );
    line(
        "floor: same rows, one INSERT per table",
        Some(&r.floor),
        format!(
            "{:.0} rows/s (bulk = {:.0} % of it, target ≥ 30 %)",
            r.floor.per_second * BATCH as f64,
            r.bulk.per_second / r.floor.per_second * 100.0
        ),
    );
    let rows = r.bulk_passwords.per_second * BATCH as f64;
    line(
        &format!(
            "bulk-create {BATCH}, passwords ({} batches)",
            z.password_batches
        ),
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
        &format!("evaluate, {CLIENTS} clients ({})", z.checks),
        Some(&r.evaluate),
        format!(
            "{:.0} checks/s ({} of 200 sampled allowed)",
            r.evaluate.per_second, r.allowed
        ),
    );
    let Some(first) = r.scale.first() else {
        return;
    };
    for s in &r.scale {
        // Each round's ratio to the smallest size in the same round: its spread is the noise.
        let (low, high) = s
            .windows
            .iter()
            .zip(&first.windows)
            .map(|(w, f)| w / f * 100.0)
            .fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        line(
            &format!(
                "create, 1 client, {} identities ({})",
                s.size, s.creates.count
            ),
            Some(&s.creates),
            format!(
                "{:.0} creates/s ({:.0} % of the rate at {}; rounds {low:.0}–{high:.0} %)",
                s.creates.per_second,
                s.creates.per_second / first.creates.per_second * 100.0,
                first.size
            ),
        );
    }
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
