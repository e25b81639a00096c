//! Tenant › Applications: an application created in the dashboard is seeded exactly like the one
//! sign-up made; deleting one removes exactly what its dialog counts and nothing of its siblings;
//! environments are created blank, renamed, made default, and never deleted when last or default;
//! a deleted environment's dashboard URLs answer 404 and the switcher falls back to the default;
//! `GET /api/v1/environment` tells a key what it is bound to.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::model::{ApiKeyForm, AssignmentForm, EnvPath, IdentityForm, InviteForm, RoleForm};
use app::services::{Caller, api_keys, assignments, catalog, hierarchy, identities, invites};
use serde_json::{Value, json};

on_both_engines!(
    a_created_application_is_seeded_like_signup,
    deleting_an_application_removes_exactly_what_it_says,
    environments_are_created_renamed_made_default_and_deleted_by_the_rules,
    a_key_reads_what_it_is_bound_to
);

const ACCOUNT: &str = "engines";

/// Everything an environment is seeded with, comparable across environments: its name, slug,
/// kind, default flag, root node (type, name, slug) and system permission keys.
async fn seed_of(app: &TestApp, application_slug: &str) -> Vec<Value> {
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT e.id, e.name, e.slug, e.kind, CASE WHEN a.default_environment_id = e.id THEN 1 ELSE 0 END \
         FROM environments e JOIN applications a ON a.account_id = e.account_id AND a.id = e.application_id \
         WHERE a.slug = $1 ORDER BY e.created_at, e.id",
    )
    .bind(application_slug)
    .fetch_all(app.services.db.reader())
    .await
    .unwrap_or_else(|e| panic!("environments: {e}"));
    let mut seeds = Vec::new();
    for (id, name, slug, kind, default) in rows {
        let nodes: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT node_type, name, slug FROM nodes WHERE environment_id = $1 ORDER BY id",
        )
        .bind(&id)
        .fetch_all(app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("nodes: {e}"));
        let mut keys: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT key, description, category, source FROM permissions WHERE environment_id = $1",
        )
        .bind(&id)
        .fetch_all(app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("permissions: {e}"));
        keys.sort();
        let roles = app
            .count(&format!("roles WHERE environment_id = '{id}'"))
            .await;
        seeds.push(json!({
            "name": name, "slug": slug, "kind": kind, "default": default,
            "nodes": nodes, "permissions": keys, "roles": roles,
        }));
    }
    seeds
}

async fn a_created_application_is_seeded_like_signup(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let created = app
        .call(
            &admin,
            "create_application",
            json!({ "account": ACCOUNT, "form": { "name": "Payroll" } }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["slug"], "payroll");
    let environments = created.body["environments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(environments.len(), 2);
    assert_eq!(environments[0]["slug"], "development");
    assert_eq!(environments[0]["is_default"], true);

    let signed_up = seed_of(&app, "billing-portal").await;
    let made = seed_of(&app, "payroll").await;
    assert_eq!(made, signed_up, "the same seed as sign-up's application");
    assert_eq!(made.len(), 2);

    // One operation, one correlation id: the application and both environments.
    let correlations = app
        .strings(
            "SELECT DISTINCT correlation_id FROM audit_events WHERE action IN ('application.created', 'environment.created') \
             AND application_id = (SELECT id FROM applications WHERE slug = 'payroll')",
        )
        .await;
    assert_eq!(correlations.len(), 1);
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE correlation_id = '{}'",
            correlations[0]
        ))
        .await,
        3
    );

    // The same name again gets the next free slug; a blank name is refused inline.
    let again = app
        .call(
            &admin,
            "create_application",
            json!({ "account": ACCOUNT, "form": { "name": "Payroll" } }),
        )
        .await;
    assert_eq!(again.body["slug"], "payroll-2");
    let blank = app
        .call(
            &admin,
            "create_application",
            json!({ "account": ACCOUNT, "form": { "name": "  " } }),
        )
        .await;
    assert_eq!(blank.status, 400);
    assert_eq!(blank.code(), "validation.invalid_input");

    // The switcher lists it, and it can be renamed (audited with before and after).
    let workspace = app
        .call(&admin, "workspace", json!({ "account": ACCOUNT }))
        .await;
    let slugs: Vec<&str> = workspace.body["applications"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["slug"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(slugs, vec!["billing-portal", "payroll", "payroll-2"]);
    let renamed = app
        .call(
            &admin,
            "rename_application",
            json!({ "account": ACCOUNT, "id": created.body["id"], "form": { "name": "Payroll EU" } }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let metadata = app
        .strings("SELECT metadata FROM audit_events WHERE action = 'application.renamed'")
        .await;
    let metadata: Value = serde_json::from_str(&metadata[0]).unwrap_or_default();
    assert_eq!(metadata["before"]["name"], "Payroll");
    assert_eq!(metadata["after"]["name"], "Payroll EU");
}

/// Counts of every table an application's deletion may touch, for the application `slug`.
async fn footprint(app: &TestApp, slug: &str) -> Vec<i64> {
    let app_id = format!("(SELECT id FROM applications WHERE slug = '{slug}')");
    let envs = format!("(SELECT id FROM environments WHERE application_id = {app_id})");
    let mut counts = Vec::new();
    for table in [
        format!("environments WHERE application_id = {app_id}"),
        format!("app_memberships WHERE application_id = {app_id}"),
        format!("assignments WHERE environment_id IN {envs}"),
        format!("api_keys WHERE environment_id IN {envs}"),
        format!("identity_invites WHERE application_id = {app_id}"),
        format!("roles WHERE environment_id IN {envs}"),
        format!("permissions WHERE environment_id IN {envs}"),
        format!("nodes WHERE environment_id IN {envs}"),
    ] {
        counts.push(app.count(&table).await);
    }
    counts
}

async fn deleting_an_application_removes_exactly_what_it_says(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let created = app
        .call(
            &admin,
            "create_application",
            json!({ "account": ACCOUNT, "form": { "name": "Payroll" } }),
        )
        .await;
    let app_id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let s = &app.services;
    let principal = app.admin_principal("owner@example.com").await;

    // The same people and configuration in both applications.
    let mut identity_ids = Vec::new();
    for slug in ["billing-portal", "payroll"] {
        let env = EnvPath {
            account: ACCOUNT.into(),
            application: slug.into(),
            environment: "development".into(),
        };
        let caller = Caller::admin_in_environment(s, &principal, &env)
            .await
            .unwrap_or_else(|e| panic!("caller: {e:?}"));
        let role = catalog::create_role(
            s,
            &caller,
            &RoleForm {
                name: "Editor".into(),
                ..RoleForm::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("role: {e:?}"));
        let root = hierarchy::view(s, &caller)
            .await
            .unwrap_or_else(|e| panic!("view: {e:?}"))
            .nodes[0]
            .id
            .clone();
        let created = identities::create(
            s,
            &caller,
            &IdentityForm {
                email: format!("{slug}@example.com"),
                first_name: "Pat".into(),
                last_name: "Lee".into(),
                ..IdentityForm::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("identity: {e:?}"));
        assignments::create_assignment(
            s,
            &caller,
            &AssignmentForm {
                identity_id: created.identity.id.clone(),
                role_id: role.id.clone(),
                node_id: root,
                effective_from: None,
                effective_to: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("assignment: {e:?}"));
        identity_ids.push(created.identity.id);
        api_keys::create(
            s,
            &caller,
            &ApiKeyForm {
                name: "Backend".into(),
                expires: "never".into(),
                ..ApiKeyForm::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("key: {e:?}"));
        invites::create(
            s,
            &caller,
            &InviteForm {
                email: format!("invitee-{slug}@example.com"),
                first_name: "Ivy".into(),
                last_name: "Lee".into(),
                send_email: false,
                ..InviteForm::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("invite: {e:?}"));
    }
    let sibling_before = footprint(&app, "billing-portal").await;
    assert_eq!(footprint(&app, "payroll").await, sibling_before);
    let audit_before = app.count("audit_events").await;

    let impact = app
        .call(
            &admin,
            "application_impact",
            json!({ "account": ACCOUNT, "id": app_id }),
        )
        .await;
    assert_eq!(impact.status, 200, "{}", impact.body);
    assert_eq!(
        impact.body,
        json!({ "environments": 2, "memberships": 1, "assignments": 1, "api_keys": 1, "invites": 1,
                "custom_roles": 1, "custom_permissions": 0, "nodes": 2, "sessions": 0 })
    );

    // The typed name must match.
    let wrong = app
        .call(
            &admin,
            "delete_application",
            json!({ "account": ACCOUNT, "id": app_id, "confirm": "payroll" }),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.error().field_message("confirm").is_some());
    assert_eq!(app.count("applications").await, 2);

    let deleted = app
        .call(
            &admin,
            "delete_application",
            json!({ "account": ACCOUNT, "id": app_id, "confirm": "Payroll" }),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body, impact.body, "removed what it said it would");
    assert_eq!(footprint(&app, "payroll").await, vec![0; 8]);
    assert_eq!(
        footprint(&app, "billing-portal").await,
        sibling_before,
        "the sibling application is untouched"
    );
    // Identities stay in the directory; the audit log keeps its history and records the deletion.
    for id in &identity_ids {
        assert_eq!(app.count(&format!("identities WHERE id = '{id}'")).await, 1);
    }
    assert_eq!(app.count("audit_events").await, audit_before + 1);
    assert_eq!(
        app.count("audit_events WHERE action = 'application.deleted'")
            .await,
        1
    );
    // Its URLs are gone.
    let page = admin
        .get(format!(
            "{}/{ACCOUNT}/payroll/development/overview",
            app.base
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(page.status().as_u16(), 404);

    // The account's last application stays.
    let last_id = app.strings("SELECT id FROM applications").await.remove(0);
    let last = app
        .call(
            &admin,
            "delete_application",
            json!({ "account": ACCOUNT, "id": last_id, "confirm": "Billing Portal" }),
        )
        .await;
    assert_eq!(last.status, 409);
    assert_eq!(last.code(), "applications.last_application");
}

async fn environments_are_created_renamed_made_default_and_deleted_by_the_rules(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let app_id = app.strings("SELECT id FROM applications").await.remove(0);
    let created = app
        .call(
            &admin,
            "create_environment",
            json!({ "account": ACCOUNT, "application_id": app_id, "form": { "name": "Staging", "kind": "other" } }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["slug"], "staging");
    assert_eq!(created.body["is_default"], false);
    let staging = created.body["id"].as_str().unwrap_or_default().to_owned();
    // Blank: one root node, the system catalog, nothing else.
    let seeds = seed_of(&app, "billing-portal").await;
    assert_eq!(seeds.len(), 3);
    assert_eq!(seeds[2]["nodes"], seeds[0]["nodes"]);
    assert_eq!(seeds[2]["permissions"], seeds[0]["permissions"]);
    assert_eq!(seeds[2]["roles"], 0);

    // The switcher lists it; its pages answer.
    let page = admin
        .get(format!(
            "{}/{ACCOUNT}/billing-portal/staging/overview",
            app.base
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(page.status().as_u16(), 200);
    let remembered = app
        .call(
            &admin,
            "remember_environment",
            json!({ "account": ACCOUNT, "application": "billing-portal", "environment": "staging" }),
        )
        .await;
    assert_eq!(remembered.status, 200);

    let edited = app
        .call(
            &admin,
            "update_environment",
            json!({ "account": ACCOUNT, "id": staging, "form": { "name": "Staging EU", "kind": "production" } }),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(
        app.strings(&format!(
            "SELECT kind FROM environments WHERE id = '{staging}'"
        ))
        .await,
        vec!["production"]
    );

    let ids = |slug: &'static str| {
        let app = &app;
        async move {
            app.strings(&format!(
                "SELECT id FROM environments WHERE slug = '{slug}'"
            ))
            .await
            .remove(0)
        }
    };
    let development = ids("development").await;
    let production = ids("production").await;
    let default = app
        .call(
            &admin,
            "delete_environment",
            json!({ "account": ACCOUNT, "id": development, "confirm": "Development" }),
        )
        .await;
    assert_eq!(default.status, 409);
    assert_eq!(default.code(), "environments.is_default");

    let made = app
        .call(
            &admin,
            "set_default_environment",
            json!({ "account": ACCOUNT, "id": staging }),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    for (id, name) in [(&development, "Development"), (&production, "Production")] {
        let deleted = app
            .call(
                &admin,
                "delete_environment",
                json!({ "account": ACCOUNT, "id": id, "confirm": name }),
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
    }
    let last = app
        .call(
            &admin,
            "delete_environment",
            json!({ "account": ACCOUNT, "id": staging, "confirm": "Staging EU" }),
        )
        .await;
    assert_eq!(last.status, 409);
    assert_eq!(last.code(), "environments.last_environment");

    // A deleted environment's URLs answer 404; switching to the application lands on the default.
    let gone = admin
        .get(format!(
            "{}/{ACCOUNT}/billing-portal/development/overview",
            app.base
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(gone.status().as_u16(), 404);
    let landing = app
        .call(
            &admin,
            "application_landing",
            json!({ "account": ACCOUNT, "application": "billing-portal" }),
        )
        .await;
    assert_eq!(landing.body, "staging");
    let actions = app
        .strings(
            "SELECT action FROM audit_events WHERE category = 'tenancy' AND resource_type = 'environment' \
             ORDER BY created_at, id",
        )
        .await;
    assert_eq!(
        actions[2..],
        [
            "environment.created",
            "environment.updated",
            "environment.default_changed",
            "environment.deleted",
            "environment.deleted"
        ]
    );
}

async fn a_key_reads_what_it_is_bound_to(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let key = crate::api::key(
        &app,
        &admin,
        "production",
        json!({ "name": "Reader", "expires": "never", "scopes": ["identity.read"] }),
    )
    .await;
    let answer = app
        .client()
        .get(format!("{}/api/v1/environment", app.base))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(answer.status().as_u16(), 200);
    let body: Value = answer.json().await.unwrap_or_default();
    assert_eq!(body["account"]["slug"], ACCOUNT);
    assert_eq!(body["application"]["slug"], "billing-portal");
    assert_eq!(body["environment"]["slug"], "production");
    assert_eq!(body["environment"]["kind"], "production");
    assert_eq!(body["environment"]["is_default"], false);
    assert_eq!(body["api_key"]["name"], "Reader");
    assert_eq!(body["api_key"]["scopes"], json!(["identity.read"]));
    assert!(!body.to_string().contains(&key), "never the key itself");
    let without = app
        .client()
        .get(format!("{}/api/v1/environment", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(without.status().as_u16(), 401);
}
