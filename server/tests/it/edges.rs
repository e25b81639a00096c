//! The hardened edge (decisions.md › Hardened edges): per-address limits on the costly public
//! routes, request ids, security headers, body limits, and `/metrics`.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, sign_in_form, signup_form};
use app::services::tenancy::FAIL_AFTER_ENVIRONMENTS;
use serde_json::json;

on_both_engines!(
    costly_public_routes_are_limited_per_address,
    every_answer_carries_a_request_id_and_internal_errors_quote_it,
    pages_answer_security_headers_with_a_nonce_their_scripts_carry,
    metrics_are_served_on_their_own_listener,
);

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn costly_public_routes_are_limited_per_address(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    // Spend this address's whole burst in-process (the same limiter the router uses).
    while app.services.edge_limit.take(Some("127.0.0.1")).is_ok() {}

    // A server function answers the serialized error the dashboard decodes, with Retry-After.
    let response = client
        .post(format!("{}/api/sign_up", app.base))
        .json(&signup_form("ada@example.com", "Engines"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign_up: {e}"));
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(
        body,
        json!({ "kind": "too_many_requests", "retry_after_secs": 1 }),
        "{body}"
    );
    assert_eq!(app.count("accounts").await, 0, "refused before any work");

    // The public identity API answers the envelope.
    let response = client
        .post(format!("{}/v1/identity/auth/forgot-password", app.base))
        .json(&json!({ "account": "engines", "email": "pat@example.com" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("forgot-password: {e}"));
    assert_eq!(response.status().as_u16(), 429);
    assert!(header(&response, "retry-after").is_some());
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "request.rate_limited", "{body}");
    assert_eq!(body["error"]["details"]["retry_after_secs"], 1);

    // Every limited route is refused; a route that costs nothing is not limited.
    for path in server::edge::LIMITED_PATHS {
        let response = client
            .post(format!("{}{path}", app.base))
            .json(&json!({}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(response.status().as_u16(), 429, "{path}");
    }
    let healthz = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("healthz: {e}"));
    assert_eq!(healthz.status().as_u16(), 200);

    // A second later one request is allowed again.
    app.clock.advance(time::Duration::seconds(1));
    let reply = app
        .call(
            &client,
            "sign_up",
            signup_form("ada@example.com", "Engines"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", crate::support::PASSWORD),
        )
        .await;
    assert_eq!(reply.code(), "request.rate_limited");
}

async fn every_answer_carries_a_request_id_and_internal_errors_quote_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    let get = |id: Option<&'static str>| {
        let mut request = client.get(format!("{}/healthz", app.base));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let fresh = get(None).await.unwrap_or_else(|e| panic!("{e}"));
    let id = header(&fresh, "x-request-id").unwrap_or_default();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a fresh UUID: {id}");
    let kept = get(Some("edge-test.42"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        header(&kept, "x-request-id").as_deref(),
        Some("edge-test.42")
    );
    let replaced = get(Some("two words"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = header(&replaced, "x-request-id").unwrap_or_default();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "malformed ids are replaced: {id}"
    );

    // An unexpected failure quotes the request id as its reference.
    app.services.failpoints.arm(FAIL_AFTER_ENVIRONMENTS);
    let response = client
        .post(format!("{}/api/sign_up", app.base))
        .header("x-request-id", "edge-failure-1")
        .json(&signup_form("ada@example.com", "Engines"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign_up: {e}"));
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(
        header(&response, "x-request-id").as_deref(),
        Some("edge-failure-1")
    );
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(
        body["reference"], "edge-failure-1",
        "the reference is the request id: {body}"
    );
}

async fn pages_answer_security_headers_with_a_nonce_their_scripts_carry(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    for path in ["/signin", "/signup", "/no-such-page"] {
        let response = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let csp = header(&response, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(
            header(&response, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header(&response, "referrer-policy").as_deref(),
            Some("strict-origin-when-cross-origin")
        );
        assert_eq!(header(&response, "strict-transport-security"), None, "http");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_default()
            .to_owned();
        assert!(nonce.len() >= 22, "{csp}");
        let html = response.text().await.unwrap_or_default();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} hydrates");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every script carries the response's nonce"
        );
    }
    // Token pages keep their stricter referrer policy.
    let response = client
        .get(format!("{}/accept-invite?token=abc", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("accept-invite: {e}"));
    assert_eq!(
        header(&response, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert!(header(&response, "content-security-policy").is_some());

    // Bodies over the limit are refused on every route, server functions included.
    let big = "x".repeat(server::edge::BODY_LIMIT_BYTES + 1);
    let response = client
        .post(format!("{}/api/current_landing", app.base))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap_or_else(|e| panic!("big body: {e}"));
    assert_eq!(response.status().as_u16(), 413);
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(body["kind"], "payload_too_large", "{body}");
}

async fn metrics_are_served_on_their_own_listener(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let handle = server::prometheus::install();
    let Some(handle) = handle else {
        panic!("the recorder installs");
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let router = server::prometheus::router(app.services.clone(), handle);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let env = json!({ "account": "engines", "application": "billing-portal", "environment": "development" });
    for _ in 0..2 {
        app.call(
            &admin,
            "check_access",
            json!({ "env": env, "identity_id": "nobody", "permission": "invoice.read", "node_id": null }),
        )
        .await;
    }
    let http = reqwest::Client::new();
    let _ = http.get(format!("{}/healthz", app.base)).send().await;
    while app.services.edge_limit.take(Some("127.0.0.1")).is_ok() {}
    let refused = app
        .call(
            &app.client(),
            "sign_in",
            sign_in_form("ada@example.com", "x"),
        )
        .await;
    assert_eq!(refused.status, 429);

    let scraped = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("scrape: {e}"));
    assert_eq!(scraped.status().as_u16(), 200);
    let text = scraped.text().await.unwrap_or_default();
    for series in [
        "arbor_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}",
        "arbor_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"",
        "arbor_password_hashes_total",
        "arbor_password_queue_wait_seconds_bucket",
        "arbor_evaluation_cache_hits_total",
        "arbor_evaluation_cache_misses_total",
        "arbor_evaluation_cache_reload_seconds_bucket",
        "arbor_rate_limit_rejections_total{limit=\"address\"}",
        "arbor_db_pool_connections{pool=",
        "arbor_outbox_messages{status=\"queued\"}",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
    // The public listener does not serve it.
    let public = http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(public.status().as_u16(), 200);
}
