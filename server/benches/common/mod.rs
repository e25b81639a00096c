//! What the benches share: a fresh database per engine, an account with a full-access key, the
//! real server on a loopback port, and an HTTP load driver with latency percentiles. Each bench
//! compiles this module on its own, so everything here is used by every bench.

use app::model::{ApiKeyForm, EnvScope, SignupForm};
use app::services::{Caller, Services, api_keys, tenancy};
use server::config::{Config, Settings};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic generator (SplitMix64): the same data on every run and engine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Throughput and latency of one phase.
pub struct Latencies {
    pub count: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn latencies(mut samples: Vec<Duration>, elapsed: Duration) -> Latencies {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Latencies {
        count: samples.len(),
        per_second: samples.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
    }
}

/// Opens (and migrates) the database at `url`, with services whose per-key rate limits (the
/// general one and evaluation's own) are out of the way: a bench is one key asking as fast as it
/// can, and measures the server, not the limit.
pub async fn services(url: &str) -> anyhow::Result<Services> {
    let db = server::open_database(url).await?;
    let s = Services::new(
        db,
        Arc::new(app::services::SystemClock),
        app::services::SessionPolicy::default(),
    );
    s.api_rate.set_per_minute(100_000_000);
    s.evaluate_rate.set_per_minute(u64::MAX);
    Ok(s)
}

/// Signs up an account through the real sign-up service; returns its Development environment.
pub async fn sign_up(s: &Services) -> anyhow::Result<EnvScope> {
    Ok(sign_up_owner(s).await?.0)
}

/// `sign_up`, with the owner's admin id and the path of the Overview the owner lands on.
pub async fn sign_up_owner(s: &Services) -> anyhow::Result<(EnvScope, String, String)> {
    let form = SignupForm {
        email: "bench@example.com".into(),
        password: "correct horse battery staple".into(),
        first_name: "Bench".into(),
        last_name: "Mark".into(),
        account_name: "Bench".into(),
        application_name: "Portal".into(),
    };
    let valid = form
        .validate()
        .map_err(|e| anyhow::anyhow!("signup form: {e:?}"))?;
    let created = tenancy::create_account(s, &valid).await?;
    let (application_id, environment_id): (String, String) = sqlx::query_as(
        "SELECT e.application_id, e.id FROM environments e WHERE e.account_id = $1 AND e.slug = 'development'",
    )
    .bind(&created.account_id)
    .fetch_one(s.db.reader())
    .await?;
    let scope = EnvScope {
        account_id: created.account_id,
        application_id,
        environment_id,
    };
    Ok((scope, created.admin_id, created.landing.overview_path()))
}

/// A full-access key of `scope` (no scopes listed = every permission), as the CLI makes one.
pub async fn api_key(s: &Services, scope: &EnvScope) -> anyhow::Result<String> {
    let form = ApiKeyForm {
        name: "Bench".into(),
        expires: "never".into(),
        ..ApiKeyForm::default()
    };
    let operator = Caller::operator(scope.clone());
    Ok(api_keys::create(s, &operator, &form).await?.key)
}

/// The whole HTTP surface (`server::router`: every layer a deployment has) on a loopback port;
/// stops when dropped.
pub struct Server {
    pub base: String,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(s: &Services) -> anyhow::Result<Server> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = Config::resolve(
        Settings {
            addr: Some(addr.to_string()),
            ..Settings::default()
        },
        None,
    )
    .map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let router = server::router(s.clone(), &config);
    Ok(Server {
        base: format!("http://{addr}"),
        task: tokio::spawn(server::serve(listener, router)),
    })
}

/// Sends `total` keyed JSON POSTs to `url` from `clients` concurrent keep-alive connections
/// (request `i` has the body `body(i)`), each answer required to have status `expect`. The load
/// generator shares the machine with the server, as a client on the same host would.
pub async fn drive<F>(
    url: &str,
    key: &str,
    clients: usize,
    total: usize,
    expect: u16,
    body: F,
) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> serde_json::Value + Send + Sync + 'static,
{
    let (samples, elapsed) = drive_samples(url, key, clients, total, expect, body).await?;
    Ok(latencies(samples, elapsed))
}

/// `drive`, answering each request's latency and the time they all took, for a caller that
/// pools several runs into one figure.
pub async fn drive_samples<F>(
    url: &str,
    key: &str,
    clients: usize,
    total: usize,
    expect: u16,
    body: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> serde_json::Value + Send + Sync + 'static,
{
    // Every body is serialised, and the URL and key header parsed, before the clock starts: the
    // client shares the machine's cores with the server, and its own work is not the measure.
    let bodies: Arc<Vec<axum::body::Bytes>> = Arc::new(
        (0..total)
            .map(|i| serde_json::to_vec(&body(i)).map(axum::body::Bytes::from))
            .collect::<Result<_, _>>()?,
    );
    let (client, url, key) = lean_client(url, key, clients)?;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (client, url, key, bodies) = (client.clone(), url.clone(), key.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(total / clients + 1);
            for i in (c..total).step_by(clients) {
                let one = Instant::now();
                let response = client
                    .post(url.clone())
                    .header("x-api-key", key.clone())
                    .header(reqwest::header::CONTENT_TYPE, JSON)
                    .body(bodies[i].clone())
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let answer = response.bytes().await?;
                anyhow::ensure!(
                    status == expect,
                    "HTTP {status} (expected {expect}): {}",
                    String::from_utf8_lossy(&answer[..answer.len().min(600)])
                );
                samples.push(one.elapsed());
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::with_capacity(total);
    for task in tasks {
        samples.extend(task.await??);
    }
    Ok((samples, started.elapsed()))
}

const JSON: reqwest::header::HeaderValue =
    reqwest::header::HeaderValue::from_static("application/json");

/// A keep-alive client for `clients` connections, with `url` and the key header parsed once.
pub fn lean_client(
    url: &str,
    key: &str,
    clients: usize,
) -> anyhow::Result<(reqwest::Client, reqwest::Url, reqwest::header::HeaderValue)> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    Ok((
        client,
        reqwest::Url::parse(url)?,
        reqwest::header::HeaderValue::from_str(key)?,
    ))
}

/// Runs `run` on a fresh PostgreSQL database when `ARBOR_BENCH_POSTGRES_URL` (or
/// `ARBOR_TEST_POSTGRES_URL`) names a server where it may create one; drops it afterwards unless
/// `ARBOR_BENCH_KEEP` is set. `None` when no server is named.
pub async fn on_postgres<T, F, Fut>(run: F) -> anyhow::Result<Option<T>>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let Ok(admin) = std::env::var("ARBOR_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("ARBOR_TEST_POSTGRES_URL"))
    else {
        println!(
            "PostgreSQL skipped: set ARBOR_BENCH_POSTGRES_URL (or run scripts/ensure-postgres.sh)"
        );
        return Ok(None);
    };
    let name = format!("arbor_bench_{}", uuid::Uuid::now_v7().simple());
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let outcome = run(format!("{base}/{name}")).await;
    if std::env::var_os("ARBOR_BENCH_KEEP").is_some() {
        println!("kept the database {base}/{name}");
    } else {
        // An autovacuum worker busy on the new tables can refuse `FORCE` to a role that may not
        // signal it: retry a moment later, and never lose the run's results over the cleanup.
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let mut attempt = 0;
        while let Err(e) = sqlx::query(&drop).execute(&mut conn).await {
            attempt += 1;
            if attempt == 10 {
                eprintln!("could not drop the database {name}: {e}");
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    outcome.map(Some)
}
