#![recursion_limit = "256"]
//! The `arbor` server: configuration, the HTTP router (dashboard, server functions, the REST API,
//! health), and the command line. The domain lives in `app::services`.

/// mimalloc is the allocator of `arbor` and of everything that links this crate (benches, tests):
/// glibc's `malloc`/`free` were about a sixth of an evaluation request's CPU. Built without its
/// transparent-huge-page advice (`no_thp`), which held 18 MB of a fresh server's RSS in huge
/// pages. docs/performance.md, "Session 11".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod audit_export;
pub mod backup;
pub mod cli;
pub mod config;
pub mod edge;
pub mod envelope;
pub mod health;
pub mod identity_auth;
pub mod invite_acceptance;
pub mod origin;
pub mod panics;
pub mod prometheus;
pub mod server_fn_status;
pub mod signed_out;
pub mod telemetry;
pub mod token_pages;
pub mod url_space;

use app::services::{Clock, Services, SessionPolicy};
use app::store::Db;
use app::{App, shell};
use axum::Router;
use axum::routing::get;
use config::Config;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Connects to the database and applies pending migrations.
pub async fn open_database(url: &str) -> anyhow::Result<Db> {
    let db = connect_database(url).await?;
    db.migrate()
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate the database: {e}"))?;
    Ok(db)
}

/// Connects to the database without migrating it (`ARBOR_MIGRATE_ON_START=false`: the schema is
/// `arbor migrate`'s job, and `/readyz` says whether it is done).
pub async fn connect_database(url: &str) -> anyhow::Result<Db> {
    Db::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database at {}: {e}", redact(url)))
}

/// The services for a configuration, on a given clock.
pub fn services(db: Db, clock: Arc<dyn Clock>, config: &Config) -> Services {
    let policy = SessionPolicy {
        secure_cookie: config.secure_cookies(),
        ..SessionPolicy::default()
    };
    let mut services = Services::new(db, clock, policy);
    services.api_rate.set_per_minute(config.api_rate_limit);
    let parts = services.parts_mut();
    parts.edge_limit = Arc::new(app::services::edge_limit::EdgeLimiter::new(
        config.public_rate_limit,
        parts.clock.clone(),
    ));
    // 0: no limit — a bucket no key can empty.
    parts
        .evaluate_rate
        .set_per_minute(match config.evaluate_rate_limit {
            0 => u64::MAX,
            n => n,
        });
    parts.public_url = Arc::from(config.public_url.trim_end_matches('/'));
    parts.trusted_proxies = Arc::from(config.trusted_proxies.clone());
    parts.mail_delivery = if config.smtp.is_some() {
        app::services::mail::DeliveryMode::Smtp
    } else {
        app::services::mail::DeliveryMode::Held
    };
    services
}

/// Starts this process's email delivery worker (SMTP when configured, else the Dev mailbox).
pub fn start_mail_worker(services: &Services, config: &Config) {
    use app::services::mail::delivery::{Outlet, Worker};
    let outlet = match &config.smtp {
        Some(smtp) => Outlet::Smtp(Box::new(smtp.clone())),
        None => Outlet::Hold,
    };
    let worker = Worker::new(services, outlet);
    tokio::spawn(worker.run(services.clone()));
}

/// Serves `GET /metrics` on `addr` (a listener of its own, off the public one).
pub async fn start_metrics(services: &Services, addr: SocketAddr) -> anyhow::Result<()> {
    let handle = prometheus::install()
        .ok_or_else(|| anyhow::anyhow!("cannot install the metrics recorder"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (ARBOR_METRICS_ADDR): {e}"))?;
    tracing::info!(%addr, "metrics at /metrics");
    let router = prometheus::router(services.clone(), handle);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(())
}

/// Keeps this process told of the access-journal commits of other processes on the same
/// database (PostgreSQL `LISTEN/NOTIFY` plus a poll; the poll alone on SQLite) and prunes it.
pub fn start_access_sync(services: &Services, database_url: &str) {
    let listen =
        (services.db.engine() == app::store::Engine::Postgres).then(|| database_url.to_owned());
    tokio::spawn(app::services::access_journal::run_sync(
        services.clone(),
        listen,
    ));
}

/// Starts this process's audit purge: events past each account's retention, hourly (on one node
/// at a time: the job's lease decides).
pub fn start_audit_purge(services: &Services) {
    tokio::spawn(app::services::audit_log::run_purge(services.clone()));
}

/// Starts the purge of expired shared limits (one node at a time, like the audit purge).
pub fn start_limit_purge(services: &Services) {
    tokio::spawn(app::services::shared_limits::run_purge(services.clone()));
}

/// The dashboard's routes, generated once per process. Generating them runs the app with
/// resource loading suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`,
/// leptos issue 4773): a page whose resource first polled while another router was being built
/// in the same process waited forever, and answered 503 at the request timeout. One server
/// builds one router, but the tests and the benches build one per app, beside pages being served.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface.
pub fn router(services: Services, config: &Config) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("arbor")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let routes = route_list();
    let context_services = services.clone();
    let dashboard = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                edge::provide_request_nonce();
                provide_context(context_services.clone());
                provide_context(app::server::api_reference::ApiDocument(api::document_json));
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .route_layer(axum::middleware::from_fn_with_state(
            services.clone(),
            signed_out::require_admin,
        ))
        .fallback(leptos_axum::file_and_error_handler_with_context(
            edge::provide_request_nonce,
            shell,
        ))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn(
            server_fn_status::apply_error_status,
        ));
    let api = api::router(services.clone());
    let identity_api = identity_auth::router(services.clone());
    let invite_acceptance = invite_acceptance::routes(services.clone());
    let audit_export = audit_export::routes(services.clone());
    let health = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(services.clone());
    let allowed = origin::AllowedOrigin(Arc::from(config.public_url.as_str()));
    let security = edge::SecurityHeaders {
        hsts: config.https(),
    };
    // Layers run outermost (last added) first: the request id and the log span wrap everything,
    // then metrics, the panic guard, the timeout, the security headers, and the checks that may
    // refuse a request before a handler runs.
    Router::new()
        .merge(health)
        .nest(api::PREFIX, api)
        .merge(identity_api)
        .merge(invite_acceptance)
        .merge(audit_export)
        .merge(dashboard)
        .merge(url_space::unknown_api_paths())
        .method_not_allowed_fallback(url_space::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            services.clone(),
            edge::limit_costly,
        ))
        .layer(axum::middleware::from_fn(edge::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            allowed,
            origin::refuse_cross_origin,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            edge::BODY_LIMIT_BYTES,
        ))
        .layer(axum::middleware::from_fn(edge::body_limit))
        .layer(axum::middleware::from_fn(token_pages::protect))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            security,
            edge::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            edge::RequestTimeout(config.request_timeout),
            edge::timeout,
        ))
        .layer(panics::layer())
        .layer(axum::middleware::from_fn(prometheus::track))
        .layer(
            // One INFO line per request (method, path, status, latency, request id); never
            // headers or bodies, so cookies and passwords stay out of the logs, nor the query of
            // a token page.
            TraceLayer::new_for_http()
                .make_span_with(token_pages::make_span::<axum::body::Body>)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(axum::middleware::from_fn_with_state(
            services,
            edge::request_id,
        ))
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// A database URL fit for logs: the password is replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
