//! Tenant › Identities (the Account directory), memberships, the kill switch, and isolation
//! between accounts.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    directory_create_counts_filters_and_sorts,
    kill_switch_and_membership_removal_close_access,
    profile_edits_check_the_version,
    add_from_directory_reports_each_row,
    another_account_can_never_see_or_touch_these_identities
);

const ACCOUNT: &str = "engines";

fn env() -> Value {
    json!({ "account": ACCOUNT, "application": "billing-portal", "environment": "development" })
}

async fn application_id(app: &TestApp) -> String {
    app.strings("SELECT id FROM applications").await[0].clone()
}

fn person(email: &str, first: &str) -> Value {
    json!({ "email": email, "first_name": first, "last_name": "Lee" })
}

async fn directory_create_counts_filters_and_sorts(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let application = application_id(&app).await;
    let mut with_app = person("zoe@example.com", "Zoë");
    with_app["application_id"] = json!(application);
    with_app["password"] = json!("a long enough passphrase");
    with_app["metadata"] = json!({ "department": "Sales" });
    with_app["external_id"] = json!("hr-0042");
    let created = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": with_app }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["metadata"]["department"], "Sales");
    let orphan = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": person("adam@example.com", "Adam") }),
        )
        .await;
    assert_eq!(orphan.body["status"], "pending");
    assert_eq!(
        app.count("app_memberships").await,
        1,
        "only the one with an application"
    );

    let duplicate = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": person("ZOE@example.com", "Z") }),
        )
        .await;
    assert_eq!(duplicate.code(), "identities.email_taken");
    let mut same_external = person("other@example.com", "O");
    same_external["external_id"] = json!("hr-0042");
    let taken = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": same_external }),
        )
        .await;
    assert_eq!(taken.code(), "identities.external_id_taken");
    let mut bad_app = person("nowhere@example.com", "N");
    bad_app["application_id"] = json!("not-an-application");
    let refused = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": bad_app }),
        )
        .await;
    assert_eq!(refused.code(), "applications.not_found");
    let mut list_metadata = person("list@example.com", "L");
    list_metadata["metadata"] = json!(["not", "an", "object"]);
    let invalid = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": list_metadata }),
        )
        .await;
    assert_eq!(invalid.body["errors"][0]["field"], "metadata");
    // The Account-tier create refuses a common password with the same code as every surface.
    let mut common = person("common@example.com", "C");
    common["password"] = json!("Password123");
    let too_common = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": common }),
        )
        .await;
    assert_eq!(too_common.status, 400, "{}", too_common.body);
    assert_eq!(too_common.code(), "identities.password_too_common");
    assert_eq!(too_common.body["errors"][0]["field"], "password");
    assert_eq!(
        app.count("identities").await,
        2,
        "nothing half-written by the refusals"
    );

    let summary = app
        .call(&admin, "directory_summary", json!({ "account": ACCOUNT }))
        .await;
    assert_eq!(
        summary.body,
        json!({ "total": 2, "active": 1, "pending": 1, "inactive": 0, "email_unverified": 2, "no_memberships": 1 })
    );
    let list = |query: Value| {
        app.call(
            &admin,
            "list_directory",
            json!({ "account": ACCOUNT, "query": query }),
        )
    };
    let by_name = list(json!({ "sort": "name" })).await;
    assert_eq!(by_name.body["items"][0]["identity"]["first_name"], "Adam");
    assert_eq!(by_name.body["items"][1]["membership_count"], 1);
    let by_name_desc = list(json!({ "sort": "name", "descending": true })).await;
    assert_eq!(
        by_name_desc.body["items"][0]["identity"]["first_name"],
        "Zoë"
    );
    let directory_only = list(json!({ "without_membership": true })).await;
    assert_eq!(directory_only.body["total"], 1);
    assert_eq!(
        directory_only.body["items"][0]["identity"]["email"],
        "adam@example.com"
    );
    let orphans = list(json!({ "has_any_assignment": false })).await;
    assert_eq!(orphans.body["total"], 2, "no one has an assignment yet");
    let pending = list(json!({ "status": "pending" })).await;
    assert_eq!(
        pending.body["items"][0]["identity"]["email"],
        "adam@example.com"
    );
    let by_external = list(json!({ "q": "HR-00" })).await;
    assert_eq!(by_external.body["total"], 1);
    let not_in_app = list(json!({ "not_in_application": "billing-portal" })).await;
    assert_eq!(
        not_in_app.body["items"][0]["identity"]["email"],
        "adam@example.com"
    );
}

/// Pat: a member with an Editor role (holding `invoice.read`) at the root of Development.
async fn member_with_role(app: &TestApp, admin: &reqwest::Client) -> (String, String) {
    let role = app
        .role_granting(admin, &env(), "Editor", &["invoice.read"])
        .await;
    let view = app.call(admin, "hierarchy", json!({ "env": env() })).await;
    let root = view.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut form = person("pat@example.com", "Pat");
    form["role_id"] = json!(role);
    form["node_id"] = json!(root);
    let created = app
        .call(
            admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    (
        created.body["identity"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        root,
    )
}

async fn kill_switch_and_membership_removal_close_access(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let (pat, root) = member_with_role(&app, &admin).await;
    let check = || {
        app.call(&admin, "check_access", json!({ "env": env(), "identity_id": pat, "permission": "invoice.read", "node_id": root }))
    };
    assert_eq!(check().await.body["allowed"], true);

    let off = app
        .call(
            &admin,
            "set_identity_status",
            json!({ "account": ACCOUNT, "id": pat, "active": false }),
        )
        .await;
    assert_eq!(off.body["status"], "inactive");
    assert_eq!(check().await.body["denial_reason"], "identity_inactive");
    let on = app
        .call(
            &admin,
            "set_identity_status",
            json!({ "account": ACCOUNT, "id": pat, "active": true }),
        )
        .await;
    assert_eq!(
        on.body["status"], "pending",
        "no password: back to pending, not active"
    );
    assert_eq!(
        check().await.body["allowed"],
        true,
        "memberships and assignments survived"
    );

    let application = application_id(&app).await;
    let detail = app
        .call(
            &admin,
            "identity_detail",
            json!({ "account": ACCOUNT, "id": pat }),
        )
        .await;
    assert_eq!(
        detail.body["memberships"][0]["assignment_count"], 1,
        "the count the confirmation shows"
    );
    let removed = app
        .call(
            &admin,
            "remove_identity_membership",
            json!({ "account": ACCOUNT, "id": pat, "application_id": application }),
        )
        .await;
    assert_eq!(removed.body, 1, "one assignment revoked");
    assert_eq!(app.count("assignments").await, 0);
    assert_eq!(check().await.body["denial_reason"], "membership_inactive");
    let again = app
        .call(
            &admin,
            "remove_identity_membership",
            json!({ "account": ACCOUNT, "id": pat, "application_id": application }),
        )
        .await;
    assert_eq!(again.code(), "memberships.not_found");

    let back = app
        .call(
            &admin,
            "add_identity_membership",
            json!({ "account": ACCOUNT, "id": pat, "application_id": application }),
        )
        .await;
    assert_eq!(back.body["memberships"][0]["status"], "active");
    assert_eq!(
        check().await.body["denial_reason"],
        "no_active_assignment",
        "re-admitted, but revoked roles do not come back"
    );
    let history: Vec<String> = back.body["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter_map(|e| e["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for action in [
        "identity.created",
        "assignment.created",
        "identity.deactivated",
        "identity.activated",
        "membership.deactivated",
        "membership.activated",
    ] {
        assert!(
            history.iter().any(|a| a == action),
            "{action} missing from {history:?}"
        );
    }
}

async fn profile_edits_check_the_version(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let created = app
        .call(
            &admin,
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": person("pat@example.com", "Pat") }),
        )
        .await;
    let id = created.body["id"].clone();
    let edit = |version: i64, first: &str, metadata: Value| {
        app.call(
            &admin,
            "update_identity_profile",
            json!({ "account": ACCOUNT, "id": id, "form": {
            "version": version, "first_name": first, "last_name": "Lee", "metadata": metadata } }),
        )
    };
    let saved = edit(1, "Patricia", json!({ "team": "blue" })).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["first_name"], "Patricia");
    assert_eq!(saved.body["version"], 2);
    assert_eq!(
        edit(1, "Stale", json!(null)).await.code(),
        "common.version_conflict"
    );
    let cleared = edit(2, "Patricia", json!(null)).await;
    assert!(
        cleared.body["metadata"].is_null(),
        "null clears the metadata"
    );
    assert_eq!(
        edit(3, "  ", json!(null)).await.body["errors"][0]["field"],
        "first_name"
    );
}

async fn add_from_directory_reports_each_row(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let mut ids = Vec::new();
    for email in ["a@example.com", "b@example.com"] {
        let created = app
            .call(
                &admin,
                "create_directory_identity",
                json!({ "account": ACCOUNT, "form": person(email, "X") }),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let added = app
        .call(
            &admin,
            "add_from_directory",
            json!({ "env": env(), "identity_ids": [ids[0], ids[0], "ghost", ids[1]] }),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let codes: Vec<String> = added
        .body
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| match r["outcome"].get("Err") {
                    Some(e) => serde_json::from_value::<app::error::AppError>(e.clone())
                        .map_or_else(|e| e.to_string(), |e| e.code().to_owned()),
                    None => "ok".to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        codes,
        [
            "ok",
            "memberships.already_active",
            "identities.not_found",
            "ok"
        ]
    );
    assert_eq!(
        app.count("app_memberships WHERE status = 'active'").await,
        2
    );
    let too_many: Vec<String> = (0..201).map(|i| format!("id-{i}")).collect();
    let refused = app
        .call(
            &admin,
            "add_from_directory",
            json!({ "env": env(), "identity_ids": too_many }),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), "validation.invalid_input");
}

async fn another_account_can_never_see_or_touch_these_identities(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let (pat, root) = member_with_role(&app, &admin).await;
    let (intruder, landing) = app.sign_up("eve@example.com", "Rivals").await;
    let theirs = json!({ "account": landing["account"], "application": landing["application"], "environment": landing["environment"] });

    for (endpoint, args) in [
        ("directory_summary", json!({ "account": ACCOUNT })),
        ("list_directory", json!({ "account": ACCOUNT, "query": {} })),
        ("identity_detail", json!({ "account": ACCOUNT, "id": pat })),
        (
            "set_identity_status",
            json!({ "account": ACCOUNT, "id": pat, "active": false }),
        ),
        (
            "create_directory_identity",
            json!({ "account": ACCOUNT, "form": person("x@example.com", "X") }),
        ),
        ("list_members", json!({ "env": env(), "q": "", "page": 1 })),
        (
            "create_identity",
            json!({ "env": env(), "form": person("x@example.com", "X") }),
        ),
        (
            "check_access",
            json!({ "env": env(), "identity_id": pat, "permission": "invoice.read", "node_id": root }),
        ),
    ] {
        let reply = app.call(&intruder, endpoint, args).await;
        assert_eq!(reply.status, 404, "{endpoint}: {}", reply.body);
        assert_eq!(reply.code(), "accounts.not_found", "{endpoint}");
    }
    // From inside their own account, Pat's id names nothing.
    let own = app
        .call(
            &intruder,
            "identity_detail",
            json!({ "account": landing["account"], "id": pat }),
        )
        .await;
    assert_eq!(own.code(), "identities.not_found");
    let adopt = app
        .call(
            &intruder,
            "add_identity_to_application",
            json!({ "env": theirs, "identity_id": pat }),
        )
        .await;
    assert_eq!(adopt.code(), "identities.not_found");
    let peek = app
        .call(&intruder, "check_access", json!({ "env": theirs, "identity_id": "pat@example.com", "permission": "invoice.read" }))
        .await;
    assert_eq!(peek.body["denial_reason"], "identity_not_found");
    // Same email in another account is another identity.
    let twin = app
        .call(
            &intruder,
            "create_identity",
            json!({ "env": theirs, "form": person("pat@example.com", "Pat") }),
        )
        .await;
    assert_eq!(twin.status, 200, "{}", twin.body);
    assert_eq!(
        app.count("identities WHERE email = 'pat@example.com'")
            .await,
        2
    );
    assert_eq!(
        app.count("identities WHERE status = 'inactive'").await,
        0,
        "nothing was switched off"
    );
}
