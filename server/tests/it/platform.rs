//! Health endpoints, cross-origin refusal, server-rendered pages.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, sign_in_form};

on_both_engines!(
    health_and_readiness_answer,
    cross_origin_state_changes_are_refused,
    pages_render_on_the_server_and_protect_the_dashboard,
    flags_read_the_same_on_both_engines,
    a_request_while_the_database_is_away_is_answered_503,
);

async fn health_and_readiness_answer(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = client.get(format!("{}{path}", app.base)).send().await;
        let response = response.unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(response.status(), 200, "{path}");
        let json: serde_json::Value = response.json().await.unwrap_or_default();
        assert_eq!(json["status"], body);
    }
    // Closing the database makes the service unready (but still alive).
    app.services.db.close().await;
    let ready = client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(ready.unwrap_or(0), 503);
    let live = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(live.unwrap_or(0), 200);
}

/// A signed-up account's Development API key, checked to answer.
async fn backend_key(app: &TestApp) -> String {
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let key = crate::api::key(
        app,
        &admin,
        "development",
        serde_json::json!({ "name": "Backend" }),
    )
    .await;
    let (status, _) = crate::api::api(app).get("/identities", &key).await;
    assert_eq!(status, 200);
    key
}

/// An identity to create.
fn pat() -> serde_json::Value {
    serde_json::json!({ "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee" })
}

/// A database that cannot be reached (restarting, its connections cut) is not a failure of
/// Arbor's: the answer is 503 `database.unavailable`, retryable, never a 500.
async fn a_request_while_the_database_is_away_is_answered_503(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = backend_key(&app).await;
    let api = crate::api::api(&app);
    app.services.db.close().await;
    let (status, body) = api.post("/identities", &key, pat()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(crate::api::code(&body), "database.unavailable");
}

async fn cross_origin_state_changes_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let client = app.client();
    let post = |origin: Option<&str>, site: Option<&str>| {
        let mut request = client
            .post(format!("{}/api/sign_in", app.base))
            .json(&sign_in_form("ada@example.com", crate::support::PASSWORD));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let evil = post(Some("https://evil.example"), Some("cross-site")).await;
    let evil = evil.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(evil.status(), 403);
    assert!(evil.headers().get("set-cookie").is_none());
    let body: serde_json::Value = evil.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "auth.cross_origin");

    let sneaky = post(None, Some("cross-site"))
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(
        sneaky.unwrap_or(0),
        403,
        "Sec-Fetch-Site alone is enough to refuse"
    );

    let same = post(Some(&app.base), Some("same-origin"))
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(same.unwrap_or(0), 200, "the dashboard's own requests pass");
    let tool = post(None, None).await.map(|r| r.status().as_u16());
    assert_eq!(
        tool.unwrap_or(0),
        200,
        "non-browser clients carry no ambient cookies"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'admin.signed_in'")
            .await,
        2
    );
}

async fn pages_render_on_the_server_and_protect_the_dashboard(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let anonymous = app.client();
    let html = |client: reqwest::Client, path: String| async move {
        let response = client
            .get(path)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, response.text().await.unwrap_or_default())
    };

    let (status, _, body) = html(anonymous.clone(), format!("{}/signup", app.base)).await;
    assert_eq!(status, 200);
    assert!(body.contains("Create your account"));
    assert!(body.contains("/pkg/arbor.js"), "hydration script is linked");

    let (status, location, _) = html(
        anonymous.clone(),
        format!("{}/engines/billing-portal/development/overview", app.base),
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (
            302,
            "/signin?next=/engines/billing-portal/development/overview"
        )
    );

    let (client, _) = app.sign_up("ada@example.com", "Engines").await;
    let (status, _, body) = html(
        client.clone(),
        format!("{}/engines/billing-portal/development/overview", app.base),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Your roles &amp; permissions setup is incomplete."),
        "banner rendered"
    );
    assert!(
        body.contains("You haven&#x27;t invited any users or assigned them roles yet.")
            || body.contains("You haven't invited any users or assigned them roles yet.")
    );

    let (status, location, _) = html(client, format!("{}/", app.base)).await;
    assert_eq!(
        (status, location.as_str()),
        (302, "/engines/billing-portal/development/overview")
    );

    let (status, _, _) = html(anonymous, format!("{}/no/such/page/here/really", app.base)).await;
    assert_eq!(status, 404);
}

async fn flags_read_the_same_on_both_engines(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    #[derive(sqlx::FromRow)]
    struct Flags {
        yes: app::store::Flag,
        no: app::store::Flag,
    }
    let row: Flags = sqlx::query_as(
        "SELECT is_system AS no, 1 - is_system AS yes FROM roles UNION ALL SELECT 0, 1",
    )
    .fetch_one(app.services.db.reader())
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(bool::from(row.yes));
    assert!(!bool::from(row.no));
}

/// PostgreSQL: a pooled connection the server closed while it sat idle (a restart, a proxy's idle
/// timeout) is found dead before a request gets it, and replaced, so the request succeeds. The
/// pool pings only connections idle for a second or more (`store::db`), and each is cut here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_while_idle_are_replaced_before_use() {
    use sqlx::Connection;
    let app = TestApp::spawn(Engine::Postgres).await;
    let key = backend_key(&app).await;
    let api = crate::api::api(&app);

    let mut cutter = sqlx::AnyConnection::connect(app.database_url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut cutter)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(cut > 0, "the app's connections were open");
    // Past the window in which a just-released connection is trusted without a ping.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;

    let (status, body) = api.post("/identities", &key, pat()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api.get("/identities", &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{body}");
}
