//! Tenant › Team: admin invites (single use, 7 days, resend rotates, revoke), acceptance by a new
//! admin or by an admin of another Account, role changes and removal with the last-owner rule,
//! who may manage the team, and a viewer refused by every write server function — the list comes
//! from the server-function registry, so a new one cannot slip past.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, Reply, TestApp, sign_in_form};
use app::model::{
    AcceptAdminInviteForm, AdminInviteForm, ApiKeyForm, ApplicationForm, AssignmentForm,
    AuditFilter, DirectoryIdentityForm, DirectoryInviteForm, DirectoryQuery, EnvironmentForm,
    HierarchySchema, IdentityForm, InviteForm, NodeForm, PermissionForm, PermissionGroupForm,
    ProfileForm, RetentionForm, RoleForm, SignInForm, SignupForm,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_engines!(
    an_invited_admin_joins_with_a_new_password_and_the_link_works_once,
    resend_rotates_the_link_expiry_ends_it_and_revoke_withdraws_it,
    an_admin_of_another_account_joins_with_their_own_password,
    the_last_owner_can_be_neither_demoted_nor_removed,
    only_owners_manage_the_team_and_read_admin_invites,
    a_viewer_is_refused_by_every_write_server_function
);

const NEW_PASSWORD: &str = "a brand new passphrase 7";

struct Team {
    app: TestApp,
    owner: reqwest::Client,
    landing: Value,
}

impl Team {
    async fn new(engine: Engine) -> Team {
        let app = TestApp::spawn(engine).await;
        let (owner, landing) = app.sign_up("owner@example.com", "Acme").await;
        Team {
            app,
            owner,
            landing,
        }
    }

    fn account(&self) -> String {
        self.landing["account"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn call(&self, client: &reqwest::Client, endpoint: &str, args: Value) -> Reply {
        self.app.call(client, endpoint, args).await
    }

    /// Invites `email` as `role` (as the owner); returns the invite id.
    async fn invite(&self, email: &str, role: &str) -> String {
        let reply = self
            .call(
                &self.owner,
                "invite_admin",
                json!({ "account": self.account(), "form": { "email": email, "role": role } }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The token of the newest admin invite emailed to `email`, read from the outbox.
    async fn token_for(&self, email: &str) -> String {
        let bodies = self
            .app
            .strings(&format!(
                "SELECT text_body FROM outbox WHERE kind = 'admin_invite' AND recipient = '{email}' \
                 ORDER BY created_at DESC, id DESC"
            ))
            .await;
        let body = bodies.first().cloned().unwrap_or_default();
        let token: String = body
            .split("/accept-admin-invite?token=")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert_eq!(token.len(), 43, "{body}");
        token
    }

    async fn accept(&self, client: &reqwest::Client, token: &str, password: &str) -> Reply {
        self.call(
            client,
            "accept_admin_invite",
            json!({ "form": { "token": token, "first_name": "Sam", "last_name": "Lee", "password": password } }),
        )
        .await
    }

    async fn team(&self, client: &reqwest::Client) -> Reply {
        self.call(client, "load_team", json!({ "account": self.account() }))
            .await
    }

    async fn admin_id(&self, email: &str) -> String {
        self.app
            .strings(&format!(
                "SELECT id FROM admin_users WHERE email = '{email}'"
            ))
            .await
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// A signed-in client of a new admin with `role` (invited and accepted).
    async fn member(&self, email: &str, role: &str) -> reqwest::Client {
        self.invite(email, role).await;
        let token = self.token_for(email).await;
        let client = self.app.client();
        let accepted = self.accept(&client, &token, NEW_PASSWORD).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        client
    }
}

async fn an_invited_admin_joins_with_a_new_password_and_the_link_works_once(engine: Engine) {
    let t = Team::new(engine).await;
    let id = t.invite("sam@example.com", "viewer").await;
    assert_eq!(
        t.app
            .count("admin_invites WHERE status = 'pending' AND role = 'viewer'")
            .await,
        1
    );
    let subject = t
        .app
        .strings("SELECT subject FROM outbox WHERE kind = 'admin_invite'")
        .await;
    assert_eq!(subject, ["Join Acme on Arbor"]);
    let token = t.token_for("sam@example.com").await;
    // Only the digest is stored.
    assert_eq!(
        t.app
            .count(&format!("admin_invites WHERE token_hash = '{token}'"))
            .await,
        0
    );

    // Opening the page (twice) renders it and spends nothing; it is a protected token page.
    let browser = t.app.client();
    for _ in 0..2 {
        let response = browser
            .get(format!("{}/accept-admin-invite?token={token}", t.app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET: {e}"));
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
        assert!(html.contains("Join Acme"), "{html}");
    }
    let info = t
        .call(&browser, "admin_invite_info", json!({ "token": token }))
        .await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.body["email"], "sam@example.com");
    assert_eq!(info.body["role"], "viewer");
    assert_eq!(info.body["existing_admin"], false);
    assert_eq!(info.body["inviter_email"], "owner@example.com");

    // The same rules as sign-up.
    let weak = t.accept(&browser, &token, "short").await;
    assert_eq!(
        (weak.status, weak.code()),
        (400, "validation.invalid_input")
    );
    let accepted = t.accept(&browser, &token, NEW_PASSWORD).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        accepted.body["next"].as_str().is_some_and(|n| n
            .starts_with(&format!("/{}/", t.account()))
            && n.ends_with("/overview")),
        "{}",
        accepted.body
    );
    assert!(
        accepted
            .set_cookie
            .iter()
            .any(|c| c.starts_with("arbor_session="))
    );
    assert_eq!(
        t.app
            .count("account_members m JOIN admin_users a ON a.id = m.admin_user_id WHERE a.email = 'sam@example.com' AND m.role = 'viewer' AND a.email_verified_at IS NOT NULL")
            .await,
        1
    );
    // Signed in as the new viewer: the team lists them.
    let team = t.team(&browser).await;
    assert_eq!(team.status, 200, "{}", team.body);
    let emails: BTreeSet<String> = team.body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["email"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        emails,
        BTreeSet::from(["owner@example.com".to_owned(), "sam@example.com".to_owned()])
    );
    assert_eq!(team.body["can_manage"], false);
    assert_eq!(team.body["invites"], json!([]));

    // A link works once.
    let again = t.accept(&t.app.client(), &token, NEW_PASSWORD).await;
    assert_eq!(
        (again.status, again.code()),
        (410, "invites.already_accepted")
    );
    // The new admin signs in with the chosen password.
    let signed_in = t
        .call(
            &t.app.client(),
            "sign_in",
            sign_in_form("sam@example.com", NEW_PASSWORD),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);

    // Audited, without the token.
    let actions = t
        .app
        .strings(&format!(
            "SELECT action FROM audit_events WHERE resource_id = '{id}' ORDER BY action"
        ))
        .await;
    assert_eq!(actions, ["admin_invite.accepted", "admin_invite.created"]);
    assert_eq!(
        t.app
            .count(&format!("audit_events WHERE metadata LIKE '%{token}%'"))
            .await,
        0
    );
}

async fn resend_rotates_the_link_expiry_ends_it_and_revoke_withdraws_it(engine: Engine) {
    let t = Team::new(engine).await;
    let id = t.invite("sam@example.com", "admin").await;
    let first = t.token_for("sam@example.com").await;
    // One pending invite per email; a member is not invited again.
    let twice = t
        .call(
            &t.owner,
            "invite_admin",
            json!({ "account": t.account(), "form": { "email": "sam@example.com", "role": "viewer" } }),
        )
        .await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "invites.pending_exists")
    );
    let member = t
        .call(
            &t.owner,
            "invite_admin",
            json!({ "account": t.account(), "form": { "email": "owner@example.com", "role": "viewer" } }),
        )
        .await;
    assert_eq!(
        (member.status, member.code()),
        (409, "admins.already_member")
    );

    let resent = t
        .call(
            &t.owner,
            "resend_admin_invite",
            json!({ "account": t.account(), "id": id }),
        )
        .await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    let second = t.token_for("sam@example.com").await;
    assert_ne!(first, second);
    let old = t
        .call(
            &t.app.client(),
            "admin_invite_info",
            json!({ "token": first }),
        )
        .await;
    assert_eq!((old.status, old.code()), (404, "invites.invalid_token"));

    // Seven days later the link has expired; a resend renews it.
    t.app
        .clock
        .advance(time::Duration::days(7) + time::Duration::minutes(1));
    let expired = t
        .call(
            &t.app.client(),
            "admin_invite_info",
            json!({ "token": second }),
        )
        .await;
    assert_eq!((expired.status, expired.code()), (410, "invites.expired"));
    // The owner's session idled out meanwhile.
    let again = t
        .call(
            &t.owner,
            "sign_in",
            sign_in_form("owner@example.com", PASSWORD),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let listed = t.team(&t.owner).await;
    assert_eq!(listed.body["invites"][0]["status"], "expired");
    let renewed = t
        .call(
            &t.owner,
            "resend_admin_invite",
            json!({ "account": t.account(), "id": id }),
        )
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let third = t.token_for("sam@example.com").await;
    let live = t
        .call(
            &t.app.client(),
            "admin_invite_info",
            json!({ "token": third }),
        )
        .await;
    assert_eq!(live.status, 200, "{}", live.body);

    // Revoked: the link stops working, and a second revoke is refused.
    let revoked = t
        .call(
            &t.owner,
            "revoke_admin_invite",
            json!({ "account": t.account(), "id": id }),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let gone = t.accept(&t.app.client(), &third, NEW_PASSWORD).await;
    assert_eq!((gone.status, gone.code()), (410, "invites.revoked"));
    let again = t
        .call(
            &t.owner,
            "revoke_admin_invite",
            json!({ "account": t.account(), "id": id }),
        )
        .await;
    assert_eq!((again.status, again.code()), (400, "invites.not_pending"));
    assert_eq!(t.app.count("admin_users").await, 1);
    let actions = t
        .app
        .strings(&format!(
            "SELECT action FROM audit_events WHERE resource_id = '{id}' ORDER BY action"
        ))
        .await;
    assert_eq!(
        actions,
        [
            "admin_invite.created",
            "admin_invite.resent",
            "admin_invite.resent",
            "admin_invite.revoked"
        ]
    );
}

async fn an_admin_of_another_account_joins_with_their_own_password(engine: Engine) {
    let t = Team::new(engine).await;
    let (other, other_landing) = t.app.sign_up("pat@example.com", "Globex").await;
    t.invite("pat@example.com", "admin").await;
    let token = t.token_for("pat@example.com").await;
    let info = t
        .call(
            &t.app.client(),
            "admin_invite_info",
            json!({ "token": token }),
        )
        .await;
    assert_eq!(info.body["existing_admin"], true);
    let wrong = t.accept(&other, &token, "not the password").await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (401, "auth.invalid_credentials")
    );
    assert_eq!(
        t.app.count("admin_invites WHERE status = 'pending'").await,
        1
    );
    let accepted = t.accept(&other, &token, PASSWORD).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    // Still one admin, now in both Accounts, with their own password unchanged.
    assert_eq!(
        t.app
            .count("admin_users WHERE email = 'pat@example.com'")
            .await,
        1
    );
    assert_eq!(
        t.app
            .count("account_members m JOIN admin_users a ON a.id = m.admin_user_id WHERE a.email = 'pat@example.com'")
            .await,
        2
    );
    for account in [
        t.account(),
        other_landing["account"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ] {
        let ws = t
            .call(&other, "workspace", json!({ "account": account }))
            .await;
        assert_eq!(ws.status, 200, "{account}: {}", ws.body);
    }
    let signed_in = t
        .call(
            &t.app.client(),
            "sign_in",
            sign_in_form("pat@example.com", PASSWORD),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(engine: Engine) {
    let t = Team::new(engine).await;
    let owner_id = t.admin_id("owner@example.com").await;
    let account = t.account();
    let demote = t
        .call(
            &t.owner,
            "change_admin_role",
            json!({ "account": account, "admin_id": owner_id, "role": "admin" }),
        )
        .await;
    assert_eq!((demote.status, demote.code()), (409, "admins.last_owner"));
    let remove = t
        .call(
            &t.owner,
            "remove_admin",
            json!({ "account": account, "admin_id": owner_id }),
        )
        .await;
    assert_eq!((remove.status, remove.code()), (409, "admins.last_owner"));

    // With a second owner, the first may step down.
    let sam = t.member("sam@example.com", "admin").await;
    let sam_id = t.admin_id("sam@example.com").await;
    let promote = t
        .call(
            &t.owner,
            "change_admin_role",
            json!({ "account": account, "admin_id": sam_id, "role": "owner" }),
        )
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    let step_down = t
        .call(
            &t.owner,
            "change_admin_role",
            json!({ "account": account, "admin_id": owner_id, "role": "viewer" }),
        )
        .await;
    assert_eq!(step_down.status, 200, "{}", step_down.body);
    // Now Sam is the last owner.
    let sam_demotes_self = t
        .call(
            &sam,
            "change_admin_role",
            json!({ "account": account, "admin_id": sam_id, "role": "admin" }),
        )
        .await;
    assert_eq!(
        (sam_demotes_self.status, sam_demotes_self.code()),
        (409, "admins.last_owner")
    );
    // Removing the former owner: they lose the Account at once and, with no Account left, their
    // sessions end.
    let removed = t
        .call(
            &sam,
            "remove_admin",
            json!({ "account": account, "admin_id": owner_id }),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let shut_out = t
        .call(&t.owner, "workspace", json!({ "account": account }))
        .await;
    assert_eq!(shut_out.status, 401, "{}", shut_out.body);
    assert_eq!(
        t.app
            .count(&format!(
                "admin_sessions WHERE admin_user_id = '{owner_id}'"
            ))
            .await,
        0
    );
    let changes = t
        .app
        .strings(&format!(
            "SELECT action FROM audit_events WHERE category = 'team' AND resource_id = '{owner_id}' ORDER BY action"
        ))
        .await;
    assert_eq!(changes, ["admin.removed", "admin.role_changed"]);
    let before_after = t
        .app
        .strings(&format!(
            "SELECT metadata FROM audit_events WHERE action = 'admin.role_changed' AND resource_id = '{owner_id}'"
        ))
        .await;
    let metadata: Value = serde_json::from_str(before_after.first().map_or("{}", String::as_str))
        .unwrap_or(Value::Null);
    assert_eq!(metadata["before"]["role"], "owner");
    assert_eq!(metadata["after"]["role"], "viewer");
}

async fn only_owners_manage_the_team_and_read_admin_invites(engine: Engine) {
    let t = Team::new(engine).await;
    let account = t.account();
    for (email, role) in [("ann@example.com", "admin"), ("val@example.com", "viewer")] {
        let client = t.member(email, role).await;
        let team = t.team(&client).await;
        assert_eq!(team.status, 200, "{}", team.body);
        assert_eq!(team.body["can_manage"], false);
        let invite = t
            .call(
                &client,
                "invite_admin",
                json!({ "account": account, "form": { "email": "x@example.com", "role": "owner" } }),
            )
            .await;
        assert_eq!(
            (invite.status, invite.code()),
            (403, "auth.forbidden"),
            "{role}"
        );
        assert!(invite.error().to_string().contains("admin.manage"));
        let own_id = t.admin_id(email).await;
        let promote = t
            .call(
                &client,
                "change_admin_role",
                json!({ "account": account, "admin_id": own_id, "role": "owner" }),
            )
            .await;
        assert_eq!(
            (promote.status, promote.code()),
            (403, "auth.forbidden"),
            "{role}"
        );
    }
    // The Dev mailbox shows an admin invite's link only to those who may send one: the link
    // makes its holder an admin with the invited role.
    t.invite("new-owner@example.com", "owner").await;
    let message_id = t
        .app
        .strings("SELECT id FROM outbox WHERE recipient = 'new-owner@example.com'")
        .await
        .into_iter()
        .next()
        .unwrap_or_default();
    let admin = t.app.client();
    let signed_in = t
        .call(
            &admin,
            "sign_in",
            sign_in_form("ann@example.com", NEW_PASSWORD),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let hidden = t
        .call(
            &admin,
            "load_mail_message",
            json!({ "account": account, "id": message_id }),
        )
        .await;
    assert_eq!((hidden.status, hidden.code()), (404, "mail.not_found"));
    let shown = t
        .call(
            &t.owner,
            "load_mail_message",
            json!({ "account": account, "id": message_id }),
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    // API keys never hold the Team permissions, not even a full-access one.
    assert!(!app::model::is_management_scope("admin.manage"));
    assert!(!app::model::is_management_scope("admin.read"));
}

/// Server functions a viewer may call with success: reads (and the viewer's own navigation).
const READS: &[&str] = &[
    "load_api_reference",
    "identity_assignments",
    "check_access",
    "node_access",
    "hierarchy",
    "preview_revert_to_flat",
    "permissions",
    "roles",
    "role_permissions",
    "directory_summary",
    "list_directory",
    "identity_detail",
    "list_members",
    "list_invites",
    "workspace",
    "application_landing",
    "overview",
    "applications",
    "load_team",
    // The audit log: viewers hold `audit.read`, as the issue asks ("viewers see every page").
    "list_audit_events",
    "audit_event_detail",
    "audit_retention",
    // The viewer's own UI state (the environment to resume in), not the tenant's configuration.
    "remember_environment",
];

/// Server functions that are not the Account's writes: sign-up/in/out of admins, the identity
/// sign-in pages, token pages (their token is the credential), the password-strength probe.
pub(crate) const PUBLIC: &[&str] = &[
    "sign_up",
    "sign_in",
    "sign_out",
    "current_landing",
    "password_too_common",
    "identity_sign_in",
    "identity_select_application",
    "identity_sign_out",
    "identity_forgot_password",
    "reset_link_preview",
    "verification_link_preview",
    "identity_reset_password",
    "identity_verify_email",
    "invite_info",
    "accept_invite",
    "admin_invite_info",
    "accept_admin_invite",
    // The admin's own account (signed out: the token or the email is the input).
    "admin_forgot_password",
    "admin_reset_link_preview",
    "admin_verification_link_preview",
    "admin_reset_password",
    "verify_admin_email",
    // The signed-in admin's own credentials, sessions and Account choice, whatever the role:
    // not the Account's data (admin_security.rs tests them).
    "change_admin_password",
    "resend_admin_verification",
    "admin_sessions",
    "end_admin_session",
    "end_other_admin_sessions",
    "switch_account",
];

/// The `form` argument each server function that takes one gets: the form's empty value (the
/// permission is checked before the input).
pub(crate) fn form_for(endpoint: &str) -> Option<Value> {
    let value = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
    Some(match endpoint {
        "create_api_key" => value(serde_json::to_value(ApiKeyForm::default())),
        "create_assignment" | "change_assignment" => {
            value(serde_json::to_value(AssignmentForm::default()))
        }
        "create_permission" | "update_permission" => {
            value(serde_json::to_value(PermissionForm::default()))
        }
        "create_permission_group" => value(serde_json::to_value(PermissionGroupForm::default())),
        "create_role" | "update_role" => value(serde_json::to_value(RoleForm::default())),
        "create_directory_identity" => {
            value(serde_json::to_value(DirectoryIdentityForm::default()))
        }
        "update_identity_profile" => value(serde_json::to_value(ProfileForm::default())),
        "create_node" => value(serde_json::to_value(NodeForm::default())),
        "create_identity" => value(serde_json::to_value(IdentityForm::default())),
        "invite_identity" => value(serde_json::to_value(InviteForm::default())),
        "invite_in_account" => value(serde_json::to_value(DirectoryInviteForm::default())),
        "invite_admin" => value(serde_json::to_value(AdminInviteForm::default())),
        "create_application" | "rename_application" => {
            value(serde_json::to_value(ApplicationForm::default()))
        }
        "create_environment" | "update_environment" => {
            value(serde_json::to_value(EnvironmentForm::default()))
        }
        "set_audit_retention" => value(serde_json::to_value(RetentionForm::default())),
        "sign_up" => value(serde_json::to_value(SignupForm::default())),
        "sign_in" => value(serde_json::to_value(SignInForm::default())),
        "accept_admin_invite" => value(serde_json::to_value(AcceptAdminInviteForm {
            token: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            password: String::new(),
        })),
        _ => return None,
    })
}

/// Rows of every table a dashboard write changes: after a refused call it must not move.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "audit_events",
        "outbox",
        "account_members",
        "admin_invites",
        "applications",
        "environments",
        "nodes",
        "permissions",
        "roles",
        "role_permissions",
        "identities",
        "app_memberships",
        "assignments",
        "api_keys",
        "identity_invites",
        "identity_tokens",
    ] {
        counts.push(app.count(table).await);
    }
    counts
}

async fn a_viewer_is_refused_by_every_write_server_function(engine: Engine) {
    let t = Team::new(engine).await;
    let viewer = t.member("val@example.com", "viewer").await;
    let env = json!({
        "account": t.landing["account"],
        "application": t.landing["application"],
        "environment": t.landing["environment"],
    });
    const ID: &str = "0193a1f0-0000-7000-8000-000000000000";
    let owner_id = t.admin_id("owner@example.com").await;
    // Every argument name a dashboard server function takes, with a plausible value; `form` is
    // the endpoint's own (below). Unknown names are ignored by the argument decoder.
    let base = json!({
        "env": env,
        "account": t.landing["account"],
        "application": t.landing["application"],
        "environment": t.landing["environment"],
        "id": ID, "identity_id": ID, "node_id": ID, "parent_node_id": ID, "role_id": ID,
        "application_id": ID, "admin_id": owner_id,
        "ids": [ID], "identity_ids": [ID], "forms": [AssignmentForm::default()],
        "permission_keys": [], "permission": "doc.read",
        "filter": AuditFilter::default(), "confirm": "",
        "dry_run": false, "mode": "create", "summary": app::model::csv_import::ImportSummary::default(),
        "version": 1, "active": false, "cascade": true, "page": 1, "q": "",
        "name": "Renamed", "role": "viewer",
        "schema": HierarchySchema::default(),
        "query": DirectoryQuery::default(),
        "token": "not-a-token", "password": "x", "access_token": "x", "selection_token": "x",
    });
    let endpoints: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    assert!(endpoints.len() > 60, "{endpoints:?}");
    for name in READS.iter().chain(PUBLIC) {
        assert!(
            endpoints.contains(*name),
            "{name} is listed but not registered"
        );
    }
    let mut refused = 0;
    for endpoint in &endpoints {
        if PUBLIC.contains(&endpoint.as_str()) {
            continue;
        }
        let mut body = base.clone();
        if let Some(form) = form_for(endpoint) {
            body["form"] = form;
        }
        // The CSV import's batches: rows of the bulk service each drives.
        let rows = |form: Result<Value, serde_json::Error>| json!([form.unwrap_or(Value::Null)]);
        match endpoint.as_str() {
            "import_identities" => {
                body["forms"] = rows(serde_json::to_value(IdentityForm::default()))
            }
            "import_invites" => body["forms"] = rows(serde_json::to_value(InviteForm::default())),
            "import_directory_identities" => {
                body["forms"] = rows(serde_json::to_value(DirectoryIdentityForm::default()))
            }
            _ => {}
        }
        let before = fingerprint(&t.app).await;
        let reply = t.call(&viewer, endpoint, body).await;
        assert_eq!(
            fingerprint(&t.app).await,
            before,
            "{endpoint} wrote something for a viewer: {} {}",
            reply.status,
            reply.body
        );
        if READS.contains(&endpoint.as_str()) {
            assert_ne!(reply.status, 403, "{endpoint} is a read: {}", reply.body);
        } else {
            assert_eq!(
                (reply.status, reply.code()),
                (403, "auth.forbidden"),
                "{endpoint} must refuse a viewer: {}",
                reply.body
            );
            refused += 1;
        }
    }
    assert!(refused > 30, "{refused}");
}
