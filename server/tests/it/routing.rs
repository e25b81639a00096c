//! One URL space (issue 17): a table of paths × methods × `Accept` headers — REST API paths known
//! and unknown, server functions, dashboard pages signed in and out, static assets, health
//! endpoints and reserved slugs — each with the status and content type it must answer. Plus the
//! migration that renames reserved slugs already in a database.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    every_path_answers_as_its_owner_says,
    the_migration_renames_reserved_slugs_already_taken,
    pages_render_while_other_routers_are_built
);

const HTML: &str = "text/html";
const JSON: &str = "application/json";
const ANY: &str = "*/*";

/// Who asks.
#[derive(Clone, Copy, Debug)]
enum As {
    Anonymous,
    /// The admin of account `engines` (application `billing-portal`).
    Admin,
    /// The admin who signed up as company "API" with application "V1".
    ApiCompanyAdmin,
    /// A client sending a full-access API key of `engines` › development.
    ApiKey,
}

struct Row {
    method: &'static str,
    path: &'static str,
    accept: &'static str,
    who: As,
    status: u16,
    /// The start of the `content-type` (empty: no body expected).
    content_type: &'static str,
    /// The envelope's `code`, the `Location`, or the methods `Allow` must list.
    expect: Expect,
}

#[derive(Clone, Copy)]
enum Expect {
    Nothing,
    Code(&'static str),
    Location(&'static str),
    Allow(&'static [&'static str], &'static str),
}

fn row(
    method: &'static str,
    path: &'static str,
    accept: &'static str,
    who: As,
    status: u16,
    content_type: &'static str,
    expect: Expect,
) -> Row {
    Row {
        method,
        path,
        accept,
        who,
        status,
        content_type,
        expect,
    }
}

#[rustfmt::skip]
fn table() -> Vec<Row> {
    use As::*;
    use Expect::*;
    const UNKNOWN: Expect = Code("request.unknown_endpoint");
    const OVERVIEW: &str = "/engines/billing-portal/development/overview";
    let mut rows = vec![
        // The REST API: known paths, wrong methods, unknown paths (any method, any Accept).
        row("GET", "/api/v1/identities", JSON, ApiKey, 200, JSON, Nothing),
        row("GET", "/api/v1/identities", ANY, Anonymous, 401, JSON, Code("api_keys.missing")),
        row("GET", "/api/v1/openapi.json", ANY, Anonymous, 200, JSON, Nothing),
        row("DELETE", "/api/v1/identities", JSON, ApiKey, 405, JSON, Allow(&["GET", "POST"], "request.method_not_allowed")),
        row("PUT", "/api/v1/openapi.json", ANY, Anonymous, 405, JSON, Allow(&["GET"], "request.method_not_allowed")),
        row("GET", "/api/v1/roles/some-id/nonexistent", JSON, ApiKey, 404, JSON, UNKNOWN),
        row("GET", "/api/v1", ANY, Anonymous, 404, JSON, UNKNOWN),
        row("GET", "/api", ANY, Anonymous, 404, JSON, UNKNOWN),
        row("GET", "/api/", HTML, Anonymous, 404, JSON, UNKNOWN),
        // Server functions live under /api/ too: a page's data is POSTed, never rendered.
        row("POST", "/api/current_landing", JSON, Anonymous, 200, JSON, Nothing),
        row("GET", "/api/current_landing", HTML, Anonymous, 405, JSON, Allow(&["POST"], "request.method_not_allowed")),
        row("POST", "/api/no_such_function", JSON, Anonymous, 404, JSON, UNKNOWN),
        // Dashboard pages: a browser signed out is sent to sign in and back; other clients get 401.
        row("GET", OVERVIEW, HTML, Admin, 200, HTML, Nothing),
        row("GET", OVERVIEW, ANY, Admin, 200, HTML, Nothing),
        row("GET", OVERVIEW, HTML, Anonymous, 302, "", Location("/signin?next=/engines/billing-portal/development/overview")),
        row("GET", "/engines/billing-portal/development/identities?q=ada&page=2", HTML, Anonymous, 302, "",
            Location("/signin?next=/engines/billing-portal/development/identities%3Fq%3Dada%26page%3D2")),
        row("GET", "/engines/billing-portal/development", HTML, Anonymous, 302, "", Location("/signin?next=/engines/billing-portal/development")),
        row("GET", OVERVIEW, ANY, Anonymous, 401, "text/plain", Nothing),
        row("GET", OVERVIEW, JSON, Anonymous, 401, "text/plain", Nothing),
        row("GET", "/engines/billing-portal/production/roles", "", Anonymous, 401, "text/plain", Nothing),
        row("POST", OVERVIEW, HTML, Admin, 405, "text/plain", Allow(&["GET"], "")),
        row("GET", "/no/such/page/here/really", HTML, Anonymous, 404, HTML, Nothing),
        // An environment that does not exist (deleted, mistyped) is a 404 page, not a broken frame.
        row("GET", "/engines/billing-portal/gone/overview", HTML, Admin, 404, HTML, Nothing),
        row("GET", "/engines/no-such-app/development/overview", HTML, Admin, 404, HTML, Nothing),
        // Tenant › Audit log and its export (the admin's session; JSON errors like the API's).
        row("GET", "/engines/billing-portal/development/audit-log", HTML, Admin, 200, HTML, Nothing),
        row("GET", "/engines/billing-portal/development/audit-log/export?format=jsonl", ANY, Admin, 200, "application/x-ndjson", Nothing),
        row("GET", "/engines/billing-portal/development/audit-log/export?format=csv", ANY, Anonymous, 401, JSON, Code("auth.unauthenticated")),
        row("GET", "/engines/billing-portal/development/audit-log/export?format=pdf", ANY, Admin, 400, JSON, Code("request.malformed")),
        // Public pages.
        row("GET", "/", HTML, Anonymous, 302, "", Location("/signin")),
        row("GET", "/", HTML, Admin, 302, "", Location(OVERVIEW)),
        row("GET", "/signin", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/signup", HTML, Anonymous, 200, HTML, Nothing),
        // The admin's own account: forgot / reset / confirm (signed out), profile and sessions.
        row("GET", "/signin/forgot", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/signin/reset?token=forged", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/signup/verify?token=forged", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/engines/billing-portal/development/profile", HTML, Admin, 200, HTML, Nothing),
        row("GET", "/engines/billing-portal/development/profile/sessions", HTML, Admin, 200, HTML, Nothing),
        row("GET", "/engines/billing-portal/development/profile/sessions", HTML, Anonymous, 302, "",
            Location("/signin?next=/engines/billing-portal/development/profile/sessions")),
        // The hosted identity pages and the identity API.
        row("GET", "/login?account=engines", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/forgot-password", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/reset-password?token=forged", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/verify-email?token=forged", HTML, Anonymous, 200, HTML, Nothing),
        row("POST", "/v1/identity/auth/refresh", ANY, Anonymous, 401, JSON, Code("auth.unauthenticated")),
        row("GET", "/v1/identity/auth/me", ANY, Anonymous, 401, JSON, Code("auth.unauthenticated")),
        // The accept page renders for anyone (an unusable token gets its page, not a redirect).
        row("GET", "/accept-invite?token=not-a-token", HTML, Anonymous, 200, HTML, Nothing),
        row("GET", "/accept-invite", HTML, Admin, 200, HTML, Nothing),
        // The invited person's JSON endpoints: public, POST only.
        row("POST", "/v1/identity/auth/invite-info", JSON, Anonymous, 404, JSON, Code("invites.invalid_token")),
        row("POST", "/v1/identity/auth/accept-invite", JSON, Anonymous, 404, JSON, Code("invites.invalid_token")),
        row("GET", "/v1/identity/auth/accept-invite", JSON, Anonymous, 405, JSON, Allow(&["POST"], "request.method_not_allowed")),
        // The identity API's space answers like /api/: JSON, never a dashboard page.
        row("GET", "/v1/identity/auth/nonexistent", HTML, Anonymous, 404, JSON, Code("request.unknown_endpoint")),
        row("DELETE", "/v1/identity", ANY, Anonymous, 404, JSON, Code("request.unknown_endpoint")),
        row("GET", "/v1", ANY, Anonymous, 404, JSON, Code("request.unknown_endpoint")),
        // Invites over the REST API.
        row("GET", "/api/v1/identity-invites", JSON, ApiKey, 200, JSON, Nothing),
        row("GET", "/api/v1/identity-invites/summary", JSON, ApiKey, 200, JSON, Nothing),
        row("GET", "/api/v1/audit-events", JSON, ApiKey, 200, JSON, Nothing),
        row("GET", "/api/v1/environment", JSON, ApiKey, 200, JSON, Nothing),
        row("PUT", "/api/v1/identity-invites", JSON, ApiKey, 405, JSON, Allow(&["GET", "POST"], "request.method_not_allowed")),
        // Health, for probes.
        row("GET", "/healthz", ANY, Anonymous, 200, JSON, Nothing),
        row("GET", "/readyz", ANY, Anonymous, 200, JSON, Nothing),
        row("POST", "/healthz", ANY, Anonymous, 405, "text/plain", Allow(&["GET"], "")),
        // Static assets.
        row("GET", "/pkg/arbor.css", "text/css", Anonymous, 200, "text/css", Nothing),
        row("GET", "/favicon.svg", ANY, Anonymous, 200, "image/svg+xml", Nothing),
        row("GET", "/pkg/missing.js", ANY, Anonymous, 404, "", Nothing),
        // Reserved slugs: company "API" with application "V1" got `api-2/v1-2` (`v1` is the
        // identity API's first segment), so its dashboard is not the REST API's prefix, and the
        // path it would have had is the API's 404.
        row("GET", "/api-2/v1-2/development/overview", HTML, ApiCompanyAdmin, 200, HTML, Nothing),
        row("GET", "/api/v1/development/overview", HTML, ApiCompanyAdmin, 404, JSON, UNKNOWN),
    ];
    // Whatever the method and Accept, an unknown /api/ path is the JSON 404 envelope.
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        for accept in [HTML, JSON, ANY] {
            for path in ["/api/v1/nonexistent", "/api/v2/x", "/api/v1/a/b/c/d"] {
                rows.push(row(method, path, accept, Admin, 404, JSON, UNKNOWN));
            }
        }
    }
    rows
}

async fn every_path_answers_as_its_owner_says(engine: Engine) {
    let site = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    std::fs::create_dir_all(site.path().join("pkg")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(site.path().join("pkg/arbor.css"), "body{}").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn_serving(engine, &site.path().to_string_lossy()).await;

    let anonymous = app.client();
    // Bundle files have no content hash in their names: a browser must revalidate them.
    let asset = anonymous
        .get(format!("{}/pkg/arbor.css", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET /pkg/arbor.css: {e}"));
    assert_eq!(
        (
            asset.status().as_u16(),
            asset
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok())
        ),
        (200, Some("no-cache")),
        "a bundle file is served for revalidation on each use"
    );
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let key = crate::api::key(&app, &admin, "development", json!({ "name": "routing" })).await;
    let api_company = app.client();
    let signed_up = app
        .call(
            &api_company,
            "sign_up",
            json!({ "form": {
                "email": "grace@example.com", "password": PASSWORD, "first_name": "Grace",
                "last_name": "Hopper", "account_name": "API", "application_name": "V1",
            } }),
        )
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    assert_eq!(
        (
            signed_up.body["account"].as_str(),
            signed_up.body["application"].as_str()
        ),
        (Some("api-2"), Some("v1-2")),
        "a reserved account slug takes the next free form"
    );

    let mut failures = Vec::new();
    for row in table() {
        let client = match row.who {
            As::Admin => &admin,
            As::ApiCompanyAdmin => &api_company,
            As::Anonymous | As::ApiKey => &anonymous,
        };
        let method =
            reqwest::Method::from_bytes(row.method.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let mut request = client.request(method, format!("{}{}", app.base, row.path));
        if !row.accept.is_empty() {
            request = request.header("accept", row.accept);
        }
        if matches!(row.who, As::ApiKey) {
            request = request.header("x-api-key", &key);
        }
        if row.method == "POST" && row.path.starts_with("/api/") {
            request = request.json(&json!({}));
        }
        if row.method == "POST" && row.path.starts_with("/v1/identity/auth/") {
            let mut body = json!({ "token": "not-a-token" });
            if row.path.ends_with("/accept-invite") {
                body["password"] = json!("x");
            }
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {}: {e}", row.method, row.path));
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let status = response.status().as_u16();
        let content_type = header("content-type");
        let location = header("location");
        let allow = header("allow");
        let text = response.text().await.unwrap_or_default();
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|body| body["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let at = format!(
            "{} {} (Accept {:?}, {:?})",
            row.method, row.path, row.accept, row.who
        );
        let mut problems = Vec::new();
        if status != row.status {
            problems.push(format!("status {status}, expected {}", row.status));
        }
        if !content_type.starts_with(row.content_type) {
            problems.push(format!(
                "content-type {content_type:?}, expected {:?}",
                row.content_type
            ));
        }
        match row.expect {
            Expect::Nothing => {}
            Expect::Code(expected) if code != expected => {
                problems.push(format!("code {code:?}, expected {expected:?}"));
            }
            Expect::Code(_) => {}
            Expect::Location(expected) if location != expected => {
                problems.push(format!("location {location:?}, expected {expected:?}"));
            }
            Expect::Location(_) => {}
            Expect::Allow(methods, expected_code) => {
                for method in methods {
                    if !allow.split(',').any(|m| m.trim() == *method) {
                        problems.push(format!("allow {allow:?} lacks {method}"));
                    }
                }
                if code != expected_code {
                    problems.push(format!("code {code:?}, expected {expected_code:?}"));
                }
            }
        }
        if row.status == 401 && !(1..200).contains(&text.len()) {
            problems.push(format!("a 401 carries a short text, got {text:?}"));
        }
        if row.status == 200 && row.content_type == HTML && !location.is_empty() {
            problems.push(format!("a page answered with a location {location:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{at}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A database from before the reserved list: its holders of reserved slugs are renamed by
/// migration 0005 (to `-2` when free in their scope, else a unique form), and nothing else moves.
async fn the_migration_renames_reserved_slugs_already_taken(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for (email, company) in [
        ("a@example.com", "First"),
        ("b@example.com", "Second"),
        ("c@example.com", "Third"),
        ("d@example.com", "Fourth"),
    ] {
        app.sign_up(email, company).await;
    }
    let db = &app.services.db;
    let mut tx = db.begin().await.unwrap_or_else(|e| panic!("begin: {e}"));
    for sql in [
        // `api` cannot become `api-2` (taken): it gets a unique form instead.
        "UPDATE accounts SET slug = 'api' WHERE slug = 'first'",
        "UPDATE accounts SET slug = 'api-2' WHERE slug = 'second'",
        "UPDATE accounts SET slug = 'signin' WHERE slug = 'third'",
        "UPDATE applications SET slug = 'settings' WHERE slug = 'billing-portal' \
         AND account_id = (SELECT id FROM accounts WHERE slug = 'signin')",
        "UPDATE environments SET slug = 'new' WHERE slug = 'production' \
         AND account_id = (SELECT id FROM accounts WHERE slug = 'signin')",
        // As if 0005 had never run.
        "DELETE FROM _sqlx_migrations WHERE version = 5",
    ] {
        sqlx::query(sql)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));

    let mut accounts = app.strings("SELECT slug FROM accounts ORDER BY slug").await;
    let renamed = accounts
        .iter()
        .position(|slug| slug.starts_with("api-") && slug != "api-2");
    let renamed_api = accounts.remove(renamed.unwrap_or_else(|| panic!("{accounts:?}")));
    assert!(
        renamed_api.starts_with("api-") && renamed_api != "api-2",
        "{renamed_api}"
    );
    assert!(
        app::model::Slug::parse(&renamed_api).is_some(),
        "{renamed_api} is a valid slug"
    );
    assert_eq!(accounts, ["api-2", "fourth", "signin-2"]);
    assert_eq!(
        app.strings(
            "SELECT a.slug FROM applications a JOIN accounts c ON c.id = a.account_id \
             WHERE c.slug = 'signin-2'"
        )
        .await,
        ["settings-2"]
    );
    assert_eq!(
        app.strings(
            "SELECT e.slug FROM environments e JOIN accounts c ON c.id = e.account_id \
             WHERE c.slug = 'signin-2' ORDER BY e.slug"
        )
        .await,
        ["development", "new-2"]
    );
    assert_eq!(
        app.count("applications WHERE slug = 'billing-portal'")
            .await,
        3,
        "the others are untouched"
    );
}

/// A page renders while other routers are built in the same process, as the tests and benches do
/// (one per app). Building one used to generate the route list, which suppresses the loading of
/// every resource that first polls meanwhile, process-wide and for good (leptos issue 4773): such
/// a page waited until the request timeout and answered 503.
async fn pages_render_while_other_routers_are_built(engine: Engine) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let stop = Arc::new(AtomicBool::new(false));
    let building = {
        let (services, stop) = (app.services.clone(), stop.clone());
        let config = server::config::Config::resolve(server::config::Settings::default(), None)
            .unwrap_or_else(|e| panic!("config: {e}"));
        tokio::task::spawn_blocking(move || {
            let mut built = 0u32;
            while !stop.load(Ordering::Relaxed) {
                drop(server::router(services.clone(), &config));
                built += 1;
            }
            built
        })
    };
    let overview = format!("{}/engines/billing-portal/development/overview", app.base);
    let mut answers = Vec::new();
    for _ in 0..40 {
        let page = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            admin.get(&overview).header("accept", HTML).send(),
        )
        .await;
        answers.push(match page {
            Ok(Ok(response)) => response.status().as_u16().to_string(),
            Ok(Err(e)) => format!("error {e}"),
            Err(_) => "no answer in 5 s".to_owned(),
        });
    }
    stop.store(true, Ordering::Relaxed);
    let built = building.await.unwrap_or_else(|e| panic!("builder: {e}"));
    assert!(built > 0, "no router was built beside the pages");
    assert!(
        answers.iter().all(|a| a == "200"),
        "Overview while {built} routers were built: {answers:?}"
    );
}
