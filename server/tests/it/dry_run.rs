//! `?dry_run=true` on the three bulk-create endpoints: the same verdicts as the real run that
//! follows it (codes and order, in-batch and directory duplicates included), and nothing written
//! — every table of the database counted before and after, an `Idempotency-Key` ignored.

use crate::api::{api, env, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    a_dry_run_answers_what_the_real_run_then_does,
    a_dry_run_writes_nothing,
    the_wizard_server_functions_run_the_bulk_services_and_record_one_summary
);

struct Setup {
    engine: Engine,
    app: TestApp,
    admin: reqwest::Client,
    key: String,
    role: String,
    root: String,
}

async fn setup(engine: Engine) -> Setup {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let key = key(&app, &admin, "development", json!({ "name": "Import" })).await;
    let role = app
        .role_granting(&admin, &env("development"), "Clerk", &["invoice.read"])
        .await;
    let (_, nodes) = api(&app).get("/nodes", &key).await;
    let root = nodes["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Setup {
        engine,
        app,
        admin,
        key,
        role,
        root,
    }
}

impl Setup {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        api(&self.app).post(path, &self.key, body).await
    }

    /// Every table's row count, by name.
    async fn census(&self) -> Vec<(String, i64)> {
        let tables = match self.engine {
            Engine::Sqlite => {
                self.app
                    .strings(
                        "SELECT name FROM sqlite_master WHERE type = 'table' \
                         AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    )
                    .await
            }
            Engine::Postgres => {
                self.app
                    .strings(
                        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                         WHERE table_schema = 'public' ORDER BY table_name",
                    )
                    .await
            }
        };
        let mut counts = Vec::new();
        for table in tables {
            let n = self.app.count(&table).await;
            counts.push((table, n));
        }
        counts
    }
}

/// The status and the per-row `(index, status, code)` of a bulk answer.
fn verdicts(status: u16, body: &Value) -> (u16, Vec<(u64, String, String)>) {
    let rows = body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap_or(u64::MAX),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (status, rows)
}

/// Dry, then real, on the same body: the verdicts agree, and the dry run's summary says it was one.
async fn dry_then_real(t: &Setup, path: &str, body: Value) -> (u16, Vec<(u64, String, String)>) {
    let (dry_status, dry) = t.post(&format!("{path}?dry_run=true"), body.clone()).await;
    assert_eq!(dry["summary"]["dry_run"], json!(true), "{dry}");
    let (real_status, real) = t.post(path, body).await;
    assert!(real["summary"].get("dry_run").is_none(), "{real}");
    let dry = verdicts(dry_status, &dry);
    assert_eq!(dry, verdicts(real_status, &real), "{path}");
    dry
}

fn codes(verdicts: &(u16, Vec<(u64, String, String)>)) -> Vec<&str> {
    verdicts
        .1
        .iter()
        .map(|(_, _, code)| code.as_str())
        .collect()
}

async fn a_dry_run_answers_what_the_real_run_then_does(engine: Engine) {
    let t = setup(engine).await;
    let (status, _) = t
        .post(
            "/identities",
            json!({ "email": "kim@example.com", "first_name": "Kim", "last_name": "Ode" }),
        )
        .await;
    assert_eq!(status, 201);

    let identities = json!({ "identities": [
        { "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee",
          "role_id": t.role, "node_id": t.root },
        { "email": "not-an-email", "first_name": "Bad", "last_name": "Row" },
        { "email": "PAT@example.com", "first_name": "Pat", "last_name": "Again" },
        { "email": "kim@example.com", "first_name": "Kim", "last_name": "Ode" },
        { "email": "sam@example.com", "first_name": "Sam", "last_name": "Ortiz",
          "password": "violet-harbor-lantern-42" },
        { "email": "lou@example.com", "first_name": "Lou", "last_name": "Ng",
          "role_id": "0193a1f0-1111-7a00-8c3e-5d2b7f0a9c42", "node_id": t.root },
    ] });
    let seen = dry_then_real(&t, "/identities/bulk-create", identities).await;
    assert_eq!(seen.0, 207);
    assert_eq!(
        codes(&seen),
        [
            "identities.created",
            "validation.invalid_input",
            "identities.email_taken",
            "identities.email_taken",
            "identities.created",
            "roles.not_found",
        ],
    );

    let invites = json!({ "invites": [
        { "email": "ana@example.com", "first_name": "Ana", "last_name": "Park" },
        { "email": "ana@example.com", "first_name": "Ana", "last_name": "Twice" },
        { "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee" },
        { "email": "bo@example.com", "first_name": "Bo", "last_name": "Li",
          "role_id": t.role, "node_id": t.root, "send_email": false },
        { "email": "" },
    ] });
    let seen = dry_then_real(&t, "/identity-invites/bulk-create", invites).await;
    let invited = codes(&seen);
    assert_eq!(&invited[..2], ["invites.created", "invites.pending_exists"]);
    // Pat is already a member of the application.
    assert_ne!(invited[2], "invites.created");
    assert_eq!(
        &invited[3..],
        ["invites.created", "validation.invalid_input"]
    );

    let members = t
        .app
        .strings("SELECT id FROM identities WHERE email IN ('kim@example.com', 'sam@example.com') ORDER BY email")
        .await;
    let row =
        |identity: &str| json!({ "identity_id": identity, "role_id": t.role, "node_id": t.root });
    let assignments = json!({ "assignments": [
        row(&members[0]),
        row(&members[0]),
        row(&members[1]),
        row("0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01"),
    ] });
    let seen = dry_then_real(&t, "/assignments/bulk-create", assignments).await;
    assert_eq!(
        codes(&seen),
        [
            "assignments.created",
            "rbac.assignment_conflict",
            "assignments.created",
            "identities.not_found",
        ],
    );
}

async fn a_dry_run_writes_nothing(engine: Engine) {
    let t = setup(engine).await;
    let before = t.census().await;
    let http = reqwest::Client::new();
    let mut bodies = vec![
        (
            "identities/bulk-create",
            json!({ "identities": [
                { "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee",
                  "password": "violet-harbor-lantern-42", "role_id": t.role, "node_id": t.root },
            ] }),
        ),
        (
            "identity-invites/bulk-create",
            json!({ "invites": [{ "email": "ana@example.com", "role_id": t.role, "node_id": t.root }] }),
        ),
    ];
    // An assignment needs a member; the only one is the dry run's, which is never there.
    bodies.push((
        "assignments/bulk-create",
        json!({ "assignments": [{ "identity_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01",
            "role_id": t.role, "node_id": t.root }] }),
    ));
    for (path, body) in bodies {
        let response = http
            .post(format!("{}/api/v1/{path}?dry_run=true", t.app.base))
            .header("X-API-Key", &t.key)
            .header("Idempotency-Key", "dry-1")
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(response.status().is_success(), "{path}");
        assert!(response.headers().get("idempotent-replayed").is_none());
        let answer: Value = response.json().await.unwrap_or_default();
        assert_eq!(answer["summary"]["dry_run"], json!(true), "{answer}");
        // A dry run never hands out a link whose token was never kept.
        assert!(
            answer["results"][0]["data"]
                .get("accept_url")
                .is_none_or(Value::is_null)
        );
    }
    let after = t.census().await;
    // The API key's `last_used_at` may change; no table gains or loses a row.
    assert_eq!(before, after);
    assert!(before.iter().any(|(t, _)| t == "audit_events"));

    // The query takes only `dry_run`.
    let (status, body) = t
        .post("/identities/bulk-create?dry=1", json!({ "identities": [] }))
        .await;
    assert_eq!(status, 400, "{body}");
}

/// The wizard's batch server functions: a dry run then a real one of the Account tier's bulk
/// create agree and only the real one writes; `record_csv_import` writes one `import.completed`.
async fn the_wizard_server_functions_run_the_bulk_services_and_record_one_summary(engine: Engine) {
    let t = setup(engine).await;
    let forms = json!([
        { "email": "ana@example.com", "first_name": "Ana", "last_name": "Park" },
        { "email": "ANA@example.com", "first_name": "Ana", "last_name": "Twice" },
        { "email": "bo@example.com", "first_name": "Bo", "last_name": "Li",
          "application_id": "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01" },
    ]);
    let outcome = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|row| match row["outcome"].get("Ok") {
                Some(_) => "ok".to_owned(),
                None => row["outcome"]["Err"].to_string(),
            })
            .collect()
    };
    let identities = t.app.count("identities").await;
    let dry = t
        .app
        .call(
            &t.admin,
            "import_directory_identities",
            json!({ "account": "engines", "forms": forms, "dry_run": true }),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(t.app.count("identities").await, identities);
    let real = t
        .app
        .call(
            &t.admin,
            "import_directory_identities",
            json!({ "account": "engines", "forms": forms, "dry_run": false }),
        )
        .await;
    assert_eq!(outcome(&dry.body), outcome(&real.body));
    assert_eq!(outcome(&real.body)[0], "ok");
    assert_eq!(t.app.count("identities").await, identities + 1);

    let invites = t
        .app
        .call(&t.admin, "import_invites", json!({ "env": env("development"), "forms": [{ "email": "cy@example.com" }], "dry_run": true }))
        .await;
    assert_eq!(invites.status, 200, "{}", invites.body);
    assert_eq!(t.app.count("identity_invites").await, 0);
    assert_eq!(t.app.count("outbox").await, 0);

    let summary =
        json!({ "total": 3, "succeeded": 1, "failed": 2, "skipped": 0, "cancelled": false });
    let recorded = t
        .app
        .call(
            &t.admin,
            "record_csv_import",
            json!({ "account": "engines", "env": null, "mode": "account", "summary": summary }),
        )
        .await;
    assert_eq!(recorded.status, 200, "{}", recorded.body);
    assert_eq!(
        t.app
            .count("audit_events WHERE action = 'import.completed'")
            .await,
        1
    );
    let metadata = t
        .app
        .strings("SELECT metadata FROM audit_events WHERE action = 'import.completed'")
        .await;
    assert!(
        metadata[0].contains("\"failed\":2") || metadata[0].contains("\"failed\": 2"),
        "{metadata:?}"
    );
    // Counts that do not add up are refused.
    let bad = json!({ "total": 1, "succeeded": 1, "failed": 1, "skipped": 0, "cancelled": false });
    let refused = t
        .app
        .call(&t.admin, "record_csv_import", json!({ "account": "engines", "env": env("development"), "mode": "create", "summary": bad }))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
}
