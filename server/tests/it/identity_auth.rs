//! Identity sign-in over real HTTP (`/v1/identity/auth/…`), on both engines: login and its
//! refusals, application selection, sessions (refresh rotation, reuse detection, lifetimes),
//! logout, change-password and the forced change, lockout and per-address limits, the emailed
//! links (forgot/reset, verification; read from the `outbox` table), the admin actions that send
//! them, no enumeration (also in timing), and no secret in answers or audit rows.

use crate::api::{api, code, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use time::Duration;

on_both_engines!(
    login_signs_in_and_refuses_alike,
    several_applications_need_a_selection,
    refresh_rotates_and_a_reused_token_ends_the_session,
    sessions_expire_when_idle_or_old_and_logout_ends_them,
    change_password_and_the_forced_change,
    ten_failures_lock_an_identity_for_fifteen_minutes,
    five_failures_from_one_address_get_429_with_retry_after,
    forgot_and_reset_password_loop,
    reset_tokens_expire_and_forged_ones_are_refused,
    a_pending_identity_becomes_active_through_forgot_password,
    send_verification_and_verify_email,
    forgot_password_takes_the_same_time_for_unknown_emails,
    admin_actions_need_identity_manage
);

const ACCOUNT: &str = "engines";
const SECRET: &str = "a very private passphrase";
const NEW_SECRET: &str = "another private passphrase";

struct World {
    app: TestApp,
    admin: reqwest::Client,
    key: String,
    http: reqwest::Client,
}

async fn world(engine: Engine) -> World {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("owner@example.com", "Engines").await;
    let key = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    World {
        app,
        admin,
        key,
        // No cookie store: each test passes the refresh cookie by hand, as a client would.
        http: reqwest::Client::new(),
    }
}

/// What one call to the identity API answered.
struct Answer {
    status: u16,
    body: Value,
    /// The refresh token of a `Set-Cookie` (empty when cleared), and the whole header.
    refresh: Option<String>,
    set_cookie: Option<String>,
    retry_after: Option<String>,
}

impl World {
    /// An identity in the key's application (with `password`, active; without, pending).
    async fn identity(&self, email: &str, password: Option<&str>, require_change: bool) -> String {
        let (status, body) = api(&self.app)
            .post(
                "/identities",
                &self.key,
                json!({ "email": email, "first_name": "Pat", "last_name": "Lee",
                        "password": password, "require_password_change": require_change }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap_or_default().to_owned()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        refresh: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self
            .http
            .request(method, format!("{}/v1/identity/auth{path}", self.app.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(token) = refresh {
            request = request.header(COOKIE, format!("arbor_identity_refresh={token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let refresh = set_cookie.as_deref().and_then(|c| {
            c.strip_prefix("arbor_identity_refresh=")
                .and_then(|rest| rest.split(';').next())
                .map(str::to_owned)
        });
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Answer {
            status,
            body,
            refresh,
            set_cookie,
            retry_after,
        }
    }

    async fn login(&self, email: &str, password: &str) -> Answer {
        self.call(
            "POST",
            "/login",
            None,
            None,
            Some(json!({ "account_slug": ACCOUNT, "email": email, "password": password })),
        )
        .await
    }

    async fn me(&self, access: &str) -> Answer {
        self.call("GET", "/me", Some(access), None, None).await
    }

    async fn forgot(&self, email: &str) -> Answer {
        self.call(
            "POST",
            "/forgot-password",
            None,
            None,
            Some(json!({ "account_slug": ACCOUNT, "email": email })),
        )
        .await
    }

    /// The token in the newest email of `kind` to `recipient` (from the outbox's text body).
    async fn emailed_token(&self, recipient: &str, kind: &str) -> String {
        let bodies = self
            .app
            .strings(&format!(
                "SELECT text_body FROM outbox WHERE recipient = '{recipient}' AND kind = '{kind}' ORDER BY created_at DESC, id DESC"
            ))
            .await;
        let body = bodies
            .first()
            .unwrap_or_else(|| panic!("no {kind} email to {recipient}"));
        let start = body
            .find("token=")
            .unwrap_or_else(|| panic!("no link in {body}"))
            + "token=".len();
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    async fn mails(&self, recipient: &str) -> i64 {
        self.app
            .count(&format!("outbox WHERE recipient = '{recipient}'"))
            .await
    }
}

fn access(answer: &Answer) -> String {
    answer.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn error_code(answer: &Answer) -> &str {
    code(&answer.body)
}

async fn login_signs_in_and_refuses_alike(engine: Engine) {
    let w = world(engine).await;
    let id = w.identity("pat@example.com", Some(SECRET), false).await;

    let ok = w.login("Pat@Example.com", SECRET).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["requires_application_selection"], false);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 900);
    assert_eq!(ok.body["identity"]["id"], id.as_str());
    assert_eq!(ok.body["application"]["slug"], "billing-portal");
    assert!(ok.body["environment_id"].is_string());
    assert_eq!(access(&ok).len(), 43, "32 random bytes, base64url");
    let cookie = ok.set_cookie.clone().unwrap_or_default();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/v1/identity/auth"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http here: {cookie}");
    assert!(!ok.body.to_string().contains(SECRET));

    let me = w.me(&access(&ok)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["identity"]["email"], "pat@example.com");
    assert_eq!(me.body["application"]["name"], "Billing Portal");
    assert_eq!(me.body["email_verified"], false);

    // Wrong password, unknown email, unknown account, no password yet: one answer.
    w.identity("pending@example.com", None, false).await;
    let mut refusals = Vec::new();
    for (account, email, password) in [
        (ACCOUNT, "pat@example.com", "not the passphrase"),
        (ACCOUNT, "nobody@example.com", SECRET),
        ("no-such-account", "pat@example.com", SECRET),
        (ACCOUNT, "pending@example.com", SECRET),
    ] {
        let answer = w
            .call(
                "POST",
                "/login",
                None,
                None,
                Some(json!({ "account_slug": account, "email": email, "password": password })),
            )
            .await;
        refusals.push((
            answer.status,
            answer.body["error"]["code"].clone(),
            answer.body["error"]["message"].clone(),
        ));
    }
    assert!(refusals.iter().all(|r| *r == refusals[0]), "{refusals:?}");
    assert_eq!(refusals[0].0, 401);
    assert_eq!(refusals[0].1, "auth.invalid_credentials");

    // A correct password learns more: deactivated, or in no application.
    let deactivated = w
        .app
        .call(
            &w.admin,
            "set_identity_status",
            json!({ "account": ACCOUNT, "id": id, "active": false }),
        )
        .await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    let refused = w.login("pat@example.com", SECRET).await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "identity_auth.identity_inactive")
    );
    // Its session ended with the kill switch.
    assert_eq!(w.me(&access(&ok)).await.status, 401);
    w.app
        .call(
            &w.admin,
            "set_identity_status",
            json!({ "account": ACCOUNT, "id": id, "active": true }),
        )
        .await;
    let (status, _) = api(&w.app)
        .send("DELETE", &format!("/identities/{id}"), Some(&w.key), None)
        .await;
    assert_eq!(status, 204);
    let refused = w.login("pat@example.com", SECRET).await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "identity_auth.no_application")
    );

    let malformed = w
        .call("POST", "/login", None, None, Some(json!({ "email": "x" })))
        .await;
    assert_eq!(malformed.status, 400);
}

/// A second application in the account, with its one environment (there is no create
/// operation yet, so written as signup writes one).
async fn second_application(app: &TestApp) -> String {
    let account: Vec<String> = app
        .strings("SELECT id FROM accounts WHERE slug = 'engines'")
        .await;
    let account_id = account.first().cloned().unwrap_or_default();
    let app_id = app.services.new_id();
    let env_id = app.services.new_id();
    let now = app::store::ms(app.services.now());
    let db = app.services.db.reader();
    sqlx::query("INSERT INTO applications (account_id, id, name, slug, default_environment_id, created_at, updated_at) VALUES ($1, $2, 'Analytics', 'analytics', $3, $4, $4)")
        .bind(&account_id).bind(&app_id).bind(&env_id).bind(now)
        .execute(db).await.unwrap_or_else(|e| panic!("application: {e}"));
    sqlx::query("INSERT INTO environments (account_id, id, application_id, name, slug, kind, created_at, updated_at) VALUES ($1, $2, $3, 'Production', 'production', 'production', $4, $4)")
        .bind(&account_id).bind(&env_id).bind(&app_id).bind(now)
        .execute(db).await.unwrap_or_else(|e| panic!("environment: {e}"));
    app_id
}

async fn several_applications_need_a_selection(engine: Engine) {
    let w = world(engine).await;
    let id = w.identity("pat@example.com", Some(SECRET), false).await;
    let analytics = second_application(&w.app).await;
    let added = w
        .app
        .call(
            &w.admin,
            "add_identity_membership",
            json!({ "account": ACCOUNT, "id": id, "application_id": analytics }),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);

    let login = w.login("pat@example.com", SECRET).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["requires_application_selection"], true);
    assert_eq!(login.body["expires_in"], 300);
    assert!(
        login.refresh.is_none(),
        "no refresh cookie before a selection"
    );
    let names: Vec<&str> = login.body["applications"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Analytics", "Billing Portal"]);
    let selection = access(&login);

    let too_early = w.me(&selection).await;
    assert_eq!(
        (too_early.status, error_code(&too_early)),
        (403, "identity_auth.application_selection_required")
    );
    let foreign = w
        .call(
            "POST",
            "/select-application",
            Some(&selection),
            None,
            Some(json!({ "application_id": "0193a1f0-0000-7000-8000-000000000000" })),
        )
        .await;
    assert_eq!(foreign.status, 400, "{}", foreign.body);

    let chosen = w
        .call(
            "POST",
            "/select-application",
            Some(&selection),
            None,
            Some(json!({ "application_id": analytics })),
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert_eq!(chosen.body["application"]["name"], "Analytics");
    assert!(chosen.refresh.is_some());
    let me = w.me(&access(&chosen)).await;
    assert_eq!(me.body["application"]["id"], analytics.as_str());

    // The selection token is spent.
    let again = w
        .call(
            "POST",
            "/select-application",
            Some(&selection),
            None,
            Some(json!({ "application_id": analytics })),
        )
        .await;
    assert_eq!(again.status, 401);
}

async fn refresh_rotates_and_a_reused_token_ends_the_session(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), false).await;
    let login = w.login("pat@example.com", SECRET).await;
    let first_refresh = login.refresh.clone().unwrap_or_default();

    let refreshed = w
        .call("POST", "/refresh", None, Some(&first_refresh), None)
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let second_refresh = refreshed.refresh.clone().unwrap_or_default();
    assert_ne!(second_refresh, first_refresh, "rotated");
    assert_ne!(access(&refreshed), access(&login));
    assert_eq!(
        w.me(&access(&login)).await.status,
        401,
        "the old access token is replaced"
    );
    assert_eq!(w.me(&access(&refreshed)).await.status, 200);

    // The spent refresh token again: someone else holds it; the whole session ends.
    let reused = w
        .call("POST", "/refresh", None, Some(&first_refresh), None)
        .await;
    assert_eq!(reused.status, 401);
    assert!(reused.set_cookie.unwrap_or_default().contains("Max-Age=0"));
    assert_eq!(w.me(&access(&refreshed)).await.status, 401);
    let legit = w
        .call("POST", "/refresh", None, Some(&second_refresh), None)
        .await;
    assert_eq!(legit.status, 401);
    assert_eq!(
        w.app
            .count("audit_events WHERE action = 'identity.refresh_token_reused'")
            .await,
        1
    );
    let none = w.call("POST", "/refresh", None, None, None).await;
    assert_eq!(
        (none.status, error_code(&none)),
        (401, "auth.unauthenticated")
    );
}

async fn sessions_expire_when_idle_or_old_and_logout_ends_them(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), false).await;
    let login = w.login("pat@example.com", SECRET).await;
    w.app.clock.advance(Duration::minutes(16));
    assert_eq!(
        w.me(&access(&login)).await.status,
        401,
        "access tokens live 15 minutes"
    );
    let refreshed = w
        .call("POST", "/refresh", None, login.refresh.as_deref(), None)
        .await;
    assert_eq!(refreshed.status, 200);
    w.app
        .clock
        .advance(Duration::days(7) + Duration::minutes(1));
    let idle = w
        .call("POST", "/refresh", None, refreshed.refresh.as_deref(), None)
        .await;
    assert_eq!(idle.status, 401, "idle for 7 days");

    // Refreshed every 6 days, a session still ends 30 days after sign-in.
    let login = w.login("pat@example.com", SECRET).await;
    let mut refresh = login.refresh.clone().unwrap_or_default();
    for _ in 0..4 {
        w.app.clock.advance(Duration::days(6));
        let next = w.call("POST", "/refresh", None, Some(&refresh), None).await;
        assert_eq!(next.status, 200, "{}", next.body);
        refresh = next.refresh.unwrap_or_default();
    }
    w.app.clock.advance(Duration::days(6));
    let old = w.call("POST", "/refresh", None, Some(&refresh), None).await;
    assert_eq!(old.status, 401, "30 days after sign-in");

    let login = w.login("pat@example.com", SECRET).await;
    let out = w
        .call("POST", "/logout", Some(&access(&login)), None, None)
        .await;
    assert_eq!(out.status, 200);
    assert!(out.set_cookie.unwrap_or_default().contains("Max-Age=0"));
    assert_eq!(w.me(&access(&login)).await.status, 401);
    let after = w
        .call("POST", "/refresh", None, login.refresh.as_deref(), None)
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(
        w.call("POST", "/logout", None, None, None).await.status,
        200
    );
}

async fn change_password_and_the_forced_change(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), true).await;
    let other = w.login("pat@example.com", SECRET).await;
    let login = w.login("pat@example.com", SECRET).await;
    assert_eq!(login.body["password_change_required"], true);
    let token = access(&login);
    let me = w.me(&token).await;
    assert_eq!(
        (me.status, error_code(&me)),
        (403, "identity_auth.password_change_required")
    );
    let refresh = w
        .call("POST", "/refresh", None, login.refresh.as_deref(), None)
        .await;
    assert_eq!(refresh.status, 403);

    let wrong = w
        .call(
            "POST",
            "/change-password",
            Some(&token),
            None,
            Some(json!({ "current_password": "not it at all", "new_password": NEW_SECRET })),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.body["error"]["details"]["errors"][0]["field"],
        "current_password"
    );
    let common = w
        .call(
            "POST",
            "/change-password",
            Some(&token),
            None,
            Some(json!({ "current_password": SECRET, "new_password": "password123" })),
        )
        .await;
    assert_eq!(error_code(&common), "identities.password_too_common");

    let changed = w
        .call(
            "POST",
            "/change-password",
            Some(&token),
            None,
            Some(json!({ "current_password": SECRET, "new_password": NEW_SECRET })),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        w.me(&token).await.status,
        200,
        "this session stays, unrestricted"
    );
    assert_eq!(
        w.me(&access(&other)).await.status,
        401,
        "other sessions end"
    );
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 401);
    let again = w.login("pat@example.com", NEW_SECRET).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["password_change_required"], false);
    assert_no_secrets(&w.app, &[SECRET, NEW_SECRET]).await;
}

async fn ten_failures_lock_an_identity_for_fifteen_minutes(engine: Engine) {
    let w = world(engine).await;
    // Many addresses in real life; here the per-address limit is lifted to reach the lockout.
    w.app.services.identity_login_limit.set_limit(100);
    w.identity("pat@example.com", Some(SECRET), false).await;
    for attempt in 0..10 {
        let failed = w.login("pat@example.com", "wrong passphrase!").await;
        assert_eq!(failed.status, 401, "attempt {attempt}");
    }
    let locked = w.login("pat@example.com", SECRET).await;
    assert_eq!(
        (locked.status, error_code(&locked)),
        (429, "identity_auth.locked")
    );
    assert_eq!(locked.retry_after.as_deref(), Some("900"));
    assert_eq!(
        w.app
            .count("audit_events WHERE action = 'identity.locked'")
            .await,
        1
    );
    w.app.clock.advance(Duration::minutes(14));
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 429);
    w.app.clock.advance(Duration::minutes(1));
    let unlocked = w.login("pat@example.com", SECRET).await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
    // Nine failures after a success do not lock.
    for _ in 0..9 {
        w.login("pat@example.com", "wrong passphrase!").await;
    }
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 200);
}

async fn five_failures_from_one_address_get_429_with_retry_after(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), false).await;
    assert_eq!(
        w.login("pat@example.com", SECRET).await.status,
        200,
        "successes are not counted"
    );
    for email in [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "pat@example.com",
    ] {
        assert_eq!(w.login(email, "wrong passphrase!").await.status, 401);
    }
    let limited = w.login("pat@example.com", SECRET).await;
    assert_eq!(
        (limited.status, error_code(&limited)),
        (429, "auth.too_many_attempts")
    );
    assert_eq!(limited.retry_after.as_deref(), Some("900"));
    assert_eq!(limited.body["error"]["details"]["retry_after_secs"], 900);
    w.app.clock.advance(Duration::minutes(15));
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 200);
}

/// Fetches a token page like a mail scanner would: it renders, and spends nothing.
async fn open_page(w: &World, path: &str) {
    let response = w
        .http
        .get(format!("{}{path}", w.app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("no-referrer"),
        "{path}"
    );
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{path}"
    );
    assert_eq!(response.status(), 200, "{path}");
}

async fn forgot_and_reset_password_loop(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), false).await;
    let before = w.login("pat@example.com", SECRET).await;

    let known = w.forgot("pat@example.com").await;
    let unknown = w.forgot("nobody@example.com").await;
    assert_eq!(known.status, 200);
    assert_eq!(known.body, unknown.body, "no enumeration");
    assert_eq!(w.mails("nobody@example.com").await, 0);
    assert_eq!(w.mails("pat@example.com").await, 1);
    let token = w
        .emailed_token("pat@example.com", "identity_password_reset")
        .await;
    assert_eq!(token.len(), 43);

    // Opening the link (twice, as scanners do) spends nothing.
    let page = format!("/reset-password?token={token}");
    open_page(&w, &page).await;
    open_page(&w, &page).await;

    let reset = w
        .call(
            "POST",
            "/reset-password",
            None,
            None,
            Some(json!({ "token": token, "password": NEW_SECRET })),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        w.me(&access(&before)).await.status,
        401,
        "a reset ends every session"
    );
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 401);
    let after = w.login("pat@example.com", NEW_SECRET).await;
    assert_eq!(after.status, 200);
    let me = w.me(&access(&after)).await;
    assert_eq!(me.body["email_verified"], true, "the link proved the email");

    let again = w
        .call(
            "POST",
            "/reset-password",
            None,
            None,
            Some(json!({ "token": token, "password": "yet another passphrase" })),
        )
        .await;
    assert_eq!(
        (again.status, error_code(&again)),
        (410, "identity_auth.token_used")
    );
    assert_no_secrets(&w.app, &[SECRET, NEW_SECRET, &token]).await;
    for answer in [&known, &unknown, &reset, &again] {
        assert!(!answer.body.to_string().contains(&token));
    }
}

async fn reset_tokens_expire_and_forged_ones_are_refused(engine: Engine) {
    let w = world(engine).await;
    w.identity("pat@example.com", Some(SECRET), false).await;
    w.forgot("pat@example.com").await;
    let first = w
        .emailed_token("pat@example.com", "identity_password_reset")
        .await;
    w.forgot("pat@example.com").await;
    let second = w
        .emailed_token("pat@example.com", "identity_password_reset")
        .await;
    let reset = |token: String| {
        let w = &w;
        async move {
            w.call(
                "POST",
                "/reset-password",
                None,
                None,
                Some(json!({ "token": token, "password": NEW_SECRET })),
            )
            .await
        }
    };
    let replaced = reset(first).await;
    assert_eq!(
        (replaced.status, error_code(&replaced)),
        (400, "identity_auth.token_invalid"),
        "only the newest link works"
    );
    let forged = reset("A".repeat(43)).await;
    assert_eq!(error_code(&forged), "identity_auth.token_invalid");
    w.app.clock.advance(Duration::minutes(61));
    let expired = reset(second).await;
    assert_eq!(
        (expired.status, error_code(&expired)),
        (410, "identity_auth.token_expired")
    );
    assert_eq!(w.login("pat@example.com", SECRET).await.status, 200);
}

async fn a_pending_identity_becomes_active_through_forgot_password(engine: Engine) {
    let w = world(engine).await;
    let id = w.identity("new@example.com", None, false).await;
    assert_eq!(w.login("new@example.com", SECRET).await.status, 401);
    w.forgot("new@example.com").await;
    let token = w
        .emailed_token("new@example.com", "identity_password_reset")
        .await;
    let reset = w
        .call(
            "POST",
            "/reset-password",
            None,
            None,
            Some(json!({ "token": token, "password": SECRET })),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let (_, identity) = api(&w.app).get(&format!("/identities/{id}"), &w.key).await;
    assert_eq!(identity["status"], "active");
    assert_eq!(identity["has_password"], true);
    assert_eq!(w.login("new@example.com", SECRET).await.status, 200);
}

async fn send_verification_and_verify_email(engine: Engine) {
    let w = world(engine).await;
    let id = w.identity("pat@example.com", Some(SECRET), false).await;
    assert_eq!(unverified(&w).await, Some(1));

    let (status, body) = api(&w.app)
        .post(
            &format!("/identities/{id}/send-verification"),
            &w.key,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = w
        .emailed_token("pat@example.com", "identity_email_verification")
        .await;
    assert!(
        !body.to_string().contains(&token),
        "the admin never sees the token"
    );
    open_page(&w, &format!("/verify-email?token={token}")).await;
    let verified = w
        .call(
            "POST",
            "/verify-email",
            None,
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(
        unverified(&w).await,
        Some(0),
        "the card counts real unverified emails"
    );
    let twice = w
        .call(
            "POST",
            "/verify-email",
            None,
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(error_code(&twice), "identity_auth.token_used");

    let (status, body) = api(&w.app)
        .post(
            &format!("/identities/{id}/send-verification"),
            &w.key,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (409, "identities.email_already_verified")
    );
    let from_drawer = w
        .app
        .call(
            &w.admin,
            "send_identity_verification",
            json!({ "account": ACCOUNT, "id": id }),
        )
        .await;
    assert_eq!(from_drawer.status, 409);

    // Resend answers alike for verified, unverified and unknown emails; only the unverified
    // one gets mail.
    let other = w.identity("sam@example.com", Some(SECRET), false).await;
    let mut answers = Vec::new();
    for email in ["pat@example.com", "sam@example.com", "nobody@example.com"] {
        let answer = w
            .call(
                "POST",
                "/resend-verification",
                None,
                None,
                Some(json!({ "account_slug": ACCOUNT, "email": email })),
            )
            .await;
        answers.push((answer.status, answer.body));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(w.mails("pat@example.com").await, 1);
    assert_eq!(w.mails("sam@example.com").await, 1);
    assert_eq!(w.mails("nobody@example.com").await, 0);

    // The drawer's Send password reset: mail, and an audit row without the token.
    let sent = w
        .app
        .call(
            &w.admin,
            "send_identity_password_reset",
            json!({ "account": ACCOUNT, "id": other }),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let reset_token = w
        .emailed_token("sam@example.com", "identity_password_reset")
        .await;
    assert_eq!(
        w.app
            .count(
                "audit_events WHERE action = 'identity.password_reset_sent' AND category = 'auth'"
            )
            .await,
        1
    );
    assert_no_secrets(&w.app, &[&token, &reset_token, SECRET]).await;
}

async fn forgot_password_takes_the_same_time_for_unknown_emails(engine: Engine) {
    let w = world(engine).await;
    w.app.services.identity_mail_limit.set_limit(1000);
    w.identity("pat@example.com", Some(SECRET), false).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    // Interleaved, so drift in the machine's load hits both alike.
    for i in 0..12 {
        for (email, times) in [
            ("pat@example.com".to_owned(), &mut known),
            (format!("nobody{i}@example.com"), &mut unknown),
        ] {
            let started = std::time::Instant::now();
            let answer = w.forgot(&email).await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(answer.status, 200);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    assert!(
        (k - u).abs() < 40.0,
        "forgot-password medians differ: known {k:.1} ms, unknown {u:.1} ms"
    );
    assert!(
        k >= 250.0 && u >= 250.0,
        "the answer floor: {k:.1} / {u:.1} ms"
    );
    assert_eq!(w.mails("pat@example.com").await, 12);
}

async fn admin_actions_need_identity_manage(engine: Engine) {
    let w = world(engine).await;
    let id = w.identity("pat@example.com", Some(SECRET), false).await;
    let reader = key(
        &w.app,
        &w.admin,
        "development",
        json!({ "name": "Reader", "scopes": ["identity.read"] }),
    )
    .await;
    for action in ["send-password-reset", "send-verification"] {
        let (status, body) = api(&w.app)
            .post(&format!("/identities/{id}/{action}"), &reader, json!({}))
            .await;
        assert_eq!(
            (
                status,
                code(&body),
                body["error"]["details"]["scope"].as_str()
            ),
            (403, "api_keys.scope_missing", Some("identity.manage")),
            "{action}"
        );
        let (status, _) = api(&w.app)
            .post(
                &format!("/identities/0193a1f0-0000-7000-8000-000000000000/{action}"),
                &w.key,
                json!({}),
            )
            .await;
        assert_eq!(status, 404, "{action}");
    }
    assert_eq!(w.mails("pat@example.com").await, 0);
}

/// The Tenant › Identities "Email unverified" card.
async fn unverified(w: &World) -> Option<i64> {
    w.app
        .call(&w.admin, "directory_summary", json!({ "account": ACCOUNT }))
        .await
        .body["email_unverified"]
        .as_i64()
}

/// No audit row (label or metadata) holds any of `secrets`.
async fn assert_no_secrets(app: &TestApp, secrets: &[&str]) {
    let rows = app
        .strings("SELECT COALESCE(resource_label, '') || ' ' || COALESCE(actor_label, '') || ' ' || COALESCE(metadata, '') FROM audit_events")
        .await;
    for secret in secrets {
        assert!(
            rows.iter().all(|row| !row.contains(secret)),
            "a secret is in the audit log"
        );
    }
    let stored = app
        .strings("SELECT COALESCE(password_hash, '') FROM identities")
        .await;
    for secret in secrets {
        assert!(stored.iter().all(|h| !h.contains(secret)));
    }
}
