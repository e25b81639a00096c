//! Sign-up seeds exactly one tenant, all or nothing.

use crate::on_both_engines;
use crate::support::{Engine, TestApp, signup_form};
use app::services::tenancy::FAIL_AFTER_ENVIRONMENTS;

on_both_engines!(
    signup_seeds_exactly_account_owner_application_and_two_environments,
    signup_that_fails_half_way_leaves_nothing_behind,
    two_signups_with_the_same_company_name_get_distinct_slugs,
    a_second_admin_with_the_same_email_is_refused,
    invalid_signup_reports_every_field_and_writes_nothing,
    the_common_password_check_answers_signed_out_forms,
);

async fn signup_seeds_exactly_account_owner_application_and_two_environments(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, landing) = app.sign_up("Ada@Example.com", "Analytical Engines").await;
    assert_eq!(landing["account"], "analytical-engines");
    assert_eq!(landing["application"], "billing-portal");
    assert_eq!(landing["environment"], "development");

    assert_eq!(app.count("accounts").await, 1);
    assert_eq!(
        app.strings("SELECT email FROM admin_users").await,
        ["ada@example.com"]
    );
    assert_eq!(
        app.strings("SELECT role FROM account_members").await,
        ["owner"]
    );
    assert_eq!(app.count("applications").await, 1);
    assert_eq!(
        app.strings("SELECT name FROM environments ORDER BY created_at, id")
            .await,
        ["Development", "Production"]
    );
    assert_eq!(
        app.strings(
            "SELECT e.slug FROM applications a JOIN environments e ON e.id = a.default_environment_id"
        )
        .await,
        ["development"]
    );
    for env in ["development", "production"] {
        let scoped = |table: &str| {
            format!(
                "{table} t JOIN environments e ON e.account_id = t.account_id AND e.id = t.environment_id WHERE e.slug = '{env}'"
            )
        };
        assert_eq!(app.count(&scoped("nodes")).await, 1, "{env}: one node");
        assert_eq!(
            app.count(&format!(
                "{} AND t.parent_node_id IS NULL AND t.depth = 1",
                scoped("nodes")
            ))
            .await,
            1,
            "{env}: the node is the root"
        );
        assert_eq!(
            app.count(&format!(
                "{} AND t.source = 'system'",
                scoped("permissions")
            ))
            .await,
            i64::try_from(
                app::model::SystemPermission::ALL
                    .iter()
                    .filter(|p| p.is_environment_scope())
                    .count()
            )
            .unwrap_or(0),
            "{env}: the system catalog"
        );
        assert_eq!(
            app.count(&format!(
                "{} AND t.source = 'custom'",
                scoped("permissions")
            ))
            .await,
            0
        );
        assert_eq!(app.count(&scoped("roles")).await, 0, "{env}: no roles");
        assert_eq!(
            app.count(&scoped("assignments")).await,
            0,
            "{env}: no assignments"
        );
        assert_eq!(
            app.strings(&format!(
                "SELECT settings FROM environments WHERE slug = '{env}'"
            ))
            .await,
            [r#"{"access_model":"flat","hierarchy_schema":null}"#]
        );
    }
    assert_eq!(app.count("identities").await, 0);
    assert_eq!(app.count("app_memberships").await, 0);
    assert_eq!(
        app.strings("SELECT action FROM audit_events ORDER BY action")
            .await,
        [
            "account.created",
            "admin_user.created",
            "application.created",
            "environment.created",
            "environment.created"
        ]
    );
    assert_eq!(
        app.count(
            "audit_events WHERE correlation_id = (SELECT MIN(correlation_id) FROM audit_events)"
        )
        .await,
        5,
        "one operation, one correlation id"
    );
}

async fn signup_that_fails_half_way_leaves_nothing_behind(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.services.failpoints.arm(FAIL_AFTER_ENVIRONMENTS);
    let client = app.client();
    let reply = app
        .call(
            &client,
            "sign_up",
            signup_form("ada@example.com", "Engines"),
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.code(), "internal.unexpected");
    assert!(
        reply.set_cookie.is_empty(),
        "no session for a failed sign-up"
    );
    for table in [
        "accounts",
        "admin_users",
        "account_members",
        "applications",
        "environments",
        "nodes",
        "permissions",
        "audit_events",
        "admin_sessions",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} must be empty");
    }

    // Once the fault is gone the same sign-up succeeds: nothing half-written blocks it.
    app.services.failpoints.disarm(FAIL_AFTER_ENVIRONMENTS);
    let reply = app
        .call(
            &client,
            "sign_up",
            signup_form("ada@example.com", "Engines"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["account"], "engines");
}

async fn two_signups_with_the_same_company_name_get_distinct_slugs(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, first) = app.sign_up("a@acme.test", "Acme").await;
    let (_, second) = app.sign_up("b@acme.test", "Acme").await;
    let (_, third) = app.sign_up("c@acme.test", "ACME!").await;
    assert_eq!(first["account"], "acme");
    assert_eq!(second["account"], "acme-2");
    assert_eq!(third["account"], "acme-3");
    assert_eq!(app.count("accounts").await, 3);
}

async fn a_second_admin_with_the_same_email_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let client = app.client();
    let reply = app
        .call(
            &client,
            "sign_up",
            signup_form("  ADA@example.com ", "Other Co"),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.code(), "admins.email_taken");
    assert_eq!(
        reply.error().field_message("email").as_deref(),
        Some("An account with this email already exists. Sign in instead.")
    );
    assert_eq!(
        app.count("accounts").await,
        1,
        "the second account was not created"
    );
    assert_eq!(app.count("admin_users").await, 1);
}

async fn invalid_signup_reports_every_field_and_writes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    let reply = app
        .call(
            &client,
            "sign_up",
            serde_json::json!({ "form": {
                "email": "a@b", "password": "password1", "first_name": " ",
                "last_name": "x".repeat(101), "account_name": "Acme", "application_name": ""
            }}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "validation.invalid_input");
    let fields: Vec<String> = reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        fields,
        [
            "email",
            "password",
            "first_name",
            "last_name",
            "application_name"
        ]
    );
    assert_eq!(app.count("accounts").await, 0);

    let garbage = client
        .post(format!("{}/api/sign_up", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert!(
        (400..500).contains(&garbage),
        "malformed JSON is a client error, got {garbage}"
    );
}

/// The browser bundle has no common-password list: forms ask `password_too_common` when the
/// field loses focus (sign-up is signed out), and get the sentence to show, or nothing.
async fn the_common_password_check_answers_signed_out_forms(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    let ask = |password: &str| {
        app.call(
            &client,
            "password_too_common",
            serde_json::json!({ "password": password }),
        )
    };
    let common = ask("PassWord1").await;
    assert_eq!(common.status, 200, "{}", common.body);
    assert!(
        common
            .body
            .as_str()
            .is_some_and(|m| m.contains("too common")),
        "{}",
        common.body
    );
    for fine in ["universal machine 1936", "short", ""] {
        let reply = ask(fine).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body, serde_json::Value::Null, "{fine:?}");
    }
    assert_eq!(app.count("admin_users").await, 0, "it writes nothing");
}
