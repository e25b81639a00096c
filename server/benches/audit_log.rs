//! Audit log reads at scale: `cargo bench -p server --bench audit_log`.
//!
//! Seeds one account with 1,000,000 audit events (set `ARBOR_BENCH_AUDIT_EVENTS` for another
//! size, e.g. 20000 for a smoke run) — fast multi-row inserts from one recursive `WITH` per
//! 100,000 rows, spread over 10 actions, 4 actor types, 5 categories, 2 environments and ~1 hour
//! of time — then times `audit_log::list` (the query behind Tenant › Audit log and `GET
//! /api/v1/audit-events`): the first page, a page filtered by action, by actor type + category,
//! a time-range page, and a page deep behind a cursor. Runs on SQLite (a temporary file) and, when
//! `ARBOR_BENCH_POSTGRES_URL` or `ARBOR_TEST_POSTGRES_URL` names a server where it may create a
//! database, on PostgreSQL. Results are written up in docs/performance.md.

// This bench reads in-process; the HTTP driver and the key helper are the other benches'.
#[allow(dead_code)]
mod common;

use app::model::AuditFilter;
use app::services::{Caller, Services, audit_log};
use common::Latencies;
use std::time::{Duration, Instant};

const CHUNK: i64 = 100_000;
const SAMPLES: usize = 300;
/// Events are this many milliseconds apart (1,000,000 events: about an hour).
const SPACING_MS: i64 = 3;
const BASE_MS: i64 = 1_764_000_000_000;

fn events() -> i64 {
    std::env::var("ARBOR_BENCH_AUDIT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Inserts `total` events for `account`, `CHUNK` per statement, in one dialect.
async fn seed(
    s: &Services,
    account: &str,
    environments: &[String; 2],
    total: i64,
) -> anyhow::Result<()> {
    let mut start = 0;
    while start < total {
        let n = CHUNK.min(total - start);
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
             INSERT INTO audit_events (account_id, id, application_id, environment_id, actor_type, actor_id, \
               actor_label, action, category, resource_type, resource_id, resource_label, outcome, severity, \
               correlation_id, metadata, created_at) \
             SELECT $3, 'ev-' || (1000000000 + i), NULL, \
               CASE WHEN i % 2 = 0 THEN $4 ELSE $5 END, \
               CASE i % 4 WHEN 0 THEN 'admin' WHEN 1 THEN 'api_key' WHEN 2 THEN 'identity' ELSE 'system' END, \
               'actor-' || (i % 50), 'Actor ' || (i % 50), \
               'action.' || (i % 10), \
               CASE i % 5 WHEN 0 THEN 'rbac' WHEN 1 THEN 'identity' WHEN 2 THEN 'tenancy' WHEN 3 THEN 'invites' ELSE 'api_key' END, \
               'thing', 'thing-' || (i % 1000), 'Thing ' || (i % 1000), 'success', 'info', \
               'corr-' || (i / 3), '{}', $6 + i * $7 \
             FROM n",
        )
        .bind(start)
        .bind(start + n - 1)
        .bind(account)
        .bind(&environments[0])
        .bind(&environments[1])
        .bind(BASE_MS)
        .bind(SPACING_MS)
        .execute(s.db.reader())
        .await?;
        start += n;
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
    let started = Instant::now();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let one = Instant::now();
        let rows = call().await?;
        anyhow::ensure!(rows > 0, "an empty page");
        times.push(one.elapsed());
    }
    Ok(common::latencies(times, started.elapsed()))
}

async fn run(url: &str) -> anyhow::Result<Report> {
    let s = common::services(url).await?;
    let scope = common::sign_up(&s).await?;
    let environments: Vec<String> =
        sqlx::query_scalar("SELECT id FROM environments WHERE account_id = $1 ORDER BY slug")
            .bind(&scope.account_id)
            .fetch_all(s.db.reader())
            .await?;
    let environments = [environments[0].clone(), environments[1].clone()];
    let total = events();
    let started = Instant::now();
    seed(&s, &scope.account_id, &environments, total).await?;
    // Fresh statistics, as a running database has them.
    sqlx::query(if url.starts_with("sqlite") {
        "ANALYZE"
    } else {
        "ANALYZE audit_events"
    })
    .execute(s.db.reader())
    .await?;
    let seeded = started.elapsed();
    let caller = Caller::operator_in_account(scope.account_id.clone());
    let page = |filter: AuditFilter, cursor: Option<String>| {
        let (s, caller) = (s.clone(), caller.clone());
        async move {
            let page = audit_log::list(&s, &caller, &filter, cursor.as_deref(), 50).await?;
            anyhow::Ok(page.items.len())
        }
    };
    // A cursor in the middle of the log (a cursor is a position, whatever filter made it): the
    // page behind it reads as fast as the first.
    let half = app::store::rfc3339(BASE_MS + total / 2 * SPACING_MS);
    let deep = audit_log::list(
        &s,
        &caller,
        &AuditFilter {
            to: Some(half),
            ..AuditFilter::default()
        },
        None,
        50,
    )
    .await?
    .next_cursor;
    let middle = (
        BASE_MS + total * SPACING_MS / 4,
        BASE_MS + total * SPACING_MS / 4 + 60_000,
    );
    let rfc = |ms: i64| app::store::rfc3339(ms);
    let phases = vec![
        (
            "first page",
            time(SAMPLES, || page(AuditFilter::default(), None)).await?,
        ),
        (
            "action = action.3",
            time(SAMPLES, || {
                page(
                    AuditFilter {
                        action: Some("action.3".into()),
                        ..AuditFilter::default()
                    },
                    None,
                )
            })
            .await?,
        ),
        (
            "actor type + category",
            time(SAMPLES, || {
                page(
                    AuditFilter {
                        actor_type: Some("system".into()),
                        category: Some("tenancy".into()),
                        ..AuditFilter::default()
                    },
                    None,
                )
            })
            .await?,
        ),
        (
            "one minute, a quarter back",
            time(SAMPLES, || {
                page(
                    AuditFilter {
                        from: Some(rfc(middle.0)),
                        to: Some(rfc(middle.1)),
                        ..AuditFilter::default()
                    },
                    None,
                )
            })
            .await?,
        ),
        (
            "page behind a mid-log cursor",
            time(SAMPLES, || page(AuditFilter::default(), deep.clone())).await?,
        ),
    ];
    Ok(Report { seeded, phases })
}

fn print(engine: &str, report: &Report) {
    println!(
        "{engine}: seeded {} events in {:.1} s",
        events(),
        report.seeded.as_secs_f64()
    );
    for (name, l) in &report.phases {
        println!(
            "  {name:<30} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} pages of 50)",
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
        "audit_log: {} events, pages of 50, {SAMPLES} samples per phase",
        events()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}/bench.db", dir.path().display());
    print("SQLite", &run(&sqlite).await?);
    if let Some(report) = common::on_postgres(|url| async move { run(&url).await }).await? {
        print("PostgreSQL", &report);
    }
    Ok(())
}
