//! The set-based bulk create (`services::identities::write_set`): one transaction a batch, yet
//! every row gets the verdict creating the rows one by one, in order, would have given it — in-batch
//! duplicates, conflicts with the directory, unusable role targets, mixed good and bad rows — a dry
//! run answers the same, and two overlapping batches in opposite orders never deadlock.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::error::AppError;
use app::model::{CreatedIdentity, EnvScope, IdentityForm};
use app::services::rows::Mode;
use app::services::{Caller, identities};
use serde_json::json;
use std::collections::HashSet;

on_both_engines!(
    each_row_gets_the_verdict_of_creating_the_rows_in_order,
    overlapping_batches_in_opposite_orders_never_deadlock,
);

fn env() -> serde_json::Value {
    json!({ "account": "engines", "application": "billing-portal", "environment": "development" })
}

/// The development environment of the one account, as an operator acting in it.
pub(crate) async fn operator(app: &TestApp) -> Caller {
    let (account_id, application_id, environment_id): (String, String, String) = sqlx::query_as(
        "SELECT account_id, application_id, id FROM environments WHERE slug = 'development'",
    )
    .fetch_one(app.services.db.reader())
    .await
    .unwrap_or_else(|e| panic!("environment: {e}"));
    Caller::operator(EnvScope {
        account_id,
        application_id,
        environment_id,
    })
}

fn form(email: &str) -> IdentityForm {
    IdentityForm {
        email: email.into(),
        first_name: "Pat".into(),
        last_name: "Lee".into(),
        ..IdentityForm::default()
    }
}

fn codes(results: &[Result<CreatedIdentity, AppError>]) -> Vec<&'static str> {
    results
        .iter()
        .map(|r| match r {
            Ok(_) => "created",
            Err(e) => e.code(),
        })
        .collect()
}

async fn each_row_gets_the_verdict_of_creating_the_rows_in_order(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let role = app
        .role_granting(&admin, &env(), "Editor", &["invoice.read"])
        .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": env() })).await;
    let root = view.body["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let s = &app.services;
    let caller = operator(&app).await;
    // The directory before the batch: a member here, one of the account outside this
    // application, and an external id in use.
    let mut crm = form("crm@example.com");
    crm.external_id = Some("crm-1".into());
    let before = identities::bulk_create(
        s,
        &caller,
        &[
            form("taken@example.com"),
            form("elsewhere@example.com"),
            crm,
        ],
        Mode::Real,
    )
    .await
    .unwrap_or_else(|e| panic!("seed: {e}"));
    let elsewhere = match &before[1] {
        Ok(created) => created.identity.id.clone(),
        Err(e) => panic!("seed: {e}"),
    };
    identities::remove_from_application(s, &caller, &elsewhere)
        .await
        .unwrap_or_else(|e| panic!("remove: {e}"));

    let assigned = |email: &str, node: &str| IdentityForm {
        role_id: Some(role.clone()),
        node_id: Some(node.to_owned()),
        ..form(email)
    };
    let with_external = |email: &str, external: &str| IdentityForm {
        external_id: Some(external.to_owned()),
        ..form(email)
    };
    let rows = vec![
        assigned("new1@example.com", &root),
        form("taken@example.com"),
        form("elsewhere@example.com"),
        form("NEW1@example.com"),
        assigned("late@example.com", "no-such-node"),
        form("late@example.com"),
        with_external("ext@example.com", "crm-1"),
        form("ext@example.com"),
        form("not-an-email"),
        assigned("taken@example.com", "no-such-node"),
        with_external("new2@example.com", "crm-2"),
        with_external("new3@example.com", "crm-2"),
        assigned("probe@example.com", "no-such-node"),
        with_external("probe2@example.com", "crm-1"),
    ];
    let expected = vec![
        "created",
        "identities.email_taken",
        "identities.exists_in_account",
        "identities.email_taken",
        "nodes.not_found",
        // The row before it with this email wrote nothing, so this one is the first.
        "created",
        "identities.external_id_taken",
        // Likewise: its earlier namesake failed on its external id.
        "created",
        "validation.invalid_input",
        // The email is judged before the assignment, as for a single create.
        "identities.email_taken",
        "created",
        "identities.external_id_taken",
        "nodes.not_found",
        "identities.external_id_taken",
    ];
    let identities_before = app.count("identities").await;
    let audit_before = app.count("audit_events").await;

    let dry = identities::bulk_create(s, &caller, &rows, Mode::Dry)
        .await
        .unwrap_or_else(|e| panic!("dry run: {e}"));
    assert_eq!(
        codes(&dry),
        expected,
        "a dry run answers what a real run will"
    );
    assert_eq!(app.count("identities").await, identities_before);
    assert_eq!(app.count("audit_events").await, audit_before);

    let real = identities::bulk_create(s, &caller, &rows, Mode::Real)
        .await
        .unwrap_or_else(|e| panic!("real run: {e}"));
    assert_eq!(codes(&real), expected);
    if let Some(Err(AppError::IdentityExistsInAccount { identity_id })) = real.get(2) {
        assert_eq!(identity_id, &elsewhere);
    } else {
        panic!("row 2: {:?}", real.get(2));
    }
    // Results in input order, each with what it created.
    let first = real[0].as_ref().unwrap_or_else(|e| panic!("row 0: {e}"));
    assert_eq!(first.identity.email, "new1@example.com");
    assert_eq!(first.identity.status.as_str(), "pending");
    let assignment = first
        .assignment
        .as_ref()
        .unwrap_or_else(|| panic!("row 0 has its assignment"));
    assert_eq!(
        (assignment.role_name.as_str(), assignment.node_id.as_str()),
        ("Editor", root.as_str())
    );
    let ext = real[10].as_ref().unwrap_or_else(|e| panic!("row 10: {e}"));
    assert_eq!(ext.identity.external_id.as_deref(), Some("crm-2"));

    // Exactly the successful rows were written, each with its membership and its own audit trail.
    assert_eq!(app.count("identities").await, identities_before + 4);
    for email in [
        "new1@example.com",
        "late@example.com",
        "ext@example.com",
        "new2@example.com",
    ] {
        assert_eq!(
            app.count(&format!(
                "identities i JOIN app_memberships m ON m.account_id = i.account_id \
                 AND m.identity_id = i.id AND m.status = 'active' WHERE i.email = '{email}'"
            ))
            .await,
            1,
            "{email}"
        );
    }
    for email in [
        "probe@example.com",
        "probe2@example.com",
        "new3@example.com",
    ] {
        assert_eq!(
            app.count(&format!("identities WHERE email = '{email}'"))
                .await,
            0
        );
    }
    assert_eq!(
        app.count(&format!(
            "assignments a JOIN identities i ON i.account_id = a.account_id AND i.id = a.identity_id \
             WHERE i.email = 'new1@example.com' AND a.node_id = '{root}'"
        ))
        .await,
        1
    );
    // identity.created + membership.activated per row, assignment.created for the one that
    // assigned: 9 events under 4 correlation ids, one per row as if each had committed alone.
    assert_eq!(app.count("audit_events").await, audit_before + 9);
    let created_here = "SELECT correlation_id FROM audit_events WHERE action = 'identity.created' \
         AND resource_label IN ('new1@example.com', 'late@example.com', 'ext@example.com', 'new2@example.com')";
    assert_eq!(app.count(&format!("({created_here}) AS c")).await, 4);
    assert_eq!(
        app.count(&format!(
            "(SELECT DISTINCT correlation_id FROM ({created_here}) AS d) AS c"
        ))
        .await,
        4,
        "one correlation id per row"
    );
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE correlation_id IN ({created_here})"
        ))
        .await,
        9
    );

    // Run again: every row is now a conflict or its old verdict, and nothing more is written.
    let again = identities::bulk_create(s, &caller, &rows, Mode::Real)
        .await
        .unwrap_or_else(|e| panic!("again: {e}"));
    assert!(again.iter().all(Result::is_err), "{:?}", codes(&again));
    assert_eq!(app.count("identities").await, identities_before + 4);
}

/// Two batches sharing half their emails, sent at once in opposite orders, 100 times: every email
/// is created exactly once, the other batch reports it taken, and no transaction deadlocks (the
/// rows are inserted in email order whatever the request's order).
async fn overlapping_batches_in_opposite_orders_never_deadlock(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let caller = operator(&app).await;
    let s = &app.services;
    let started = std::time::Instant::now();
    for round in 0..100 {
        let emails = |range: std::ops::Range<usize>| -> Vec<IdentityForm> {
            range
                .map(|i| form(&format!("r{round}-{i:02}@example.com")))
                .collect()
        };
        let a = emails(0..20);
        let mut b = emails(10..30);
        b.reverse();
        let (ra, rb) = tokio::join!(
            identities::bulk_create(s, &caller, &a, Mode::Real),
            identities::bulk_create(s, &caller, &b, Mode::Real),
        );
        let (ra, rb) = (
            ra.unwrap_or_else(|e| panic!("round {round} a: {e}")),
            rb.unwrap_or_else(|e| panic!("round {round} b: {e}")),
        );
        let mut created = HashSet::new();
        for (row, outcome) in a.iter().chain(&b).zip(ra.iter().chain(&rb)) {
            match outcome {
                Ok(done) => {
                    assert_eq!(done.identity.email, row.email);
                    assert!(created.insert(row.email.clone()), "{} twice", row.email);
                }
                Err(e) => assert_eq!(e.code(), "identities.email_taken", "round {round}"),
            }
        }
        assert_eq!(created.len(), 30, "round {round}: each email created once");
    }
    assert_eq!(app.count("identities").await, 3_000);
    if engine == Engine::Postgres {
        let database: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)")
            .fetch_one(s.db.reader())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Backends publish their statistics when they exit: close ours, then read them.
        s.db.close().await;
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(
            &crate::support::postgres_admin_url(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        // Wait (at most 15 s, under a loaded machine) for them to be gone, then read the count.
        let mut deadlocks = -1;
        for _ in 0..600 {
            let (backends, count): (i64, i64) = sqlx::query_as(
                "SELECT CAST(numbackends AS BIGINT), deadlocks FROM pg_stat_database WHERE datname = $1",
            )
            .bind(&database)
            .fetch_one(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            deadlocks = count;
            if backends == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(deadlocks, 0, "no transaction deadlocked");
    }
    eprintln!("100 overlapping pairs in {:?}", started.elapsed());
}
