//! The directory at 100,000 identities: `cargo bench -p server --bench directory`.
//!
//! Per engine: a fresh database, an account signed up through the real service, then 100,000
//! identities seeded with set-based SQL (one recursive `WITH … INSERT … SELECT` per table and
//! chunk; `ARBOR_BENCH_SMOKE=1` seeds 2,000 for a few-second run): 70 % active, 20 % pending, 10 %
//! inactive, one in seven with an unconfirmed email, one in three with an external id, 80 % active
//! members of the application and one in five holding an assignment. With the statistics a
//! database in use has (PostgreSQL: `VACUUM ANALYZE`, as autovacuum does; SQLite: none) it times
//! 300 calls of each phase through the services the two pages call — Tenant › Identities
//! (`directory::list`, `directory::summary`) and Access Control › Identities
//! (`identities::members`): the first page, a search by email prefix, a status filter, the stat
//! cards (cached, and recounted after a write), the page behind a deep cursor and the deepest by
//! number, the Name sort, and the members page's first page and search.
//! PostgreSQL runs as in the other benches (`ARBOR_BENCH_POSTGRES_URL`). Results are written up in
//! docs/performance.md.

// This bench reads in-process; the HTTP driver and the key helper are the other benches'.
#[allow(dead_code)]
mod common;

use app::model::{DIRECTORY_COUNT_CAP, DirectoryQuery, IdentityStatus};
use app::services::{Caller, Services, directory, identities};
use common::Latencies;
use std::time::{Duration, Instant};

const SAMPLES: usize = 300;
const CHUNK: i64 = 25_000;
const BASE_MS: i64 = 1_764_000_000_000;

fn smoke() -> bool {
    std::env::var_os("ARBOR_BENCH_SMOKE").is_some()
}

fn size() -> i64 {
    if smoke() { 2_000 } else { 100_000 }
}

fn samples() -> usize {
    if smoke() { 20 } else { SAMPLES }
}

/// Seeds `total` identities into the account of `scope` with their memberships and assignments.
async fn seed(s: &Services, scope: &app::model::EnvScope, total: i64) -> anyhow::Result<()> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT id FROM roles WHERE account_id = $1 AND environment_id = $2 ORDER BY name LIMIT 1",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_optional(s.db.reader())
    .await?;
    let node: Option<String> = sqlx::query_scalar(
        "SELECT id FROM nodes WHERE account_id = $1 AND environment_id = $2 AND parent_node_id IS NULL",
    )
    .bind(&scope.account_id)
    .bind(&scope.environment_id)
    .fetch_optional(s.db.reader())
    .await?;
    let mut start = 0;
    while start < total {
        let last = (start + CHUNK).min(total) - 1;
        let numbers =
            "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) ";
        sqlx::query(&format!(
            "{numbers} INSERT INTO identities (account_id, id, email, first_name, last_name, external_id, \
               status, email_verified_at, created_at, updated_at) \
             SELECT $3, 'idn-' || (1000000 + i), 'user' || i || '@example.com', \
               CASE i % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Alan' WHEN 3 THEN 'Edsger' \
                 WHEN 4 THEN 'Barbara' WHEN 5 THEN 'Donald' WHEN 6 THEN 'Frances' ELSE 'Ken' END, \
               CASE (i / 8) % 6 WHEN 0 THEN 'Lovelace' WHEN 1 THEN 'Hopper' WHEN 2 THEN 'Turing' \
                 WHEN 3 THEN 'Dijkstra' WHEN 4 THEN 'Liskov' ELSE 'Knuth' END || ' ' || (i % 1000), \
               CASE WHEN i % 3 = 0 THEN 'EXT-' || i END, \
               CASE i % 10 WHEN 0 THEN 'inactive' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending' ELSE 'active' END, \
               CASE WHEN i % 7 = 0 THEN NULL ELSE $4 + i * 1000 END, $4 + i * 1000, $4 + i * 1000 \
             FROM n"
        ))
        .bind(start)
        .bind(last)
        .bind(&scope.account_id)
        .bind(BASE_MS)
        .execute(s.db.reader())
        .await?;
        sqlx::query(&format!(
            "{numbers} INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, \
               activated_at, created_at, updated_at) \
             SELECT $3, 'mem-' || (1000000 + i), 'idn-' || (1000000 + i), $4, 'active', $5 + i * 1000, \
               $5 + i * 1000, $5 + i * 1000 \
             FROM n WHERE i % 5 <> 0"
        ))
        .bind(start)
        .bind(last)
        .bind(&scope.account_id)
        .bind(&scope.application_id)
        .bind(BASE_MS)
        .execute(s.db.reader())
        .await?;
        if let (Some(role), Some(node)) = (&role, &node) {
            sqlx::query(&format!(
                "{numbers} INSERT INTO assignments (account_id, id, environment_id, identity_id, role_id, \
                   node_id, effective_from, created_at, updated_at) \
                 SELECT $3, 'asg-' || (1000000 + i), $4, 'idn-' || (1000000 + i), $5, $6, $7 + i * 1000, \
                   $7 + i * 1000, $7 + i * 1000 \
                 FROM n WHERE i % 5 = 1"
            ))
            .bind(start)
            .bind(last)
            .bind(&scope.account_id)
            .bind(&scope.environment_id)
            .bind(role)
            .bind(node)
            .bind(BASE_MS)
            .execute(s.db.reader())
            .await?;
        }
        start = last + 1;
    }
    Ok(())
}

struct Report {
    seeded: Duration,
    phases: Vec<(&'static str, Latencies)>,
}

async fn time<F, Fut>(samples: usize, mut call: F) -> anyhow::Result<Latencies>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    time_but(samples, || {
        let call = call();
        async move { Ok((call.await?, Duration::ZERO)) }
    })
    .await
}

/// `time` for calls that also do something that is not timed, and say how long it took.
async fn time_but<F, Fut>(samples: usize, mut call: F) -> anyhow::Result<Latencies>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(usize, Duration)>>,
{
    let started = Instant::now();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let one = Instant::now();
        let (rows, untimed) = call().await?;
        anyhow::ensure!(rows > 0, "an empty answer");
        times.push(one.elapsed().saturating_sub(untimed));
    }
    Ok(common::latencies(times, started.elapsed()))
}

async fn run(url: &str) -> anyhow::Result<Report> {
    let s = common::services(url).await?;
    let scope = common::sign_up(&s).await?;
    let total = size();
    let started = Instant::now();
    seed(&s, &scope, total).await?;
    // The statistics a database in use has: on PostgreSQL autovacuum's (fresh statistics and the
    // visibility map that index-only counts need); on SQLite none, since nothing runs `ANALYZE`
    // there — the plans must not depend on it.
    if !url.starts_with("sqlite") {
        sqlx::query("VACUUM ANALYZE identities, app_memberships, assignments")
            .execute(s.db.reader())
            .await?;
    }
    let seeded = started.elapsed();
    let owner = Caller::operator_in_account(scope.account_id.clone());
    let member_caller = Caller::operator(scope.clone());
    let list = |query: DirectoryQuery| {
        let (s, caller) = (s.clone(), owner.clone());
        async move {
            let page = directory::list(&s, &caller, &query).await?;
            anyhow::Ok(page.items.len())
        }
    };
    let first = DirectoryQuery {
        descending: true,
        ..DirectoryQuery::default()
    };
    // The deepest page by number (its offset is bounded: page 400 at 100,000), and the page
    // behind it by cursor.
    let by_offset = DirectoryQuery {
        page: (total / directory::PER_PAGE - 1).min(DIRECTORY_COUNT_CAP / directory::PER_PAGE),
        ..first.clone()
    };
    let mut deep = first.clone();
    deep.cursor = directory::list(&s, &owner, &by_offset).await?.next_cursor;
    anyhow::ensure!(deep.cursor.is_some(), "no deep cursor");
    let summary = directory::summary(&s, &owner).await?;
    anyhow::ensure!(
        summary.total == total,
        "the stat cards count {}",
        summary.total
    );
    let prefix = format!("user{}", total * 3 / 7 / 10);
    // The identity whose status the recount phase toggles, and whether it is active now.
    let toggled = std::sync::Arc::new((
        std::sync::atomic::AtomicBool::new(true),
        "idn-1000003".to_owned(),
    ));
    let members = |q: String| {
        let (s, caller) = (s.clone(), member_caller.clone());
        async move {
            let page =
                identities::members(&s, &caller, &q, None, 1, identities::MEMBERS_PER_PAGE).await?;
            anyhow::Ok(page.items.len())
        }
    };
    let n = samples();
    let phases = vec![
        ("first page", time(n, || list(first.clone())).await?),
        (
            "email prefix search",
            time(n, || {
                list(DirectoryQuery {
                    q: prefix.clone(),
                    ..first.clone()
                })
            })
            .await?,
        ),
        (
            "status = inactive",
            time(n, || {
                list(DirectoryQuery {
                    status: Some(IdentityStatus::Inactive),
                    ..first.clone()
                })
            })
            .await?,
        ),
        (
            "stat cards",
            time(n, || {
                let (s, caller) = (s.clone(), owner.clone());
                async move {
                    let cards = directory::summary(&s, &caller).await?;
                    anyhow::Ok(usize::try_from(cards.total)?)
                }
            })
            .await?,
        ),
        (
            "stat cards, recounted after a write",
            time_but(n, || {
                let (s, caller) = (s.clone(), owner.clone());
                let toggled = toggled.clone();
                async move {
                    // A directory write moves the account's head (not timed: a write is not a
                    // read), so the cards are counted again.
                    let active = toggled
                        .0
                        .fetch_xor(true, std::sync::atomic::Ordering::Relaxed);
                    let one = Instant::now();
                    directory::set_status(&s, &caller, &toggled.1, !active).await?;
                    let wrote = one.elapsed();
                    let cards = directory::summary(&s, &caller).await?;
                    anyhow::Ok((usize::try_from(cards.total)?, wrote))
                }
            })
            .await?,
        ),
        (
            "page behind a deep cursor",
            time(n, || list(deep.clone())).await?,
        ),
        (
            "deepest page by number (offset)",
            time(n, || list(by_offset.clone())).await?,
        ),
        (
            "sort by name, first page",
            time(n, || {
                list(DirectoryQuery {
                    sort: app::model::DirectorySort::Name,
                    ..DirectoryQuery::default()
                })
            })
            .await?,
        ),
        (
            "AC members, first page",
            time(n, || members(String::new())).await?,
        ),
        (
            "AC members, email prefix search",
            time(n, || members(prefix.clone())).await?,
        ),
    ];
    Ok(Report { seeded, phases })
}

fn print(engine: &str, report: &Report) {
    println!(
        "{engine}: seeded {} identities in {:.1} s",
        size(),
        report.seeded.as_secs_f64()
    );
    for (name, l) in &report.phases {
        println!(
            "  {name:<30} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} calls)",
            l.p50.as_secs_f64() * 1e3,
            l.p99.as_secs_f64() * 1e3,
            l.max.as_secs_f64() * 1e3,
            l.count
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "directory: {} identities, pages of {}, {} samples per phase",
        size(),
        directory::PER_PAGE,
        samples()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/bench.db", dir.path().display());
    print("SQLite", &run(&sqlite).await?);
    if let Some(report) = common::on_postgres(|url| async move { run(&url).await }).await? {
        print("PostgreSQL", &report);
    }
    Ok(())
}
