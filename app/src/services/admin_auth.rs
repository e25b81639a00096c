//! Dashboard admin authentication: sign-in with throttling, server-side sessions with idle and
//! absolute expiry, sign-out.

use crate::error::AppError;
use crate::model::{AdminProfile, Email};
use crate::services::audit::{self, Actor, Event};
use crate::services::{Services, shared_limits, tokens};
use crate::store::{self, admins, sessions, workspace};

/// Where a request comes from, for throttling and the session record.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in admin, resolved from a session cookie.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub session_id: String,
    pub profile: AdminProfile,
}

impl AdminPrincipal {
    pub fn actor(&self) -> Actor {
        Actor::Admin {
            id: self.profile.id.clone(),
            label: self.profile.email.clone(),
        }
    }
}

/// A new session: the secret for the cookie (shown to nobody else) and how long it may live.
#[derive(Debug, Clone)]
pub struct SessionGrant {
    pub token: String,
    pub max_age: time::Duration,
}

/// Opens a session for an admin who just proved who they are.
pub async fn start_session(
    s: &Services,
    admin_id: &str,
    client: &ClientInfo,
) -> Result<SessionGrant, AppError> {
    let now = s.now();
    let token = tokens::new_token();
    let mut tx = s.db.begin().await?;
    sessions::delete_expired(
        &mut tx,
        admin_id,
        store::ms(now),
        s.sessions.idle_timeout.whole_milliseconds() as i64,
    )
    .await?;
    sessions::insert(
        &mut tx,
        sessions::NewSession {
            id: &s.new_id(),
            token_hash: &tokens::digest(&token),
            admin_id,
            now_ms: store::ms(now),
            expires_ms: store::ms(now + s.sessions.absolute_lifetime),
            ip: client.address.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
    )
    .await?;
    admins::record_sign_in(&mut tx, admin_id, store::ms(now)).await?;
    tx.commit().await?;
    Ok(SessionGrant {
        token,
        max_age: s.sessions.absolute_lifetime,
    })
}

/// Checks an email and password. Unknown email and wrong password get the same answer and cost
/// the same time; repeated failures are throttled per email and per address.
pub async fn sign_in(
    s: &Services,
    email: &Email,
    password: String,
    client: &ClientInfo,
) -> Result<(String, SessionGrant), AppError> {
    let address = client.address.as_deref();
    if let Some(retry_after_secs) =
        shared_limits::sign_in_retry_after(s, email.as_str(), address).await?
    {
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    let credentials = admins::credentials(s.db.reader(), email.as_str()).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let password_ok = s.passwords.verify(password, stored).await?;
    let admin = match credentials {
        Some(admin) if password_ok && admin.active => admin,
        other => {
            shared_limits::sign_in_failed(s, email.as_str(), address).await?;
            if let Some(admin) = other {
                record_for_accounts(s, &admin.id, email.as_str(), "admin.sign_in_failed", true)
                    .await?;
            }
            return Err(AppError::InvalidCredentials);
        }
    };
    shared_limits::sign_in_succeeded(s, email.as_str()).await?;
    let grant = start_session(s, &admin.id, client).await?;
    record_for_accounts(s, &admin.id, email.as_str(), "admin.signed_in", false).await?;
    Ok((admin.id, grant))
}

/// Appends an auth event to every account the admin belongs to (audit is account-scoped).
async fn record_for_accounts(
    s: &Services,
    admin_id: &str,
    email: &str,
    action: &'static str,
    failed: bool,
) -> Result<(), AppError> {
    let memberships = workspace::memberships(s.db.reader(), admin_id).await?;
    let now = s.now();
    let correlation_id = s.new_id();
    let actor = Actor::Admin {
        id: admin_id.to_owned(),
        label: email.to_owned(),
    };
    let mut tx = s.db.begin().await?;
    for membership in memberships {
        let mut event = Event::new(&membership.account.id, &actor, action, "auth").resource(
            "admin_user",
            admin_id,
            email,
        );
        if failed {
            event = event.failed();
        }
        audit::record(&mut tx, s.new_id(), now, &correlation_id, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Resolves a session cookie to its admin, enforcing idle and absolute expiry. Any problem is
/// `Unauthenticated`; the cause is not revealed.
pub async fn authenticate(s: &Services, token: &str) -> Result<AdminPrincipal, AppError> {
    let now_ms = store::ms(s.now());
    let Some(session) = sessions::find_by_token_hash(s.db.reader(), &tokens::digest(token)).await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let idle_ms = s.sessions.idle_timeout.whole_milliseconds() as i64;
    if !session.admin_active
        || now_ms >= session.expires_ms
        || now_ms - session.last_seen_ms >= idle_ms
    {
        return Err(AppError::Unauthenticated);
    }
    // Sliding idle expiry without a write per request: refresh at most once a minute.
    if now_ms - session.last_seen_ms > 60_000 {
        let mut tx = s.db.begin().await?;
        sessions::touch(&mut tx, &session.id, now_ms).await?;
        tx.commit().await?;
    }
    Ok(AdminPrincipal {
        session_id: session.id,
        profile: AdminProfile {
            id: session.admin_id,
            email: session.email,
            first_name: session.first_name,
            last_name: session.last_name,
        },
    })
}

/// Ends the admin's current session.
pub async fn sign_out(s: &Services, admin: &AdminPrincipal) -> Result<(), AppError> {
    let mut tx = s.db.begin().await?;
    sessions::delete(&mut tx, &admin.session_id).await?;
    tx.commit().await?;
    record_for_accounts(
        s,
        &admin.profile.id,
        &admin.profile.email,
        "admin.signed_out",
        false,
    )
    .await
}
