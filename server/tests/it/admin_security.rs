//! Admin account security over real HTTP, on both engines: forgot / reset password (the same
//! answer for unknown emails, single-use expiring links that a newer one replaces, per-email
//! limit, reset ends every session), change password (the current one is checked, other sessions
//! end), email verification at sign-up (the link verifies, resend rotates, an unverified admin
//! cannot invite admins, accepting an invite verifies), the Sessions page (this device, sign out
//! one or every other), `arbor admin reset-password`, and the Account picker.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, Reply, TestApp, sign_in_form, signup_form};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use time::Duration;

on_both_engines!(
    forgot_password_answers_alike_and_the_reset_link_works_once_ending_every_session,
    reset_links_expire_a_newer_one_replaces_the_older_and_requests_are_limited,
    change_password_checks_the_current_one_and_ends_the_other_sessions,
    the_signup_link_verifies_resend_rotates_and_unverified_admins_cannot_invite,
    sessions_show_this_device_and_sign_out_one_or_every_other,
    the_cli_resets_a_password_ends_the_sessions_and_is_audited_as_system,
    an_admin_of_two_accounts_switches_and_lands_in_the_last_chosen
);

const EMAIL: &str = "owner@example.com";
const NEW_PASSWORD: &str = "a fresh admin passphrase 9";
const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A client with its own User-Agent (a device), cookies kept.
fn device(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Reply {
    app.call(client, "sign_in", sign_in_form(email, password))
        .await
}

/// Whether the client's session still works.
async fn signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    let reply = app.call(client, "admin_sessions", json!({})).await;
    match reply.status {
        200 => true,
        401 => false,
        other => panic!("admin_sessions answered {other}: {}", reply.body),
    }
}

/// The token in the newest email of `kind` to `recipient`, from the outbox's text body.
async fn emailed_token(app: &TestApp, recipient: &str, kind: &str) -> String {
    let bodies = app
        .strings(&format!(
            "SELECT text_body FROM outbox WHERE recipient = '{recipient}' AND kind = '{kind}' \
             ORDER BY created_at DESC, id DESC"
        ))
        .await;
    let body = bodies
        .first()
        .unwrap_or_else(|| panic!("no {kind} email to {recipient}"));
    let start = body
        .find("token=")
        .unwrap_or_else(|| panic!("no link in {body}"))
        + "token=".len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43, "{body}");
    token
}

async fn mails(app: &TestApp, recipient: &str, kind: &str) -> i64 {
    app.count(&format!(
        "outbox WHERE recipient = '{recipient}' AND kind = '{kind}'"
    ))
    .await
}

/// GET of a token page: it renders, says `no-referrer` and `no-store`, and spends nothing.
async fn open_page(app: &TestApp, path: &str) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(response.status(), 200, "{path}");
}

async fn forgot(app: &TestApp, email: &str) -> Reply {
    app.call(
        &app.client(),
        "admin_forgot_password",
        json!({ "form": { "email": email } }),
    )
    .await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> Reply {
    app.call(
        &app.client(),
        "admin_reset_password",
        json!({ "form": { "token": token, "password": password } }),
    )
    .await
}

fn actions(events: &[String], action: &str) -> usize {
    events.iter().filter(|a| *a == action).count()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.strings("SELECT action FROM audit_events ORDER BY created_at, id")
        .await
}

async fn forgot_password_answers_alike_and_the_reset_link_works_once_ending_every_session(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let (first, _) = app.sign_up(EMAIL, "Acme").await;
    let second = app.client();
    assert_eq!(sign_in(&app, &second, EMAIL, PASSWORD).await.status, 200);

    let known = forgot(&app, EMAIL).await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert_eq!(known.body, unknown.body, "no enumeration");
    assert_eq!(
        mails(&app, "nobody@example.com", "admin_password_reset").await,
        0
    );
    assert_eq!(mails(&app, EMAIL, "admin_password_reset").await, 1);
    let token = emailed_token(&app, EMAIL, "admin_password_reset").await;

    // Opening the link (twice, as mail scanners do) spends nothing; the preview names the admin.
    let page = format!("/signin/reset?token={token}");
    open_page(&app, &page).await;
    open_page(&app, &page).await;
    let preview = app
        .call(
            &app.client(),
            "admin_reset_link_preview",
            json!({ "token": token }),
        )
        .await;
    assert_eq!(preview.body["email"], EMAIL, "{}", preview.body);

    // The sign-up policy: too short, too common.
    for weak in ["short", "password123"] {
        let refused = reset(&app, &token, weak).await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "validation.invalid_input"),
            "{weak}"
        );
    }
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.set_cookie
            .iter()
            .any(|c| c.starts_with("arbor_session=;")),
        "this browser's cookie is cleared"
    );
    assert!(!signed_in(&app, &first).await, "a reset ends every session");
    assert!(!signed_in(&app, &second).await);
    assert_eq!(
        app.count("admin_sessions").await,
        0,
        "no session of the admin is left"
    );

    let again = reset(&app, &token, "yet another passphrase").await;
    assert_eq!(
        (again.status, again.code()),
        (410, "identity_auth.token_used")
    );
    assert_eq!(
        sign_in(&app, &app.client(), EMAIL, PASSWORD).await.status,
        401
    );
    assert_eq!(
        sign_in(&app, &app.client(), EMAIL, NEW_PASSWORD)
            .await
            .status,
        200
    );

    // Audited, with no secret anywhere.
    let events = audit_actions(&app).await;
    assert_eq!(actions(&events, "admin_user.password_reset_requested"), 1);
    assert_eq!(actions(&events, "admin_user.password_reset"), 1);
    let rows = app
        .strings("SELECT COALESCE(metadata, '') || resource_label FROM audit_events")
        .await
        .join("\n");
    assert!(!rows.contains(&token) && !rows.contains(NEW_PASSWORD));
    assert_eq!(
        app.count(&format!(
            "admin_tokens WHERE token_hash = '{token}' OR token_hash = '{}'",
            app::services::tokens::digest(&token)
        ))
        .await,
        1,
        "stored as its digest only"
    );
}

async fn reset_links_expire_a_newer_one_replaces_the_older_and_requests_are_limited(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    app.sign_up(EMAIL, "Acme").await;

    assert_eq!(forgot(&app, EMAIL).await.status, 200);
    let older = emailed_token(&app, EMAIL, "admin_password_reset").await;
    app.clock.advance(Duration::seconds(1));
    assert_eq!(forgot(&app, EMAIL).await.status, 200);
    let newer = emailed_token(&app, EMAIL, "admin_password_reset").await;
    assert_ne!(older, newer);
    let replaced = reset(&app, &older, NEW_PASSWORD).await;
    assert_eq!(
        (replaced.status, replaced.code()),
        (400, "identity_auth.token_invalid"),
        "only the newest link works"
    );
    let forged = reset(&app, "not-a-real-token", NEW_PASSWORD).await;
    assert_eq!(forged.code(), "identity_auth.token_invalid");

    // One hour.
    app.clock.advance(Duration::minutes(61));
    let expired = reset(&app, &newer, NEW_PASSWORD).await;
    assert_eq!(
        (expired.status, expired.code()),
        (410, "identity_auth.token_expired")
    );
    let preview = app
        .call(
            &app.client(),
            "admin_reset_link_preview",
            json!({ "token": newer }),
        )
        .await;
    assert_eq!(preview.code(), "identity_auth.token_expired");

    // Per email: 3 in 15 minutes, unknown emails alike (the limit tells nothing).
    for email in [EMAIL, "nobody@example.com"] {
        for _ in 0..app::services::admin_security::FORGOT_PER_EMAIL {
            assert_eq!(forgot(&app, email).await.status, 200);
        }
        let limited = forgot(&app, email).await;
        assert_eq!(
            (limited.status, limited.code()),
            (429, "auth.too_many_attempts"),
            "{email}"
        );
        app.clock.advance(Duration::minutes(16));
    }
}

async fn change_password_checks_the_current_one_and_ends_the_other_sessions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (this, _) = app.sign_up(EMAIL, "Acme").await;
    let other = app.client();
    assert_eq!(sign_in(&app, &other, EMAIL, PASSWORD).await.status, 200);

    let change = |current: &str, new: &str| json!({ "form": { "current_password": current, "new_password": new } });
    let wrong = app
        .call(
            &this,
            "change_admin_password",
            change("not my password", NEW_PASSWORD),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (400, "validation.invalid_input")
    );
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    assert_eq!(wrong.body["errors"][0]["rule"], "incorrect");
    let weak = app
        .call(
            &this,
            "change_admin_password",
            change(PASSWORD, "password123"),
        )
        .await;
    assert_eq!(
        weak.body["errors"][0]["rule"], "too_common",
        "{}",
        weak.body
    );
    assert!(signed_in(&app, &other).await, "nothing changed yet");

    let changed = app
        .call(
            &this,
            "change_admin_password",
            change(PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(signed_in(&app, &this).await, "this session stays");
    assert!(!signed_in(&app, &other).await, "the other one ended");
    assert_eq!(
        sign_in(&app, &app.client(), EMAIL, PASSWORD).await.status,
        401
    );
    assert_eq!(
        sign_in(&app, &app.client(), EMAIL, NEW_PASSWORD)
            .await
            .status,
        200
    );
    let events = audit_actions(&app).await;
    assert_eq!(actions(&events, "admin_user.password_changed"), 1);

    // Signed out, nobody changes anything.
    let anonymous = app
        .call(
            &app.client(),
            "change_admin_password",
            change(NEW_PASSWORD, "whatever passphrase 1"),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn the_signup_link_verifies_resend_rotates_and_unverified_admins_cannot_invite(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    // A sign-up as the browser does it (not the fixture, which confirms quietly).
    let owner = app.client();
    let signed_up = app
        .call(&owner, "sign_up", signup_form(EMAIL, "Acme"))
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    let account = signed_up.body["account"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let workspace = |client: &reqwest::Client| {
        let account = account.clone();
        let client = client.clone();
        let app = &app;
        async move {
            let reply = app
                .call(&client, "workspace", json!({ "account": account }))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.body
        }
    };
    assert_eq!(workspace(&owner).await["email_verified"], false);
    assert_eq!(mails(&app, EMAIL, "admin_email_verification").await, 1);
    let first = emailed_token(&app, EMAIL, "admin_email_verification").await;

    // Decided: an unverified admin may not invite admins.
    let invite =
        json!({ "account": account, "form": { "email": "sam@example.com", "role": "viewer" } });
    let refused = app.call(&owner, "invite_admin", invite.clone()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "admins.email_unverified")
    );
    assert_eq!(app.count("admin_invites").await, 0);

    // Resend rotates: the first link stops working.
    app.clock.advance(Duration::seconds(1));
    let resent = app
        .call(&owner, "resend_admin_verification", json!({}))
        .await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    let second = emailed_token(&app, EMAIL, "admin_email_verification").await;
    assert_ne!(first, second);
    let page = format!("/signup/verify?token={second}");
    open_page(&app, &page).await;
    assert_eq!(
        workspace(&owner).await["email_verified"],
        false,
        "opening the link verifies nothing"
    );
    let old = app
        .call(
            &app.client(),
            "verify_admin_email",
            json!({ "token": first }),
        )
        .await;
    assert_eq!(old.code(), "identity_auth.token_invalid");
    // The link works signed out: it is the proof.
    let verified = app
        .call(
            &app.client(),
            "verify_admin_email",
            json!({ "token": second }),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(workspace(&owner).await["email_verified"], true);
    let twice = app
        .call(
            &app.client(),
            "verify_admin_email",
            json!({ "token": second }),
        )
        .await;
    assert_eq!(twice.code(), "identity_auth.token_used");
    let events = audit_actions(&app).await;
    assert_eq!(actions(&events, "admin_user.email_verified"), 1);

    // Verified, the owner invites; accepting the invite verifies the new admin.
    let invited = app.call(&owner, "invite_admin", invite).await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    let bodies = app
        .strings("SELECT text_body FROM outbox WHERE kind = 'admin_invite'")
        .await;
    let body = bodies.first().cloned().unwrap_or_default();
    let token: String = body
        .split("/accept-admin-invite?token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let sam = app.client();
    let accepted = app
        .call(
            &sam,
            "accept_admin_invite",
            json!({ "form": { "token": token, "first_name": "Sam", "last_name": "Lee", "password": NEW_PASSWORD } }),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(workspace(&sam).await["email_verified"], true);
    assert_eq!(
        mails(&app, "sam@example.com", "admin_email_verification").await,
        0
    );
}

async fn sessions_show_this_device_and_sign_out_one_or_every_other(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.sign_up(EMAIL, "Acme").await;
    let laptop = device(CHROME);
    let phone = device(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    );
    let tablet = device("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    for client in [&laptop, &phone, &tablet] {
        assert_eq!(sign_in(&app, client, EMAIL, PASSWORD).await.status, 200);
        app.clock.advance(Duration::seconds(5));
    }
    let listed = app.call(&laptop, "admin_sessions", json!({})).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let sessions: Vec<Value> = listed.body.as_array().cloned().unwrap_or_default();
    // The fixture's sign-up session, and the three devices.
    assert_eq!(sessions.len(), 4, "{}", listed.body);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Chrome on Linux");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    assert!(
        current[0]["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let devices: Vec<&str> = sessions
        .iter()
        .filter_map(|s| s["device"].as_str())
        .collect();
    assert!(devices.contains(&"Safari on iOS") && devices.contains(&"Firefox on Linux"));

    // Sign out the phone.
    let phone_id = sessions
        .iter()
        .find(|s| s["device"] == "Safari on iOS")
        .and_then(|s| s["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let ended = app
        .call(&laptop, "end_admin_session", json!({ "id": phone_id }))
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert!(!signed_in(&app, &phone).await);
    assert!(signed_in(&app, &tablet).await);
    let gone = app
        .call(&laptop, "end_admin_session", json!({ "id": phone_id }))
        .await;
    assert_eq!((gone.status, gone.code()), (404, "sessions.not_found"));

    // Another admin's session is not found either.
    let (stranger, _) = app.sign_up("stranger@example.com", "Other Co").await;
    let theirs = app.call(&stranger, "admin_sessions", json!({})).await;
    let their_id = theirs.body[0]["id"].as_str().unwrap_or_default().to_owned();
    let foreign = app
        .call(&laptop, "end_admin_session", json!({ "id": their_id }))
        .await;
    assert_eq!(foreign.code(), "sessions.not_found");
    assert!(signed_in(&app, &stranger).await);

    // Every other session.
    let others = app
        .call(&laptop, "end_other_admin_sessions", json!({}))
        .await;
    assert_eq!(others.body, json!(2), "the tablet and the sign-up session");
    assert!(!signed_in(&app, &tablet).await);
    assert!(signed_in(&app, &laptop).await);
    let left = app.call(&laptop, "admin_sessions", json!({})).await;
    assert_eq!(left.body.as_array().map(Vec::len), Some(1));
    let events = audit_actions(&app).await;
    assert_eq!(actions(&events, "admin_user.session_ended"), 1);
    assert_eq!(actions(&events, "admin_user.other_sessions_ended"), 1);
}

fn arbor(database_url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ARBOR_LOG", "warn")
        .env("ARBOR_CONFIG", "/nonexistent/arbor.toml")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn arbor: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait arbor: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn run_arbor(
    app: &TestApp,
    args: &'static [&'static str],
    stdin: &str,
) -> (bool, String, String) {
    let url = app.database_url().to_owned();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || arbor(&url, args, &stdin))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn the_cli_resets_a_password_ends_the_sessions_and_is_audited_as_system(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (owner, _) = app.sign_up(EMAIL, "Acme").await;
    const RESET: &[&str] = &["admin", "reset-password", "--email", EMAIL];

    let (ok, _, stderr) = run_arbor(&app, RESET, "short\n").await;
    assert!(!ok);
    assert!(
        stderr.contains("standard input: Use at least 8 characters"),
        "{stderr}"
    );
    let (ok, _, stderr) = run_arbor(
        &app,
        &["admin", "reset-password", "--email", "nobody@example.com"],
        "a fine long passphrase\n",
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("No admin has this email"), "{stderr}");
    assert!(signed_in(&app, &owner).await, "nothing changed yet");

    let (ok, stdout, stderr) = run_arbor(&app, RESET, &format!("{NEW_PASSWORD}\n")).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("1 session(s) signed out"), "{stdout}");
    assert!(!stdout.contains(NEW_PASSWORD) && !stderr.contains(NEW_PASSWORD));
    assert!(!signed_in(&app, &owner).await);
    assert_eq!(
        sign_in(&app, &app.client(), EMAIL, NEW_PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'admin_user.password_reset_by_operator' AND actor_type = 'system'"
        )
        .await,
        1
    );
}

async fn an_admin_of_two_accounts_switches_and_lands_in_the_last_chosen(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (ada, first) = app.sign_up(EMAIL, "Acme").await;
    let (other_owner, second) = app.sign_up("boss@example.com", "Globex").await;
    let acme = first["account"].as_str().unwrap_or_default().to_owned();
    let globex = second["account"].as_str().unwrap_or_default().to_owned();
    let invited = app
        .call(
            &other_owner,
            "invite_admin",
            json!({ "account": globex, "form": { "email": EMAIL, "role": "admin" } }),
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    let bodies = app
        .strings("SELECT text_body FROM outbox WHERE kind = 'admin_invite'")
        .await;
    let token: String = bodies
        .first()
        .cloned()
        .unwrap_or_default()
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let accepted = app
        .call(
            &ada,
            "accept_admin_invite",
            json!({ "form": { "token": token, "first_name": "", "last_name": "", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // Without a choice: the first Account joined.
    let landed = sign_in(&app, &ada, EMAIL, PASSWORD).await;
    assert_eq!(landed.body["account"], acme.as_str());
    let workspace = app
        .call(&ada, "workspace", json!({ "account": acme }))
        .await;
    let accounts: Vec<&str> = workspace.body["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["slug"].as_str())
        .collect();
    assert_eq!(accounts, [acme.as_str(), globex.as_str()]);

    let switched = app
        .call(&ada, "switch_account", json!({ "account": globex }))
        .await;
    assert_eq!(switched.status, 200, "{}", switched.body);
    assert_eq!(switched.body["account"], globex.as_str());
    let again = sign_in(&app, &app.client(), EMAIL, PASSWORD).await;
    assert_eq!(again.body["account"], globex.as_str(), "the last chosen");

    // An Account the admin is not in is not found, and changes nothing.
    let stranger = app
        .call(&other_owner, "switch_account", json!({ "account": acme }))
        .await;
    assert_eq!(
        (stranger.status, stranger.code()),
        (404, "accounts.not_found")
    );
}
