//! Role assignments and evaluation over the stored data.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp, sign_in_form};
use serde_json::{Value, json};
use time::Duration;

on_both_engines!(
    assignments_enforce_membership_role_and_uniqueness,
    evaluation_walks_the_tree_and_explains,
    bulk_change_role_and_remove_report_each_row,
    node_detail_separates_direct_inherited_and_lifecycle
);

fn env() -> Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": "development" })
}

/// Two identities written directly (the identity services come with their issue): Pat is an
/// active member of the application, Sam is in the directory only.
async fn seed_identities(app: &TestApp) {
    let db = app.services.db.reader();
    let account: String = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_one(db)
        .await
        .unwrap_or_default();
    let application: String = sqlx::query_scalar("SELECT id FROM applications")
        .fetch_one(db)
        .await
        .unwrap_or_default();
    for sql in [
        format!(
            "INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) VALUES ('{account}', 'pat', 'pat@example.com', 'Pat', 'Lee', 'active', 0, 0)"
        ),
        format!(
            "INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) VALUES ('{account}', 'sam', 'sam@example.com', 'Sam', 'Roe', 'active', 0, 0)"
        ),
        format!(
            "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, created_at, updated_at) VALUES ('{account}', 'm-pat', 'pat', '{application}', 'active', 0, 0)"
        ),
    ] {
        sqlx::query(&sql)
            .execute(db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

async fn setup(app: &TestApp) -> (reqwest::Client, String, String, String, String) {
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    seed_identities(app).await;
    app.call(
        &admin,
        "create_permission_group",
        json!({ "env": env(), "form": { "resource": "invoice", "actions": ["read", "approve"] } }),
    )
    .await;
    let role = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env(), "form": { "name": "Editor" } }),
        )
        .await;
    let role = role.body["id"].as_str().unwrap_or_default().to_owned();
    app.call(
        &admin,
        "set_role_permissions",
        json!({ "env": env(), "id": role, "permission_keys": ["invoice.read"] }),
    )
    .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": env() })).await;
    let on = app
        .call(
            &admin,
            "enable_hierarchy",
            json!({ "env": env(), "version": view.body["environment_version"], "schema": null }),
        )
        .await;
    let root = on.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let emea = app.call(&admin, "create_node", json!({ "env": env(), "parent_node_id": root, "form": { "name": "EMEA", "node_type": "region" } })).await;
    let emea = emea.body["id"].as_str().unwrap_or_default().to_owned();
    let paris = app.call(&admin, "create_node", json!({ "env": env(), "parent_node_id": emea, "form": { "name": "Paris", "node_type": "team" } })).await;
    let paris = paris.body["id"].as_str().unwrap_or_default().to_owned();
    (admin, role, root, emea, paris)
}

async fn assignments_enforce_membership_role_and_uniqueness(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, _root, emea, _paris) = setup(&app).await;
    let assign = |identity: &str, role: &str, node: &str, from: Option<&str>, to: Option<&str>| {
        app.call(&admin, "create_assignment", json!({ "env": env(), "form": {
            "identity_id": identity, "role_id": role, "node_id": node, "effective_from": from, "effective_to": to } }))
    };
    let created = assign("pat", &role, &emea, None, None).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["role_name"], "Editor");
    assert_eq!(created.body["node_name"], "EMEA");
    assert_eq!(
        assign("pat", &role, &emea, None, None).await.code(),
        "rbac.assignment_conflict"
    );
    assert_eq!(
        assign("sam", &role, &emea, None, None).await.code(),
        "assignments.membership_required"
    );
    assert_eq!(
        assign("nobody", &role, &emea, None, None).await.code(),
        "identities.not_found"
    );
    assert_eq!(
        assign("pat", "no-role", &emea, None, None).await.code(),
        "roles.not_found"
    );
    assert_eq!(
        assign("pat", &role, "no-node", None, None).await.code(),
        "nodes.not_found"
    );
    let backwards = assign(
        "pat",
        &role,
        &emea,
        Some("2027-01-01T00:00:00Z"),
        Some("2026-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(backwards.code(), "validation.invalid_input");

    let viewer = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env(), "form": { "name": "Viewer" } }),
        )
        .await;
    let viewer_id = viewer.body["id"].as_str().unwrap_or_default().to_owned();
    app.call(&admin, "update_role", json!({ "env": env(), "id": viewer_id, "version": 1, "form": { "name": "Viewer" }, "active": false })).await;
    assert_eq!(
        assign("pat", &viewer_id, &emea, None, None).await.code(),
        "rbac.role_inactive"
    );

    let scheduled = assign("pat", &role, &_root, Some("2027-01-01T00:00:00Z"), None).await;
    assert_eq!(scheduled.body["status"], "scheduled");
    let list = app
        .call(
            &admin,
            "identity_assignments",
            json!({ "env": env(), "identity_id": "pat" }),
        )
        .await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(2));

    let id = created.body["id"].clone();
    let changed = app
        .call(&admin, "change_assignment", json!({ "env": env(), "id": id, "form": {
            "identity_id": "", "node_id": "", "role_id": role, "effective_to": "2026-11-28T09:00:00Z" } }))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["effective_to"], "2026-11-28T09:00:00Z");
    app.clock.advance(Duration::days(2));
    // Two days is past the session's idle limit: sign in again.
    app.call(&admin, "sign_in", sign_in_form("ada@example.com", PASSWORD))
        .await;
    let later = app
        .call(
            &admin,
            "identity_assignments",
            json!({ "env": env(), "identity_id": "pat" }),
        )
        .await;
    assert_eq!(
        later.body[0]["status"], "expired",
        "status is computed from the clock at read time"
    );
    assert_eq!(
        app.call(
            &admin,
            "remove_assignment",
            json!({ "env": env(), "id": id })
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.call(
            &admin,
            "remove_assignment",
            json!({ "env": env(), "id": id })
        )
        .await
        .code(),
        "assignments.not_found"
    );
    assert_eq!(
        app.count("audit_events WHERE action LIKE 'assignment.%'")
            .await,
        4
    );
}

async fn evaluation_walks_the_tree_and_explains(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root, emea, paris) = setup(&app).await;
    let created = app
        .call(&admin, "create_assignment", json!({ "env": env(), "form": {
            "identity_id": "pat", "role_id": role, "node_id": emea, "effective_to": "2026-12-01T00:00:00Z" } }))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let check = |identity: &str, permission: &str, node: Option<&str>| {
        app.call(&admin, "check_access", json!({ "env": env(), "identity_id": identity, "permission": permission, "node_id": node }))
    };
    let at_paris = check("pat", "invoice.read", Some(&paris)).await;
    assert_eq!(at_paris.body["allowed"], true, "{}", at_paris.body);
    assert_eq!(
        at_paris.body["path"],
        json!([emea, paris]),
        "granted at EMEA, inherited by Paris"
    );
    assert_eq!(at_paris.body["granting_roles"][0]["name"], "Editor");
    assert_eq!(
        check("pat", "invoice.read", Some(&root)).await.body["denial_reason"],
        "no_active_assignment"
    );
    assert_eq!(
        check("pat", "invoice.approve", Some(&paris)).await.body["denial_reason"],
        "permission_not_granted"
    );
    assert_eq!(
        check("sam", "invoice.read", Some(&paris)).await.body["denial_reason"],
        "membership_inactive"
    );
    assert_eq!(
        check("ghost", "invoice.read", Some(&paris)).await.body["denial_reason"],
        "identity_not_found"
    );
    assert_eq!(
        check("pat", "invoice.read", Some("nowhere")).await.body["denial_reason"],
        "node_not_found"
    );
    assert_eq!(
        check("pat", "invoice.read", None).await.body["allowed"],
        true,
        "app-wide"
    );

    // Deactivating EMEA shuts its whole subtree.
    let emea_node = app
        .call(
            &admin,
            "update_node",
            json!({ "env": env(), "id": emea, "version": 1, "name": "EMEA", "active": false }),
        )
        .await;
    assert_eq!(emea_node.status, 200);
    assert_eq!(
        check("pat", "invoice.read", Some(&paris)).await.body["denial_reason"],
        "node_inactive"
    );
    app.call(
        &admin,
        "update_node",
        json!({ "env": env(), "id": emea, "version": 2, "name": "EMEA", "active": true }),
    )
    .await;
    assert_eq!(
        check("pat", "invoice.read", Some(&paris)).await.body["allowed"],
        true
    );

    // After its end the assignment grants nothing.
    app.clock.advance(Duration::days(5));
    app.call(&admin, "sign_in", sign_in_form("ada@example.com", PASSWORD))
        .await;
    let expired = check("pat", "invoice.read", Some(&paris)).await;
    assert_eq!(expired.body["allowed"], false);
    assert_eq!(expired.body["denial_reason"], "no_active_assignment");
}

async fn bulk_change_role_and_remove_report_each_row(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root, emea, paris) = setup(&app).await;
    let mut ids = Vec::new();
    for node in [&root, &emea, &paris] {
        let created = app
            .call(
                &admin,
                "create_assignment",
                json!({ "env": env(), "form": {
                "identity_id": "pat", "role_id": role, "node_id": node } }),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let viewer = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env(), "form": { "name": "Viewer" } }),
        )
        .await;
    let viewer = viewer.body["id"].as_str().unwrap_or_default().to_owned();
    let outcome_codes = |reply: &crate::support::Reply| -> Vec<String> {
        reply
            .body
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|row| match row["outcome"].get("Err") {
                        Some(error) => {
                            serde_json::from_value::<app::error::AppError>(error.clone())
                                .map_or_else(
                                    |e| format!("undecodable: {e}"),
                                    |e| e.code().to_owned(),
                                )
                        }
                        None => "ok".to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let changed = app
        .call(
            &admin,
            "bulk_change_assignment_role",
            json!({ "env": env(), "ids": [ids[0], "missing", ids[1]], "role_id": viewer }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        outcome_codes(&changed),
        ["ok", "assignments.not_found", "ok"]
    );
    assert_eq!(changed.body[0]["outcome"]["Ok"]["role_name"], "Viewer");
    assert_eq!(
        app.count(&format!("assignments WHERE role_id = '{viewer}'"))
            .await,
        2
    );

    let removed = app
        .call(
            &admin,
            "bulk_remove_assignments",
            json!({ "env": env(), "ids": [ids[2], ids[2]] }),
        )
        .await;
    assert_eq!(
        outcome_codes(&removed),
        ["ok", "assignments.not_found"],
        "the second removal of the same id finds nothing"
    );
    assert_eq!(app.count("assignments").await, 2);

    // Bulk create: each row stands alone; a conflict and a non-member are reported, the rest land.
    let created = app
        .call(
            &admin,
            "bulk_create_assignments",
            json!({ "env": env(), "forms": [
                { "identity_id": "pat", "role_id": role, "node_id": paris },
                { "identity_id": "pat", "role_id": role, "node_id": paris },
                { "identity_id": "sam", "role_id": role, "node_id": paris },
                { "identity_id": "pat", "role_id": "", "node_id": paris },
            ] }),
        )
        .await;
    assert_eq!(
        outcome_codes(&created),
        [
            "ok",
            "rbac.assignment_conflict",
            "assignments.membership_required",
            "validation.invalid_input"
        ]
    );
    assert_eq!(app.count("assignments").await, 3);
}

async fn node_detail_separates_direct_inherited_and_lifecycle(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root, emea, paris) = setup(&app).await;
    let assign = |node: &str, from: Option<&str>, to: Option<&str>, role: &str| {
        app.call(&admin, "create_assignment", json!({ "env": env(), "form": {
            "identity_id": "pat", "role_id": role, "node_id": node, "effective_from": from, "effective_to": to } }))
    };
    let viewer = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env(), "form": { "name": "Viewer" } }),
        )
        .await;
    let viewer = viewer.body["id"].as_str().unwrap_or_default().to_owned();
    let auditor = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env(), "form": { "name": "Auditor" } }),
        )
        .await;
    let auditor = auditor.body["id"].as_str().unwrap_or_default().to_owned();
    // Clock: 2026-11-27 09:00. Direct on Paris, ending in 3 days (expiring soon); inherited from
    // EMEA, open-ended; from the root, scheduled; and an expired one on Paris.
    for reply in [
        assign(&paris, None, Some("2026-11-30T09:00:00Z"), &role).await,
        assign(&emea, None, None, &viewer).await,
        assign(&root, Some("2027-01-01T00:00:00Z"), None, &role).await,
        assign(
            &paris,
            Some("2026-01-01T00:00:00Z"),
            Some("2026-02-01T00:00:00Z"),
            &auditor,
        )
        .await,
    ] {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let detail = app
        .call(
            &admin,
            "node_access",
            json!({ "env": env(), "node_id": paris }),
        )
        .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["path"], json!(["Engines", "EMEA", "Paris"]));
    assert_eq!(
        detail.body["summary"],
        json!({ "identities_with_access": 1, "active": 2, "scheduled": 1, "expired": 1, "expiring_soon": 1 })
    );
    let entries = detail.body["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let described: Vec<(String, bool, bool, String)> = entries
        .iter()
        .map(|e| {
            (
                e["assignment"]["role_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["inherited"].as_bool().unwrap_or_default(),
                e["expiring_soon"].as_bool().unwrap_or_default(),
                e["assignment"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let row = |role: &str, inherited: bool, soon: bool, status: &str| {
        (role.to_owned(), inherited, soon, status.to_owned())
    };
    assert_eq!(
        described,
        [
            row("Auditor", false, false, "expired"),
            row("Editor", false, true, "active"),
            row("Viewer", true, false, "active"),
            row("Editor", true, false, "scheduled"),
        ],
        "direct first, then the nearest ancestor's"
    );
    assert_eq!(entries[0]["identity_email"], "pat@example.com");
    // At EMEA the Paris assignments do not count: access flows down, not up.
    let at_emea = app
        .call(
            &admin,
            "node_access",
            json!({ "env": env(), "node_id": emea }),
        )
        .await;
    assert_eq!(at_emea.body["summary"]["active"], 1);
    assert_eq!(
        app.call(
            &admin,
            "node_access",
            json!({ "env": env(), "node_id": "nowhere" })
        )
        .await
        .code(),
        "nodes.not_found"
    );
}
