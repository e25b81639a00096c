//! A session of one account can never read another account's data through any server function.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::json;

on_both_engines!(a_session_of_one_account_cannot_read_another_account);

async fn a_session_of_one_account_cannot_read_another_account(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (alice, _) = app.sign_up("alice@a.test", "Alpha").await;
    let (bob, _) = app.sign_up("bob@b.test", "Beta").await;

    // Every server function that takes an account, asked about Beta by Alpha's admin.
    let probes = [
        ("workspace", json!({ "account": "beta" })),
        ("applications", json!({ "account": "beta" })),
        (
            "overview",
            json!({ "account": "beta", "application": "billing-portal", "environment": "development" }),
        ),
        (
            "remember_environment",
            json!({ "account": "beta", "application": "billing-portal", "environment": "production" }),
        ),
        (
            "application_landing",
            json!({ "account": "beta", "application": "billing-portal" }),
        ),
    ];
    for (endpoint, args) in &probes {
        let reply = app.call(&alice, endpoint, args.clone()).await;
        assert_eq!(reply.status, 404, "{endpoint}: {}", reply.body);
        assert_eq!(reply.code(), "accounts.not_found", "{endpoint}");
        assert!(
            !reply.body.to_string().contains("bob@b.test"),
            "{endpoint} leaked data"
        );
        // The owner sees their own account through the same function.
        let own = app.call(&bob, endpoint, args.clone()).await;
        assert_eq!(own.status, 200, "{endpoint} for its owner: {}", own.body);
    }
    // Nothing was remembered for Alpha's admin in Beta.
    assert_eq!(
        app.count("admin_app_state").await,
        1,
        "only Bob's own switch was stored"
    );

    // And without a session nothing is readable at all.
    let anonymous = app.client();
    for (endpoint, args) in &probes {
        let reply = app.call(&anonymous, endpoint, args.clone()).await;
        assert_eq!(reply.status, 401, "{endpoint}");
    }
}
