//! Tenant › Audit log and `GET /api/v1/audit-events`: each filter, keyset paging that stays stable
//! while events arrive, the detail with its correlated events, the CSV (formula-safe) and JSON
//! Lines exports, the retention setting (audited) and its purge.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::services::audit::{self, Actor, Event};
use serde_json::{Value, json};
use time::Duration;

on_both_engines!(
    every_filter_narrows_the_log,
    cursor_paging_is_stable_while_events_arrive,
    exports_stream_csv_and_json_lines,
    retention_is_audited_and_purges_older_events,
    the_api_reads_its_environment_with_cursors
);

const ACCOUNT: &str = "engines";

async fn account_id(app: &TestApp) -> String {
    app.strings("SELECT id FROM accounts").await.remove(0)
}

/// Appends `n` events at the clock's time, in one transaction.
async fn record(app: &TestApp, n: usize, label: &str) {
    let account = account_id(app).await;
    let mut tx = app
        .services
        .db
        .begin()
        .await
        .unwrap_or_else(|e| panic!("begin: {e:?}"));
    for i in 0..n {
        let event = Event::new(&account, &Actor::System, "test.recorded", "test").resource(
            "thing",
            &format!("{label}-{i}"),
            label,
        );
        audit::record(
            &mut tx,
            app.services.new_id(),
            app.services.now(),
            &app.services.new_id(),
            event,
        )
        .await
        .unwrap_or_else(|e| panic!("record: {e:?}"));
    }
    tx.commit()
        .await
        .unwrap_or_else(|e| panic!("commit: {e:?}"));
}

async fn list(
    app: &TestApp,
    admin: &reqwest::Client,
    filter: Value,
    cursor: Option<&str>,
) -> Value {
    let reply = app
        .call(
            admin,
            "list_audit_events",
            json!({ "account": ACCOUNT, "filter": filter, "cursor": cursor }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn every_filter_narrows_the_log(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let signup_end = app.services.now();
    app.clock.advance(Duration::minutes(10));
    let env = crate::api::env("production");
    let role = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env, "form": { "name": "Editor" } }),
        )
        .await;
    assert_eq!(role.status, 200, "{}", role.body);
    let role_id = role.body["id"].as_str().unwrap_or_default().to_owned();
    app.clock.advance(Duration::minutes(10));
    let key = crate::api::key(
        &app,
        &admin,
        "development",
        json!({ "name": "Backend", "expires": "never" }),
    )
    .await;
    let by_key = app
        .client()
        .post(format!("{}/api/v1/roles", app.base))
        .header("X-API-Key", &key)
        .json(&json!({ "name": "Auditor" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST: {e}"));
    assert_eq!(by_key.status().as_u16(), 201);

    // Newest first, everything.
    let all = list(&app, &admin, json!({}), None).await;
    let everything = actions(&all);
    assert_eq!(everything[0], "role.created");
    assert!(everything.contains(&"account.created".to_owned()));
    assert_eq!(all["next_cursor"], Value::Null);

    let count = |filter: Value| {
        let (app, admin) = (&app, &admin);
        async move { actions(&list(app, admin, filter, None).await).len() }
    };
    assert_eq!(count(json!({ "actor_type": "api_key" })).await, 1);
    assert_eq!(count(json!({ "action": "role.created" })).await, 2);
    assert_eq!(
        count(json!({ "category": "tenancy" })).await,
        4,
        "account, application, 2 environments"
    );
    assert_eq!(
        count(json!({ "resource_type": "role", "resource_id": role_id })).await,
        1
    );
    let prod = app
        .strings("SELECT id FROM environments WHERE slug = 'production'")
        .await
        .remove(0);
    let app_id = app.strings("SELECT id FROM applications").await.remove(0);
    assert_eq!(
        count(json!({ "environment_id": prod, "action": "role.created" })).await,
        1
    );
    assert_eq!(
        count(json!({ "application_id": app_id, "category": "tenancy" })).await,
        3
    );
    let admin_id = app.strings("SELECT id FROM admin_users").await.remove(0);
    assert_eq!(
        count(json!({ "actor_id": admin_id, "action": "role.created" })).await,
        1
    );
    // Time range: from inclusive, to exclusive.
    let after_signup = (signup_end + Duration::minutes(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let between = (signup_end + Duration::minutes(15))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    assert_eq!(
        count(json!({ "from": after_signup, "to": between })).await,
        1,
        "the admin's role only"
    );
    assert_eq!(
        count(json!({ "to": after_signup })).await,
        everything.len() - 3
    );

    // The detail links the events of one operation.
    let first_created = app
        .strings("SELECT id FROM audit_events WHERE action = 'account.created'")
        .await
        .remove(0);
    let detail = app
        .call(
            &admin,
            "audit_event_detail",
            json!({ "account": ACCOUNT, "id": first_created }),
        )
        .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let related = detail.body["related"].as_array().map_or(0, Vec::len);
    assert_eq!(
        related, 4,
        "owner, application and two environments of the same sign-up"
    );
    let correlation = detail.body["event"]["correlation_id"].clone();
    assert_eq!(count(json!({ "correlation_id": correlation })).await, 5);

    // A bad filter is refused with the field named.
    let bad = app
        .call(
            &admin,
            "list_audit_events",
            json!({ "account": ACCOUNT, "filter": { "actor_type": "robot" }, "cursor": null }),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.error().field_message("actor_type").is_some());
    // Reading is not audited.
    let before = app.count("audit_events").await;
    list(&app, &admin, json!({}), None).await;
    assert_eq!(app.count("audit_events").await, before);
}

async fn cursor_paging_is_stable_while_events_arrive(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    // 120 events within one millisecond: the id breaks the ties.
    record(&app, 120, "old").await;
    let filter = json!({ "action": "test.recorded" });
    let first = list(&app, &admin, filter.clone(), None).await;
    assert_eq!(actions(&first).len(), 50);
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|e| e["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    // New events arrive between pages: they are newer than the cursor, so they never shift it.
    app.clock.advance(Duration::seconds(1));
    record(&app, 30, "new").await;
    while let Some(c) = cursor {
        let page = list(&app, &admin, filter.clone(), Some(&c)).await;
        for event in page["items"].as_array().cloned().unwrap_or_default() {
            assert_eq!(event["resource_label"], "old");
            seen.push(event["id"].as_str().unwrap_or_default().to_owned());
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let mut expected = app
        .strings("SELECT id FROM audit_events WHERE resource_label = 'old'")
        .await;
    expected.sort();
    expected.reverse();
    assert_eq!(seen, expected, "every old event once, newest first");
    let bad = app
        .call(
            &admin,
            "list_audit_events",
            json!({ "account": ACCOUNT, "filter": {}, "cursor": "bm90LWEtY3Vyc29y" }),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.error().field_message("cursor").is_some());
}

async fn exports_stream_csv_and_json_lines(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    record(&app, 450, "=HYPERLINK(\"http://evil\")").await;
    let url = |format: &str| {
        format!(
            "{}/{ACCOUNT}/billing-portal/development/audit-log/export?format={format}&action=test.recorded",
            app.base
        )
    };
    let csv = admin
        .get(url("csv"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(csv.status().as_u16(), 200);
    let headers = csv.headers().clone();
    assert!(
        headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        headers[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or_default()
            .contains("attachment")
    );
    let text = csv.text().await.unwrap_or_default();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 451, "the header and every event, across pages");
    assert!(lines[0].starts_with("\"id\",\"created_at\",\"actor_type\""));
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{}",
        lines[1]
    );
    assert!(!text.contains(",\"=HYPERLINK"), "no cell starts a formula");

    let jsonl = admin
        .get(url("jsonl"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(jsonl.status().as_u16(), 200);
    let text = jsonl.text().await.unwrap_or_default();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events.len(), 450);
    assert_eq!(
        events[0]["resource_label"], "=HYPERLINK(\"http://evil\")",
        "JSON keeps the value"
    );

    // Signed out: 401; another account's slug: 404; a bad filter: 400 — never a broken file.
    let anonymous = app
        .client()
        .get(url("csv"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(anonymous.status().as_u16(), 401);
    let elsewhere = admin
        .get(format!(
            "{}/other/billing-portal/development/audit-log/export?format=csv",
            app.base
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(elsewhere.status().as_u16(), 404);
    let bad = admin
        .get(format!("{}&from=yesterday", url("csv")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(bad.status().as_u16(), 400);
}

async fn retention_is_audited_and_purges_older_events(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let current = app
        .call(&admin, "audit_retention", json!({ "account": ACCOUNT }))
        .await;
    assert_eq!(current.body["days"], 365);
    let refused = app
        .call(
            &admin,
            "set_audit_retention",
            json!({ "account": ACCOUNT, "form": { "days": "3" } }),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.error().field_message("days").is_some());
    let set = app
        .call(
            &admin,
            "set_audit_retention",
            json!({ "account": ACCOUNT, "form": { "days": "30" } }),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let metadata = app
        .strings("SELECT metadata FROM audit_events WHERE action = 'audit.retention_changed'")
        .await;
    let metadata: Value = serde_json::from_str(&metadata[0]).unwrap_or_default();
    assert_eq!(metadata["before"]["retention_days"], 365);
    assert_eq!(metadata["after"]["retention_days"], 30);

    // 2,500 events 40 days old (more than two purge batches), 10 from today.
    app.clock.advance(Duration::days(1));
    record(&app, 2_500, "old").await;
    app.clock.advance(Duration::days(40));
    record(&app, 10, "recent").await;
    let purged = app::services::audit_log::purge_expired(&app.services)
        .await
        .unwrap_or_else(|e| panic!("purge: {e:?}"));
    assert_eq!(
        purged,
        2_500 + 6,
        "the old events, the sign-up's five and the retention change"
    );
    assert_eq!(
        app.count("audit_events WHERE resource_label = 'old'").await,
        0
    );
    assert_eq!(
        app.count("audit_events WHERE resource_label = 'recent'")
            .await,
        10
    );
    assert_eq!(
        app::services::audit_log::purge_expired(&app.services)
            .await
            .ok(),
        Some(0)
    );
}

async fn the_api_reads_its_environment_with_cursors(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    for name in ["A", "B", "C"] {
        app.call(
            &admin,
            "create_role",
            json!({ "env": crate::api::env("development"), "form": { "name": name } }),
        )
        .await;
    }
    app.call(
        &admin,
        "create_role",
        json!({ "env": crate::api::env("production"), "form": { "name": "P" } }),
    )
    .await;
    let key = crate::api::key(
        &app,
        &admin,
        "development",
        json!({ "name": "Auditor", "expires": "never", "scopes": ["audit.read"] }),
    )
    .await;
    let get = |query: String| {
        let (app, key) = (&app, key.clone());
        async move {
            let response = app
                .client()
                .get(format!("{}/api/v1/audit-events{query}", app.base))
                .header("X-API-Key", key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET: {e}"));
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, first) = get("?action=role.created&limit=2".into()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(actions(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let (_, second) = get(format!("?action=role.created&limit=2&cursor={cursor}")).await;
    assert_eq!(
        actions(&second).len(),
        1,
        "the production role is not the key's"
    );
    assert_eq!(second["next_cursor"], Value::Null);
    let (_, everything) = get(String::new()).await;
    let dev = app
        .strings("SELECT id FROM environments WHERE slug = 'development'")
        .await
        .remove(0);
    for event in everything["items"].as_array().cloned().unwrap_or_default() {
        assert_eq!(event["environment_id"], dev.as_str());
    }
    let (status, bad) = get("?limit=500".into()).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("validation.invalid_input"))
    );
    let (status, bad) = get("?sort=asc".into()).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("request.malformed"))
    );
    let without = crate::api::key(
        &app,
        &admin,
        "development",
        json!({ "name": "Roles", "expires": "never", "scopes": ["role.read"] }),
    )
    .await;
    let refused = app
        .client()
        .get(format!("{}/api/v1/audit-events", app.base))
        .header("X-API-Key", without)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(refused.status().as_u16(), 403);
}
