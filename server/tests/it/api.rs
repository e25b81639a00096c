//! The public REST API over real HTTP: API keys (distinct 401s, scopes, revocation, expiry,
//! last use), `POST/GET /api/v1/identities`, evaluate, the error envelope, and isolation between
//! environments and accounts. Plus `arbor api-key` as the real binary.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp, sign_in_form};
use serde_json::{Value, json};
use time::Duration;

on_both_engines!(
    keys_authenticate_with_distinct_answers,
    create_identity_over_rest_commits_before_201,
    errors_are_envelopes_never_500s,
    a_key_reaches_its_environment_only,
    evaluate_answers_with_the_path,
    the_cli_creates_lists_and_revokes_keys,
    bulk_create_reports_each_row_and_replays_by_idempotency_key,
    concurrent_bulk_creates_never_duplicate_an_email,
    assignments_roles_and_nodes_over_rest,
    each_key_is_rate_limited,
    evaluation_has_its_own_budget,
    patch_and_delete_act_on_this_application_only,
    an_identity_edit_honours_if_match_when_sent,
    imported_password_hashes_sign_in_and_are_upgraded
);

pub(crate) fn env(environment: &str) -> Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": environment })
}

/// A key for `environment` created through the dashboard's server function.
pub(crate) async fn key(
    app: &TestApp,
    admin: &reqwest::Client,
    environment: &str,
    form: Value,
) -> String {
    let created = app
        .call(
            admin,
            "create_api_key",
            json!({ "env": env(environment), "form": form }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    created.body["key"].as_str().unwrap_or_default().to_owned()
}

pub(crate) struct Api<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

impl Api<'_> {
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<String>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        // The identity sign-in API lives beside the REST API, at `/v1/identity/auth`.
        let url = if path.starts_with("/v1/identity/") {
            format!("{}{path}", self.app.base)
        } else {
            format!("{}/api/v1{path}", self.app.base)
        };
        let mut request = self.http.request(method, url);
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub(crate) async fn post(&self, path: &str, key: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(key), Some(body.to_string()))
            .await
    }

    pub(crate) async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        self.send("GET", path, Some(key), None).await
    }
}

pub(crate) fn api(app: &TestApp) -> Api<'_> {
    Api {
        app,
        http: reqwest::Client::new(),
    }
}

pub(crate) fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn keys_authenticate_with_distinct_answers(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Backend", "expires": "never" }),
    )
    .await;
    assert!(full.starts_with("arb_dev_"), "{full}");
    let prod = key(&app, &admin, "production", json!({ "name": "Prod" })).await;
    assert!(prod.starts_with("arb_prd_"), "{prod}");
    assert_eq!(
        app.count(&format!(
            "api_keys WHERE key_hash = '{full}' OR key_preview = '{full}'"
        ))
        .await,
        0,
        "the key itself is never stored"
    );
    let api = api(&app);

    let (status, body) = api.send("GET", "/identities", None, None).await;
    assert_eq!((status, code(&body)), (401, "api_keys.missing"));
    let (status, body) = api.get("/identities", "arb_dev_not-a-real-key").await;
    assert_eq!((status, code(&body)), (401, "api_keys.invalid"));
    let (status, _) = api.get("/identities", &full).await;
    assert_eq!(status, 200);

    // A scoped key: read yes, create no — and the answer names the missing permission.
    let reader = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Reader", "scopes": ["identity.read"] }),
    )
    .await;
    assert_eq!(api.get("/identities", &reader).await.0, 200);
    let (status, body) = api
        .post(
            "/identities",
            &reader,
            json!({ "email": "a@example.com", "first_name": "A", "last_name": "B" }),
        )
        .await;
    assert_eq!((status, code(&body)), (403, "api_keys.scope_missing"));
    assert_eq!(body["error"]["details"]["scope"], "identity.manage");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("identity.manage")
    );

    // The list shows previews and last use, never keys.
    let listed = app
        .call(
            &admin,
            "list_api_keys",
            json!({ "env": env("development") }),
        )
        .await;
    let backend = listed
        .body
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["name"] == "Backend").cloned())
        .unwrap_or_default();
    assert_eq!(backend["key_preview"], format!("{}****", &full[..12]));
    assert!(backend["last_used_at"].is_string(), "{backend}");
    assert!(!listed.body.to_string().contains(&full));

    // Revoked: refused with its own code.
    let id = backend["id"].clone();
    let revoked = app
        .call(
            &admin,
            "revoke_api_key",
            json!({ "env": env("development"), "id": id }),
        )
        .await;
    assert_eq!(revoked.status, 200);
    let (status, body) = api.get("/identities", &full).await;
    assert_eq!((status, code(&body)), (401, "api_keys.revoked"));

    // Expired: a key for 30 days stops on day 30.
    let short = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Short", "expires": "30d" }),
    )
    .await;
    assert_eq!(api.get("/identities", &short).await.0, 200);
    app.clock.advance(Duration::days(30));
    let (status, body) = api.get("/identities", &short).await;
    assert_eq!((status, code(&body)), (401, "api_keys.expired"));
    app.call(&admin, "sign_in", sign_in_form("ada@example.com", PASSWORD))
        .await;
    let past = app
        .call(&admin, "create_api_key", json!({ "env": env("development"), "form": { "name": "Past", "expires": "2026-01-01" } }))
        .await;
    assert_eq!(past.body["errors"][0]["rule"], "in_the_past");
}

async fn create_identity_over_rest_commits_before_201(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    app.call(&admin, "create_permission_group", json!({ "env": env("development"), "form": { "resource": "invoice", "actions": ["read"] } })).await;
    let role = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env("development"), "form": { "name": "Editor" } }),
        )
        .await;
    let role = role.body["id"].clone();
    let view = app
        .call(&admin, "hierarchy", json!({ "env": env("development") }))
        .await;
    let root = view.body["nodes"][0]["id"].clone();
    let api = api(&app);

    // The seed's example body, with a real role and node.
    let (status, body) = api
        .post(
            "/identities",
            &full,
            json!({
                "email": "regional.manager@example.com",
                "first_name": "Pat",
                "last_name": "Lee",
                "password": "temp-password-rotated-on-first-login",
                "role_id": role,
                "node_id": root,
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(body["email"], "regional.manager@example.com");
    assert_eq!(body["status"], "active");
    assert_eq!(body["assignment"]["role_name"], "Editor");
    assert_eq!(body["warnings"], json!([]), "nothing skipped");
    assert_eq!(
        app.count(&format!("identities WHERE id = '{id}'")).await,
        1,
        "committed when the 201 arrives"
    );
    assert_eq!(
        app.count("audit_events WHERE actor_type = 'api_key' AND action = 'identity.created'")
            .await,
        1,
        "the audit says a key did it"
    );

    let (status, body) = api.get(&format!("/identities/{id}"), &full).await;
    assert_eq!((status, body["first_name"].as_str()), (200, Some("Pat")));
    let (status, body) = api.get("/identities?take=1&q=regional", &full).await;
    assert_eq!(status, 200);
    assert_eq!(body["pagination"]["item_count"], 1);
    assert_eq!(body["items"][0]["assignments"][0]["role_name"], "Editor");

    // Same rules as the dialog.
    let (status, body) = api
        .post(
            "/identities",
            &full,
            json!({ "email": "REGIONAL.manager@example.com", "first_name": "P", "last_name": "L" }),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "identities.email_taken"));
    let (status, body) = api
        .post("/identities", &full, json!({ "email": "x@example.com", "first_name": "", "last_name": "L", "password": "short" }))
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    let fields: Vec<&str> = body["error"]["details"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["first_name", "password"]);
    let (status, body) = api
        .post("/identities", &full, json!({ "email": "common@example.com", "first_name": "C", "last_name": "L", "password": "iloveyou1" }))
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "identities.password_too_common")
    );
    assert_eq!(body["error"]["details"]["errors"][0]["field"], "password");
    assert_eq!(body["error"]["details"]["errors"][0]["rule"], "too_common");
    assert_eq!(
        app.count("identities").await,
        1,
        "nothing written by the refusals"
    );

    // The seed: "if only one is provided, no assignment is created" — created, and said so.
    for (email, half, missing) in [
        ("y@example.com", json!({ "role_id": role }), "node_id"),
        ("z@example.com", json!({ "node_id": root }), "role_id"),
    ] {
        let mut form = json!({ "email": email, "first_name": "Y", "last_name": "L" });
        for (field, value) in half.as_object().into_iter().flatten() {
            form[field] = value.clone();
        }
        let (status, body) = api.post("/identities", &full, form).await;
        assert_eq!(status, 201, "{missing} missing: {body}");
        assert!(body["assignment"].is_null(), "{body}");
        assert_eq!(
            body["warnings"],
            json!([{ "code": "assignment_skipped", "field": missing,
                     "message": body["warnings"][0]["message"] }]),
        );
        assert!(
            body["warnings"][0]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("No assignment was made")),
            "{body}"
        );
        let (status, listed) = api.get(&format!("/identities?q={email}"), &full).await;
        assert_eq!(status, 200);
        assert_eq!(listed["items"][0]["assignments"], json!([]), "{listed}");
    }
    assert_eq!(app.count("identities").await, 3);
    assert_eq!(app.count("assignments").await, 1, "only the full pair's");
}

async fn errors_are_envelopes_never_500s(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let cases = [
        (
            "POST",
            "/identities",
            Some("{not json".to_owned()),
            400,
            "request.malformed",
        ),
        (
            "POST",
            "/identities",
            Some(r#"{"email": 42}"#.to_owned()),
            400,
            "request.malformed",
        ),
        (
            "POST",
            "/identities",
            Some(
                r#"{"email":"a@example.com","first_name":"A","last_name":"B","nickname":"x"}"#
                    .to_owned(),
            ),
            400,
            "request.malformed",
        ),
        (
            "POST",
            "/identities",
            Some(format!(r#"{{"email":"{}"}}"#, "a".repeat(1_100_000))),
            413,
            "request.too_large",
        ),
        (
            "GET",
            "/identities?take=500",
            None,
            400,
            "validation.invalid_input",
        ),
        (
            "GET",
            "/identities?take=abc",
            None,
            400,
            "request.malformed",
        ),
        (
            "GET",
            "/identities/no-such-id",
            None,
            404,
            "identities.not_found",
        ),
        (
            "GET",
            "/no/such/thing",
            None,
            404,
            "request.unknown_endpoint",
        ),
        // A NUL, which PostgreSQL's text cannot hold, in a path, a query and a body.
        (
            "GET",
            "/identities/ab%00c",
            None,
            400,
            "request.malformed",
        ),
        ("GET", "/roles/r%00", None, 400, "request.malformed"),
        // Not UTF-8 once decoded: the path extractor's refusal, in the envelope.
        ("GET", "/identities/%FF", None, 400, "request.malformed"),
        ("DELETE", "/roles/%C3%28", None, 400, "request.malformed"),
        (
            "GET",
            "/identities?q=a%00b",
            None,
            400,
            "request.malformed",
        ),
        (
            "POST",
            "/identities",
            Some(
                r#"{"email":"n@example.com","first_name":"A","last_name":"B","role_id":"r\u0000","node_id":"n"}"#
                    .to_owned(),
            ),
            400,
            "request.malformed",
        ),
    ];
    for (method, path, body, status, expected) in cases {
        let (got, answer) = api.send(method, path, Some(&full), body).await;
        assert_eq!(
            (got, code(&answer)),
            (status, expected),
            "{method} {path}: {answer}"
        );
        assert_eq!(
            answer["error"]["path"],
            format!("/api/v1{}", path.split('?').next().unwrap_or_default()),
            "the path the caller sent"
        );
        assert_eq!(answer["error"]["method"], method);
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // The unknown field is named, so the caller can fix the typo.
    let (_, answer) = api
        .send(
            "POST",
            "/identities",
            Some(&full),
            Some(
                r#"{"email":"a@example.com","first_name":"A","last_name":"B","nickname":"x"}"#
                    .to_owned(),
            ),
        )
        .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nickname"),
        "{answer}"
    );
}

async fn a_key_reaches_its_environment_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = key(&app, &admin, "development", json!({ "name": "Dev" })).await;
    // Production: a permission, a role holding it, and Pat assigned there.
    let prod_env = env("production");
    let role = app
        .role_granting(&admin, &prod_env, "Prod role", &["invoice.read"])
        .await;
    let view = app
        .call(&admin, "hierarchy", json!({ "env": prod_env }))
        .await;
    let prod_root = view.body["nodes"][0]["id"].clone();
    let pat = app
        .call(&admin, "create_identity", json!({ "env": prod_env, "form": {
            "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee", "role_id": role, "node_id": prod_root } }))
        .await;
    let pat = pat.body["identity"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let api = api(&app);

    // Development's key sees the application's member, but none of Production's grants…
    let (_, decision) = api
        .post(
            "/permissions/evaluate",
            &dev,
            json!({ "identity_id": pat, "permission": "invoice.read" }),
        )
        .await;
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["denial_reason"], "no_active_assignment");
    // …and cannot use Production's role or node.
    let (status, body) = api
        .post("/identities", &dev, json!({ "email": "dev@example.com", "first_name": "D", "last_name": "V", "role_id": role, "node_id": prod_root }))
        .await;
    assert_eq!((status, code(&body)), (404, "roles.not_found"));
    assert_eq!(
        app.count("identities WHERE email = 'dev@example.com'")
            .await,
        0
    );

    // Another account's key never sees this account's identities.
    let (rival, landing) = app.sign_up("eve@example.com", "Rivals").await;
    let theirs = json!({ "account": landing["account"], "application": landing["application"], "environment": landing["environment"] });
    let created = app
        .call(
            &rival,
            "create_api_key",
            json!({ "env": theirs, "form": { "name": "Rival" } }),
        )
        .await;
    let rival_key = created.body["key"].as_str().unwrap_or_default().to_owned();
    let (status, body) = api.get(&format!("/identities/{pat}"), &rival_key).await;
    assert_eq!((status, code(&body)), (404, "identities.not_found"));
    let (_, list) = api.get("/identities", &rival_key).await;
    assert_eq!(list["pagination"]["item_count"], 0);
    let (_, decision) = api
        .post(
            "/permissions/evaluate",
            &rival_key,
            json!({ "identity_id": pat, "permission": "invoice.read" }),
        )
        .await;
    assert_eq!(decision["denial_reason"], "identity_not_found");
}

async fn evaluate_answers_with_the_path(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = env("development");
    let role = app
        .role_granting(&admin, &dev, "Editor", &["invoice.read"])
        .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": dev })).await;
    let on = app
        .call(
            &admin,
            "enable_hierarchy",
            json!({ "env": dev, "version": view.body["environment_version"], "schema": null }),
        )
        .await;
    let root = on.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let emea = app.call(&admin, "create_node", json!({ "env": dev, "parent_node_id": root, "form": { "name": "EMEA", "node_type": "region" } })).await;
    let emea = emea.body["id"].as_str().unwrap_or_default().to_owned();
    let paris = app.call(&admin, "create_node", json!({ "env": dev, "parent_node_id": emea, "form": { "name": "Paris", "node_type": "team" } })).await;
    let paris = paris.body["id"].as_str().unwrap_or_default().to_owned();
    let pat = app
        .call(&admin, "create_identity", json!({ "env": dev, "form": {
            "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee", "role_id": role, "node_id": emea } }))
        .await;
    let pat = pat.body["identity"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let evaluator = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Evaluator", "scopes": ["permission.evaluate"] }),
    )
    .await;
    let api = api(&app);

    let (status, decision) = api
        .post(
            "/permissions/evaluate",
            &evaluator,
            json!({ "identity_id": pat, "permission": "invoice.read", "node_id": paris }),
        )
        .await;
    assert_eq!(status, 200, "{decision}");
    assert_eq!(decision["allowed"], true);
    assert_eq!(decision["path"], json!([emea, paris]));
    assert_eq!(decision["granting_roles"][0]["name"], "Editor");

    let checks: Vec<Value> = [&root, &emea, &paris]
        .iter()
        .map(|node| json!({ "identity_id": pat, "permission": "invoice.read", "node_id": node }))
        .collect();
    let (status, bulk) = api
        .post(
            "/permissions/evaluate/bulk",
            &evaluator,
            json!({ "checks": checks }),
        )
        .await;
    assert_eq!(status, 200, "{bulk}");
    let allowed: Vec<bool> = bulk["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|d| d["allowed"].as_bool().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        allowed,
        [false, true, true],
        "access flows down from EMEA, not up"
    );
    let too_many: Vec<Value> = (0..101).map(|_| checks[0].clone()).collect();
    let (status, body) = api
        .post(
            "/permissions/evaluate/bulk",
            &evaluator,
            json!({ "checks": too_many }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    // An evaluate-only key reads nothing else.
    let (status, body) = api.get("/identities", &evaluator).await;
    assert_eq!((status, code(&body)), (403, "api_keys.scope_missing"));
}

async fn the_cli_creates_lists_and_revokes_keys(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let url = app.database_url().to_owned();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_arbor"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("ARBOR_LOG", "warn")
            .env("ARBOR_CONFIG", "/nonexistent/arbor.toml")
            .output()
            .unwrap_or_else(|e| panic!("arbor: {e}"));
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let slugs = [
        "--account",
        "engines",
        "--application",
        "billing-portal",
        "--environment",
        "development",
    ];
    let mut create = vec![
        "api-key",
        "create",
        "--name",
        "Sync job",
        "--scope",
        "identity.read",
    ];
    create.extend(slugs);
    let (ok, key, err) = run(&create);
    assert!(ok, "{err}");
    assert!(
        key.starts_with("arb_dev_") && !key.contains('\n'),
        "only the key on stdout: {key}"
    );
    assert!(err.contains("shown only once"));
    let (status, _) = api(&app).get("/identities", &key).await;
    assert_eq!(status, 200, "the printed key works");

    let mut list = vec!["api-key", "list"];
    list.extend(slugs);
    let (ok, listing, _) = run(&list);
    assert!(ok);
    assert!(listing.contains("Sync job") && listing.contains("identity.read"));
    assert!(!listing.contains(&key), "never the key itself");
    let id = listing.split('\t').next().unwrap_or_default().to_owned();
    let mut revoke = vec!["api-key", "revoke", "--id", &id];
    revoke.extend(slugs);
    assert!(run(&revoke).0);
    // Revoked by another process: this server notices within KEY_RECHECK_MS.
    app.clock.advance(Duration::milliseconds(
        app::services::api_keys::KEY_RECHECK_MS,
    ));
    let (status, body) = api(&app).get("/identities", &key).await;
    assert_eq!((status, code(&body)), (401, "api_keys.revoked"));

    let mut bad = vec![
        "api-key",
        "create",
        "--name",
        "X",
        "--scope",
        "invoice.read",
    ];
    bad.extend(slugs);
    let (ok, _, err) = run(&bad);
    assert!(!ok && err.contains("not a management permission"), "{err}");
    let nowhere = [
        "api-key",
        "create",
        "--name",
        "X",
        "--account",
        "nope",
        "--application",
        "x",
        "--environment",
        "y",
    ];
    let (ok, _, err) = run(&nowhere);
    assert!(!ok && err.contains("environments.not_found"), "{err}");
}

fn rows(count: usize, prefix: &str) -> Vec<Value> {
    (0..count)
        .map(|i| json!({ "email": format!("{prefix}{i:03}@example.com"), "first_name": "Bulk", "last_name": format!("Row {i}") }))
        .collect()
}

async fn bulk(
    api: &Api<'_>,
    key: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> (u16, Value, bool) {
    let mut request = api
        .http
        .post(format!("{}/api/v1/identities/bulk-create", api.app.base))
        .header("X-API-Key", key)
        .json(body);
    if let Some(idem) = idempotency_key {
        request = request.header("Idempotency-Key", idem);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("bulk: {e}"));
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        replayed,
    )
}

async fn bulk_create_reports_each_row_and_replays_by_idempotency_key(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let api = api(&app);

    // 200 valid rows: 200.
    let (status, body, _) =
        bulk(&api, &full, None, &json!({ "identities": rows(200, "ok") })).await;
    assert_eq!(status, 200, "{}", body["summary"]);
    assert_eq!(
        body["summary"],
        json!({ "total": 200, "succeeded": 200, "failed": 0 })
    );
    assert_eq!(app.count("identities").await, 200);

    // Three bad rows among good ones: 207 with exactly those three failed, the rest written.
    let mut mixed = rows(10, "mixed");
    mixed[2]["email"] = json!("not-an-email");
    mixed[5]["email"] = json!("ok000@example.com"); // already exists
    mixed[8] = mixed[7].clone(); // a duplicate inside the batch
    let (status, body, _) = bulk(&api, &full, None, &json!({ "identities": mixed })).await;
    assert_eq!(status, 207);
    assert_eq!(
        body["summary"],
        json!({ "total": 10, "succeeded": 7, "failed": 3 })
    );
    let failed: Vec<(u64, String)> = body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|row| row["status"] == "error")
                .map(|row| {
                    (
                        row["index"].as_u64().unwrap_or(99),
                        row["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        failed,
        [
            (2, "validation.invalid_input".to_owned()),
            (5, "identities.email_taken".to_owned()),
            (8, "identities.email_taken".to_owned())
        ]
    );
    assert_eq!(body["results"][0]["data"]["email"], "mixed000@example.com");
    assert_eq!(
        body["results"][2]["error"]["details"]["errors"][0]["field"],
        "email"
    );
    assert_eq!(app.count("identities").await, 207);

    // A half role/node pair succeeds without an assignment; a common password fails its row
    // with its own code.
    let mut half = rows(2, "half");
    half[0]["node_id"] = json!("0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53");
    half[1]["password"] = json!("qwertyuiop");
    let (status, body, _) = bulk(&api, &full, None, &json!({ "identities": half })).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["status"], "success", "{body}");
    assert!(body["results"][0]["data"]["assignment"].is_null());
    assert_eq!(
        body["results"][0]["data"]["warnings"][0]["code"],
        "assignment_skipped"
    );
    assert_eq!(
        body["results"][0]["data"]["warnings"][0]["field"],
        "role_id"
    );
    assert_eq!(
        (
            body["results"][1]["code"].as_str(),
            body["results"][1]["error"]["details"]["errors"][0]["field"].as_str()
        ),
        (Some("identities.password_too_common"), Some("password"))
    );
    assert_eq!(app.count("identities WHERE email LIKE 'half%'").await, 1);

    // 201 rows: 400 and nothing written.
    let (status, body, _) = bulk(
        &api,
        &full,
        None,
        &json!({ "identities": rows(201, "many") }),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    assert_eq!(app.count("identities WHERE email LIKE 'many%'").await, 0);

    // Idempotency: the replay answers the same without running again.
    let batch = json!({ "identities": rows(3, "idem") });
    let (first_status, first, replayed) =
        bulk(&api, &full, Some("import-2026-11-27"), &batch).await;
    assert_eq!((first_status, replayed), (200, false));
    let (again_status, again, replayed) =
        bulk(&api, &full, Some("import-2026-11-27"), &batch).await;
    assert_eq!((again_status, replayed), (200, true));
    assert_eq!(again, first, "the stored answer, ids included");
    assert_eq!(app.count("identities WHERE email LIKE 'idem%'").await, 3);
    let other = json!({ "identities": rows(1, "other") });
    let (status, body, _) = bulk(&api, &full, Some("import-2026-11-27"), &other).await;
    assert_eq!((status, code(&body)), (422, "idempotency.key_reused"));
    let (status, body, _) = bulk(&api, &full, Some(&"k".repeat(256)), &other).await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    // After 24 hours the key is free again (and runs again: those emails now exist).
    app.clock.advance(Duration::hours(24));
    let (status, body, replayed) = bulk(&api, &full, Some("import-2026-11-27"), &batch).await;
    assert_eq!((status, replayed), (207, false));
    assert_eq!(body["summary"]["failed"], 3);
}

/// The same password as other systems store it (low costs: this is about formats).
fn imported_hashes(password: &str) -> Vec<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(b"imported-salt!").unwrap_or_else(|e| panic!("{e}"));
    let argon2i = argon2::Argon2::new(
        argon2::Algorithm::Argon2i,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 3, 1, None).unwrap_or_else(|e| panic!("{e}")),
    );
    let scrypt_params = scrypt::Params::new(10, 8, 1, 32).unwrap_or_else(|e| panic!("{e}"));
    let pbkdf2_params = pbkdf2::Params {
        rounds: 1_000,
        output_length: 32,
    };
    let bytes = password.as_bytes();
    vec![
        argon2i.hash_password(bytes, &salt).map(|h| h.to_string()),
        scrypt::Scrypt
            .hash_password_customized(bytes, None, None, scrypt_params, &salt)
            .map(|h| h.to_string()),
        pbkdf2::Pbkdf2
            .hash_password_customized(
                bytes,
                Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
                None,
                pbkdf2_params,
                &salt,
            )
            .map(|h| h.to_string()),
    ]
    .into_iter()
    .map(|h| h.unwrap_or_else(|e| panic!("{e}")))
    .chain([bcrypt::hash(password, 4).unwrap_or_else(|e| panic!("{e}"))])
    .collect()
}

async fn imported_password_hashes_sign_in_and_are_upgraded(engine: Engine) {
    use app::services::identity_passwords::verify_password;
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let api = api(&app);
    let password = "Migrated-from-legacy-42";
    let hashes = imported_hashes(password);
    let mut rows: Vec<Value> = hashes
        .iter()
        .enumerate()
        .map(|(i, hash)| json!({ "email": format!("import{i}@example.com"), "first_name": "Im", "last_name": "Port", "password_hash": hash }))
        .collect();
    rows.push(json!({ "email": "plain@example.com", "first_name": "P", "last_name": "W", "password": password }));
    rows.push(json!({ "email": "both@example.com", "first_name": "B", "last_name": "O", "password": password, "password_hash": hashes[0] }));
    rows.push(json!({ "email": "md5@example.com", "first_name": "M", "last_name": "D", "password_hash": "$md5$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA" }));
    let (status, body, _) = bulk(&api, &full, None, &json!({ "identities": rows })).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(
        body["summary"],
        json!({ "total": 7, "succeeded": 5, "failed": 2 })
    );
    let rule = |index: usize| body["results"][index]["error"]["details"]["errors"][0].clone();
    assert_eq!(rule(5)["field"], "password_hash");
    assert_eq!(rule(5)["rule"], "conflict");
    assert_eq!(rule(6)["rule"], "unsupported_algorithm");
    assert_eq!(body["results"][0]["data"]["status"], "active");
    // Stored as sent; the API never echoes a hash.
    assert!(!body.to_string().contains("$argon2i$"));
    let stored = app
        .strings("SELECT password_hash FROM identities WHERE email LIKE 'import%' ORDER BY email")
        .await;
    assert_eq!(stored, hashes);

    let account = app
        .strings("SELECT account_id FROM identities WHERE email = 'import0@example.com'")
        .await
        .concat();
    for i in 0..hashes.len() {
        let email = format!("import{i}@example.com");
        let wrong = verify_password(
            &app.services,
            &account,
            &email,
            "Migrated-from-legacy-43".into(),
        )
        .await;
        assert!(matches!(wrong, Ok(None)), "{email}");
        let first = verify_password(&app.services, &account, &email, password.into()).await;
        assert!(
            matches!(&first, Ok(Some(v)) if v.upgraded),
            "{email}: {first:?}"
        );
        let upgraded = app
            .strings(&format!(
                "SELECT password_hash FROM identities WHERE email = '{email}'"
            ))
            .await
            .concat();
        assert!(
            upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{upgraded}"
        );
        let again = verify_password(&app.services, &account, &email, password.into()).await;
        assert!(matches!(&again, Ok(Some(v)) if !v.upgraded), "{again:?}");
    }
    // A plaintext row was hashed with our parameters at once: nothing to upgrade.
    let plain = verify_password(
        &app.services,
        &account,
        "PLAIN@example.com",
        password.into(),
    )
    .await;
    assert!(matches!(&plain, Ok(Some(v)) if !v.upgraded), "{plain:?}");
    let unknown = verify_password(
        &app.services,
        &account,
        "nobody@example.com",
        password.into(),
    )
    .await;
    assert!(matches!(unknown, Ok(None)));
    assert_eq!(
        app.count("audit_events WHERE action = 'identity.password_upgraded'")
            .await,
        hashes.len() as i64
    );
}

async fn concurrent_bulk_creates_never_duplicate_an_email(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let api = api(&app);
    // Four requests of 30 rows, each overlapping the next by half.
    let batches: Vec<Value> = (0..4)
        .map(|b| {
            let rows: Vec<Value> = (b * 15..b * 15 + 30)
                .map(|i| json!({ "email": format!("shared{i:03}@example.com"), "first_name": "C", "last_name": "R" }))
                .collect();
            json!({ "identities": rows })
        })
        .collect();
    let replies =
        futures::future::join_all(batches.iter().map(|b| bulk(&api, &full, None, b))).await;
    let succeeded: u64 = replies
        .iter()
        .map(|(_, body, _)| body["summary"]["succeeded"].as_u64().unwrap_or(0))
        .sum();
    let distinct = 3 * 15 + 30;
    assert_eq!(
        succeeded, distinct as u64,
        "each email created exactly once"
    );
    assert_eq!(app.count("identities").await, distinct as i64);
    for (_, body, _) in &replies {
        for row in body["results"].as_array().cloned().unwrap_or_default() {
            assert!(
                row["status"] == "success" || row["code"] == "identities.email_taken",
                "{row}"
            );
        }
    }
}

async fn assignments_roles_and_nodes_over_rest(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = env("development");
    app.call(
        &admin,
        "create_permission_group",
        json!({ "env": dev, "form": { "resource": "invoice", "actions": ["read", "approve"] } }),
    )
    .await;
    let mut roles = Vec::new();
    for (name, keys) in [
        ("Editor", json!(["invoice.read"])),
        ("Approver", json!(["invoice.read", "invoice.approve"])),
    ] {
        let role = app
            .call(
                &admin,
                "create_role",
                json!({ "env": dev, "form": { "name": name } }),
            )
            .await;
        let id = role.body["id"].as_str().unwrap_or_default().to_owned();
        app.call(
            &admin,
            "set_role_permissions",
            json!({ "env": dev, "id": id, "permission_keys": keys }),
        )
        .await;
        roles.push(id);
    }
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let (_, listed) = api.get("/roles", &full).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    let (_, tree) = api.get("/nodes", &full).await;
    let root = tree["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut people = Vec::new();
    for who in ["pat", "sam"] {
        let (_, created) = api
            .post("/identities", &full, json!({ "email": format!("{who}@example.com"), "first_name": who, "last_name": "Lee" }))
            .await;
        people.push(created["id"].as_str().unwrap_or_default().to_owned());
    }

    let (status, assignment) = api
        .post(
            "/assignments",
            &full,
            json!({ "identity_id": people[0], "role_id": roles[0], "node_id": root }),
        )
        .await;
    assert_eq!(status, 201, "{assignment}");
    let assignment_id = assignment["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = api
        .post(
            "/assignments",
            &full,
            json!({ "identity_id": people[0], "role_id": roles[0], "node_id": root }),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "rbac.assignment_conflict"));
    let (_, permissions) = api
        .get(&format!("/identities/{}/permissions", people[0]), &full)
        .await;
    assert_eq!(permissions["items"], json!(["invoice.read"]));

    let (status, changed) = api
        .send(
            "PATCH",
            &format!("/assignments/{assignment_id}"),
            Some(&full),
            Some(json!({ "role_id": roles[1] }).to_string()),
        )
        .await;
    assert_eq!(
        (status, changed["role_name"].as_str()),
        (200, Some("Approver"))
    );
    let (_, permissions) = api
        .get(&format!("/identities/{}/permissions", people[0]), &full)
        .await;
    assert_eq!(
        permissions["items"],
        json!(["invoice.approve", "invoice.read"]),
        "the change is visible at once"
    );

    // Bulk: one new, one conflicting → 207 with the conflict on its row.
    let (status, bulk) = api
        .post(
            "/assignments/bulk-create",
            &full,
            json!({ "assignments": [
            { "identity_id": people[1], "role_id": roles[0], "node_id": root },
            { "identity_id": people[0], "role_id": roles[1], "node_id": root },
        ] }),
        )
        .await;
    assert_eq!(status, 207, "{bulk}");
    assert_eq!(bulk["results"][1]["code"], "rbac.assignment_conflict");
    let sams = bulk["results"][0]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, _) = api
        .post(
            "/assignments/bulk-change-role",
            &full,
            json!({ "assignment_ids": [sams], "role_id": roles[1] }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, sam) = api
        .get(&format!("/identities/{}/assignments", people[1]), &full)
        .await;
    assert_eq!(sam["items"][0]["role_name"], "Approver");
    // No role is the request's fault (400, as documented), not a 207 of `roles.not_found` rows
    // (found while writing the `api_bodies` fuzz target).
    for body in [
        json!({ "assignment_ids": [sams] }),
        json!({ "assignment_ids": [sams], "role_id": "  " }),
    ] {
        let (status, refused) = api.post("/assignments/bulk-change-role", &full, body).await;
        assert_eq!((status, code(&refused)), (400, "validation.invalid_input"));
        assert_eq!(refused["error"]["details"]["errors"][0]["field"], "role_id");
    }
    let (status, removed) = api
        .post(
            "/assignments/bulk-remove",
            &full,
            json!({ "assignment_ids": [sams, "missing"] }),
        )
        .await;
    assert_eq!(
        (status, removed["summary"]["failed"].as_u64()),
        (207, Some(1))
    );
    let (status, _) = api
        .send(
            "DELETE",
            &format!("/assignments/{assignment_id}"),
            Some(&full),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = api
        .send(
            "DELETE",
            &format!("/assignments/{assignment_id}"),
            Some(&full),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (404, "assignments.not_found"));
    assert_eq!(app.count("assignments").await, 0);
    let (status, body) = api
        .post(
            "/assignments/bulk-remove",
            &full,
            json!({ "assignment_ids": [] }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));

    let reader = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Reader", "scopes": ["assignment.read"] }),
    )
    .await;
    let (status, body) = api
        .post(
            "/assignments",
            &reader,
            json!({ "identity_id": people[0], "role_id": roles[0], "node_id": root }),
        )
        .await;
    assert_eq!((status, code(&body)), (403, "api_keys.scope_missing"));
    let (status, body) = api.get("/roles", &reader).await;
    assert_eq!(
        (status, body["error"]["details"]["scope"].as_str()),
        (403, Some("role.read"))
    );
}

async fn each_key_is_rate_limited(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let first = key(&app, &admin, "development", json!({ "name": "Busy" })).await;
    let second = key(&app, &admin, "development", json!({ "name": "Quiet" })).await;
    app.services.api_rate.set_per_minute(5);
    let api = api(&app);
    for _ in 0..5 {
        assert_eq!(api.get("/identities", &first).await.0, 200);
    }
    let response = api
        .http
        .get(format!("{}/api/v1/identities", app.base))
        .header("X-API-Key", &first)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("12"),
        "one request every 12 s at 5 a minute"
    );
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(code(&body), "api_keys.rate_limited");
    assert_eq!(
        api.get("/identities", &second).await.0,
        200,
        "another key is not slowed"
    );
    app.clock.advance(Duration::seconds(12));
    assert_eq!(
        api.get("/identities", &first).await.0,
        200,
        "a token came back"
    );
}

/// `GET /identities/{id}` answers the identity's version as its `ETag`; `PATCH` takes it back in
/// `If-Match` when the client sends one (a stale one is 409 and changes nothing), and without one
/// edits whatever is current, as it always has.
async fn an_identity_edit_honours_if_match_when_sent(engine: Engine) {
    use crate::api_catalog::call;
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let (_, created) = api(&app)
        .post(
            "/identities",
            &full,
            json!({ "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee" }),
        )
        .await;
    let path = format!("/identities/{}", created["id"].as_str().unwrap_or_default());
    let patch = |if_match: Option<&'static str>, first_name: &'static str| {
        let body = json!({ "first_name": first_name });
        call(&app, "PATCH", &path, &full, if_match, Some(body))
    };
    let read = call(&app, "GET", &path, &full, None, None).await;
    assert_eq!((read.status, read.etag.as_deref()), (200, Some("\"1\"")));

    let edited = patch(Some("\"1\""), "Patricia").await;
    assert_eq!(
        (edited.status, edited.etag.as_deref()),
        (200, Some("\"2\"")),
        "{}",
        edited.body
    );
    let stale = patch(Some("\"1\""), "Stale").await;
    assert_eq!(
        (stale.status, code(&stale.body)),
        (409, "common.version_conflict"),
        "{}",
        stale.body
    );
    let garbled = patch(Some("\"a b\""), "Garbled").await;
    assert_eq!(
        (garbled.status, code(&garbled.body)),
        (400, "request.malformed"),
        "{}",
        garbled.body
    );
    let names = app
        .strings("SELECT first_name FROM identities WHERE email = 'pat@example.com'")
        .await;
    assert_eq!(
        names,
        vec!["Patricia".to_owned()],
        "a refused edit changed the row"
    );
    let unconditional = patch(None, "Pat").await;
    assert_eq!(
        (unconditional.status, unconditional.etag.as_deref()),
        (200, Some("\"3\"")),
        "no If-Match: the current one"
    );
    let any = patch(Some("*"), "Patty").await;
    assert_eq!((any.status, any.etag.as_deref()), (200, Some("\"4\"")));
}

async fn patch_and_delete_act_on_this_application_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = env("development");
    let role = app
        .role_granting(&admin, &dev, "Editor", &["invoice.read"])
        .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": dev })).await;
    let root = view.body["nodes"][0]["id"].clone();
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let (_, created) = api
        .post(
            "/identities",
            &full,
            json!({ "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee",
            "metadata": { "team": "blue" }, "role_id": role, "node_id": root }),
        )
        .await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/identities/{id}");
    let patch = |body: Value| api.send("PATCH", &path, Some(&full), Some(body.to_string()));

    let (status, updated) = patch(json!({ "first_name": "Patricia" })).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            updated["first_name"].as_str(),
            updated["last_name"].as_str()
        ),
        (Some("Patricia"), Some("Lee"))
    );
    assert_eq!(updated["metadata"]["team"], "blue", "not sent: unchanged");
    let (_, cleared) = patch(json!({ "metadata": null })).await;
    assert!(cleared["metadata"].is_null(), "null clears");
    let (status, body) = patch(json!({ "email": "new@example.com" })).await;
    assert_eq!(
        (status, code(&body)),
        (400, "request.malformed"),
        "email is not editable"
    );
    let (status, body) = patch(json!({ "last_name": "" })).await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));

    let (status, _) = api
        .send("DELETE", &format!("/identities/{id}"), Some(&full), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.count("assignments").await,
        0,
        "this application's roles are revoked"
    );
    assert_eq!(
        app.count(&format!("identities WHERE id = '{id}'")).await,
        1,
        "the directory keeps the identity"
    );
    let (status, body) = api.get(&format!("/identities/{id}"), &full).await;
    assert_eq!((status, code(&body)), (404, "identities.not_found"));
    let (status, _) = api
        .send("DELETE", &format!("/identities/{id}"), Some(&full), None)
        .await;
    assert_eq!(status, 404);
}

/// Evaluation is counted against its own budget (`ARBOR_EVALUATE_RATE_LIMIT`), so a backend that
/// checks access before each of its requests never exhausts the key's general one — and the
/// general budget running out never stops evaluation.
async fn evaluation_has_its_own_budget(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let backend = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let check = json!({ "identity_id": "nobody", "permission": "invoice.read" });
    app.services.api_rate.set_per_minute(2);
    for _ in 0..10 {
        assert_eq!(
            api.post("/permissions/evaluate", &backend, check.clone())
                .await
                .0,
            200
        );
    }
    assert_eq!(
        api.post(
            "/permissions/evaluate/bulk",
            &backend,
            json!({ "checks": [check.clone()] })
        )
        .await
        .0,
        200
    );
    assert_eq!(api.get("/identities", &backend).await.0, 200);
    assert_eq!(api.get("/identities", &backend).await.0, 200);
    let (status, body) = api.get("/identities", &backend).await;
    assert_eq!((status, code(&body)), (429, "api_keys.rate_limited"));
    assert_eq!(
        api.post("/permissions/evaluate", &backend, check.clone())
            .await
            .0,
        200,
        "the general budget spent, evaluation goes on"
    );
    // Its own budget is a limit too.
    app.services.evaluate_rate.set_per_minute(3);
    for _ in 0..3 {
        assert_eq!(
            api.post("/permissions/evaluate", &backend, check.clone())
                .await
                .0,
            200
        );
    }
    let (status, body) = api.post("/permissions/evaluate", &backend, check).await;
    assert_eq!((status, code(&body)), (429, "api_keys.rate_limited"));
}
