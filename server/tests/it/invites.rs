//! Identity invites end to end over real HTTP, on both engines: the REST API (create, bulk with
//! `Idempotency-Key`, list, summary, resend, revoke), the public `invite-info` / `accept-invite`
//! endpoints, the hosted `/accept-invite` page (opening it spends nothing), the three intents,
//! expiry on the injected clock, one transaction per acceptance, and secrets kept out of answers,
//! audit rows and the outbox of self-delivered invites.

use crate::api::{api, code, env, key};
use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp};
use serde_json::{Value, json};

on_both_engines!(
    invites_follow_the_create_rules_and_one_pending_per_email,
    accepting_activates_with_the_bundled_assignment_in_one_go,
    opening_the_link_never_spends_it_and_token_pages_are_protected,
    add_to_app_checks_the_current_password_and_keeps_it,
    a_password_reset_invite_sets_a_new_password,
    resend_rotates_the_link_and_revoke_ends_it,
    invites_expire_after_seven_days,
    acceptance_is_one_transaction,
    bulk_invites_answer_per_row_and_replay_by_idempotency_key,
    invites_need_their_permissions,
    account_tier_invites_admit_to_the_chosen_application,
    the_setup_guide_counts_pending_invites_with_a_role
);

const NEW_PASSWORD: &str = "violet-harbor-lantern-42";

struct Setup {
    app: TestApp,
    admin: reqwest::Client,
    key: String,
}

async fn setup(engine: Engine) -> Setup {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let key = key(&app, &admin, "development", json!({ "name": "Invites" })).await;
    Setup { app, admin, key }
}

impl Setup {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        api(&self.app).post(path, &self.key, body).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        api(&self.app).get(path, &self.key).await
    }

    /// A role holding `invoice.read` and the environment's root node.
    async fn role_and_root(&self) -> (String, String) {
        let role = self
            .app
            .role_granting(&self.admin, &env("development"), "Clerk", &["invoice.read"])
            .await;
        let (_, nodes) = self.get("/nodes").await;
        let root = nodes["items"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (role, root)
    }

    /// A self-delivered invite: its id and the token of its link.
    async fn invite(&self, body: Value) -> (String, String) {
        let mut body = body;
        body["send_email"] = json!(false);
        let (status, created) = self.post("/identity-invites", body).await;
        assert_eq!(status, 201, "{created}");
        let url = created["accept_url"].as_str().unwrap_or_default();
        let token = url.split("token=").nth(1).unwrap_or_default().to_owned();
        assert_eq!(token.len(), 43, "{url}");
        (created["id"].as_str().unwrap_or_default().to_owned(), token)
    }

    /// POST to a public invite endpoint (no key).
    async fn public(&self, endpoint: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/identity/auth/{endpoint}", self.app.base))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn accept(&self, token: &str, password: &str) -> (u16, Value) {
        self.public(
            "accept-invite",
            json!({ "token": token, "first_name": "Pat", "last_name": "Lee", "password": password }),
        )
        .await
    }

    async fn one(&self, sql: &str) -> String {
        self.app
            .strings(sql)
            .await
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

fn pat() -> Value {
    json!({ "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee" })
}

async fn invites_follow_the_create_rules_and_one_pending_per_email(engine: Engine) {
    let t = setup(engine).await;
    let (role, root) = t.role_and_root().await;

    let (status, body) = t
        .post("/identity-invites", json!({ "email": "not-an-email" }))
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    let fields: Vec<&str> = body["error"]["details"]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "first_name", "last_name"]);
    // Role and node together or not at all; never on a password reset.
    let mut half = pat();
    half["role_id"] = json!(role);
    let (status, body) = t.post("/identity-invites", half).await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    assert_eq!(body["error"]["details"]["errors"][0]["field"], "node_id");
    let (status, body) = t
        .post(
            "/identity-invites",
            json!({ "email": "pat.lee@example.com", "intent": "password_reset", "role_id": role, "node_id": root }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    let mut unknown_role = pat();
    unknown_role["role_id"] = json!("0193a1f0-0000-7000-8000-000000000000");
    unknown_role["node_id"] = json!(root);
    let (status, body) = t.post("/identity-invites", unknown_role).await;
    assert_eq!((status, code(&body)), (404, "roles.not_found"));
    // A reset for nobody: there is no identity to reset.
    let (status, body) = t
        .post(
            "/identity-invites",
            json!({ "email": "nobody@example.com", "intent": "password_reset" }),
        )
        .await;
    assert_eq!((status, code(&body)), (404, "identities.not_found"));
    assert_eq!(t.app.count("identity_invites").await, 0, "nothing written");

    // Emailed (the default): the email is queued, the answer has no link.
    let mut assign = pat();
    assign["role_id"] = json!(role);
    assign["node_id"] = json!(root);
    assign["intent"] = json!("onboard");
    let (status, created) = t.post("/identity-invites", assign.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["intent"], "activate");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["has_initial_assignment"], true);
    assert_eq!(created["expires_at"], "2026-12-04T09:00:00Z");
    assert!(created.get("accept_url").is_none(), "{created}");
    let subject = t
        .one("SELECT subject FROM outbox WHERE kind = 'identity_invite' AND recipient = 'pat.lee@example.com'")
        .await;
    assert!(subject.contains("invited"), "{subject}");
    let body_text = t.one("SELECT text_body FROM outbox").await;
    assert!(body_text.contains("/accept-invite?token="), "{body_text}");

    // One pending invite per email in the environment.
    let (status, body) = t.post("/identity-invites", assign).await;
    assert_eq!((status, code(&body)), (409, "invites.pending_exists"));
    assert_eq!(body["error"]["details"]["invite_id"], created["id"]);
    // Another environment is another scope.
    let prod = key(&t.app, &t.admin, "production", json!({ "name": "Prod" })).await;
    let (status, _) = api(&t.app).post("/identity-invites", &prod, pat()).await;
    assert_eq!(status, 201);

    // Self-delivered: no email, the link in the answer; only its digest is stored.
    let (_, token) = t
        .invite(json!({ "email": "sam@example.com", "first_name": "Sam", "last_name": "Ortiz" }))
        .await;
    assert_eq!(
        t.app
            .count("outbox WHERE recipient = 'sam@example.com'")
            .await,
        0
    );
    assert_eq!(
        t.app
            .count(&format!("identity_invites WHERE token_hash = '{token}'"))
            .await,
        0,
        "the token itself is never stored"
    );

    // An active member of the application is refused.
    let (status, _) = t
        .post(
            "/identities",
            json!({ "email": "member@example.com", "first_name": "Mem", "last_name": "Ber" }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = t
        .post(
            "/identity-invites",
            json!({ "email": "member@example.com", "first_name": "Mem", "last_name": "Ber" }),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "identities.email_taken"));

    // List (paged, filtered) and summary; never a token or link.
    let (status, list) = t.get("/identity-invites?status=pending&take=1").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["pagination"]["item_count"], 2);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert!(!list.to_string().contains(&token));
    assert!(list["items"][0].get("accept_url").is_none());
    let (status, body) = t.get("/identity-invites?status=sent").await;
    assert_eq!((status, code(&body)), (400, "request.malformed"));
    let (_, summary) = t.get("/identity-invites/summary").await;
    assert_eq!(
        summary,
        json!({ "total_invites": 2, "pending_count": 2, "pending_with_role_count": 1,
                "accepted_count": 0, "expired_count": 0, "revoked_count": 0 })
    );
}

async fn accepting_activates_with_the_bundled_assignment_in_one_go(engine: Engine) {
    let t = setup(engine).await;
    let (role, root) = t.role_and_root().await;
    let mut body = pat();
    body["role_id"] = json!(role);
    body["node_id"] = json!(root);
    let (invite_id, token) = t.invite(body).await;

    let (status, info) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["email"], "pat.lee@example.com");
    assert_eq!(info["intent"], "activate");
    assert_eq!(info["app_name"], "Billing Portal");
    assert_eq!(info["account_name"], "Engines");
    assert!(
        info["inviter_email"].is_null(),
        "an API key invited: {info}"
    );

    // A broken field spends nothing.
    let (status, body) = t.accept(&token, "short").await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
    let (status, body) = t.accept(&token, "password123").await;
    assert_eq!(
        (status, code(&body)),
        (400, "identities.password_too_common")
    );

    let (status, accepted) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["intent"], "activate");
    assert_eq!(accepted["sign_in_path"], "/login?account=engines");
    assert_eq!(
        accepted["message"],
        "You can now sign in to Billing Portal."
    );

    let identity = t
        .one("SELECT id FROM identities WHERE email = 'pat.lee@example.com'")
        .await;
    assert_eq!(
        t.app
            .count("identities WHERE status = 'active' AND email_verified_at IS NOT NULL AND password_change_required = 0")
            .await,
        1
    );
    assert_eq!(
        t.app
            .count(&format!(
                "app_memberships WHERE identity_id = '{identity}' AND status = 'active'"
            ))
            .await,
        1
    );
    assert_eq!(
        t.app
            .count(&format!("assignments WHERE identity_id = '{identity}' AND role_id = '{role}' AND node_id = '{root}'"))
            .await,
        1
    );
    let (_, permissions) = t.get(&format!("/identities/{identity}/permissions")).await;
    assert!(
        permissions.to_string().contains("invoice.read"),
        "{permissions}"
    );
    let signed_in = app::services::identity_passwords::verify_password(
        &t.app.services,
        &t.one("SELECT id FROM accounts").await,
        "pat.lee@example.com",
        NEW_PASSWORD.to_owned(),
    )
    .await;
    assert!(matches!(signed_in, Ok(Some(_))), "{signed_in:?}");

    // A link works once.
    let (status, body) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!((status, code(&body)), (410, "invites.already_accepted"));
    let (status, body) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!((status, code(&body)), (410, "invites.already_accepted"));
    let (_, list) = t.get("/identity-invites").await;
    assert_eq!(list["items"][0]["status"], "accepted");
    assert!(list["items"][0]["accepted_at"].is_string());
    let (status, body) = t
        .post(&format!("/identity-invites/{invite_id}/resend"), json!({}))
        .await;
    assert_eq!((status, code(&body)), (400, "invites.not_pending"));

    // Neither the token nor the password is in any audit row or the outbox.
    let audit = t
        .app
        .strings("SELECT action || ' ' || resource_label || ' ' || metadata FROM audit_events")
        .await
        .join("\n");
    assert!(
        audit.contains("invite.created") && audit.contains("invite.accepted"),
        "{audit}"
    );
    assert!(
        !audit.contains(&token) && !audit.contains(NEW_PASSWORD),
        "{audit}"
    );
    // A forged token reveals nothing.
    let (status, body) = t.accept("forged-token", NEW_PASSWORD).await;
    assert_eq!((status, code(&body)), (404, "invites.invalid_token"));
    assert!(!body.to_string().contains("pat.lee"));
}

async fn opening_the_link_never_spends_it_and_token_pages_are_protected(engine: Engine) {
    let t = setup(engine).await;
    let (_, token) = t.invite(pat()).await;
    let browser = t.app.client();
    for _ in 0..2 {
        let response = browser
            .get(format!("{}/accept-invite?token={token}", t.app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET accept page: {e}"));
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("cache-control"), "no-store");
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains("Join Billing Portal"), "{html}");
        assert!(html.contains("pat.lee@example.com"));
    }
    let head = browser
        .head(format!("{}/accept-invite?token={token}", t.app.base))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert!(matches!(head, Ok(200 | 405)), "{head:?}");
    assert_eq!(
        t.app
            .count("identity_invites WHERE status = 'pending'")
            .await,
        1
    );
    assert_eq!(t.app.count("identities").await, 0);
    // The form's submit spends it.
    let (status, body) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    // Unusable links get a clear page, not an error page.
    let used = browser
        .get(format!("{}/accept-invite?token={token}", t.app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}"));
    assert_eq!(used.status(), 200);
    let html = used.text().await.unwrap_or_default();
    assert!(html.contains("already accepted"), "{html}");
}

async fn add_to_app_checks_the_current_password_and_keeps_it(engine: Engine) {
    let t = setup(engine).await;
    // In the account's directory, not in the application.
    let created = t
        .app
        .call(
            &t.admin,
            "create_directory_identity",
            json!({ "account": "engines", "form": {
                "email": "pat.lee@example.com", "first_name": "Patricia", "last_name": "Lee",
                "password": PASSWORD, "require_password_change": false } }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let before = t.one("SELECT password_hash FROM identities").await;
    let (_, token) = t.invite(pat()).await;
    let (_, info) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!(info["intent"], "add_to_app");
    assert_eq!(info["first_name"], "Patricia", "the existing name wins");

    let (status, body) = t.accept(&token, "not-my-password").await;
    assert_eq!((status, code(&body)), (401, "auth.invalid_credentials"));
    assert_eq!(
        t.app
            .count("identity_invites WHERE status = 'pending'")
            .await,
        1
    );
    assert_eq!(t.app.count("app_memberships").await, 0);

    let (status, body) = t.accept(&token, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["intent"], "add_to_app");
    assert_eq!(
        t.app.count("app_memberships WHERE status = 'active'").await,
        1
    );
    assert_eq!(
        t.one("SELECT password_hash FROM identities").await,
        before,
        "unchanged"
    );
    assert_eq!(t.one("SELECT first_name FROM identities").await, "Patricia");
    assert_eq!(
        t.app
            .count("identities WHERE email_verified_at IS NOT NULL")
            .await,
        1
    );
}

async fn a_password_reset_invite_sets_a_new_password(engine: Engine) {
    let t = setup(engine).await;
    let (status, _) = t
        .post(
            "/identities",
            json!({ "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 201);
    let before = t.one("SELECT password_hash FROM identities").await;
    let (_, token) = t
        .invite(json!({ "email": "pat.lee@example.com", "intent": "password_reset" }))
        .await;
    let (_, info) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!(info["intent"], "password_reset");
    let (status, body) = t
        .public(
            "accept-invite",
            json!({ "token": token, "password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(t.one("SELECT password_hash FROM identities").await, before);
    assert_eq!(
        t.app
            .count(
                "identities WHERE password_change_required = 0 AND email_verified_at IS NOT NULL"
            )
            .await,
        1
    );
    let account = t.one("SELECT id FROM accounts").await;
    let verified = app::services::identity_passwords::verify_password(
        &t.app.services,
        &account,
        "pat.lee@example.com",
        NEW_PASSWORD.to_owned(),
    )
    .await;
    assert!(matches!(verified, Ok(Some(_))), "{verified:?}");
    // The password-less identity of the account is invited to choose one.
    let (status, _) = t
        .post(
            "/identities",
            json!({ "email": "nopass@example.com", "first_name": "No", "last_name": "Pass" }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = t
        .post(
            "/identity-invites",
            json!({ "email": "nopass@example.com", "intent": "password_reset", "send_email": false }),
        )
        .await;
    assert_eq!(
        (status, body["intent"].as_str()),
        (201, Some("password_reset")),
        "{body}"
    );
}

async fn resend_rotates_the_link_and_revoke_ends_it(engine: Engine) {
    let t = setup(engine).await;
    let (id, old) = t.invite(pat()).await;
    t.app.clock.advance(time::Duration::days(3));
    let (status, resent) = t
        .post(&format!("/identity-invites/{id}/resend"), json!({}))
        .await;
    assert_eq!(status, 200, "{resent}");
    let new = resent["accept_url"]
        .as_str()
        .and_then(|u| u.split("token=").nth(1))
        .unwrap_or_default()
        .to_owned();
    assert!(!new.is_empty() && new != old);
    let (status, body) = t.public("invite-info", json!({ "token": old })).await;
    assert_eq!(
        (status, code(&body)),
        (404, "invites.invalid_token"),
        "the old link died"
    );
    let (status, _) = t.public("invite-info", json!({ "token": new })).await;
    assert_eq!(status, 200);
    let (_, list) = t.get("/identity-invites").await;
    assert_eq!(
        list["items"][0]["expires_at"], "2026-12-07T09:00:00Z",
        "seven new days"
    );

    // An emailed invite is emailed again, the link not in the answer.
    let (status, created) = t
        .post(
            "/identity-invites",
            json!({ "email": "sam@example.com", "first_name": "Sam", "last_name": "Ortiz" }),
        )
        .await;
    assert_eq!(status, 201);
    let emailed = created["id"].as_str().unwrap_or_default();
    let (status, resent) = t
        .post(&format!("/identity-invites/{emailed}/resend"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(resent["accept_url"].is_null(), "{resent}");
    assert_eq!(
        t.app
            .count("outbox WHERE recipient = 'sam@example.com'")
            .await,
        2
    );

    let api = api(&t.app);
    let (status, _) = api
        .send(
            "DELETE",
            &format!("/identity-invites/{id}"),
            Some(&t.key),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = api
        .send(
            "DELETE",
            &format!("/identity-invites/{id}"),
            Some(&t.key),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invites.not_pending"));
    let (status, body) = t
        .post(&format!("/identity-invites/{id}/resend"), json!({}))
        .await;
    assert_eq!((status, code(&body)), (400, "invites.not_pending"));
    let (status, body) = t.accept(&new, NEW_PASSWORD).await;
    assert_eq!((status, code(&body)), (410, "invites.revoked"));
    let (status, body) = api
        .send(
            "DELETE",
            "/identity-invites/0193a1f0-0000-7000-8000-000000000000",
            Some(&t.key),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (404, "invites.not_found"));
    let (_, summary) = t.get("/identity-invites/summary").await;
    assert_eq!(summary["revoked_count"], 1);
    assert_eq!(summary["pending_count"], 1);
    let audit = t
        .app
        .strings("SELECT action FROM audit_events WHERE category = 'invites' ORDER BY created_at")
        .await;
    assert!(
        audit.contains(&"invite.resent".to_owned()) && audit.contains(&"invite.revoked".to_owned()),
        "{audit:?}"
    );
}

async fn invites_expire_after_seven_days(engine: Engine) {
    let t = setup(engine).await;
    let (id, token) = t.invite(pat()).await;
    t.app
        .clock
        .advance(time::Duration::days(7) - time::Duration::seconds(1));
    assert_eq!(
        t.public("invite-info", json!({ "token": token })).await.0,
        200
    );
    t.app.clock.advance(time::Duration::seconds(1));
    let (status, body) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!((status, code(&body)), (410, "invites.expired"));
    let (status, body) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!((status, code(&body)), (410, "invites.expired"));
    let (_, summary) = t.get("/identity-invites/summary").await;
    assert_eq!(
        (
            summary["expired_count"].as_i64(),
            summary["pending_count"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let (_, expired) = t.get("/identity-invites?status=expired").await;
    assert_eq!(expired["items"][0]["id"].as_str(), Some(id.as_str()));
    let (status, body) = t
        .post(&format!("/identity-invites/{id}/resend"), json!({}))
        .await;
    assert_eq!((status, code(&body)), (400, "invites.not_pending"));
    // An expired invite does not block a new one.
    let (_, fresh) = t.invite(pat()).await;
    assert_eq!(t.accept(&fresh, NEW_PASSWORD).await.0, 200);
    assert_eq!(
        t.app
            .count("identity_invites WHERE status = 'expired'")
            .await,
        1
    );
}

async fn acceptance_is_one_transaction(engine: Engine) {
    let t = setup(engine).await;
    let (role, root) = t.role_and_root().await;
    let mut body = pat();
    body["role_id"] = json!(role);
    body["node_id"] = json!(root);
    let (_, token) = t.invite(body).await;
    let failpoints = &t.app.services.failpoints;
    failpoints.arm(app::services::invites::FAIL_BEFORE_ACCEPTED);
    let (status, body) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!((status, code(&body)), (500, "internal.unexpected"));
    assert_eq!(t.app.count("identities").await, 0);
    assert_eq!(t.app.count("app_memberships").await, 0);
    assert_eq!(t.app.count("assignments").await, 0);
    assert_eq!(
        t.app
            .count("identity_invites WHERE status = 'pending'")
            .await,
        1
    );
    failpoints.disarm(app::services::invites::FAIL_BEFORE_ACCEPTED);
    assert_eq!(t.accept(&token, NEW_PASSWORD).await.0, 200);
    assert_eq!(t.app.count("assignments").await, 1);
}

async fn bulk_invites_answer_per_row_and_replay_by_idempotency_key(engine: Engine) {
    let t = setup(engine).await;
    let body = json!({ "invites": [
        { "email": "a@example.com", "first_name": "A", "last_name": "One" },
        { "email": "broken", "first_name": "B", "last_name": "Two" },
        { "email": "a@example.com", "first_name": "A", "last_name": "Again" },
        { "email": "c@example.com", "first_name": "C", "last_name": "Three", "send_email": false }
    ] });
    let send = |idem: &'static str| {
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/identity-invites/bulk-create",
                t.app.base
            ))
            .header("X-API-Key", &t.key)
            .header("Idempotency-Key", idem)
            .json(&body)
            .send()
    };
    let first = send("bulk-1").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status().as_u16(), 207);
    let answer: Value = first.json().await.unwrap_or(Value::Null);
    assert_eq!(
        answer["summary"],
        json!({ "total": 4, "succeeded": 2, "failed": 2 })
    );
    let codes: Vec<&str> = answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "invites.created",
            "validation.invalid_input",
            "invites.pending_exists",
            "invites.created"
        ]
    );
    assert!(answer["results"][3]["data"]["accept_url"].is_string());
    assert_eq!(t.app.count("outbox").await, 1);

    let replay = send("bulk-1").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.status().as_u16(), 207);
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(replay.json::<Value>().await.unwrap_or(Value::Null), answer);
    assert_eq!(t.app.count("identity_invites").await, 2, "not run again");
    assert_eq!(t.app.count("outbox").await, 1, "no second email");

    let (status, body) = t
        .post("/identity-invites/bulk-create", json!({ "invites": [] }))
        .await;
    assert_eq!((status, code(&body)), (400, "validation.invalid_input"));
}

async fn invites_need_their_permissions(engine: Engine) {
    let t = setup(engine).await;
    let reader = key(
        &t.app,
        &t.admin,
        "development",
        json!({ "name": "Reader", "scopes": ["identity.read", "identity.manage"] }),
    )
    .await;
    let api = api(&t.app);
    let (status, body) = api.post("/identity-invites", &reader, pat()).await;
    assert_eq!((status, code(&body)), (403, "api_keys.scope_missing"));
    assert_eq!(body["error"]["details"]["scope"], "invite.manage");
    assert_eq!(api.get("/identity-invites", &reader).await.0, 200);
    let inviter = key(
        &t.app,
        &t.admin,
        "development",
        json!({ "name": "Inviter", "scopes": ["invite.manage"] }),
    )
    .await;
    assert_eq!(api.post("/identity-invites", &inviter, pat()).await.0, 201);
    let (status, body) = api.get("/identity-invites/summary", &inviter).await;
    assert_eq!(
        (status, body["error"]["details"]["scope"].as_str()),
        (403, Some("identity.read"))
    );

    // A viewer admin sees the list but cannot invite.
    sqlx::query("UPDATE account_members SET role = 'viewer'")
        .execute(t.app.services.db.reader())
        .await
        .unwrap_or_else(|e| panic!("demote: {e}"));
    let listed = t
        .app
        .call(
            &t.admin,
            "list_invites",
            json!({ "env": env("development"), "page": 1 }),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["total"], 1);
    let refused = t
        .app
        .call(
            &t.admin,
            "invite_identity",
            json!({ "env": env("development"), "form": pat() }),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "auth.forbidden"));
}

async fn account_tier_invites_admit_to_the_chosen_application(engine: Engine) {
    let t = setup(engine).await;
    let application = t.one("SELECT id FROM applications").await;
    let sent = t
        .app
        .call(
            &t.admin,
            "invite_in_account",
            json!({ "account": "engines", "form": {
                "email": "pat.lee@example.com", "first_name": "Pat", "last_name": "Lee",
                "application_id": application } }),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body["invite"]["environment_id"].is_null());
    assert!(
        sent.body["accept_url"].is_null(),
        "emailed: the link is only in the email"
    );
    assert_eq!(
        t.app
            .count("identity_invites WHERE environment_id IS NULL")
            .await,
        1
    );
    let text = t.one("SELECT text_body FROM outbox").await;
    assert!(text.contains("Billing Portal"), "{text}");
    let token = text
        .split("token=")
        .nth(1)
        .map(|rest| rest.chars().take(43).collect::<String>())
        .unwrap_or_default();
    let (_, info) = t.public("invite-info", json!({ "token": token })).await;
    assert_eq!(info["inviter_email"], "ada@example.com");
    let (status, body) = t.accept(&token, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        t.app.count("app_memberships WHERE status = 'active'").await,
        1
    );
    assert_eq!(t.app.count("assignments").await, 0);
    // The environment's list holds environment invites only.
    let (_, list) = t.get("/identity-invites").await;
    assert_eq!(list["pagination"]["item_count"], 0);
}

async fn counts(t: &Setup) -> Value {
    t.app
        .call(
            &t.admin,
            "overview",
            json!({ "account": "engines", "application": "billing-portal", "environment": "development" }),
        )
        .await
        .body["counts"]
        .clone()
}

async fn the_setup_guide_counts_pending_invites_with_a_role(engine: Engine) {
    let t = setup(engine).await;
    let before = counts(&t).await;
    assert_eq!(
        (
            before["invites"].as_i64(),
            before["pending_invites_with_role"].as_i64()
        ),
        (Some(0), Some(0))
    );
    let (role, root) = t.role_and_root().await;
    let mut body = pat();
    body["role_id"] = json!(role);
    body["node_id"] = json!(root);
    let (_, token) = t.invite(body).await;
    let pending = counts(&t).await;
    assert_eq!(
        (
            pending["invites"].as_i64(),
            pending["pending_invites_with_role"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(t.accept(&token, NEW_PASSWORD).await.0, 200);
    let after = counts(&t).await;
    assert_eq!(
        (
            after["pending_invites_with_role"].as_i64(),
            after["assignments"].as_i64()
        ),
        (Some(0), Some(1))
    );
}
