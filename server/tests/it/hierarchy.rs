//! The node hierarchy: flat → hierarchy, schema rules, node changes, revert to flat.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::model::tree;
use app::model::{HierarchySchema, Node};
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_engines!(
    a_three_level_tree_follows_the_schema,
    moves_refuse_cycles_wrong_types_and_excess_depth,
    the_move_dialog_offers_exactly_the_parents_the_server_accepts,
    schema_edits_that_would_break_nodes_are_refused,
    deletes_protect_the_root_children_and_assignments,
    revert_to_flat_reseats_assignments_at_the_root,
);

fn env() -> Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": "development" })
}

async fn hierarchy(app: &TestApp, admin: &reqwest::Client) -> Value {
    let view = app.call(admin, "hierarchy", json!({ "env": env() })).await;
    assert_eq!(view.status, 200, "{}", view.body);
    view.body
}

async fn enabled(app: &TestApp) -> (reqwest::Client, String) {
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let root = enable(app, &admin).await;
    (admin, root)
}

async fn enable(app: &TestApp, admin: &reqwest::Client) -> String {
    let admin = admin.clone();
    let before = hierarchy(app, &admin).await;
    assert_eq!(before["settings"]["access_model"], "flat");
    let on = app
        .call(
            &admin,
            "enable_hierarchy",
            json!({ "env": env(), "version": before["environment_version"], "schema": null }),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["settings"]["access_model"], "hierarchy");
    assert_eq!(on.body["settings"]["hierarchy_schema"]["max_depth"], 4);
    on.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn node(
    app: &TestApp,
    admin: &reqwest::Client,
    parent: &str,
    name: &str,
    node_type: &str,
) -> crate::support::Reply {
    app.call(admin, "create_node", json!({ "env": env(), "parent_node_id": parent, "form": { "name": name, "node_type": node_type } }))
        .await
}

fn id(reply: &crate::support::Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn a_three_level_tree_follows_the_schema(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let view = hierarchy(&app, &admin).await;
    let root = view["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let flat = node(&app, &admin, &root, "EMEA", "region").await;
    assert_eq!(
        flat.code(),
        "hierarchy.rule_violation",
        "no nodes in flat mode"
    );

    assert_eq!(enable(&app, &admin).await, root, "the root stays");
    let emea = node(&app, &admin, &root, "EMEA", "region").await;
    assert_eq!(emea.body["depth"], 2);
    assert_eq!(emea.body["slug"], "emea");
    let emea = id(&emea);
    let paris = id(&node(&app, &admin, &emea, "Paris team", "team").await);
    let sub = node(&app, &admin, &paris, "Paris night shift", "team").await;
    assert_eq!(sub.body["depth"], 4);
    let too_deep = node(&app, &admin, &id(&sub), "Too deep", "team").await;
    assert_eq!(too_deep.status, 400);
    assert_eq!(too_deep.code(), "hierarchy.rule_violation");
    let wrong = node(&app, &admin, &root, "Team at the top", "team").await;
    assert_eq!(wrong.code(), "hierarchy.rule_violation");
    assert!(
        wrong.error().to_string().contains("cannot sit under"),
        "{}",
        wrong.body
    );
    let unknown = node(&app, &admin, &root, "Mars", "planet").await;
    assert_eq!(unknown.code(), "validation.invalid_input");
    let twin = node(&app, &admin, &root, "Emea", "region").await;
    assert_eq!(twin.body["slug"], "emea-2", "sibling slugs stay unique");
    assert_eq!(
        app.count("nodes").await,
        2 + 4,
        "two roots (dev, prod) and the four accepted nodes"
    );

    // Rename and deactivate check the version.
    let renamed = app
        .call(
            &admin,
            "update_node",
            json!({ "env": env(), "id": paris, "version": 1, "name": "Paris", "active": false }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["status"], "inactive");
    let stale = app
        .call(
            &admin,
            "update_node",
            json!({ "env": env(), "id": paris, "version": 1, "name": "Lutèce", "active": true }),
        )
        .await;
    assert_eq!(stale.code(), "common.version_conflict");
    // Production is untouched: still flat with its root only.
    assert_eq!(
        app.count(
            "nodes n JOIN environments e ON e.id = n.environment_id WHERE e.slug = 'production'"
        )
        .await,
        1
    );
}

async fn moves_refuse_cycles_wrong_types_and_excess_depth(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, root) = enabled(&app).await;
    let emea = id(&node(&app, &admin, &root, "EMEA", "region").await);
    let apac = id(&node(&app, &admin, &root, "APAC", "region").await);
    let paris = id(&node(&app, &admin, &emea, "Paris", "team").await);
    let night = id(&node(&app, &admin, &paris, "Night", "team").await);
    let mv = |node: &str, version: i64, parent: &str| {
        app.call(
            &admin,
            "move_node",
            json!({ "env": env(), "id": node, "version": version, "parent_node_id": parent }),
        )
    };
    let cycle = mv(&paris, 1, &night).await;
    assert_eq!(cycle.code(), "hierarchy.rule_violation");
    assert!(cycle.error().to_string().contains("under itself"));
    let wrong_type = mv(&emea, 1, &apac).await;
    assert_eq!(wrong_type.code(), "hierarchy.rule_violation");
    let root_move = mv(&root, 1, &emea).await;
    assert_eq!(root_move.code(), "hierarchy.rule_violation");
    let deep_team = id(&node(&app, &admin, &apac, "Tokyo", "team").await);
    let deeper = id(&node(&app, &admin, &deep_team, "Shibuya", "team").await);
    let too_deep = mv(&paris, 1, &deeper).await;
    assert!(
        too_deep.error().to_string().contains("levels deep"),
        "{}",
        too_deep.body
    );

    let moved = mv(&paris, 1, &apac).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["parent_node_id"], apac.as_str());
    assert_eq!(
        app.strings(&format!(
            "SELECT CAST(depth AS TEXT) FROM nodes WHERE id = '{night}'"
        ))
        .await,
        ["4"],
        "the subtree moved with it"
    );
    let stale = mv(&paris, 1, &emea).await;
    assert_eq!(stale.code(), "common.version_conflict");
}

/// The Hierarchy page computes its Move targets with `model::tree::move_targets`; for every node
/// and every candidate parent the server accepts the move exactly when the page offers it. The
/// tree makes the depth rule bite: a team with a sub-team may sit under a team by type, but not
/// below depth 2 of a depth-4 schema.
async fn the_move_dialog_offers_exactly_the_parents_the_server_accepts(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, root) = enabled(&app).await;
    let emea = id(&node(&app, &admin, &root, "EMEA", "region").await);
    let apac = id(&node(&app, &admin, &root, "APAC", "region").await);
    let paris = id(&node(&app, &admin, &emea, "Paris", "team").await);
    id(&node(&app, &admin, &paris, "Night", "team").await);
    let tokyo = id(&node(&app, &admin, &apac, "Tokyo", "team").await);
    id(&node(&app, &admin, &tokyo, "Shibuya", "team").await);

    let view = hierarchy(&app, &admin).await;
    let nodes: Vec<Node> = serde_json::from_value(view["nodes"].clone())
        .unwrap_or_else(|e| panic!("nodes ({e}): {view}"));
    let schema: HierarchySchema =
        serde_json::from_value(view["settings"]["hierarchy_schema"].clone())
            .unwrap_or_else(|e| panic!("schema ({e}): {view}"));
    assert_eq!(nodes.len(), 7);
    let offered = |id: &str| -> Vec<String> {
        tree::move_targets(&schema, &nodes, id)
            .into_iter()
            .map(|n| n.id.clone())
            .collect()
    };
    assert_eq!(
        offered(&paris),
        [apac.as_str()],
        "Tokyo allows teams, but Paris › Night would reach depth 5"
    );

    let mut versions: HashMap<String, i64> =
        nodes.iter().map(|n| (n.id.clone(), n.version)).collect();
    let mut accepted = 0;
    for moving in &nodes {
        let offers = offered(&moving.id);
        for target in &nodes {
            if moving.parent_node_id.as_deref() == Some(target.id.as_str()) {
                continue; // where it already is: not offered, and a no-op on the server
            }
            let version = versions[moving.id.as_str()];
            let reply = app
                .call(
                    &admin,
                    "move_node",
                    json!({ "env": env(), "id": moving.id, "version": version, "parent_node_id": target.id }),
                )
                .await;
            let is_offered = offers.contains(&target.id);
            assert_eq!(
                reply.status == 200,
                is_offered,
                "{} under {}: offered {is_offered}, server said {}",
                moving.name,
                target.name,
                reply.body
            );
            if reply.status != 200 {
                assert_eq!(reply.code(), "hierarchy.rule_violation", "{}", reply.body);
                continue;
            }
            accepted += 1;
            // Put it back, so every candidate is judged against the same tree.
            let back = app
                .call(
                    &admin,
                    "move_node",
                    json!({ "env": env(), "id": moving.id, "version": version + 1, "parent_node_id": moving.parent_node_id }),
                )
                .await;
            assert_eq!(back.status, 200, "{}", back.body);
            versions.insert(moving.id.clone(), version + 2);
        }
    }
    assert!(
        accepted >= 4,
        "the walk tried real moves, not only refusals"
    );
    let refused = app
        .call(
            &admin,
            "move_node",
            json!({ "env": env(), "id": paris, "version": versions[paris.as_str()], "parent_node_id": tokyo }),
        )
        .await;
    assert!(
        refused.error().to_string().contains("levels deep"),
        "{}",
        refused.body
    );
}

async fn schema_edits_that_would_break_nodes_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, root) = enabled(&app).await;
    id(&node(&app, &admin, &root, "EMEA", "region").await);
    let view = hierarchy(&app, &admin).await;
    let version = view["environment_version"].clone();
    let mut schema = view["settings"]["hierarchy_schema"].clone();
    schema["node_types"] = json!(["organization", "team"]);
    schema["allowed_children"] = json!({ "organization": ["team"], "team": ["team"] });
    let refused = app
        .call(
            &admin,
            "update_hierarchy_schema",
            json!({ "env": env(), "version": version, "schema": schema }),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.error().to_string().contains("EMEA"),
        "{}",
        refused.body
    );

    let mut wider = view["settings"]["hierarchy_schema"].clone();
    wider["node_types"] = json!(["organization", "region", "team", "site"]);
    wider["allowed_children"]["region"] = json!(["team", "site"]);
    let accepted = app
        .call(
            &admin,
            "update_hierarchy_schema",
            json!({ "env": env(), "version": version, "schema": wider }),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let stale = app
        .call(
            &admin,
            "update_hierarchy_schema",
            json!({ "env": env(), "version": version, "schema": wider }),
        )
        .await;
    assert_eq!(stale.code(), "common.version_conflict");
    let invalid = app
        .call(&admin, "update_hierarchy_schema", json!({ "env": env(), "version": accepted.body["environment_version"], "schema": { "node_types": [], "allowed_children": {}, "max_depth": 0, "root_node_type": "x" } }))
        .await;
    assert_eq!(invalid.code(), "validation.invalid_input");
}

/// An identity with an active membership and a role in Development, written directly (the
/// assignment service arrives with its issue).
async fn seed_assignment(app: &TestApp, node: &str, role_name: &str, effective_to: Option<i64>) {
    let db = app.services.db.reader();
    let account: String = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_one(db)
        .await
        .unwrap_or_default();
    let application: String = sqlx::query_scalar("SELECT id FROM applications")
        .fetch_one(db)
        .await
        .unwrap_or_default();
    let environment: String =
        sqlx::query_scalar("SELECT id FROM environments WHERE slug = 'development'")
            .fetch_one(db)
            .await
            .unwrap_or_default();
    let identity = "identity-1";
    let run = |sql: String| async move { sqlx::query(&sql).execute(db).await.map(|_| ()) };
    let _ = run(format!("INSERT INTO identities (account_id, id, email, first_name, last_name, status, created_at, updated_at) VALUES ('{account}', '{identity}', 'pat@example.com', 'Pat', 'Lee', 'pending', 0, 0)")).await;
    let _ = run(format!("INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, created_at, updated_at) VALUES ('{account}', 'm-1', '{identity}', '{application}', 'active', 0, 0)")).await;
    let role = format!("role-{role_name}");
    let _ = run(format!("INSERT INTO roles (account_id, id, environment_id, name, created_at, updated_at) VALUES ('{account}', '{role}', '{environment}', '{role_name}', 0, 0)")).await;
    let to = effective_to.map_or("NULL".to_owned(), |t| t.to_string());
    let assignment = format!("a-{role_name}-{node}");
    run(format!("INSERT INTO assignments (account_id, id, environment_id, identity_id, role_id, node_id, effective_from, effective_to, created_at, updated_at) VALUES ('{account}', '{assignment}', '{environment}', '{identity}', '{role}', '{node}', 0, {to}, 0, 0)"))
        .await
        .unwrap_or_else(|e| panic!("seed assignment: {e}"));
}

async fn deletes_protect_the_root_children_and_assignments(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, root) = enabled(&app).await;
    let emea = id(&node(&app, &admin, &root, "EMEA", "region").await);
    let paris = id(&node(&app, &admin, &emea, "Paris", "team").await);
    seed_assignment(&app, &paris, "Editor", None).await;
    let del = |node: &str, cascade: bool| {
        app.call(
            &admin,
            "delete_node",
            json!({ "env": env(), "id": node, "version": 1, "cascade": cascade }),
        )
    };
    assert_eq!(del(&root, false).await.code(), "hierarchy.rule_violation");
    assert_eq!(del(&emea, false).await.code(), "nodes.has_children");
    let guarded = del(&paris, false).await;
    assert_eq!(guarded.status, 409);
    assert_eq!(guarded.code(), "nodes.has_assignments");
    assert_eq!(
        app.count("assignments").await,
        1,
        "nothing removed without cascade"
    );
    assert_eq!(del(&paris, true).await.status, 200);
    assert_eq!(app.count("assignments").await, 0);
    assert_eq!(del(&emea, false).await.status, 200);
}

async fn revert_to_flat_reseats_assignments_at_the_root(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, root) = enabled(&app).await;
    let emea = id(&node(&app, &admin, &root, "EMEA", "region").await);
    let apac = id(&node(&app, &admin, &root, "APAC", "region").await);
    let paris = id(&node(&app, &admin, &emea, "Paris", "team").await);
    seed_assignment(&app, &paris, "Editor", None).await;
    seed_assignment(&app, &apac, "Editor", None).await;
    seed_assignment(&app, &emea, "Viewer", Some(1)).await;

    let preview = app
        .call(&admin, "preview_revert_to_flat", json!({ "env": env() }))
        .await;
    assert_eq!(
        preview.body,
        json!({ "assignments_moved": 1, "assignments_deduplicated": 1, "assignments_expired_dropped": 1, "nodes_deleted": 3 })
    );
    assert_eq!(app.count("nodes").await, 5, "a preview changes nothing");
    let version = hierarchy(&app, &admin).await["environment_version"].clone();
    let done = app
        .call(
            &admin,
            "revert_to_flat",
            json!({ "env": env(), "version": version }),
        )
        .await;
    assert_eq!(done.body, preview.body);
    let view = hierarchy(&app, &admin).await;
    assert_eq!(
        view["settings"],
        json!({ "access_model": "flat", "hierarchy_schema": null })
    );
    assert_eq!(view["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.strings("SELECT node_id FROM assignments").await, [root]);
    let again = app
        .call(
            &admin,
            "revert_to_flat",
            json!({ "env": env(), "version": view["environment_version"] }),
        )
        .await;
    assert_eq!(again.code(), "hierarchy.rule_violation");
    assert_eq!(
        app.count("audit_events WHERE action = 'environment.reverted_to_flat'")
            .await,
        1
    );
}
