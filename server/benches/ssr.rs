//! Server-side rendering of the dashboard (issue 14, item 7): `GET` of an environment's Overview
//! page by a signed-in owner, over real HTTP on loopback (session cookie, every layer of the
//! router, the whole Leptos render), one client, sequentially.
//!
//! The account holds 10,000 identities (created through the REST bulk endpoint), so the page's
//! counts and recent activity are not empty. Runs on SQLite, and on PostgreSQL when
//! `ARBOR_BENCH_POSTGRES_URL` (or `ARBOR_TEST_POSTGRES_URL`) is set; `ARBOR_BENCH_SMOKE=1` is a
//! few-second version. Results are written up in docs/performance.md › Dashboard weight.

// The load driver and generators of `common` are the other benches'.
#[allow(dead_code)]
mod common;

use app::services::admin_auth::{self, ClientInfo};
use std::time::{Duration, Instant};

struct Sizes {
    identities: usize,
    renders: usize,
}

fn sizes() -> Sizes {
    if std::env::var_os("ARBOR_BENCH_SMOKE").is_some() {
        Sizes {
            identities: 400,
            renders: 30,
        }
    } else {
        Sizes {
            identities: 10_000,
            renders: 500,
        }
    }
}

async fn run(url: &str) -> anyhow::Result<(common::Latencies, usize)> {
    let z = sizes();
    let s = common::services(url).await?;
    let (scope, admin_id, overview) = common::sign_up_owner(&s).await?;
    let key = common::api_key(&s, &scope).await?;
    let server = common::serve(&s).await?;
    let http = reqwest::Client::new();
    for batch in 0..z.identities / 200 {
        let identities: Vec<serde_json::Value> = (0..200)
            .map(|i| {
                serde_json::json!({
                    "email": format!("ssr-{batch}-{i}@example.com"),
                    "first_name": "Render",
                    "last_name": format!("Bench {i}"),
                })
            })
            .collect();
        let response = http
            .post(format!("{}/api/v1/identities/bulk-create", server.base))
            .header("X-API-Key", &key)
            .json(&serde_json::json!({ "identities": identities }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "seeding: HTTP {}",
            response.status()
        );
    }
    let grant = admin_auth::start_session(
        &s,
        &admin_id,
        &ClientInfo {
            address: None,
            user_agent: Some("ssr bench".into()),
        },
    )
    .await?;
    let cookie = format!("arbor_session={}", grant.token);
    let page = format!("{}{overview}", server.base);
    let mut samples: Vec<Duration> = Vec::with_capacity(z.renders);
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..z.renders {
        let one = Instant::now();
        let response = http.get(&page).header("Cookie", &cookie).send().await?;
        let status = response.status();
        let body = response.text().await?;
        samples.push(one.elapsed());
        anyhow::ensure!(status.is_success(), "Overview: HTTP {status}");
        let shown = without_comments(&body);
        anyhow::ensure!(
            shown.contains(&format!("<p class=\"stat-value\">{}</p>", z.identities)),
            "the Overview does not show the {} identities: {}",
            z.identities,
            shown.find("stat-value").map_or_else(
                || "no stat-value".to_owned(),
                |at| shown[at..].chars().take(200).collect()
            )
        );
        bytes = body.len();
    }
    Ok((common::latencies(samples, started.elapsed()), bytes))
}

fn print(engine: &str, (r, bytes): &(common::Latencies, usize)) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{engine:<10} GET Overview (SSR), 1 client: {} renders, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} pages/s, {} KiB of HTML",
        r.count,
        ms(r.p50),
        ms(r.p99),
        ms(r.max),
        r.per_second,
        bytes / 1024,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    print(
        "SQLite",
        &run(&format!("sqlite:{}/ssr.db", dir.path().display())).await?,
    );
    if let Some(report) = common::on_postgres(|url| async move { run(&url).await }).await? {
        print("PostgreSQL", &report);
    }
    Ok(())
}

/// The page's markup without its comments: the hydration markers Leptos puts between a view's
/// parts (`<!>`, more of them with type-erased views) are no part of what the page shows.
fn without_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if after.starts_with("<!DOCTYPE") || after.starts_with("<!doctype") {
            out.push_str("<!");
            rest = &after[2..];
            continue;
        }
        rest = after.find('>').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}
