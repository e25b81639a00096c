//! `GET /metrics` in the Prometheus text format (decisions.md › Metrics), served only on
//! `ARBOR_METRICS_ADDR` — a second listener, off the public one — when that is set.
//!
//! Counters and histograms are recorded where things happen (`metrics` macros: requests here,
//! password hashing, the evaluation cache, rate limits in `app::services`); gauges that are cheap
//! to read (database pools, outbox depth) are read at each scrape.

use app::services::Services;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, header};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Latency buckets (seconds): a fast read is a few milliseconds, a sign-in ~50 ms of argon2,
/// a 200-row bulk create a few seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` if another
/// recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// Counts every request by route template (never the raw path: ids would explode the series),
/// method and status, and records its latency to the answer's head.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| fallback_route(request.uri().path()).to_owned());
    let method = request.method().as_str().to_owned();
    // Wall-clock time for the metric only.
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("arbor_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("arbor_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A path no axum route matched: the dashboard's pages, server functions and assets (rendered by
/// Leptos' fallback). Grouped so an attacker's random paths cannot create series.
fn fallback_route(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "/pkg/{asset}"
    } else if path.starts_with("/api/") {
        "/api/{server_fn}"
    } else {
        "{page}"
    }
}

/// The metrics listener's router.
pub fn router(services: Services, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((services, handle))
}

async fn scrape(State((s, handle)): State<(Services, PrometheusHandle)>) -> Response {
    for (pool, size, idle) in s.db.pool_stats() {
        let idle = idle as f64;
        metrics::gauge!("arbor_db_pool_connections", "pool" => pool, "state" => "idle").set(idle);
        metrics::gauge!("arbor_db_pool_connections", "pool" => pool, "state" => "in_use")
            .set((f64::from(size) - idle).max(0.0));
    }
    match app::store::outbox::depth(s.db.reader()).await {
        Ok(depth) => {
            for status in ["queued", "sending"] {
                let n = depth
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!("arbor_outbox_messages", "status" => status).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "outbox depth unavailable"),
    }
    metrics::gauge!("arbor_rate_limit_tracked_addresses").set(s.edge_limit.tracked() as f64);
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
