//! Evaluation throughput and latency: `cargo bench -p server --bench evaluate`.
//!
//! Seeds one environment with a depth-6 tree (1 + 4 + 16 + 64 + 256 + 1,024 nodes), 8 roles over
//! 40 permissions and 10,000 assignments held by 2,000 identities (a tenth expired, a tenth
//! scheduled), then asks node-scoped questions at random deepest nodes from concurrent tasks
//! through `access_checks::evaluate` — the path the dashboard's checker and the API take —
//! then the same kind of questions through `POST /api/v1/permissions/evaluate` over real HTTP.
//! Runs on SQLite (a temporary file) and, when `ARBOR_BENCH_POSTGRES_URL` or
//! `ARBOR_TEST_POSTGRES_URL` names a server where it may create a database, on PostgreSQL.
//! Results are written up in docs/performance.md. `ARBOR_BENCH_SMOKE=1`: 200 identities and a few
//! thousand checks, to see it still works.

mod common;

use app::model::EnvScope;
use app::services::{Caller, Services, access_checks};
use common::{Latencies, Rng};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ASSIGNMENTS_PER_IDENTITY: usize = 5;
const ROLES: usize = 8;
const PERMISSIONS: usize = 40;
const BRANCHING: usize = 4;
const DEPTH: usize = 6;

/// Identities seeded, in-process checks, HTTP checks: the full run, or a smoke run
/// (`ARBOR_BENCH_SMOKE=1`, a few seconds, which only proves the bench still works).
fn sizes() -> (usize, usize, usize) {
    if std::env::var_os("ARBOR_BENCH_SMOKE").is_some() {
        (200, 2_000, 500)
    } else {
        (2_000, 200_000, 20_000)
    }
}

struct Seeded {
    scope: EnvScope,
    identities: Vec<String>,
    leaves: Vec<String>,
    permissions: Vec<String>,
}

async fn seed(s: &Services) -> anyhow::Result<Seeded> {
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
    for r in 0..ROLES {
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
    let mut identities = Vec::with_capacity(sizes().0);
    for i in 0..sizes().0 {
        let id = format!("identity-{i:05}");
        sqlx::query(
            "INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Bench', 'User', 'active', 0, 0)",
        )
        .bind(&account)
        .bind(&id)
        .bind(format!("user{i}@example.com"))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'active', 0, 0)",
        )
        .bind(&account)
        .bind(format!("membership-{i:05}"))
        .bind(&id)
        .bind(&scope.application_id)
        .execute(&mut *tx)
        .await?;
        for a in 0..ASSIGNMENTS_PER_IDENTITY {
            let (from, to) = match rng.below(10) {
                0 => (now_ms - 30 * day, Some(now_ms - day)),
                1 => (now_ms + day, None),
                _ => (now_ms - day, None),
            };
            // Distinct roles per identity keep (identity, role, node) unique.
            sqlx::query(
                "INSERT INTO assignments (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, effective_to, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0)",
            )
            .bind(&account)
            .bind(format!("assignment-{i:05}-{a}"))
            .bind(&environment_id)
            .bind(&id)
            .bind(format!("role-{}", (i + a) % ROLES))
            .bind(&all_nodes[rng.below(all_nodes.len())])
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        }
        identities.push(id);
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
    service: Latencies,
    allowed: usize,
    http: Latencies,
}

const HTTP_CONNECTIONS: usize = 16;

/// The same questions through `POST /api/v1/permissions/evaluate` over real HTTP (loopback,
/// keep-alive connections, JSON both ways, key authentication included).
async fn http_phase(s: &Services, seeded: &Arc<Seeded>) -> anyhow::Result<Latencies> {
    let key = common::api_key(s, &seeded.scope).await?;
    let server = common::serve(s).await?;
    let seeded = seeded.clone();
    common::drive(
        &format!("{}/api/v1/permissions/evaluate", server.base),
        &key,
        HTTP_CONNECTIONS,
        sizes().2,
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

async fn run(url: &str) -> anyhow::Result<Report> {
    let s = common::services(url).await?;
    let seeded = Arc::new(seed(&s).await?);

    // The first check loads the snapshot: what a check costs right after a grant changes.
    let started = Instant::now();
    let operator = Arc::new(Caller::operator(seeded.scope.clone()));
    let first = access_checks::Check {
        identity_id: &seeded.identities[0],
        permission: &seeded.permissions[0],
        node_id: Some(&seeded.leaves[0]),
    };
    access_checks::evaluate(&s, &operator, first).await?;
    let cold_load = started.elapsed();

    let workers = common::cores() * 2;
    let per_worker = sizes().1 / workers;
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
    let mut samples = Vec::with_capacity(sizes().1);
    let mut allowed = 0;
    for task in tasks {
        let (mine, yes) = task.await??;
        samples.extend(mine);
        allowed += yes;
    }
    let service = common::latencies(samples, started.elapsed());
    let http = http_phase(&s, &seeded).await?;
    Ok(Report {
        cold_load,
        service,
        allowed,
        http,
    })
}

fn print(engine: &str, r: &Report) {
    println!(
        "{engine:<10} {:>10.0} checks/s   p50 {:>7.1} µs   p99 {:>7.1} µs   max {:>8.1} µs   cold snapshot load {:>6.1} ms   ({} of {} allowed)",
        r.service.per_second,
        r.service.p50.as_secs_f64() * 1e6,
        r.service.p99.as_secs_f64() * 1e6,
        r.service.max.as_secs_f64() * 1e6,
        r.cold_load.as_secs_f64() * 1e3,
        r.allowed,
        r.service.count,
    );
    println!(
        "{:<10} {:>10.0} checks/s   p50 {:>7.1} µs   p99 {:>7.1} µs   over HTTP ({HTTP_CONNECTIONS} connections, POST /api/v1/permissions/evaluate)",
        "",
        r.http.per_second,
        r.http.p50.as_secs_f64() * 1e6,
        r.http.p99.as_secs_f64() * 1e6,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too — nothing else to parse.
    println!(
        "evaluate: depth-{DEPTH} tree, {} assignments, {} node-scoped checks on {} cores",
        sizes().0 * ASSIGNMENTS_PER_IDENTITY,
        sizes().1,
        common::cores()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/bench.db", dir.path().display());
    print("SQLite", &run(&sqlite).await?);
    if let Some(report) = common::on_postgres(|url| async move { run(&url).await }).await? {
        print("PostgreSQL", &report);
    }
    Ok(())
}
