//! Sign-in, sessions, sign-out, throttling, resume state.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp, sign_in_form};
use serde_json::json;
use time::Duration;

on_both_engines!(
    wrong_password_and_unknown_email_get_the_same_generic_error,
    session_cookie_is_http_only_strict_and_rotated_at_sign_in,
    sign_out_ends_the_session,
    sessions_expire_after_idle_time_and_absolute_lifetime,
    repeated_failures_are_throttled_then_released,
    switching_environment_is_resumed_at_next_sign_in,
);

async fn wrong_password_and_unknown_email_get_the_same_generic_error(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let client = app.client();
    let wrong = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", "not it at all"),
        )
        .await;
    let unknown = app
        .call(
            &client,
            "sign_in",
            sign_in_form("nobody@example.com", "not it at all"),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body, "indistinguishable answers");
    assert_eq!(wrong.code(), "auth.invalid_credentials");
    assert_eq!(wrong.error().to_string(), "Incorrect email or password.");
    assert_eq!(
        app.count("audit_events WHERE action = 'admin.sign_in_failed' AND outcome = 'failure'")
            .await,
        1,
        "the failure on a real admin is audited"
    );
}

async fn session_cookie_is_http_only_strict_and_rotated_at_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = app.client();
    let signup = app
        .call(
            &client,
            "sign_up",
            crate::support::signup_form("ada@example.com", "Engines"),
        )
        .await;
    let first = signup.set_cookie.first().cloned().unwrap_or_default();
    assert!(first.starts_with("arbor_session="), "{first}");
    assert!(first.contains("HttpOnly"), "{first}");
    assert!(first.contains("SameSite=Strict"), "{first}");
    assert!(first.contains("Path=/"), "{first}");
    let first_token = first.split(';').next().unwrap_or_default().to_owned();

    let again = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", PASSWORD),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let second_token = again
        .set_cookie
        .first()
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    assert_ne!(first_token, second_token, "a new session id at sign-in");
    assert_eq!(
        app.count("admin_sessions").await,
        1,
        "the previous session was ended"
    );

    // The old cookie no longer opens anything.
    let stale = reqwest::Client::new()
        .post(format!("{}/api/workspace", app.base))
        .header("cookie", &first_token)
        .json(&json!({ "account": "engines" }))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(stale, 401);
    // Only the digest of the token is stored.
    let token = second_token.trim_start_matches("arbor_session=");
    assert_eq!(
        app.count(&format!("admin_sessions WHERE token_hash = '{token}'"))
            .await,
        0
    );
}

async fn sign_out_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (client, _) = app.sign_up("ada@example.com", "Engines").await;
    let ok = app
        .call(&client, "workspace", json!({ "account": "engines" }))
        .await;
    assert_eq!(ok.status, 200);
    let out = app.call(&client, "sign_out", json!({})).await;
    assert_eq!(out.status, 200);
    assert!(
        out.set_cookie.iter().any(|c| c.contains("Max-Age=0")),
        "cookie cleared"
    );
    assert_eq!(app.count("admin_sessions").await, 0);
    let after = app
        .call(&client, "workspace", json!({ "account": "engines" }))
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "auth.unauthenticated");
}

async fn sessions_expire_after_idle_time_and_absolute_lifetime(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (client, _) = app.sign_up("ada@example.com", "Engines").await;
    let workspace = || app.call(&client, "workspace", json!({ "account": "engines" }));

    // Activity keeps the session alive...
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(25));
        assert_eq!(workspace().await.status, 200);
    }
    // ...but 30 idle minutes end it.
    app.clock.advance(Duration::minutes(31));
    assert_eq!(workspace().await.status, 401);

    // Even a constantly used session ends after 12 hours.
    let again = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", PASSWORD),
        )
        .await;
    assert_eq!(again.status, 200);
    for _ in 0..(12 * 3 - 1) {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(workspace().await.status, 200);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(workspace().await.status, 401);
}

async fn repeated_failures_are_throttled_then_released(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up("ada@example.com", "Engines").await;
    let client = app.client();
    for _ in 0..5 {
        let reply = app
            .call(
                &client,
                "sign_in",
                sign_in_form("ada@example.com", "wrong guess"),
            )
            .await;
        assert_eq!(reply.status, 401);
    }
    let blocked = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", PASSWORD),
        )
        .await;
    assert_eq!(blocked.status, 429);
    assert_eq!(blocked.code(), "auth.too_many_attempts");
    assert_eq!(blocked.body["retry_after_secs"], 900);

    app.clock.advance(Duration::minutes(15));
    let released = app
        .call(
            &client,
            "sign_in",
            sign_in_form("ada@example.com", PASSWORD),
        )
        .await;
    assert_eq!(released.status, 200, "{}", released.body);
}

async fn switching_environment_is_resumed_at_next_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (client, _) = app.sign_up("ada@example.com", "Engines").await;
    let args = |env: &str| json!({ "account": "engines", "application": "billing-portal", "environment": env });
    let remembered = app
        .call(&client, "remember_environment", args("production"))
        .await;
    assert_eq!(remembered.status, 200, "{}", remembered.body);
    let unknown = app
        .call(&client, "remember_environment", args("staging"))
        .await;
    assert_eq!(unknown.code(), "environments.not_found");

    let other = app.client();
    let landing = app
        .call(&other, "sign_in", sign_in_form("ada@example.com", PASSWORD))
        .await;
    assert_eq!(landing.body["environment"], "production");
    let app_landing = app
        .call(
            &other,
            "application_landing",
            json!({ "account": "engines", "application": "billing-portal" }),
        )
        .await;
    assert_eq!(app_landing.body, "production");
    assert_eq!(
        app.count("audit_events WHERE action = 'admin.signed_in'")
            .await,
        1
    );
}
