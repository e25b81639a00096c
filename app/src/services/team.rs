//! The admin team of an Account (Tenant › Team): members with their roles, admin invites, and
//! their acceptance by the person invited (the hosted `/accept-admin-invite` page).
//!
//! Permissions (decisions.md › Team): reading the team needs `admin.read` (every member holds
//! it); inviting, resending, revoking, changing a role and removing need `admin.manage`, which
//! only owners hold — an admin cannot make anyone (themselves included) an owner. The last owner
//! can be neither demoted nor removed (`admins.last_owner`); the count is taken under the
//! Account's row lock so two owners demoting each other at once cannot both succeed.
//!
//! An invite is a link whose token only the recipient holds (32 random bytes; the database keeps
//! its SHA-256), valid 7 days, single use; a resend rotates it. Opening the link reads
//! (`info`); only the accept form spends it (`accept`): it creates the admin with the chosen
//! password — or, when the email is already an admin (of another Account), checks that admin's
//! password — adds the membership with the invited role and starts a session.

use crate::error::{AppError, Resource};
use crate::model::{
    ADMIN_INVITE_EXPIRY_DAYS, AcceptAdminInviteForm, AcceptedAdminInvite, AccountRole, AdminInvite,
    AdminInviteForm, AdminInviteInfo, AdminProfile, InviteStatus, SystemPermission, Team,
    TeamMember,
};
use crate::services::admin_auth::{self, AdminPrincipal, ClientInfo, SessionGrant};
use crate::services::audit::{self, Actor, Event};
use crate::services::mail::{self, Letter, MailKind, MailOrigin};
use crate::services::{Caller, Services, shared_limits, tokens, workspace};
use crate::store::{self, Tx, admins, rfc3339, team as store_t};

/// The path of the hosted accept page; the token rides in its query.
pub const ACCEPT_PATH: &str = "/accept-admin-invite";

fn accept_url(s: &Services, token: &str) -> String {
    s.link(&format!("{ACCEPT_PATH}?token={token}"))
}

fn invite_event(caller: &Caller, action: &'static str, id: &str, email: &str) -> Event {
    caller
        .event(action, "team")
        .resource("admin_invite", id, email)
}

/// Tenant › Team: the members and the open invites.
pub async fn list(s: &Services, caller: &Caller) -> Result<Team, AppError> {
    caller.require(SystemPermission::AdminRead)?;
    let now_ms = store::ms(s.now());
    let me = caller.admin().map(|a| a.profile.id.as_str());
    let members = store_t::members(s.db.reader(), caller.account_id())
        .await?
        .into_iter()
        .map(|m| TeamMember {
            role: m.role(),
            is_you: me == Some(m.admin_user_id.as_str()),
            admin_id: m.admin_user_id,
            email: m.email,
            first_name: m.first_name,
            last_name: m.last_name,
            status: m.status,
            email_verified: m.email_verified_at.is_some(),
            last_sign_in_at: m.last_sign_in_at.map(rfc3339),
            joined_at: rfc3339(m.created_at),
        })
        .collect();
    let invites = store_t::open_invites(s.db.reader(), caller.account_id())
        .await?
        .into_iter()
        .map(|i| AdminInvite {
            role: i.role(),
            status: i.status(now_ms),
            expires_at: rfc3339(i.expires_at),
            created_at: rfc3339(i.created_at),
            id: i.id,
            email: i.email,
            invited_by: i.inviter_email,
        })
        .collect();
    Ok(Team {
        members,
        invites,
        can_manage: caller.holds(SystemPermission::AdminManage),
    })
}

/// The invitation email.
async fn queue_letter(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    email: &str,
    role: AccountRole,
    inviter: &str,
    url: &str,
) -> Result<(), AppError> {
    let origin = MailOrigin {
        account_id: account_id.to_owned(),
        application_id: None,
        environment_id: None,
    };
    let head = mail::letterhead(tx, &origin).await?;
    let account = head.account_name.clone();
    let letter = Letter::new(head, format!("Join {account} on Arbor"))
        .greeting("Hello,".to_owned())
        .paragraph(format!(
            "{inviter} invited you to administer {account} on Arbor as {} ({}).",
            role.label().to_lowercase(),
            role.summary().to_lowercase()
        ))
        .action("Accept invite", url)
        .footnote(format!(
            "This link works once and expires in {ADMIN_INVITE_EXPIRY_DAYS} days. If you did not \
             expect this invitation, you can ignore this email."
        ));
    mail::queue(s, tx, &origin, MailKind::AdminInvite, email, &letter).await?;
    Ok(())
}

fn inviter_email(caller: &Caller) -> Result<String, AppError> {
    // Only a signed-in admin invites admins (API keys never hold `admin.manage`).
    caller
        .admin()
        .map(|a| a.profile.email.clone())
        .ok_or(AppError::Forbidden {
            permission: SystemPermission::AdminManage.key().to_owned(),
        })
}

/// Invite admin: an email and a role; the link goes by email.
pub async fn invite(
    s: &Services,
    caller: &Caller,
    form: &AdminInviteForm,
) -> Result<AdminInvite, AppError> {
    caller.require(SystemPermission::AdminManage)?;
    // An unconfirmed address could be a typo or someone else's: it may not hand the Account's
    // access to others (decisions.md › Admin account security).
    if let Some(admin) = caller.admin() {
        crate::services::admin_security::require_verified(s, admin).await?;
    }
    let valid = form.validate().map_err(AppError::validation)?;
    let inviter = inviter_email(caller)?;
    let now = s.now();
    let now_ms = store::ms(now);
    let email = valid.email.as_str();
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    if store_t::is_member_by_email(&mut tx, account_id, email).await? {
        return Err(AppError::AdminAlreadyMember);
    }
    store_t::expire_stale(&mut tx, account_id, email, now_ms).await?;
    let id = s.new_id();
    let token = tokens::new_token();
    let expires_ms = store::ms(now + time::Duration::days(ADMIN_INVITE_EXPIRY_DAYS));
    let inserted = store_t::insert(
        &mut tx,
        &store_t::NewAdminInvite {
            account_id,
            id: &id,
            email,
            role: valid.role,
            token_hash: &tokens::digest(&token),
            expires_ms,
            invited_by: caller.principal_id(),
            inviter_email: &inviter,
            now_ms,
        },
    )
    .await?;
    if !inserted {
        let invite_id = store_t::pending_id(&mut tx, account_id, email)
            .await?
            .unwrap_or_default();
        return Err(AppError::InvitePendingExists { invite_id });
    }
    queue_letter(
        s,
        &mut tx,
        account_id,
        email,
        valid.role,
        &inviter,
        &accept_url(s, &token),
    )
    .await?;
    let event = invite_event(caller, "admin_invite.created", &id, email)
        .metadata(serde_json::json!({ "role": valid.role.as_str() }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(AdminInvite {
        id,
        email: email.to_owned(),
        role: valid.role,
        status: InviteStatus::Pending,
        invited_by: inviter,
        expires_at: rfc3339(expires_ms),
        created_at: rfc3339(now_ms),
    })
}

/// Resend: a new token (the previous link stops working), seven new days, the email again. An
/// invite that ran out can be resent too: that is how it is renewed.
pub async fn resend(s: &Services, caller: &Caller, id: &str) -> Result<String, AppError> {
    caller.require(SystemPermission::AdminManage)?;
    let inviter = inviter_email(caller)?;
    let now = s.now();
    let now_ms = store::ms(now);
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let invite = store_t::by_id(&mut tx, account_id, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Invite,
        })?;
    if !matches!(
        invite.status(now_ms),
        InviteStatus::Pending | InviteStatus::Expired
    ) {
        return Err(AppError::InviteNotPending);
    }
    let token = tokens::new_token();
    let rotated = store_t::rotate_token(
        &mut tx,
        account_id,
        id,
        &tokens::digest(&token),
        store::ms(now + time::Duration::days(ADMIN_INVITE_EXPIRY_DAYS)),
        now_ms,
    )
    .await?;
    if !rotated {
        return Err(AppError::InviteNotPending);
    }
    queue_letter(
        s,
        &mut tx,
        account_id,
        &invite.email,
        invite.role(),
        &inviter,
        &accept_url(s, &token),
    )
    .await?;
    let event = invite_event(caller, "admin_invite.resent", id, &invite.email);
    audit::commit(s, tx, vec![event]).await?;
    Ok(format!(
        "Invite resent to {}. The previous link no longer works.",
        invite.email
    ))
}

/// Revoke: the link stops working.
pub async fn revoke(s: &Services, caller: &Caller, id: &str) -> Result<(), AppError> {
    caller.require(SystemPermission::AdminManage)?;
    let now_ms = store::ms(s.now());
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let invite = store_t::by_id(&mut tx, account_id, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Invite,
        })?;
    if !store_t::revoke(&mut tx, account_id, id, now_ms).await? {
        return Err(AppError::InviteNotPending);
    }
    let event = invite_event(caller, "admin_invite.revoked", id, &invite.email);
    audit::commit(s, tx, vec![event]).await
}

/// The member `admin_id` of the caller's Account, read in `tx` after taking the Account's lock.
async fn locked_member(
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
) -> Result<store_t::MemberRow, AppError> {
    store_t::lock_account(tx, account_id).await?;
    store_t::member(tx, account_id, admin_id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Membership,
        })
}

/// Changes a member's role; the last owner stays an owner.
pub async fn change_role(
    s: &Services,
    caller: &Caller,
    admin_id: &str,
    role: AccountRole,
) -> Result<(), AppError> {
    caller.require(SystemPermission::AdminManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let member = locked_member(&mut tx, account_id, admin_id).await?;
    let before = member.role();
    if before == role {
        tx.rollback().await?;
        return Ok(());
    }
    if before == AccountRole::Owner && store_t::owner_count(&mut tx, account_id).await? <= 1 {
        return Err(AppError::LastOwner);
    }
    store_t::set_role(&mut tx, account_id, admin_id, role).await?;
    let event = caller
        .event("admin.role_changed", "team")
        .resource("admin_user", admin_id, &member.email)
        .metadata(serde_json::json!({
            "before": { "role": before.as_str() },
            "after": { "role": role.as_str() },
        }));
    audit::commit(s, tx, vec![event]).await
}

/// Removes a member from the Account: from the next request on they have no access to it. An
/// admin left without any Account has nothing to sign in to, so their sessions end too.
pub async fn remove(s: &Services, caller: &Caller, admin_id: &str) -> Result<(), AppError> {
    caller.require(SystemPermission::AdminManage)?;
    let account_id = caller.account_id();
    let mut tx = s.db.begin().await?;
    let member = locked_member(&mut tx, account_id, admin_id).await?;
    if member.role() == AccountRole::Owner && store_t::owner_count(&mut tx, account_id).await? <= 1
    {
        return Err(AppError::LastOwner);
    }
    store_t::remove_member(&mut tx, account_id, admin_id).await?;
    let sessions_ended = if store_t::membership_count(&mut tx, admin_id).await? == 0 {
        store_t::end_sessions(&mut tx, admin_id).await?
    } else {
        0
    };
    let event = caller
        .event("admin.removed", "team")
        .resource("admin_user", admin_id, &member.email)
        .metadata(serde_json::json!({
            "before": { "role": member.role().as_str() },
            "sessions_ended": sessions_ended,
        }));
    audit::commit(s, tx, vec![event]).await
}

/// The invite behind a link, if it can still be accepted.
async fn usable(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    token: &str,
    now_ms: i64,
) -> Result<store_t::StoredAdminInvite, AppError> {
    let invite = store_t::by_token_hash(executor, &tokens::digest(token.trim()))
        .await?
        .ok_or(AppError::InviteInvalid)?;
    match invite.status(now_ms) {
        InviteStatus::Pending => Ok(invite),
        InviteStatus::Expired => Err(AppError::InviteExpired),
        InviteStatus::Revoked => Err(AppError::InviteRevoked),
        InviteStatus::Accepted => Err(AppError::InviteAlreadyAccepted),
    }
}

/// What the accept page shows. Reads only: opening the link never spends it.
pub async fn info(s: &Services, token: &str) -> Result<AdminInviteInfo, AppError> {
    let now_ms = store::ms(s.now());
    let invite = usable(s.db.reader(), token, now_ms).await?;
    let existing = admins::credentials(s.db.reader(), &invite.email).await?;
    Ok(AdminInviteInfo {
        account_name: store_t::account_name(s.db.reader(), &invite.account_id).await?,
        role: invite.role(),
        inviter_email: invite.inviter_email,
        existing_admin: existing.is_some(),
        email: invite.email,
    })
}

/// The accept form's submit: spends the token, writes the admin (or checks the existing one's
/// password) and the membership in one transaction, then starts a session.
pub async fn accept(
    s: &Services,
    form: &AcceptAdminInviteForm,
    client: &ClientInfo,
) -> Result<(AcceptedAdminInvite, SessionGrant), AppError> {
    let now = s.now();
    let now_ms = store::ms(now);
    let invite = usable(s.db.reader(), &form.token, now_ms).await?;
    let email = invite.email.clone();
    let existing = admins::credentials(s.db.reader(), &email).await?;
    // A new admin's password is hashed (slow) before the transaction; an existing admin's is
    // checked like a sign-in: throttled, and the same answer for a wrong password or inactive admin.
    let (admin_id, new_admin) = match existing {
        Some(admin) => {
            form.check(true).map_err(AppError::validation)?;
            let address = client.address.as_deref();
            if let Some(retry_after_secs) =
                shared_limits::sign_in_retry_after(s, &email, address).await?
            {
                return Err(AppError::TooManyAttempts { retry_after_secs });
            }
            let ok = s
                .passwords
                .verify(form.password.clone(), Some(admin.password_hash.clone()))
                .await?;
            if !ok || !admin.active {
                shared_limits::sign_in_failed(s, &email, address).await?;
                return Err(AppError::InvalidCredentials);
            }
            shared_limits::sign_in_succeeded(s, &email).await?;
            (admin.id, None)
        }
        None => {
            let valid = form.validate_new().map_err(AppError::validation)?;
            let hash = s.passwords.hash(valid.password.expose().to_owned()).await?;
            (s.new_id(), Some((valid, hash)))
        }
    };
    let token_hash = tokens::digest(form.token.trim());
    let mut tx = s.db.begin().await?;
    let (first_name, last_name) = match &new_admin {
        Some((valid, hash)) => {
            let inserted = admins::insert(
                &mut tx,
                admins::NewAdmin {
                    id: &admin_id,
                    email: &email,
                    first_name: valid.first_name.as_str(),
                    last_name: valid.last_name.as_str(),
                    password_hash: hash,
                    now_ms,
                },
            )
            .await?;
            if !inserted {
                // Someone signed up with this email since the page was opened: ask again.
                return Err(AppError::AdminEmailTaken);
            }
            (
                valid.first_name.as_str().to_owned(),
                valid.last_name.as_str().to_owned(),
            )
        }
        None => (String::new(), String::new()),
    };
    // Following the emailed link proved the address.
    store_t::mark_email_verified(&mut tx, &admin_id, now_ms).await?;
    if store_t::member(&mut tx, &invite.account_id, &admin_id)
        .await?
        .is_some()
    {
        return Err(AppError::AdminAlreadyMember);
    }
    admins::add_member(
        &mut tx,
        &invite.account_id,
        &admin_id,
        invite.role().as_str(),
        now_ms,
    )
    .await?;
    if !store_t::mark_accepted(
        &mut tx,
        &invite.account_id,
        &invite.id,
        &token_hash,
        &admin_id,
        now_ms,
    )
    .await?
    {
        // A concurrent acceptance or a resend won; nothing of ours is kept.
        return Err(AppError::InviteInvalid);
    }
    let actor = Actor::Admin {
        id: admin_id.clone(),
        label: email.clone(),
    };
    let event = Event::new(&invite.account_id, &actor, "admin_invite.accepted", "team")
        .resource("admin_invite", &invite.id, &email)
        .metadata(serde_json::json!({
            "role": invite.role().as_str(),
            "admin_user_id": admin_id,
            "created_admin": new_admin.is_some(),
        }));
    audit::commit(s, tx, vec![event]).await?;
    let grant = admin_auth::start_session(s, &admin_id, client).await?;
    let principal = AdminPrincipal {
        session_id: String::new(),
        profile: AdminProfile {
            id: admin_id,
            email,
            first_name,
            last_name,
        },
    };
    let next = landing_in(s, &principal, &invite.account_id).await?;
    let account_name = store_t::account_name(s.db.reader(), &invite.account_id).await?;
    Ok((
        AcceptedAdminInvite {
            message: format!(
                "You're now {} of {account_name}.",
                match invite.role() {
                    AccountRole::Owner => "an owner",
                    AccountRole::Admin => "an admin",
                    AccountRole::Viewer => "a viewer",
                }
            ),
            next,
        },
        grant,
    ))
}

/// The Overview of the Account's first application in its default environment.
async fn landing_in(
    s: &Services,
    admin: &AdminPrincipal,
    account_id: &str,
) -> Result<String, AppError> {
    let memberships = store::workspace::memberships(s.db.reader(), &admin.profile.id).await?;
    let slug = memberships
        .into_iter()
        .find(|m| m.account.id == account_id)
        .map(|m| m.account.slug)
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })?;
    let ws = workspace::workspace(s, admin, &slug).await?;
    let app = ws.applications.first().ok_or(AppError::NotFound {
        resource: Resource::Application,
    })?;
    let env = app.default_environment().ok_or(AppError::NotFound {
        resource: Resource::Environment,
    })?;
    Ok(format!("/{slug}/{}/{}/overview", app.slug, env.slug))
}
