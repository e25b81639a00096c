//! Permissions and roles of an environment, over the dashboard's server functions.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    permissions_are_created_validated_and_kept_per_environment,
    a_permission_group_creates_one_per_action_and_skips_existing_keys,
    permission_edits_and_deletes_check_the_version,
    roles_have_unique_names_and_their_grants_are_replaced_as_a_whole,
    another_account_cannot_touch_this_catalog,
);

fn env(environment: &str) -> Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": environment })
}

async fn permissions_are_created_validated_and_kept_per_environment(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;

    let created = app
        .call(&admin, "create_permission", json!({ "env": env("development"), "form": { "key": "invoice.approve", "description": "Approve invoices" } }))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["key"], "invoice.approve");
    assert_eq!(
        created.body["category"], "invoice",
        "category defaults to the resource"
    );
    assert_eq!(created.body["source"], "custom");

    let duplicate = app
        .call(
            &admin,
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "invoice.approve" } }),
        )
        .await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.code(), "permissions.key_taken");
    assert!(
        duplicate.error().field_message("key").is_some(),
        "shown next to the key field"
    );

    let system = app
        .call(
            &admin,
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "identity.manage" } }),
        )
        .await;
    assert_eq!(
        system.code(),
        "permissions.key_taken",
        "system keys are taken too"
    );

    let invalid = app
        .call(
            &admin,
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "Invoice" } }),
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["errors"][0]["field"], "key");

    // Production has its own catalog: the same key is free there and absent until created.
    let production = app
        .call(&admin, "permissions", json!({ "env": env("production") }))
        .await;
    let keys: Vec<&str> = production
        .body
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["key"].as_str()).collect())
        .unwrap_or_default();
    assert!(!keys.contains(&"invoice.approve"));
    assert_eq!(keys.len(), 15, "only the system catalog");
    let in_prod = app
        .call(
            &admin,
            "create_permission",
            json!({ "env": env("production"), "form": { "key": "invoice.approve" } }),
        )
        .await;
    assert_eq!(in_prod.status, 200);
    assert_eq!(
        app.count("permissions WHERE key = 'invoice.approve'").await,
        2
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'permission.created'")
            .await,
        2
    );
}

async fn a_permission_group_creates_one_per_action_and_skips_existing_keys(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    app.call(
        &admin,
        "create_permission",
        json!({ "env": env("development"), "form": { "key": "invoice.read" } }),
    )
    .await;
    let group = app
        .call(
            &admin,
            "create_permission_group",
            json!({ "env": env("development"), "form": { "resource": "invoice", "actions": ["create", "read", "update", "delete", "approve"] } }),
        )
        .await;
    assert_eq!(group.status, 200, "{}", group.body);
    assert_eq!(
        group.body["created"],
        json!([
            "invoice.create",
            "invoice.update",
            "invoice.delete",
            "invoice.approve"
        ])
    );
    assert_eq!(group.body["skipped"], json!(["invoice.read"]));
    assert_eq!(app.count("permissions WHERE category = 'invoice'").await, 5);
}

async fn permission_edits_and_deletes_check_the_version(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let created = app
        .call(
            &admin,
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "report.export" } }),
        )
        .await;
    let id = created.body["id"].clone();
    let edit = |version: i64, description: &str| {
        app.call(
            &admin,
            "update_permission",
            json!({ "env": env("development"), "id": id, "version": version, "form": { "key": "ignored.key", "description": description, "category": "Reports" } }),
        )
    };
    let first = edit(1, "Export reports").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["version"], 2);
    assert_eq!(first.body["key"], "report.export", "the key is immutable");
    assert_eq!(first.body["category"], "Reports");
    let stale = edit(1, "Someone else's edit").await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.code(), "common.version_conflict");

    let stale_delete = app
        .call(
            &admin,
            "delete_permission",
            json!({ "env": env("development"), "id": id, "version": 1 }),
        )
        .await;
    assert_eq!(stale_delete.code(), "common.version_conflict");
    let deleted = app
        .call(
            &admin,
            "delete_permission",
            json!({ "env": env("development"), "id": id, "version": 2 }),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        app.count("permissions WHERE key = 'report.export'").await,
        0
    );

    let dev_system = app
        .strings("SELECT p.id FROM permissions p JOIN environments e ON e.id = p.environment_id WHERE p.key = 'identity.manage' AND e.slug = 'development'")
        .await;
    let readonly = app
        .call(
            &admin,
            "delete_permission",
            json!({ "env": env("development"), "id": dev_system[0], "version": 1 }),
        )
        .await;
    assert_eq!(readonly.status, 403);
    assert_eq!(readonly.code(), "rbac.system_item_readonly");
}

async fn roles_have_unique_names_and_their_grants_are_replaced_as_a_whole(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    app.call(
        &admin,
        "create_permission_group",
        json!({ "env": env("development"), "form": { "resource": "invoice", "actions": ["read", "approve"] } }),
    )
    .await;
    let role = app
        .call(&admin, "create_role", json!({ "env": env("development"), "form": { "name": "Regional Manager", "description": "Runs a region" } }))
        .await;
    assert_eq!(role.status, 200, "{}", role.body);
    assert_eq!(role.body["is_system_role"], false);
    assert_eq!(role.body["is_active"], true);
    let id = role.body["id"].clone();

    let same_name = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env("development"), "form": { "name": "regional MANAGER" } }),
        )
        .await;
    assert_eq!(same_name.status, 409);
    assert_eq!(same_name.code(), "roles.name_taken");
    let elsewhere = app
        .call(
            &admin,
            "create_role",
            json!({ "env": env("production"), "form": { "name": "Regional Manager" } }),
        )
        .await;
    assert_eq!(
        elsewhere.status, 200,
        "names are unique per environment only"
    );

    let set = |keys: Value| {
        app.call(
            &admin,
            "set_role_permissions",
            json!({ "env": env("development"), "id": id, "permission_keys": keys }),
        )
    };
    assert_eq!(
        set(json!(["invoice.read", "invoice.approve", "invoice.read"]))
            .await
            .body,
        json!(["invoice.approve", "invoice.read"])
    );
    assert_eq!(
        set(json!(["invoice.read"])).await.body,
        json!(["invoice.read"])
    );
    let unknown = set(json!(["invoice.read", "invoice.pay"])).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.to_string().contains("invoice.pay"));
    let held = app
        .call(
            &admin,
            "role_permissions",
            json!({ "env": env("development"), "id": id }),
        )
        .await;
    assert_eq!(
        held.body,
        json!(["invoice.read"]),
        "a refused replacement changes nothing"
    );
    let roles = app
        .call(&admin, "roles", json!({ "env": env("development") }))
        .await;
    assert_eq!(roles.body[0]["permission_count"], 1);

    let renamed = app
        .call(&admin, "update_role", json!({ "env": env("development"), "id": id, "version": 1, "form": { "name": "Area Manager" }, "active": false }))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Area Manager");
    assert_eq!(renamed.body["is_active"], false);
    let stale = app
        .call(&admin, "update_role", json!({ "env": env("development"), "id": id, "version": 1, "form": { "name": "Late" }, "active": true }))
        .await;
    assert_eq!(stale.code(), "common.version_conflict");
    let deleted = app
        .call(
            &admin,
            "delete_role",
            json!({ "env": env("development"), "id": id, "version": 2 }),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        app.count("role_permissions").await,
        0,
        "grants go with the role"
    );
}

async fn another_account_cannot_touch_this_catalog(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (owner, _) = app.sign_up("ada@example.com", "Engines").await;
    let (intruder, _) = app.sign_up("eve@example.com", "Eavesdrop").await;
    let created = app
        .call(
            &owner,
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "invoice.read" } }),
        )
        .await;
    let id = created.body["id"].clone();
    for (endpoint, args) in [
        ("permissions", json!({ "env": env("development") })),
        (
            "create_permission",
            json!({ "env": env("development"), "form": { "key": "evil.write" } }),
        ),
        (
            "delete_permission",
            json!({ "env": env("development"), "id": id, "version": 1 }),
        ),
        ("roles", json!({ "env": env("development") })),
        (
            "create_role",
            json!({ "env": env("development"), "form": { "name": "Evil" } }),
        ),
    ] {
        let reply = app.call(&intruder, endpoint, args).await;
        assert_eq!(reply.status, 404, "{endpoint}: {}", reply.body);
        assert_eq!(reply.code(), "accounts.not_found");
    }
    assert_eq!(app.count("permissions WHERE key = 'evil.write'").await, 0);
    assert_eq!(app.count("roles").await, 0);
}
