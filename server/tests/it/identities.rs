//! Create Identity (environment-scoped): one transaction, duplicates, rules, the member list.

use crate::on_both_engines;
use crate::support::Engine;
use crate::support::TestApp;
use app::services::identities::FAIL_BEFORE_ASSIGNMENT;
use serde_json::{Value, json};

on_both_engines!(
    create_writes_identity_membership_and_assignment_together,
    a_failure_at_the_assignment_step_writes_nothing,
    duplicates_are_refused_or_offered_as_add_to_application,
    concurrent_creates_of_one_email_make_one_identity,
    a_create_abandoned_mid_write_is_all_or_nothing_and_the_writer_goes_on,
    values_are_stored_exactly_as_sent_whatever_they_hold,
    members_list_searches_and_pages
);

fn env() -> Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": "development" })
}

/// Signs up, makes an `invoice.read` permission and an Editor role with it; returns the client,
/// the role id and the root node id (flat model).
async fn setup(app: &TestApp) -> (reqwest::Client, String, String) {
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let role = app
        .role_granting(&admin, &env(), "Editor", &["invoice.read"])
        .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": env() })).await;
    let root = view.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (admin, role, root)
}

fn person(email: &str) -> Value {
    json!({ "email": email, "first_name": "Pat", "last_name": "Lee" })
}

async fn create_writes_identity_membership_and_assignment_together(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root) = setup(&app).await;
    let mut form = person("  Pat.Lee@Example.com ");
    form["password"] = json!("a fine long passphrase");
    form["role_id"] = json!(role);
    form["node_id"] = json!(root);
    let created = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let identity = &created.body["identity"];
    assert_eq!(identity["email"], "pat.lee@example.com");
    assert_eq!(identity["status"], "active", "a password makes it active");
    assert_eq!(identity["has_password"], true);
    assert_eq!(
        identity["password_change_required"], true,
        "checked by default"
    );
    assert_eq!(created.body["assignment"]["role_name"], "Editor");
    assert_eq!(created.body["assignment"]["status"], "active");
    let id = identity["id"].as_str().unwrap_or_default().to_owned();
    let hash = app
        .strings(&format!(
            "SELECT password_hash FROM identities WHERE id = '{id}'"
        ))
        .await;
    assert!(hash[0].starts_with("$argon2id$"), "stored as argon2id");
    assert_eq!(
        app.count("app_memberships WHERE status = 'active'").await,
        1
    );
    assert_eq!(app.count("assignments").await, 1);
    assert_eq!(
        app.count("audit_events WHERE action IN ('identity.created', 'membership.activated', 'assignment.created')")
            .await,
        3
    );
    // The new grant is visible to evaluation at once (the write invalidated the cache).
    let check = app
        .call(&admin, "check_access", json!({ "env": env(), "identity_id": "pat.lee@example.com", "permission": "invoice.read", "node_id": root }))
        .await;
    assert_eq!(check.body["allowed"], true, "{}", check.body);

    // No password: pending, and no "change at first sign-in" flag without one.
    let pending = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": person("sam@example.com") }),
        )
        .await;
    assert_eq!(pending.body["identity"]["status"], "pending");
    assert_eq!(pending.body["identity"]["password_change_required"], false);
    assert!(pending.body["assignment"].is_null());

    // Half a role/node pair (the seed: "if only one is provided, no assignment is created"):
    // created, without an assignment, and the answer says which half was missing.
    for (email, half, missing) in [
        ("role.only@example.com", "role_id", "node_id"),
        ("node.only@example.com", "node_id", "role_id"),
    ] {
        let mut form = person(email);
        form[half] = json!(if half == "role_id" { &role } else { &root });
        let created = app
            .call(
                &admin,
                "create_identity",
                json!({ "env": env(), "form": form }),
            )
            .await;
        assert_eq!(created.status, 200, "{half} alone: {}", created.body);
        assert_eq!(created.body["identity"]["email"], email);
        assert!(created.body["assignment"].is_null(), "{}", created.body);
        assert_eq!(
            (
                created.body["warnings"][0]["code"].as_str(),
                created.body["warnings"][0]["field"].as_str(),
                created.body["warnings"].as_array().map(Vec::len),
            ),
            (Some("assignment_skipped"), Some(missing), Some(1)),
            "{}",
            created.body
        );
    }
    assert_eq!(app.count("assignments").await, 1, "no assignment was made");
    assert!(
        pending.body["warnings"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "no warning without a half pair: {}",
        pending.body
    );
    // A password on the common list has its own code, and writes nothing.
    let mut common = person("common@example.com");
    common["password"] = json!("Password123");
    let refused = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": common }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(
        refused.code(),
        "identities.password_too_common",
        "{}",
        refused.body
    );
    assert_eq!(refused.body["errors"][0]["field"], "password");
    // Unknown fields are a client bug worth saying out loud.
    let mut typo = person("typo@example.com");
    typo["pasword"] = json!("x");
    let malformed = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": typo }),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(app.count("identities").await, 4);
}

async fn a_failure_at_the_assignment_step_writes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root) = setup(&app).await;
    let mut form = person("pat@example.com");
    form["role_id"] = json!(role);
    form["node_id"] = json!(root);
    app.services.failpoints.arm(FAIL_BEFORE_ASSIGNMENT);
    let failed = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form.clone() }),
        )
        .await;
    app.services.failpoints.disarm(FAIL_BEFORE_ASSIGNMENT);
    assert_eq!(failed.status, 500);
    for table in ["identities", "app_memberships", "assignments"] {
        assert_eq!(app.count(table).await, 0, "{table} must be empty");
    }
    // A rule broken at the assignment step (an inactive role) also leaves nothing.
    app.call(&admin, "update_role", json!({ "env": env(), "id": role, "version": 1, "form": { "name": "Editor" }, "active": false }))
        .await;
    let inactive = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form.clone() }),
        )
        .await;
    assert_eq!(inactive.code(), "rbac.role_inactive");
    assert_eq!(app.count("identities").await, 0);
    form["node_id"] = json!("no-such-node");
    app.call(&admin, "update_role", json!({ "env": env(), "id": role, "version": 2, "form": { "name": "Editor" }, "active": true }))
        .await;
    let nowhere = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(nowhere.code(), "nodes.not_found");
    assert_eq!(app.count("identities").await, 0);
    // A role of another environment is not found here; a system role is not assignable.
    form["node_id"] = json!(root);
    let production = json!({ "account": "engines", "application": "billing-portal", "environment": "production" });
    let elsewhere = app
        .role_granting(&admin, &production, "Auditor", &["invoice.read"])
        .await;
    form["role_id"] = json!(elsewhere);
    let foreign = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form.clone() }),
        )
        .await;
    assert_eq!(foreign.code(), "roles.not_found");
    sqlx::query("UPDATE roles SET is_system = 1 WHERE id = $1")
        .bind(&role)
        .execute(app.services.db.writer())
        .await
        .unwrap_or_else(|e| panic!("system role: {e}"));
    form["role_id"] = json!(role);
    let system = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(system.code(), "rbac.system_role_not_assignable");
    assert_eq!(app.count("identities").await, 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'identity.created'")
            .await,
        0
    );
}

/// Whatever a value holds (quotes, backslashes, placeholders, SQL, any script), it reaches the row
/// and the audit log as sent, through the one-trip create on both engines; a NUL, which
/// PostgreSQL's text cannot hold, is a clear answer on each.
async fn values_are_stored_exactly_as_sent_whatever_they_hold(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root) = setup(&app).await;
    let first = r"O'Brien \' '' \x27 $1 ?";
    let last = "Zoë 東京 🎉'; DROP TABLE identities; --";
    let external = r"C:\users\o'brien";
    let metadata = json!({ "note": "it's \\ \" \u{1F600} $2", "path": r"\\server\share" });
    let mut form = json!({
        "email": "o'brien+test@example.com",
        "first_name": first,
        "last_name": last,
        "external_id": external,
        "metadata": metadata,
        "role_id": role,
        "node_id": root,
    });
    let created = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let identity = &created.body["identity"];
    assert_eq!(identity["email"], "o'brien+test@example.com");
    assert_eq!(identity["first_name"], first);
    assert_eq!(identity["last_name"], last);
    assert_eq!(identity["external_id"], external);
    assert_eq!(identity["metadata"], metadata);
    assert_eq!(created.body["assignment"]["role_name"], "Editor");
    let stored: (String, String, String, String) = sqlx::query_as(
        "SELECT first_name, last_name, external_id, metadata FROM identities \
         WHERE email = 'o''brien+test@example.com'",
    )
    .fetch_one(app.services.db.reader())
    .await
    .unwrap_or_else(|e| panic!("stored: {e}"));
    assert_eq!((stored.0.as_str(), stored.1.as_str()), (first, last));
    assert_eq!(stored.2, external);
    let stored_metadata: Value = serde_json::from_str(&stored.3).unwrap_or_default();
    assert_eq!(stored_metadata, metadata);
    let labels: Vec<(String,)> =
        sqlx::query_as("SELECT resource_label FROM audit_events WHERE action = 'identity.created'")
            .fetch_all(app.services.db.reader())
            .await
            .unwrap_or_else(|e| panic!("audit: {e}"));
    assert_eq!(labels, vec![("o'brien+test@example.com".to_owned(),)]);

    // A NUL, which PostgreSQL's text cannot hold, is refused before anything runs.
    form["email"] = json!("nul@example.com");
    form["external_id"] = json!("nul");
    form["role_id"] = json!("role\u{0}id");
    let refused = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
        .await;
    assert_eq!(refused.code(), "request.malformed", "{}", refused.body);
    // Past the edge (a caller in the process), PostgreSQL's refusal of it is the input's fault
    // too, never an internal error; SQLite finds no such role.
    let caller = crate::bulk_writes::operator(&app).await;
    let inside = app::services::identities::create(
        &app.services,
        &caller,
        &app::model::IdentityForm {
            email: "nul@example.com".into(),
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            role_id: Some("role\u{0}id".into()),
            node_id: Some(root.clone()),
            ..app::model::IdentityForm::default()
        },
    )
    .await;
    let code = inside.err().map(|e| e.code());
    let expected = match engine {
        Engine::Sqlite => "roles.not_found",
        Engine::Postgres => "request.malformed",
    };
    assert_eq!(code, Some(expected));
    assert_eq!(
        app.count("identities").await,
        1,
        "a refused create wrote something"
    );
}

async fn duplicates_are_refused_or_offered_as_add_to_application(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root) = setup(&app).await;
    let first = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": person("pat@example.com") }),
        )
        .await;
    assert_eq!(first.status, 200);
    let again = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": person("PAT@example.com ") }),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "identities.email_taken");
    assert_eq!(
        again.error().to_string(),
        "Email already exists in this Application."
    );

    // In the directory but not in this application (e.g. its membership was removed).
    sqlx::query("UPDATE app_memberships SET status = 'deactivated'")
        .execute(app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let elsewhere = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": person("pat@example.com") }),
        )
        .await;
    assert_eq!(elsewhere.code(), "identities.exists_in_account");
    let existing_id = first.body["identity"]["id"].clone();
    let app::error::AppError::IdentityExistsInAccount { identity_id } = elsewhere.error() else {
        panic!("{}", elsewhere.body)
    };
    assert_eq!(json!(identity_id), existing_id);
    assert_eq!(
        app.count("identities").await,
        1,
        "never merged or duplicated"
    );

    // "Add instead" follows the create's pair rule: a role alone adds without an assignment.
    let half = app
        .call(
            &admin,
            "add_identity_to_application",
            json!({ "env": env(), "identity_id": existing_id, "role_id": role }),
        )
        .await;
    assert_eq!(half.status, 200, "{}", half.body);
    assert!(half.body["assignment"].is_null(), "{}", half.body);
    assert_eq!(half.body["warnings"][0]["code"], "assignment_skipped");
    assert_eq!(half.body["warnings"][0]["field"], "node_id");
    assert_eq!(app.count("assignments").await, 0);
    sqlx::query("UPDATE app_memberships SET status = 'deactivated'")
        .execute(app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let added = app
        .call(
            &admin,
            "add_identity_to_application",
            json!({ "env": env(), "identity_id": existing_id, "role_id": role, "node_id": root }),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(added.body["assignment"]["role_name"], "Editor");
    assert_eq!(
        app.count("app_memberships WHERE status = 'active'").await,
        1
    );
    let twice = app
        .call(
            &admin,
            "add_identity_to_application",
            json!({ "env": env(), "identity_id": existing_id }),
        )
        .await;
    assert_eq!(twice.code(), "memberships.already_active");
    let ghost = app
        .call(
            &admin,
            "add_identity_to_application",
            json!({ "env": env(), "identity_id": "ghost" }),
        )
        .await;
    assert_eq!(ghost.code(), "identities.not_found");

    // Production is another environment of the same application: membership is shared, so the
    // identity is "already in this Application" there too — and nothing of Development's
    // assignments shows in Production.
    let prod = json!({ "account": "engines", "application": "billing-portal", "environment": "production" });
    let in_prod = app
        .call(
            &admin,
            "create_identity",
            json!({ "env": prod, "form": person("pat@example.com") }),
        )
        .await;
    assert_eq!(in_prod.code(), "identities.email_taken");
    let members = app
        .call(
            &admin,
            "list_members",
            json!({ "env": prod, "q": "", "page": 1 }),
        )
        .await;
    assert_eq!(members.body["items"][0]["assignments"], json!([]));
}

async fn concurrent_creates_of_one_email_make_one_identity(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _, _) = setup(&app).await;
    let attempts = (0..6).map(|i| {
        let mut form = person("race@example.com");
        form["password"] = json!(format!("passphrase number {i}"));
        app.call(
            &admin,
            "create_identity",
            json!({ "env": env(), "form": form }),
        )
    });
    let replies = futures::future::join_all(attempts).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "exactly one create wins");
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(reply.code(), "identities.email_taken", "{}", reply.body);
    }
    assert_eq!(app.count("identities").await, 1);
    assert_eq!(app.count("app_memberships").await, 1);
}

async fn members_list_searches_and_pages(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, role, root) = setup(&app).await;
    for i in 0..27 {
        let mut form = person(&format!("user{i:02}@example.com"));
        form["first_name"] = json!(format!("User{i:02}"));
        if i == 0 {
            form["role_id"] = json!(role);
            form["node_id"] = json!(root);
        }
        let reply = app
            .call(
                &admin,
                "create_identity",
                json!({ "env": env(), "form": form }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        app.clock.advance(time::Duration::seconds(1));
    }
    let first = app
        .call(
            &admin,
            "list_members",
            json!({ "env": env(), "q": "", "page": 1 }),
        )
        .await;
    assert_eq!(first.body["total"], 27);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(25));
    assert_eq!(
        first.body["items"][0]["identity"]["email"], "user26@example.com",
        "newest first"
    );
    let second = app
        .call(
            &admin,
            "list_members",
            json!({ "env": env(), "q": "", "page": 2 }),
        )
        .await;
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        second.body["items"][1]["assignments"][0]["role_name"],
        "Editor"
    );
    let found = app
        .call(
            &admin,
            "list_members",
            json!({ "env": env(), "q": "USER07", "page": 1 }),
        )
        .await;
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["identity"]["first_name"], "User07");
    let with_role = app
        .call(
            &admin,
            "list_members",
            json!({ "env": env(), "q": "", "has_role": true, "page": 1 }),
        )
        .await;
    assert_eq!(with_role.body["total"], 1);
    assert_eq!(
        with_role.body["items"][0]["identity"]["email"],
        "user00@example.com"
    );
    let without = app
        .call(
            &admin,
            "list_members",
            json!({ "env": env(), "q": "", "has_role": false, "page": 1 }),
        )
        .await;
    assert_eq!(without.body["total"], 26);
}

/// A create without an assignment is one trip to the database (`OneTrip`: on SQLite the
/// transaction, its rows and the commit are one command). Callers that stop waiting — a client
/// that hangs up — abandon it at every point: before it is sent, while the database runs it,
/// after the commit. Each must leave all of it or nothing, and the writer must go on serving:
/// a connection given back inside an open transaction would fail every write after it.
async fn a_create_abandoned_mid_write_is_all_or_nothing_and_the_writer_goes_on(engine: Engine) {
    use app::model::IdentityForm;
    use app::services::identities;
    let app = TestApp::spawn(engine).await;
    let (_, role, root) = setup(&app).await;
    let s = &app.services;
    let caller = crate::bulk_writes::operator(&app).await;
    let form = |email: String| IdentityForm {
        email,
        first_name: "Pat".into(),
        last_name: "Lee".into(),
        ..IdentityForm::default()
    };
    // Every other create also assigns the role: the other shape of a create in one trip.
    let assigning = |email: String| IdentityForm {
        role_id: Some(role.clone()),
        node_id: Some(root.clone()),
        ..form(email)
    };
    // Cut after a growing number of turns of the scheduler: microseconds apart, finer than a timer.
    for step in 0..80u32 {
        let email = format!("cut{step}@example.com");
        let row = if step.is_multiple_of(2) {
            assigning(email)
        } else {
            form(email)
        };
        let create = identities::create(s, &caller, &row);
        tokio::pin!(create);
        let turns = async {
            for _ in 0..step * 40 {
                tokio::task::yield_now().await;
            }
        };
        tokio::select! {
            biased;
            outcome = &mut create => assert!(outcome.is_ok(), "create {step} failed: {outcome:?}"),
            () = turns => {}
        }
    }
    let kept: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT i.email, \
           (SELECT COUNT(*) FROM app_memberships m WHERE m.identity_id = i.id), \
           (SELECT COUNT(*) FROM audit_events a WHERE a.resource_id = i.id AND a.action = 'identity.created'), \
           (SELECT COUNT(*) FROM assignments g WHERE g.identity_id = i.id), \
           (SELECT COUNT(*) FROM audit_events a WHERE a.resource_type = 'assignment' \
              AND a.metadata LIKE '%' || i.id || '%') \
         FROM identities i WHERE i.email LIKE 'cut%'",
    )
    .fetch_all(s.db.reader())
    .await
    .unwrap_or_else(|e| panic!("kept: {e}"));
    for (email, memberships, events, assignments, assignment_events) in &kept {
        let step: u32 = email
            .trim_start_matches("cut")
            .trim_end_matches("@example.com")
            .parse()
            .unwrap_or_default();
        let assigned = i64::from(step.is_multiple_of(2));
        assert_eq!(
            (*memberships, *events, *assignments, *assignment_events),
            (1, 1, assigned, assigned),
            "{email} was kept in part"
        );
    }
    let after = identities::create(s, &caller, &form("after@example.com".into())).await;
    assert!(after.is_ok(), "the write after them failed: {after:?}");
    // An abandoned create that was not kept can be made again.
    let again = (0..80)
        .map(|step| format!("cut{step}@example.com"))
        .find(|email| kept.iter().all(|(kept, ..)| kept != email));
    if let Some(email) = again {
        let made = identities::create(s, &caller, &form(email)).await;
        assert!(
            made.is_ok(),
            "an abandoned email could not be created: {made:?}"
        );
    }
    // The journal's entries and its head moved together.
    let (head, last): (i64, Option<i64>) = sqlx::query_as(
        "SELECT h.seq, (SELECT MAX(j.seq) FROM access_journal j WHERE j.account_id = h.account_id) \
         FROM access_heads h JOIN identities i ON i.account_id = h.account_id \
         WHERE i.email = 'after@example.com'",
    )
    .fetch_one(s.db.reader())
    .await
    .unwrap_or_else(|e| panic!("head: {e}"));
    assert_eq!(Some(head), last, "the head and the journal disagree");
}
