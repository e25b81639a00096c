//! Roles, permissions and nodes over the REST API (real HTTP, both engines): collections with
//! pagination, ETag / If-Match on every change (428 without, 409 when stale), system items
//! read-only, per-row answers for a batch of permissions, and the hierarchy's rules (types,
//! cycles, leaves) as the dashboard has them.

use crate::api::{api, code, env, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    permissions_batch_etags_and_system_items,
    roles_with_if_match_and_their_permissions,
    nodes_create_move_ancestors_and_delete,
    concurrent_changes_with_if_match_any_all_apply
);

/// An answer of the REST API with its `ETag`.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) etag: Option<String>,
}

/// `method path` with `key`, an optional `If-Match` and an optional JSON body.
pub(crate) async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/api/v1{path}", app.base))
        .header("X-API-Key", key);
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    Reply { status, body, etag }
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap_or_default().to_owned()
}

async fn permissions_batch_etags_and_system_items(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;

    let batch = json!({ "permissions": [
        { "key": "report.read", "description": "Read reports", "category": "Reports" },
        { "key": "identity.read" },
        { "key": "Bad Key" },
        { "key": "report.read" },
        { "key": "report.export", "category": "Reports" },
    ]});
    let created = call(&app, "POST", "/permissions", &full, None, Some(batch)).await;
    assert_eq!(created.status, 207, "{}", created.body);
    assert_eq!(
        created.body["summary"],
        json!({ "total": 5, "succeeded": 2, "failed": 3 })
    );
    let codes: Vec<&str> = created.body["results"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["code"].as_str().unwrap_or(""))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        codes,
        [
            "permissions.created",
            "permissions.key_taken",
            "validation.invalid_input",
            "permissions.key_taken",
            "permissions.created"
        ]
    );
    let report = id(&created.body["results"][0]["data"]);

    // The collection envelope, filtered and paged.
    let listed = call(
        &app,
        "GET",
        "/permissions?q=report&take=1",
        &full,
        None,
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed.body["pagination"],
        json!({ "page": 1, "take": 1, "item_count": 2, "page_count": 2,
                "has_previous_page": false, "has_next_page": true })
    );
    let bad = call(&app, "GET", "/permissions?take=101", &full, None, None).await;
    assert_eq!(
        (bad.status, code(&bad.body)),
        (400, "validation.invalid_input")
    );

    let shown = call(
        &app,
        "GET",
        &format!("/permissions/{report}"),
        &full,
        None,
        None,
    )
    .await;
    assert_eq!(shown.etag.as_deref(), Some("\"1\""));
    let path = format!("/permissions/{report}");
    let patch = json!({ "description": "Read every report" });
    let missing = call(&app, "PATCH", &path, &full, None, Some(patch.clone())).await;
    assert_eq!(
        (missing.status, code(&missing.body)),
        (428, "request.precondition_required")
    );
    let stale = call(
        &app,
        "PATCH",
        &path,
        &full,
        Some("\"7\""),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(
        (stale.status, code(&stale.body)),
        (409, "common.version_conflict")
    );
    let changed = call(
        &app,
        "PATCH",
        &path,
        &full,
        Some("\"1\""),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["description"], "Read every report");
    assert_eq!(changed.body["category"], "Reports", "absent fields stay");
    assert_eq!(changed.etag.as_deref(), Some("\"2\""));
    let rekey = call(
        &app,
        "PATCH",
        &path,
        &full,
        Some("*"),
        Some(json!({ "key": "x.y" })),
    )
    .await;
    assert_eq!(
        (rekey.status, code(&rekey.body)),
        (400, "request.malformed")
    );

    // System permissions are read-only.
    let system = call(
        &app,
        "GET",
        "/permissions?q=identity.read",
        &full,
        None,
        None,
    )
    .await;
    let system_id = id(&system.body["items"][0]);
    let locked = call(
        &app,
        "DELETE",
        &format!("/permissions/{system_id}"),
        &full,
        Some("*"),
        None,
    )
    .await;
    assert_eq!(code(&locked.body), "rbac.system_item_readonly");

    let deleted = call(&app, "DELETE", &path, &full, Some("\"2\""), None).await;
    assert_eq!(deleted.status, 204);
    let gone = call(&app, "GET", &path, &full, None, None).await;
    assert_eq!(
        (gone.status, code(&gone.body)),
        (404, "permissions.not_found")
    );

    // A read-only key cannot write; 201 rows are refused before anything runs.
    let reader = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Reader", "scopes": ["permission.read"] }),
    )
    .await;
    let refused = call(
        &app,
        "POST",
        "/permissions",
        &reader,
        None,
        Some(json!({ "permissions": [{ "key": "a.b" }] })),
    )
    .await;
    assert_eq!(
        (refused.status, code(&refused.body)),
        (403, "api_keys.scope_missing")
    );
    let many: Vec<Value> = (0..201)
        .map(|i| json!({ "key": format!("bulk.p{i}") }))
        .collect();
    let too_many = call(
        &app,
        "POST",
        "/permissions",
        &full,
        None,
        Some(json!({ "permissions": many })),
    )
    .await;
    assert_eq!(too_many.status, 400);
    assert_eq!(app.count("permissions WHERE key LIKE 'bulk.%'").await, 0);
}

async fn roles_with_if_match_and_their_permissions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let prod = key(&app, &admin, "production", json!({ "name": "Prod" })).await;
    call(
        &app,
        "POST",
        "/permissions",
        &full,
        None,
        Some(json!({ "permissions": [{ "key": "report.read" }, { "key": "report.export" }] })),
    )
    .await;

    let created = call(
        &app,
        "POST",
        "/roles",
        &full,
        None,
        Some(json!({ "name": "Auditor", "description": "Reads reports" })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.etag.as_deref(), Some("\"1\""));
    let role = id(&created.body);
    let twice = call(
        &app,
        "POST",
        "/roles",
        &full,
        None,
        Some(json!({ "name": "auditor" })),
    )
    .await;
    assert_eq!((twice.status, code(&twice.body)), (409, "roles.name_taken"));
    let empty = call(
        &app,
        "POST",
        "/roles",
        &full,
        None,
        Some(json!({ "name": " " })),
    )
    .await;
    assert_eq!(
        (empty.status, code(&empty.body)),
        (400, "validation.invalid_input")
    );

    let path = format!("/roles/{role}/permissions");
    let set = call(
        &app,
        "PUT",
        &path,
        &full,
        None,
        Some(json!({ "permission_keys": ["report.read", "report.export", "report.read"] })),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["permission_count"], 2);
    let keys = call(&app, "GET", &path, &full, None, None).await;
    assert_eq!(keys.body["items"], json!(["report.export", "report.read"]));
    let unknown = call(
        &app,
        "PUT",
        &path,
        &full,
        None,
        Some(json!({ "permission_keys": ["nope.nothing"] })),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        call(&app, "GET", &path, &full, None, None).await.body["items"],
        json!(["report.export", "report.read"]),
        "a refused set changes nothing"
    );

    let role_path = format!("/roles/{role}");
    let current = call(&app, "GET", &role_path, &full, None, None).await;
    let tag = current.etag.unwrap_or_default();
    let renamed = call(
        &app,
        "PATCH",
        &role_path,
        &full,
        Some(&tag),
        Some(json!({ "name": "Report auditor", "is_active": false })),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        (
            renamed.body["name"].as_str(),
            renamed.body["is_active"].as_bool()
        ),
        (Some("Report auditor"), Some(false))
    );
    assert_eq!(renamed.body["description"], "Reads reports");
    // The tag read before the rename is now stale, for a change and for a delete.
    let stale = call(&app, "DELETE", &role_path, &full, Some(&tag), None).await;
    assert_eq!(
        (stale.status, code(&stale.body)),
        (409, "common.version_conflict")
    );
    let no_tag = call(&app, "DELETE", &role_path, &full, None, None).await;
    assert_eq!(no_tag.status, 428);
    let garbage = call(&app, "DELETE", &role_path, &full, Some("soon"), None).await;
    assert_eq!(
        (garbage.status, code(&garbage.body)),
        (400, "request.malformed")
    );

    // Another environment's key never sees this role.
    let elsewhere = call(&app, "GET", &role_path, &prod, None, None).await;
    assert_eq!(
        (elsewhere.status, code(&elsewhere.body)),
        (404, "roles.not_found")
    );
    let elsewhere = call(&app, "DELETE", &role_path, &prod, Some("*"), None).await;
    assert_eq!(elsewhere.status, 404);

    // An If-Match list (RFC 9110) matches when any of its tags does; tags that name no version
    // of ours are well formed and match nothing.
    let fresh = renamed.etag.unwrap_or_default();
    let none_current = format!("{tag}, \"abc\", W/\"\"");
    let listed = call(&app, "DELETE", &role_path, &full, Some(&none_current), None).await;
    assert_eq!(
        (listed.status, code(&listed.body)),
        (409, "common.version_conflict")
    );
    let with_current = format!("{tag}, {fresh}");
    let deleted = call(&app, "DELETE", &role_path, &full, Some(&with_current), None).await;
    assert_eq!(deleted.status, 204);
    let listed = call(&app, "GET", "/roles?q=auditor", &full, None, None).await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(app.count("role_permissions").await, 0);
}

async fn nodes_create_move_ancestors_and_delete(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = env("development");
    let view = app.call(&admin, "hierarchy", json!({ "env": dev })).await;
    app.call(
        &admin,
        "enable_hierarchy",
        json!({ "env": dev, "version": view.body["environment_version"], "schema": null }),
    )
    .await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let (_, tree) = api.get("/nodes", &full).await;
    let root = id(&tree["items"][0]);

    let make = |parent: String, node_type: &'static str, name: &'static str| {
        let app = &app;
        let full = full.clone();
        async move {
            call(
                app,
                "POST",
                "/nodes",
                &full,
                None,
                Some(json!({ "parent_node_id": parent, "node_type": node_type, "name": name })),
            )
            .await
        }
    };
    let emea = make(root.clone(), "region", "EMEA").await;
    assert_eq!(emea.status, 201, "{}", emea.body);
    assert_eq!(emea.etag.as_deref(), Some("\"1\""));
    let emea = id(&emea.body);
    let amer = id(&make(root.clone(), "region", "Americas").await.body);
    let paris = make(emea.clone(), "team", "Paris").await;
    let paris_id = id(&paris.body);
    assert_eq!(
        (paris.body["depth"].as_i64(), paris.body["slug"].as_str()),
        (Some(3), Some("paris"))
    );
    let sales = id(&make(paris_id.clone(), "team", "Sales").await.body);
    let wrong_type = make(root.clone(), "team", "Loose").await;
    assert_eq!(
        (wrong_type.status, code(&wrong_type.body)),
        (400, "hierarchy.rule_violation")
    );

    let ancestors = call(
        &app,
        "GET",
        &format!("/nodes/{sales}/ancestors"),
        &full,
        None,
        None,
    )
    .await;
    let names: Vec<&str> = ancestors.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|n| n["name"].as_str().unwrap_or(""))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names[1..], ["EMEA", "Paris"], "root first");

    // Move Paris (with Sales) under the Americas.
    let path = format!("/nodes/{paris_id}/move");
    let into_itself = call(
        &app,
        "POST",
        &path,
        &full,
        Some("*"),
        Some(json!({ "parent_node_id": sales })),
    )
    .await;
    assert_eq!(into_itself.status, 400);
    let unversioned = call(
        &app,
        "POST",
        &path,
        &full,
        None,
        Some(json!({ "parent_node_id": amer })),
    )
    .await;
    assert_eq!(unversioned.status, 428);
    let moved = call(
        &app,
        "POST",
        &path,
        &full,
        Some("\"1\""),
        Some(json!({ "parent_node_id": amer })),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["parent_node_id"], amer);
    assert_eq!(moved.etag.as_deref(), Some("\"2\""));
    let ancestors = call(
        &app,
        "GET",
        &format!("/nodes/{sales}/ancestors"),
        &full,
        None,
        None,
    )
    .await;
    assert_eq!(ancestors.body["items"][1]["name"], "Americas");

    // Production and another account see none of it, and change none of it.
    let prod = key(&app, &admin, "production", json!({ "name": "Prod" })).await;
    let (other_admin, _) = app.sign_up("bob@example.com", "Elsewhere").await;
    let elsewhere = json!({ "account": "elsewhere", "application": "billing-portal", "environment": "development" });
    let other = app
        .call(
            &other_admin,
            "create_api_key",
            json!({ "env": elsewhere, "form": { "name": "Other" } }),
        )
        .await;
    assert_eq!(other.status, 200, "{}", other.body);
    let other = other.body["key"].as_str().unwrap_or_default().to_owned();
    for stranger in [&prod, &other] {
        let seen = call(
            &app,
            "GET",
            &format!("/nodes/{paris_id}"),
            stranger,
            None,
            None,
        )
        .await;
        assert_eq!((seen.status, code(&seen.body)), (404, "nodes.not_found"));
        let moved = call(
            &app,
            "POST",
            &path,
            stranger,
            Some("*"),
            Some(json!({ "parent_node_id": emea })),
        )
        .await;
        assert_eq!(moved.status, 404);
        let under = call(
            &app,
            "POST",
            "/nodes",
            stranger,
            None,
            Some(json!({ "parent_node_id": emea, "node_type": "team", "name": "Intruder" })),
        )
        .await;
        // Their environments are flat (400) — either way, never a node under ours.
        assert!(matches!(under.status, 400 | 404), "{}", under.body);
        let (_, theirs) = api.get("/nodes", stranger).await;
        assert_eq!(
            theirs["items"].as_array().map(Vec::len),
            Some(1),
            "their own root only"
        );
    }
    assert_eq!(app.count("nodes WHERE name = 'Intruder'").await, 0);

    // Rename and deactivate; status must be one of the two words.
    let node_path = format!("/nodes/{paris_id}");
    let odd = call(
        &app,
        "PATCH",
        &node_path,
        &full,
        Some("\"2\""),
        Some(json!({ "status": "paused" })),
    )
    .await;
    assert_eq!(odd.status, 400);
    let renamed = call(
        &app,
        "PATCH",
        &node_path,
        &full,
        Some("\"2\""),
        Some(json!({ "name": "Paris HQ", "status": "inactive" })),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        (
            renamed.body["name"].as_str(),
            renamed.body["status"].as_str()
        ),
        (Some("Paris HQ"), Some("inactive"))
    );

    // Only leaves go; the root never.
    let with_child = call(&app, "DELETE", &node_path, &full, Some("*"), None).await;
    assert_eq!(code(&with_child.body), "nodes.has_children");
    let root_delete = call(
        &app,
        "DELETE",
        &format!("/nodes/{root}"),
        &full,
        Some("*"),
        None,
    )
    .await;
    assert_eq!(root_delete.status, 400);
    let leaf = call(
        &app,
        "DELETE",
        &format!("/nodes/{sales}"),
        &full,
        Some("\"1\""),
        None,
    )
    .await;
    assert_eq!(leaf.status, 204);
    let gone = call(&app, "GET", &format!("/nodes/{sales}"), &full, None, None).await;
    assert_eq!((gone.status, code(&gone.body)), (404, "nodes.not_found"));
    let reader = key(
        &app,
        &admin,
        "development",
        json!({ "name": "R", "scopes": ["node.read"] }),
    )
    .await;
    let refused = call(
        &app,
        "POST",
        "/nodes",
        &reader,
        None,
        Some(json!({ "parent_node_id": root, "node_type": "region", "name": "APAC" })),
    )
    .await;
    assert_eq!(
        (refused.status, code(&refused.body)),
        (403, "api_keys.scope_missing")
    );
    assert_eq!(app.count("nodes WHERE name = 'APAC'").await, 0);
}

/// `If-Match: *` means "whatever version is current", judged inside the write: concurrent changes
/// all apply, none answers 409, and the version counts every one of them.
async fn concurrent_changes_with_if_match_any_all_apply(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let role = call(
        &app,
        "POST",
        "/roles",
        &full,
        None,
        Some(json!({ "name": "Racer" })),
    )
    .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let path = format!("/roles/{}", id(&role.body));
    const WRITERS: usize = 12;
    let changes = (0..WRITERS).map(|n| {
        let (app, full, path) = (&app, &full, &path);
        async move {
            let body = json!({ "description": format!("change {n}") });
            call(app, "PATCH", path, full, Some("*"), Some(body)).await
        }
    });
    let answers = futures::future::join_all(changes).await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let now = call(&app, "GET", &path, &full, None, None).await;
    assert_eq!(now.body["version"], json!(1 + WRITERS), "{}", now.body);
}
