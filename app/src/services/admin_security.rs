//! Admin account security (decisions.md › Admin account security): forgot / reset password by an
//! emailed single-use link, change password, email verification, the admin's own sessions, and
//! the operator's `arbor admin reset-password`.
//!
//! These act on the signed-in admin's own credentials, not on an Account's data, so they take the
//! `AdminPrincipal` (as sign-out does) and hold for every role, viewers included. Their audit
//! events go to every Account the admin belongs to (audit is account-scoped), in the write's
//! transaction.

use crate::error::{AppError, FieldError, Resource};
use crate::model::{
    ADMIN_FORGOT_ANSWER, AdminForgotForm, AdminLinkPreview, AdminPassword, AdminPasswordChangeForm,
    AdminResetForm, AdminSession, AuthMessage, Email, device_summary,
};
use crate::services::admin_auth::{AdminPrincipal, ClientInfo};
use crate::services::audit::{self, Actor, Event};
use crate::services::identity_auth::{at_least, link_state};
use crate::services::mail::{self, Letter, MailKind, MailOrigin};
use crate::services::{Services, shared_limits, tokens};
use crate::store::admins::{self, AdminContact, TokenPurpose};
use crate::store::{self, Tx, sessions, workspace as ws};
use time::Duration;

/// How long a password-reset link works.
pub const RESET_LIFETIME: Duration = Duration::hours(1);
/// How long an email-verification link works (a resend issues a new one).
pub const VERIFICATION_LIFETIME: Duration = Duration::hours(24);
/// Forgot-password requests per email address in the window (unknown emails count too, so the
/// limit says nothing about which exist).
pub const FORGOT_PER_EMAIL: usize = 3;
/// Forgot-password requests per client address in the window.
pub const FORGOT_PER_ADDRESS: usize = 10;
pub const FORGOT_WINDOW: Duration = Duration::minutes(15);

fn actor_of(id: &str, email: &str) -> Actor {
    Actor::Admin {
        id: id.to_owned(),
        label: email.to_owned(),
    }
}

/// `action` on the admin, as one event in each Account the admin belongs to.
async fn events_for(
    s: &Services,
    actor: &Actor,
    admin_id: &str,
    email: &str,
    action: &'static str,
    metadata: Option<serde_json::Value>,
) -> Result<Vec<Event>, AppError> {
    Ok(ws::memberships(s.db.reader(), admin_id)
        .await?
        .into_iter()
        .map(|m| {
            let event = Event::new(&m.account.id, actor, action, "admin_user").resource(
                "admin_user",
                admin_id,
                email,
            );
            match &metadata {
                Some(metadata) => event.metadata(metadata.clone()),
                None => event,
            }
        })
        .collect())
}

/// Which emailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Reset,
    Verification,
}

/// Issues a token for the admin and queues its email in `tx`, from `account_id` (the outbox and
/// the Dev mailbox are per Account). Returns nothing secret.
async fn send_link(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
    email: &str,
    first_name: &str,
    link: Link,
) -> Result<(), AppError> {
    let now = s.now();
    let token = tokens::new_token();
    let (purpose, lifetime) = match link {
        Link::Reset => (TokenPurpose::PasswordReset, RESET_LIFETIME),
        Link::Verification => (TokenPurpose::EmailVerification, VERIFICATION_LIFETIME),
    };
    admins::insert_token(
        tx,
        admins::NewToken {
            token_hash: &tokens::digest(&token),
            id: &s.new_id(),
            admin_id,
            purpose,
            now_ms: store::ms(now),
            expires_ms: store::ms(now + lifetime),
        },
    )
    .await?;
    let origin = MailOrigin {
        account_id: account_id.to_owned(),
        application_id: None,
        environment_id: None,
    };
    let head = mail::letterhead(tx, &origin).await?;
    let greeting = format!("Hello {first_name},");
    let (kind, letter) = match link {
        Link::Reset => (
            MailKind::AdminPasswordReset,
            Letter::new(head, "Reset your Arbor password")
                .greeting(greeting)
                .paragraph(format!(
                    "Someone — hopefully you — asked to reset the password of the Arbor admin account {email}."
                ))
                .action(
                    "Choose a new password",
                    s.link(&format!("/signin/reset?token={token}")),
                )
                .footnote("The link works once and expires in 1 hour. Choosing a new password signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is."),
        ),
        Link::Verification => (
            MailKind::AdminEmailVerification,
            Letter::new(head, "Confirm your email address")
                .greeting(greeting)
                .paragraph(format!(
                    "Please confirm that {email} is your email address as an Arbor admin."
                ))
                .action(
                    "Confirm email address",
                    s.link(&format!("/signup/verify?token={token}")),
                )
                .footnote("The link works once and expires in 24 hours. If you did not expect this email, ignore it."),
        ),
    };
    mail::queue(s, tx, &origin, kind, email, &letter).await?;
    Ok(())
}

/// Sign-up's verification email, queued in the sign-up's transaction (the new admin's Account is
/// not committed yet, so it is named here).
pub async fn send_signup_verification(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
    email: &str,
    first_name: &str,
) -> Result<(), AppError> {
    send_link(
        s,
        tx,
        account_id,
        admin_id,
        email,
        first_name,
        Link::Verification,
    )
    .await
}

fn address(client: &ClientInfo) -> &str {
    client.address.as_deref().unwrap_or("unknown")
}

/// `/signin/forgot`: emails a reset link when the email belongs to an active admin of at least
/// one Account. The same answer, in at least the same time, for every email; limited per client
/// address and per email.
pub async fn forgot_password(
    s: &Services,
    form: &AdminForgotForm,
    client: &ClientInfo,
) -> Result<AuthMessage, AppError> {
    let email = form.validate().map_err(AppError::validation)?;
    for (limiter, key) in [
        (&s.admin_forgot_by_address, address(client)),
        (&s.admin_forgot_by_email, email.as_str()),
    ] {
        if let Some(retry_after_secs) = shared_limits::take(s, limiter, key).await? {
            return Err(AppError::TooManyAttempts { retry_after_secs });
        }
    }
    at_least(
        s.identity_sessions.public_answer_floor,
        email_reset_link(s, &email),
    )
    .await?;
    Ok(AuthMessage::new(ADMIN_FORGOT_ANSWER))
}

async fn email_reset_link(s: &Services, email: &Email) -> Result<(), AppError> {
    let Some(admin) = admins::contact_by_email(s.db.reader(), email.as_str()).await? else {
        return Ok(());
    };
    if !admin.active {
        return Ok(());
    }
    // An admin left without an Account has nothing to sign in to (and no outbox to send from).
    let Some(first) = ws::memberships(s.db.reader(), &admin.id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let actor = actor_of(&admin.id, &admin.email);
    let events = events_for(
        s,
        &actor,
        &admin.id,
        &admin.email,
        "admin_user.password_reset_requested",
        None,
    )
    .await?;
    let mut tx = s.db.begin().await?;
    send_link(
        s,
        &mut tx,
        &first.account.id,
        &admin.id,
        &admin.email,
        &admin.first_name,
        Link::Reset,
    )
    .await?;
    audit::commit(s, tx, events).await
}

/// The token's row when it can still be used; otherwise why not.
fn usable(row: Option<admins::TokenRow>, now_ms: i64) -> Result<admins::TokenRow, AppError> {
    let row = row.ok_or(AppError::TokenInvalid)?;
    link_state(row.used_at, row.expires_at, now_ms)?;
    Ok(row)
}

/// What the reset or verification page shows before its form is sent: a read-only check that
/// never spends the token (mail scanners open every link).
pub async fn preview_link(
    s: &Services,
    token: &str,
    reset: bool,
) -> Result<AdminLinkPreview, AppError> {
    let purpose = if reset {
        TokenPurpose::PasswordReset
    } else {
        TokenPurpose::EmailVerification
    };
    let row = admins::token(s.db.reader(), &tokens::digest(token), purpose).await?;
    let row = usable(row, store::ms(s.now()))?;
    Ok(AdminLinkPreview { email: row.email })
}

/// `/signin/reset`: spends the token, sets the password (the admin proved the mailbox: verified)
/// and ends every session of the admin.
pub async fn reset_password(s: &Services, form: &AdminResetForm) -> Result<AuthMessage, AppError> {
    let password = form.validate().map_err(AppError::validation)?;
    let hash_of_token = tokens::digest(&form.token);
    // Checked before hashing the password, so a dead link fails fast; spent in the write below.
    let row = usable(
        admins::token(s.db.reader(), &hash_of_token, TokenPurpose::PasswordReset).await?,
        store::ms(s.now()),
    )?;
    let hash = s.passwords.hash(password.expose().to_owned()).await?;
    let actor = actor_of(&row.admin_user_id, &row.email);
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let row = usable(
        admins::token(&mut *tx, &hash_of_token, TokenPurpose::PasswordReset).await?,
        now_ms,
    )?;
    if !admins::use_token(&mut tx, &hash_of_token, now_ms).await? {
        return Err(AppError::TokenUsed);
    }
    let ended =
        set_password_ending_sessions(&mut tx, &row.admin_user_id, &hash, None, now_ms).await?;
    admins::mark_email_verified(&mut tx, &row.admin_user_id, now_ms).await?;
    let events = events_for(
        s,
        &actor,
        &row.admin_user_id,
        &row.email,
        "admin_user.password_reset",
        Some(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    audit::commit(s, tx, events).await?;
    // The new password is proof enough: earlier failed sign-ins no longer hold the email back.
    shared_limits::sign_in_succeeded(s, &row.email).await?;
    Ok(AuthMessage::new(
        "Your password was changed and every session was signed out. Sign in with the new password.",
    ))
}

/// Stores the new hash and ends the admin's sessions but `keep`; how many ended.
async fn set_password_ending_sessions(
    tx: &mut Tx,
    admin_id: &str,
    hash: &str,
    keep: Option<&str>,
    now_ms: i64,
) -> Result<u64, AppError> {
    admins::set_password(tx, admin_id, hash, now_ms).await?;
    sessions::delete_for_admin(tx, admin_id, keep).await
}

/// Profile › Password: checks the current password (a wrong one is a field error), sets the new
/// one and ends every other session of the admin; this one stays.
pub async fn change_password(
    s: &Services,
    admin: &AdminPrincipal,
    form: &AdminPasswordChangeForm,
) -> Result<AuthMessage, AppError> {
    let (current, new) = form.validate().map_err(AppError::validation)?;
    let stored = admins::password_hash(s.db.reader(), &admin.profile.id).await?;
    if !s.passwords.verify(current, stored).await? {
        return Err(AppError::validation(vec![FieldError::new(
            "current_password",
            "incorrect",
            "This is not your current password.",
        )]));
    }
    let hash = s.passwords.hash(new.expose().to_owned()).await?;
    let events = events_for(
        s,
        &admin.actor(),
        &admin.profile.id,
        &admin.profile.email,
        "admin_user.password_changed",
        None,
    )
    .await?;
    let mut tx = s.db.begin().await?;
    let ended = set_password_ending_sessions(
        &mut tx,
        &admin.profile.id,
        &hash,
        Some(&admin.session_id),
        store::ms(s.now()),
    )
    .await?;
    let events = events
        .into_iter()
        .map(|e| e.metadata(serde_json::json!({ "other_sessions_ended": ended })))
        .collect();
    audit::commit(s, tx, events).await?;
    Ok(AuthMessage::new(
        "Your password was changed. Your other sessions were signed out.",
    ))
}

/// `arbor admin reset-password --email …`: the operator sets an admin's password from the
/// server's command line (the escape hatch when no email can be received). Same policy, every
/// session ends, audited as the system.
pub async fn operator_reset_password(
    s: &Services,
    email: &str,
    password: &str,
) -> Result<u64, AppError> {
    let email = Email::parse("email", email).map_err(|e| AppError::validation(vec![e]))?;
    let password =
        AdminPassword::parse("password", password).map_err(|e| AppError::validation(vec![e]))?;
    let admin = admins::contact_by_email(s.db.reader(), email.as_str())
        .await?
        .ok_or(AppError::validation(vec![FieldError::new(
            "email",
            "unknown",
            "No admin has this email.",
        )]))?;
    let hash = s.passwords.hash(password.expose().to_owned()).await?;
    let events = events_for(
        s,
        &Actor::System,
        &admin.id,
        &admin.email,
        "admin_user.password_reset_by_operator",
        None,
    )
    .await?;
    let mut tx = s.db.begin().await?;
    let ended =
        set_password_ending_sessions(&mut tx, &admin.id, &hash, None, store::ms(s.now())).await?;
    let events = events
        .into_iter()
        .map(|e| e.metadata(serde_json::json!({ "sessions_ended": ended })))
        .collect();
    audit::commit(s, tx, events).await?;
    shared_limits::sign_in_succeeded(s, admin.email.as_str()).await?;
    Ok(ended)
}

/// Whether the admin confirmed their email.
pub async fn is_verified(s: &Services, admin_id: &str) -> Result<bool, AppError> {
    Ok(admins::contact(s.db.reader(), admin_id)
        .await?
        .is_some_and(|a| a.email_verified))
}

/// What an unverified admin may not do (decisions.md): refused with `admins.email_unverified`.
pub async fn require_verified(s: &Services, admin: &AdminPrincipal) -> Result<(), AppError> {
    if is_verified(s, &admin.profile.id).await? {
        Ok(())
    } else {
        Err(AppError::AdminEmailUnverified)
    }
}

/// The banner's Resend: a new verification link (the older one stops working).
pub async fn resend_verification(
    s: &Services,
    admin: &AdminPrincipal,
) -> Result<AuthMessage, AppError> {
    let contact = admins::contact(s.db.reader(), &admin.profile.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if contact.email_verified {
        return Ok(AuthMessage::new("Your email address is already confirmed."));
    }
    let first = ws::memberships(s.db.reader(), &contact.id)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })?;
    let events = events_for(
        s,
        &admin.actor(),
        &contact.id,
        &contact.email,
        "admin_user.verification_sent",
        None,
    )
    .await?;
    let mut tx = s.db.begin().await?;
    send_contact_link(s, &mut tx, &first.account.id, &contact, Link::Verification).await?;
    audit::commit(s, tx, events).await?;
    Ok(AuthMessage::new(format!(
        "We sent a new confirmation link to {}.",
        contact.email
    )))
}

async fn send_contact_link(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    contact: &AdminContact,
    link: Link,
) -> Result<(), AppError> {
    send_link(
        s,
        tx,
        account_id,
        &contact.id,
        &contact.email,
        &contact.first_name,
        link,
    )
    .await
}

/// `/signup/verify`: spends the token and stamps the email as verified. Works signed out: the
/// link is the proof.
pub async fn verify_email(s: &Services, token: &str) -> Result<AuthMessage, AppError> {
    if token.is_empty() {
        return Err(AppError::TokenInvalid);
    }
    let hash_of_token = tokens::digest(token);
    let row = usable(
        admins::token(
            s.db.reader(),
            &hash_of_token,
            TokenPurpose::EmailVerification,
        )
        .await?,
        store::ms(s.now()),
    )?;
    let events = events_for(
        s,
        &actor_of(&row.admin_user_id, &row.email),
        &row.admin_user_id,
        &row.email,
        "admin_user.email_verified",
        None,
    )
    .await?;
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let row = usable(
        admins::token(&mut *tx, &hash_of_token, TokenPurpose::EmailVerification).await?,
        now_ms,
    )?;
    if !admins::use_token(&mut tx, &hash_of_token, now_ms).await? {
        return Err(AppError::TokenUsed);
    }
    admins::mark_email_verified(&mut tx, &row.admin_user_id, now_ms).await?;
    audit::commit(s, tx, events).await?;
    Ok(AuthMessage::new("Your email address is confirmed."))
}

/// Profile › Sessions: the admin's live sessions, most recently seen first, this one marked.
pub async fn list_sessions(
    s: &Services,
    admin: &AdminPrincipal,
) -> Result<Vec<AdminSession>, AppError> {
    let rows = sessions::live_for_admin(
        s.db.reader(),
        &admin.profile.id,
        store::ms(s.now()),
        s.sessions.idle_timeout.whole_milliseconds() as i64,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| AdminSession {
            current: row.id == admin.session_id,
            device: device_summary(row.user_agent.as_deref()),
            ip: row.ip,
            created_at: store::rfc3339(row.created_at),
            last_seen_at: store::rfc3339(row.last_seen_at),
            id: row.id,
        })
        .collect())
}

/// Signs out one of the admin's sessions (this one too, if asked: the page then leaves).
pub async fn end_session(
    s: &Services,
    admin: &AdminPrincipal,
    session_id: &str,
) -> Result<(), AppError> {
    let events = events_for(
        s,
        &admin.actor(),
        &admin.profile.id,
        &admin.profile.email,
        "admin_user.session_ended",
        Some(serde_json::json!({ "session_id": session_id })),
    )
    .await?;
    let mut tx = s.db.begin().await?;
    if !sessions::delete_of_admin(&mut tx, &admin.profile.id, session_id).await? {
        return Err(AppError::NotFound {
            resource: Resource::Session,
        });
    }
    audit::commit(s, tx, events).await
}

/// Signs out every session of the admin but this one; how many ended.
pub async fn end_other_sessions(s: &Services, admin: &AdminPrincipal) -> Result<u64, AppError> {
    let mut tx = s.db.begin().await?;
    let ended =
        sessions::delete_for_admin(&mut tx, &admin.profile.id, Some(&admin.session_id)).await?;
    let events = events_for(
        s,
        &admin.actor(),
        &admin.profile.id,
        &admin.profile.email,
        "admin_user.other_sessions_ended",
        Some(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    audit::commit(s, tx, events).await?;
    Ok(ended)
}
