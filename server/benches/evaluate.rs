//! Evaluation throughput, latency, write→visible and memory: `cargo bench -p server --bench evaluate`.
//!
//! Seeds one environment with a depth-6 tree (1 + 4 + 16 + 64 + 256 + 1,024 nodes), roles over
//! 40 permissions and assignments held by identities (a tenth expired, a tenth scheduled) with
//! multi-row inserts, then: the cold snapshot load (time and the process's RSS before and after,
//! from `/proc/self/status`), node-scoped questions at random deepest nodes from concurrent tasks
//! through `access_checks::evaluate`, the same over real HTTP (`POST /api/v1/permissions/evaluate`)
//! beside the floor of that server and client (an authenticated `GET /api/v1/roles`), and
//! write→visible: an identity's status flipped through the service layer, then the first check
//! (which applies the change from the journal) timed until it sees it.
//!
//! Sizes: 2,000 identities × 5 assignments by default; `ARBOR_BENCH_LARGE=1` for 100,000
//! identities × 10 (1,000,000 assignments); `ARBOR_BENCH_SMOKE=1` for a few-second run.
//! Runs on SQLite (a temporary file) and, when `ARBOR_BENCH_POSTGRES_URL` or
//! `ARBOR_TEST_POSTGRES_URL` names a server where it may create a database, on PostgreSQL.
//! Results are written up in docs/performance.md.

mod arbor_process;
mod common;

use app::model::EnvScope;
use app::services::{Caller, Services, access_checks, directory};
use common::{Latencies, Rng};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PERMISSIONS: usize = 40;
const BRANCHING: usize = 4;
const DEPTH: usize = 6;
const HTTP_CONNECTIONS: usize = 16;

struct Sizes {
    identities: usize,
    assignments_per_identity: usize,
    /// At least `assignments_per_identity`: an identity's roles are distinct.
    roles: usize,
    checks: usize,
    http_checks: usize,
    writes: usize,
}

const DEFAULT: Sizes = Sizes {
    identities: 2_000,
    assignments_per_identity: 5,
    roles: 8,
    checks: 200_000,
    http_checks: 20_000,
    writes: 200,
};
const LARGE: Sizes = Sizes {
    identities: 100_000,
    assignments_per_identity: 10,
    roles: 12,
    checks: 200_000,
    http_checks: 40_000,
    writes: 400,
};
const SMOKE: Sizes = Sizes {
    identities: 200,
    assignments_per_identity: 5,
    roles: 8,
    checks: 2_000,
    http_checks: 500,
    writes: 20,
};

fn sizes() -> &'static Sizes {
    if std::env::var_os("ARBOR_BENCH_SMOKE").is_some() {
        &SMOKE
    } else if std::env::var_os("ARBOR_BENCH_LARGE").is_some() {
        &LARGE
    } else {
        &DEFAULT
    }
}

/// A bound value of a seeding row.
enum Value {
    Text(String),
    Int(i64),
    MaybeInt(Option<i64>),
}

/// `INSERT INTO <into> VALUES (…), (…)…` for `rows`, in statements of the size the product's own
/// multi-row writes use on this engine (`store::values_list`, `store::rows_per_insert`).
async fn insert_rows(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    into: &str,
    rows: Vec<Vec<Value>>,
) -> anyhow::Result<()> {
    let columns = rows.first().map_or(1, Vec::len);
    for chunk in rows.chunks(app::store::rows_per_insert(tx, columns)) {
        let sql = format!(
            "INSERT INTO {into} VALUES {}",
            app::store::values_list(tx, chunk.len(), columns)
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for value in row {
                query = match value {
                    Value::Text(v) => query.bind(v.clone()),
                    Value::Int(v) => query.bind(*v),
                    Value::MaybeInt(v) => query.bind(*v),
                };
            }
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The process's resident memory (`VmRSS`), in bytes.
fn rss() -> u64 {
    arbor_process::vm_rss("/proc/self/status")
}

struct Seeded {
    scope: EnvScope,
    identities: Vec<String>,
    leaves: Vec<String>,
    permissions: Vec<String>,
}

async fn seed(s: &Services, z: &Sizes) -> anyhow::Result<Seeded> {
    let scope = common::sign_up(s).await?;
    let account = scope.account_id.clone();
    let environment_id = scope.environment_id.clone();
    let root: String = sqlx::query_scalar(
        "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
    )
    .bind(&account)
    .bind(&environment_id)
    .fetch_one(s.db.reader())
    .await?;

    let mut rng = Rng(0x00A5_B0C0_FFEE);
    let mut tx = s.db.begin().await?;
    let mut level = vec![root];
    let mut serial = 0usize;
    for depth in 2..=DEPTH {
        let mut next = Vec::new();
        for parent in &level {
            for b in 0..BRANCHING {
                serial += 1;
                let id = format!("node-{serial:05}");
                sqlx::query(
                    "INSERT INTO nodes (account_id, id, environment_id, parent_node_id, node_type, name, slug, depth, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'unit', $5, $6, $7, 0, 0)",
                )
                .bind(&account)
                .bind(&id)
                .bind(&environment_id)
                .bind(parent)
                .bind(format!("Unit {serial}"))
                .bind(format!("unit-{b}"))
                .bind(depth as i64)
                .execute(&mut *tx)
                .await?;
                next.push(id);
            }
        }
        level = next;
    }
    let leaves = level;
    let mut all_nodes: Vec<String> = (1..=serial).map(|n| format!("node-{n:05}")).collect();
    all_nodes.push(
        sqlx::query_scalar(
            "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
        )
        .bind(&account)
        .bind(&environment_id)
        .fetch_one(&mut *tx)
        .await?,
    );

    let permissions: Vec<String> = (0..PERMISSIONS)
        .map(|p| format!("resource{}.action{}", p / 4, p % 4))
        .collect();
    for (p, key) in permissions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO permissions (account_id, id, environment_id, key, source, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'custom', 0, 0)",
        )
        .bind(&account)
        .bind(format!("perm-{p}"))
        .bind(&environment_id)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    }
    for r in 0..z.roles {
        sqlx::query(
            "INSERT INTO roles (account_id, id, environment_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0)",
        )
        .bind(&account)
        .bind(format!("role-{r}"))
        .bind(&environment_id)
        .bind(format!("Role {r}"))
        .execute(&mut *tx)
        .await?;
        for p in 0..PERMISSIONS {
            if rng.below(4) == 0 {
                sqlx::query(
                    "INSERT INTO role_permissions (account_id, role_id, permission_id, created_at) VALUES ($1, $2, $3, 0)",
                )
                .bind(&account)
                .bind(format!("role-{r}"))
                .bind(format!("perm-{p}"))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let day = 86_400_000i64;
    let mut identities = Vec::with_capacity(z.identities);
    let (mut people, mut memberships, mut held) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..z.identities {
        let id = format!("identity-{i:06}");
        people.push(vec![
            Value::Text(account.clone()),
            Value::Text(id.clone()),
            Value::Text(format!("user{i}@example.com")),
            Value::Text("Bench".into()),
            Value::Text("User".into()),
            Value::Text("active".into()),
            Value::Int(0),
            Value::Int(0),
        ]);
        memberships.push(vec![
            Value::Text(account.clone()),
            Value::Text(format!("membership-{i:06}")),
            Value::Text(id.clone()),
            Value::Text(scope.application_id.clone()),
            Value::Text("active".into()),
            Value::Int(0),
            Value::Int(0),
        ]);
        for a in 0..z.assignments_per_identity {
            let (from, to) = match rng.below(10) {
                0 => (now_ms - 30 * day, Some(now_ms - day)),
                1 => (now_ms + day, None),
                _ => (now_ms - day, None),
            };
            // Distinct roles per identity keep (identity, role, node) unique.
            held.push(vec![
                Value::Text(account.clone()),
                Value::Text(format!("assignment-{i:06}-{a}")),
                Value::Text(environment_id.clone()),
                Value::Text(id.clone()),
                Value::Text(format!("role-{}", (i + a) % z.roles)),
                Value::Text(all_nodes[rng.below(all_nodes.len())].clone()),
                Value::Int(from),
                Value::MaybeInt(to),
                Value::Int(0),
                Value::Int(0),
            ]);
        }
        identities.push(id);
        // Seed in slices so a million rows of binds are never held at once.
        if people.len() == 10_000 || i + 1 == z.identities {
            insert_rows(
                &mut tx,
                "identities (account_id, id, email, first_name, last_name, status, created_at, updated_at)",
                std::mem::take(&mut people),
            )
            .await?;
            insert_rows(
                &mut tx,
                "app_memberships (account_id, id, identity_id, application_id, status, created_at, updated_at)",
                std::mem::take(&mut memberships),
            )
            .await?;
            insert_rows(
                &mut tx,
                "assignments (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, effective_to, created_at, updated_at)",
                std::mem::take(&mut held),
            )
            .await?;
        }
    }
    tx.commit().await?;
    if s.db.engine() == app::store::Engine::Postgres {
        // A live database has planner statistics (autovacuum); a freshly bulk-loaded one has none
        // for a minute, and the snapshot queries would be timed with the wrong plans.
        sqlx::query("ANALYZE").execute(s.db.reader()).await?;
    }
    Ok(Seeded {
        scope,
        identities,
        leaves,
        permissions,
    })
}

struct Report {
    cold_load: Duration,
    rss_before: u64,
    rss_after: u64,
    size: (usize, usize),
    service: Latencies,
    allowed: usize,
    http: Latencies,
    floor: Latencies,
    write: Latencies,
    visible: Latencies,
    reloads_during_writes: u64,
    /// `arbor serve` on the same database: resident memory at rest, and once the snapshot is in.
    process_idle_rss: u64,
    process_loaded_rss: u64,
}

/// The same questions through `POST /api/v1/permissions/evaluate` over real HTTP (loopback,
/// keep-alive connections, JSON both ways, key authentication included).
async fn http_phase(
    z: &Sizes,
    key: &str,
    server: &common::Server,
    seeded: &Arc<Seeded>,
) -> anyhow::Result<Latencies> {
    let seeded = seeded.clone();
    common::drive(
        &format!("{}/api/v1/permissions/evaluate", server.base),
        key,
        HTTP_CONNECTIONS,
        z.http_checks,
        200,
        move |i| {
            let mut rng = Rng(1_000 + i as u64);
            serde_json::json!({
                "identity_id": seeded.identities[rng.below(seeded.identities.len())],
                "permission": seeded.permissions[rng.below(seeded.permissions.len())],
                "node_id": seeded.leaves[rng.below(seeded.leaves.len())],
            })
        },
    )
    .await
}

/// The floor: the cheapest request of the same server and client — keep-alive `GET /healthz`
/// through every layer of the router (request id, metrics, timeout, security headers, origin and
/// edge checks). It skips the key lookup an evaluation pays, so the ratio to it understates
/// evaluation's share of a trivial authenticated request.
async fn floor_phase(z: &Sizes, key: &str, server: &common::Server) -> anyhow::Result<Latencies> {
    let (client, url, key) =
        common::lean_client(&format!("{}/healthz", server.base), key, HTTP_CONNECTIONS)?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..HTTP_CONNECTIONS {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        let total = z.http_checks;
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for _ in (c..total).step_by(HTTP_CONNECTIONS) {
                let one = Instant::now();
                let response = client
                    .get(url.clone())
                    .header("x-api-key", key.clone())
                    .send()
                    .await?;
                let status = response.status().as_u16();
                response.bytes().await?;
                anyhow::ensure!(status == 200, "HTTP {status} from the floor request");
                samples.push(one.elapsed());
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    Ok(common::latencies(samples, started.elapsed()))
}

/// Write→visible: flips an identity's status through the service layer, then times the first
/// check after it (which applies the change from the journal) and requires it to see it.
async fn write_phase(
    s: &Services,
    z: &Sizes,
    operator: &Caller,
    seeded: &Seeded,
) -> anyhow::Result<(Latencies, Latencies, u64)> {
    let reloads = s.access_cache.counts().full_loads;
    let (mut writes, mut visible) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let mut rng = Rng(77);
    for w in 0..z.writes {
        let identity = &seeded.identities[rng.below(seeded.identities.len())];
        let one = Instant::now();
        directory::set_status(s, operator, identity, false).await?;
        writes.push(one.elapsed());
        let check = access_checks::Check {
            identity_id: identity,
            permission: &seeded.permissions[w % seeded.permissions.len()],
            node_id: Some(&seeded.leaves[w % seeded.leaves.len()]),
        };
        let one = Instant::now();
        let decision = access_checks::evaluate(s, operator, check).await?;
        visible.push(one.elapsed());
        anyhow::ensure!(
            decision.denial_reason == Some(app::model::DenialReason::IdentityInactive),
            "the write was not visible to the next check"
        );
        directory::set_status(s, operator, identity, true).await?;
    }
    let elapsed = started.elapsed();
    Ok((
        common::latencies(writes, elapsed),
        common::latencies(visible, elapsed),
        s.access_cache.counts().full_loads - reloads,
    ))
}

async fn run(url: &str) -> anyhow::Result<Report> {
    let z = sizes();
    let s = common::services(url).await?;
    let seeded = Arc::new(seed(&s, z).await?);
    let key = common::api_key(&s, &seeded.scope).await?;
    let server = common::serve(&s).await?;

    // The first check loads the snapshot whole: a cold start, or a node that fell behind.
    let rss_before = rss();
    let started = Instant::now();
    let operator = Arc::new(Caller::operator(seeded.scope.clone()));
    let first = access_checks::Check {
        identity_id: &seeded.identities[0],
        permission: &seeded.permissions[0],
        node_id: Some(&seeded.leaves[0]),
    };
    access_checks::evaluate(&s, &operator, first).await?;
    let cold_load = started.elapsed();
    let rss_after = rss();
    let size = access_checks::snapshot_size(&s, &operator).await?;

    let workers = common::cores() * 2;
    let per_worker = z.checks / workers;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (s, seeded, operator) = (s.clone(), seeded.clone(), operator.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(w as u64 + 1);
            let mut latencies = Vec::with_capacity(per_worker);
            let mut allowed = 0usize;
            for _ in 0..per_worker {
                let identity = &seeded.identities[rng.below(seeded.identities.len())];
                let permission = &seeded.permissions[rng.below(seeded.permissions.len())];
                let node = &seeded.leaves[rng.below(seeded.leaves.len())];
                let one = Instant::now();
                let check = access_checks::Check {
                    identity_id: identity,
                    permission,
                    node_id: Some(node),
                };
                let decision = access_checks::evaluate(&s, &operator, check).await?;
                latencies.push(one.elapsed());
                allowed += usize::from(decision.allowed);
            }
            anyhow::Ok((latencies, allowed))
        }));
    }
    let mut samples = Vec::with_capacity(z.checks);
    let mut allowed = 0;
    for task in tasks {
        let (mine, yes) = task.await??;
        samples.extend(mine);
        allowed += yes;
    }
    let service = common::latencies(samples, started.elapsed());
    let floor = floor_phase(z, &key, &server).await?;
    let http = http_phase(z, &key, &server, &seeded).await?;
    let (write, visible, reloads_during_writes) = write_phase(&s, z, &operator, &seeded).await?;
    drop(server);
    let (process_idle_rss, process_loaded_rss) = process_rss(url, &key, &seeded).await?;
    Ok(Report {
        cold_load,
        rss_before,
        rss_after,
        size,
        service,
        allowed,
        http,
        floor,
        write,
        visible,
        reloads_during_writes,
        process_idle_rss,
        process_loaded_rss,
    })
}

/// A real `arbor serve` on the seeded database: its RSS once ready (nothing loaded yet), and after
/// one evaluation has loaded the environment's snapshot (and a second for the allocator to settle).
async fn process_rss(url: &str, key: &str, seeded: &Seeded) -> anyhow::Result<(u64, u64)> {
    let log = std::env::temp_dir().join("arbor-bench-evaluate.log");
    let arbor = arbor_process::Arbor::start(url, &log).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = arbor.rss();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/permissions/evaluate", arbor.base))
        .header("X-API-Key", key)
        .json(&serde_json::json!({
            "identity_id": seeded.identities[0],
            "permission": seeded.permissions[0],
            "node_id": seeded.leaves[0],
        }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "evaluate on arbor serve: HTTP {}",
        response.status()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok((idle, arbor.rss()))
}

fn print(engine: &str, r: &Report) {
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{engine:<10} arbor serve on this database: RSS {:.1} MB ready, {:.1} MB with the snapshot loaded",
        mb(r.process_idle_rss),
        mb(r.process_loaded_rss),
    );
    println!(
        "{engine:<10} cold snapshot load {:>8.1} ms   {} identities, {} assignments   RSS {:.1} → {:.1} MB ({:.0} bytes per assignment)",
        r.cold_load.as_secs_f64() * 1e3,
        r.size.0,
        r.size.1,
        mb(r.rss_before),
        mb(r.rss_after),
        r.rss_after.saturating_sub(r.rss_before) as f64 / r.size.1.max(1) as f64,
    );
    println!(
        "{:<10} {:>10.0} checks/s   p50 {:>7.1} µs   p99 {:>7.1} µs   max {:>8.1} µs   in process ({} of {} allowed)",
        "",
        r.service.per_second,
        us(r.service.p50),
        us(r.service.p99),
        us(r.service.max),
        r.allowed,
        r.service.count,
    );
    println!(
        "{:<10} {:>10.0} checks/s   p50 {:>7.1} µs   p99 {:>7.1} µs   over HTTP ({HTTP_CONNECTIONS} connections, POST /api/v1/permissions/evaluate): {:.0} % of the floor",
        "",
        r.http.per_second,
        us(r.http.p50),
        us(r.http.p99),
        100.0 * r.http.per_second / r.floor.per_second.max(1.0),
    );
    println!(
        "{:<10} {:>10.0} requests/s p50 {:>7.1} µs   p99 {:>7.1} µs   the floor (GET /healthz, same server and client)",
        "",
        r.floor.per_second,
        us(r.floor.p50),
        us(r.floor.p99),
    );
    println!(
        "{:<10} write p50 {:>7.1} µs p99 {:>7.1} µs   then the first check (applies it) p50 {:>7.1} µs p99 {:>7.1} µs   whole reloads: {}",
        "",
        us(r.write.p50),
        us(r.write.p99),
        us(r.visible.p50),
        us(r.visible.p99),
        r.reloads_during_writes,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too — nothing else to parse.
    let z = sizes();
    println!(
        "evaluate: depth-{DEPTH} tree, {} identities, {} assignments, {} node-scoped checks on {} cores",
        z.identities,
        z.identities * z.assignments_per_identity,
        z.checks,
        common::cores()
    );
    let dir = tempfile::tempdir()?;
    let fresh = arbor_process::Arbor::start(
        &format!("sqlite:{}/fresh.db", dir.path().display()),
        &dir.path().join("fresh.log"),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "fresh      arbor serve on a new SQLite database: RSS {:.1} MB",
        fresh.rss() as f64 / 1_048_576.0
    );
    drop(fresh);
    let sqlite = format!("sqlite:{}/bench.db", dir.path().display());
    print("SQLite", &run(&sqlite).await?);
    if let Some(report) = common::on_postgres(|url| async move { run(&url).await }).await? {
        print("PostgreSQL", &report);
    }
    Ok(())
}
