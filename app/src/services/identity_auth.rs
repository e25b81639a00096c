//! Identity (end-user) sign-in, `/v1/identity/auth/…` and the hosted pages: login with
//! application selection, server-side sessions (opaque bearer access token + rotating refresh
//! token with reuse detection, idle and absolute lifetimes), logout, change-password, the
//! emailed single-use links (password reset, email verification) and the admin actions that
//! send them.
//!
//! The session is the one a later OAuth 2.0 / OpenID Connect provider reuses as its login step
//! (docs/decisions.md › Identity sign-in): the hosted `/login` page authenticates, this module
//! issues the session, and an authorize endpoint would only add a code on top of it.

use crate::error::{AppError, FieldError};
use crate::model::{
    AccountEmailForm, ApplicationChoice, AuthMessage, ChangePasswordForm, IdentityLoginForm,
    IdentityMe, IdentityStatus, LoginAnswer, MembershipStatus, RefreshAnswer, ResetPasswordForm,
    SelectApplicationForm, SignedInIdentity, SystemPermission, TokenPreview,
    identity_auth::{FORGOT_PASSWORD_ANSWER, RESEND_VERIFICATION_ANSWER},
};
use crate::services::admin_auth::ClientInfo;
use crate::services::audit::{self, Actor, Event};
use crate::services::mail::{self, Letter, MailKind, MailOrigin};
use crate::services::{Caller, Services, identities, identity_passwords, shared_limits, tokens};
use crate::store::identity_sessions::{self as store_s, TokenPurpose};
use crate::store::{self, Tx, identities as store_i};
use time::Duration;

/// Lifetimes and limits of identity sign-in (docs/decisions.md › Identity sign-in).
#[derive(Debug, Clone, Copy)]
pub struct IdentitySessionPolicy {
    /// The bearer access token (`expires_in`).
    pub access_lifetime: Duration,
    /// A session not refreshed for this long ends.
    pub idle_timeout: Duration,
    /// No session outlives this, however often refreshed.
    pub absolute_lifetime: Duration,
    /// The selection token of an identity in several applications.
    pub selection_lifetime: Duration,
    pub reset_lifetime: Duration,
    pub verification_lifetime: Duration,
    /// Consecutive failed logins that lock an identity, and for how long.
    pub lockout_after: i64,
    pub lockout_for: Duration,
    /// The least time forgot-password and resend-verification take, whoever asked, so the time
    /// of the answer does not say whether the email exists (a real one queues an email).
    pub public_answer_floor: std::time::Duration,
    /// `Secure` on the refresh cookie (Arbor served over https).
    pub secure_cookie: bool,
}

impl Default for IdentitySessionPolicy {
    fn default() -> Self {
        IdentitySessionPolicy {
            access_lifetime: Duration::minutes(15),
            idle_timeout: Duration::days(7),
            absolute_lifetime: Duration::days(30),
            selection_lifetime: Duration::minutes(5),
            reset_lifetime: Duration::hours(1),
            verification_lifetime: Duration::hours(24),
            lockout_after: 10,
            lockout_for: Duration::minutes(15),
            public_answer_floor: std::time::Duration::from_millis(250),
            secure_cookie: false,
        }
    }
}

/// Failed logins per address in the window (decisions.md: 5 / 15 min / IP).
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 5;
/// forgot-password + resend-verification requests per address in the window.
pub const MAIL_REQUESTS_PER_ADDRESS: usize = 10;
pub const ADDRESS_WINDOW: Duration = Duration::minutes(15);

/// The refresh token's cookie, sent only to the identity API.
pub const REFRESH_COOKIE: &str = "arbor_identity_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/v1/identity/auth";

/// What a login or selection hands out: the answer, and the refresh token for the cookie (none
/// while an application is still to be selected).
#[derive(Debug, Clone)]
pub struct Grant {
    pub answer: LoginAnswer,
    pub refresh: Option<RefreshCookie>,
}

/// The refresh token and how long its cookie may live.
#[derive(Clone)]
pub struct RefreshCookie {
    pub token: String,
    pub max_age: Duration,
}

impl std::fmt::Debug for RefreshCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshCookie(***)")
    }
}

impl RefreshCookie {
    /// The `Set-Cookie` value: HttpOnly, SameSite=Strict, only for the identity API's path.
    pub fn header(&self, secure: bool) -> String {
        format!(
            "{REFRESH_COOKIE}={}; Path={REFRESH_COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age={}{}",
            self.token,
            self.max_age.whole_seconds().max(0),
            if secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear(secure: bool) -> String {
        format!(
            "{REFRESH_COOKIE}=; Path={REFRESH_COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if secure { "; Secure" } else { "" }
        )
    }
}

/// A signed-in identity, resolved from a bearer access token.
#[derive(Debug, Clone)]
pub struct IdentityPrincipal {
    pub account_id: String,
    pub session_id: String,
    pub identity: SignedInIdentity,
    pub application: ApplicationChoice,
    pub environment_id: String,
    pub email_verified: bool,
    pub password_change_required: bool,
}

impl IdentityPrincipal {
    fn actor(&self) -> Actor {
        identity_actor(&self.identity.id, &self.identity.email)
    }

    /// Every endpoint but change-password and logout: refused while a new password is owed.
    pub fn require_full_session(&self) -> Result<(), AppError> {
        if self.password_change_required {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(())
    }
}

fn identity_actor(id: &str, email: &str) -> Actor {
    Actor::Identity {
        id: id.to_owned(),
        label: email.to_owned(),
    }
}

fn auth_event(
    account_id: &str,
    actor: &Actor,
    action: &'static str,
    id: &str,
    email: &str,
) -> Event {
    Event::new(account_id, actor, action, "auth").resource("identity", id, email)
}

fn address(client: &ClientInfo) -> &str {
    client.address.as_deref().unwrap_or("unknown")
}

fn expires_in(lifetime: Duration) -> i64 {
    lifetime.whole_seconds()
}

/// `POST /login`. Unknown account, unknown email, wrong password and a pending identity (no
/// password yet) all get `auth.invalid_credentials` after the same argon2id work; only a correct
/// password learns that the identity is deactivated or has no application.
pub async fn login(
    s: &Services,
    form: &IdentityLoginForm,
    client: &ClientInfo,
) -> Result<Grant, AppError> {
    let valid = form.validate().map_err(AppError::validation)?;
    let now = s.now();
    let from = address(client);
    if let Some(retry_after_secs) =
        shared_limits::retry_after(s, &s.identity_login_limit, from).await?
    {
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    let email = valid.email.as_str();
    let Some((account_id, _)) =
        store_s::account_by_slug(s.db.reader(), &valid.account_slug).await?
    else {
        // The same work as a real check, so an unknown account answers in the same time.
        s.passwords.verify(valid.password, None).await?;
        shared_limits::record(s, &s.identity_login_limit, from).await?;
        return Err(AppError::InvalidCredentials);
    };
    let known = store_s::locked_until_by_email(s.db.reader(), &account_id, email).await?;
    if let Some((_, Some(until_ms))) = &known {
        let now_ms = store::ms(now);
        if *until_ms > now_ms {
            let retry_after_secs = u64::try_from((until_ms - now_ms + 999) / 1000).unwrap_or(1);
            return Err(AppError::IdentityLocked { retry_after_secs });
        }
    }
    let verified =
        identity_passwords::verify_password(s, &account_id, email, valid.password).await?;
    let Some(verified) = verified else {
        shared_limits::record(s, &s.identity_login_limit, from).await?;
        if let Some((identity_id, _)) = known {
            record_failure(s, &account_id, &identity_id, email).await?;
        }
        return Err(AppError::InvalidCredentials);
    };
    let actor = identity_actor(&verified.identity_id, email);
    if verified.status == IdentityStatus::Inactive {
        let tx = s.db.begin().await?;
        let event = auth_event(
            &account_id,
            &actor,
            "identity.sign_in_refused",
            &verified.identity_id,
            email,
        )
        .failed()
        .metadata(serde_json::json!({ "reason": "identity_inactive" }));
        audit::commit(s, tx, vec![event]).await?;
        return Err(AppError::IdentityInactive);
    }
    let applications =
        store_s::active_applications(s.db.reader(), &account_id, &verified.identity_id).await?;
    if applications.is_empty() {
        let tx = s.db.begin().await?;
        let event = auth_event(
            &account_id,
            &actor,
            "identity.sign_in_refused",
            &verified.identity_id,
            email,
        )
        .failed()
        .metadata(serde_json::json!({ "reason": "no_application" }));
        audit::commit(s, tx, vec![event]).await?;
        return Err(AppError::NoApplicationAccess);
    }
    let state = store_s::sign_in_state(s.db.reader(), &account_id, &verified.identity_id)
        .await?
        .ok_or(AppError::InvalidCredentials)?;
    start_session(s, &account_id, &state, applications, client).await
}

/// One more failed login for a known identity: counts towards its lockout, and says so in the
/// audit log (never the password tried).
async fn record_failure(
    s: &Services,
    account_id: &str,
    identity_id: &str,
    email: &str,
) -> Result<(), AppError> {
    let lock_until = store::ms(s.now() + s.identity_sessions.lockout_for);
    let mut tx = s.db.begin().await?;
    let locked = store_s::record_failed_login(
        &mut tx,
        account_id,
        identity_id,
        s.identity_sessions.lockout_after,
        lock_until,
    )
    .await?;
    let actor = identity_actor(identity_id, email);
    let mut events = vec![
        auth_event(
            account_id,
            &actor,
            "identity.sign_in_failed",
            identity_id,
            email,
        )
        .failed(),
    ];
    if locked {
        events.push(
            auth_event(
                account_id,
                &Actor::System,
                "identity.locked",
                identity_id,
                email,
            )
            .metadata(
                serde_json::json!({ "minutes": s.identity_sessions.lockout_for.whole_minutes() }),
            ),
        );
    }
    audit::commit(s, tx, events).await
}

fn signed_in(state: &store_s::SignInState) -> SignedInIdentity {
    SignedInIdentity {
        id: state.id.clone(),
        email: state.email.clone(),
        first_name: state.first_name.clone(),
        last_name: state.last_name.clone(),
    }
}

/// Opens the session of an identity that just proved its password: bound at once when it is in
/// one application, waiting for `select-application` when in several.
async fn start_session(
    s: &Services,
    account_id: &str,
    state: &store_s::SignInState,
    applications: Vec<(ApplicationChoice, Option<String>)>,
    client: &ClientInfo,
) -> Result<Grant, AppError> {
    let policy = s.identity_sessions;
    let now = s.now();
    let now_ms = store::ms(now);
    let session_id = s.new_id();
    let selection = tokens::new_token();
    let mut tx = s.db.begin().await?;
    store_s::delete_expired(
        &mut tx,
        account_id,
        &state.id,
        now_ms,
        policy.idle_timeout.whole_milliseconds() as i64,
    )
    .await?;
    store_s::clear_failed_logins(&mut tx, account_id, &state.id).await?;
    store_s::insert(
        &mut tx,
        store_s::NewSession {
            account_id,
            id: &session_id,
            identity_id: &state.id,
            access_hash: &tokens::digest(&selection),
            access_expires_ms: store::ms(now + policy.selection_lifetime),
            now_ms,
            expires_ms: store::ms(now + policy.absolute_lifetime),
            ip: client.address.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
    )
    .await?;
    let actor = identity_actor(&state.id, &state.email);
    let identity = signed_in(state);
    let password_change_required = state.password_change_required.into();
    let choices: Vec<ApplicationChoice> = applications.iter().map(|(a, _)| a.clone()).collect();
    if let [(application, environment_id)] = applications.as_slice() {
        let environment_id = environment_id.clone().ok_or_else(|| {
            AppError::internal("identity session", "application without environment")
        })?;
        let (access, refresh) = bind(
            s,
            &mut tx,
            account_id,
            &session_id,
            &application.id,
            &environment_id,
        )
        .await?;
        let event = auth_event(
            account_id,
            &actor,
            "identity.signed_in",
            &state.id,
            &state.email,
        )
        .scope(Some(&application.id), Some(&environment_id))
        .metadata(serde_json::json!({ "session_id": session_id }));
        audit::commit(s, tx, vec![event]).await?;
        return Ok(Grant {
            answer: LoginAnswer {
                requires_application_selection: false,
                access_token: access,
                token_type: "Bearer".into(),
                expires_in: expires_in(policy.access_lifetime),
                identity,
                applications: choices,
                application: Some(application.clone()),
                environment_id: Some(environment_id),
                password_change_required,
            },
            refresh: Some(refresh),
        });
    }
    let event = auth_event(
        account_id,
        &actor,
        "identity.password_verified",
        &state.id,
        &state.email,
    )
    .metadata(serde_json::json!({ "session_id": session_id, "applications": choices.len() }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(Grant {
        answer: LoginAnswer {
            requires_application_selection: true,
            access_token: selection,
            token_type: "Bearer".into(),
            expires_in: expires_in(policy.selection_lifetime),
            identity,
            applications: choices,
            application: None,
            environment_id: None,
            password_change_required,
        },
        refresh: None,
    })
}

/// Gives a selecting session its application and its first access and refresh tokens.
async fn bind(
    s: &Services,
    tx: &mut Tx,
    account_id: &str,
    session_id: &str,
    application_id: &str,
    environment_id: &str,
) -> Result<(String, RefreshCookie), AppError> {
    let policy = s.identity_sessions;
    let now = s.now();
    let access = tokens::new_token();
    let refresh = tokens::new_token();
    let bound = store_s::bind_application(
        tx,
        account_id,
        session_id,
        application_id,
        environment_id,
        store_s::Issue {
            access_hash: &tokens::digest(&access),
            access_expires_ms: store::ms(now + policy.access_lifetime),
            refresh_hash: &tokens::digest(&refresh),
            now_ms: store::ms(now),
        },
    )
    .await?;
    if !bound {
        return Err(AppError::Unauthenticated);
    }
    Ok((
        access,
        RefreshCookie {
            token: refresh,
            max_age: policy.idle_timeout.min(policy.absolute_lifetime),
        },
    ))
}

/// `POST /select-application`: the selection token of a login answer with
/// `requires_application_selection`, and one of its applications.
pub async fn select_application(
    s: &Services,
    selection_token: &str,
    form: &SelectApplicationForm,
) -> Result<Grant, AppError> {
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let session = store_s::by_access_hash(&mut *tx, &tokens::digest(selection_token))
        .await?
        .filter(|row| row.application_id.is_none() && row.access_expires_at > now_ms)
        .ok_or(AppError::Unauthenticated)?;
    if form
        .account_id
        .as_deref()
        .is_some_and(|account| account != session.account_id)
    {
        return Err(AppError::NotFound {
            resource: crate::error::Resource::Application,
        });
    }
    if session.identity_status() != IdentityStatus::Active {
        return Err(AppError::Unauthenticated);
    }
    let applications =
        store_s::active_applications(&mut *tx, &session.account_id, &session.identity_id).await?;
    let Some((application, environment_id)) = applications
        .iter()
        .find(|(a, _)| a.id == form.application_id)
        .cloned()
    else {
        return Err(AppError::validation(vec![FieldError::new(
            "application_id",
            "not_allowed",
            "Choose one of the applications you were offered.",
        )]));
    };
    let environment_id = environment_id
        .ok_or_else(|| AppError::internal("identity session", "application without environment"))?;
    let (access, refresh) = bind(
        s,
        &mut tx,
        &session.account_id,
        &session.id,
        &application.id,
        &environment_id,
    )
    .await?;
    let actor = identity_actor(&session.identity_id, &session.email);
    let event = auth_event(
        &session.account_id,
        &actor,
        "identity.signed_in",
        &session.identity_id,
        &session.email,
    )
    .scope(Some(&application.id), Some(&environment_id))
    .metadata(serde_json::json!({ "session_id": session.id }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(Grant {
        answer: LoginAnswer {
            requires_application_selection: false,
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: expires_in(s.identity_sessions.access_lifetime),
            identity: SignedInIdentity {
                id: session.identity_id.clone(),
                email: session.email.clone(),
                first_name: session.first_name.clone(),
                last_name: session.last_name.clone(),
            },
            applications: applications.into_iter().map(|(a, _)| a).collect(),
            application: Some(application),
            environment_id: Some(environment_id),
            password_change_required: session.password_change_required.into(),
        },
        refresh: Some(refresh),
    })
}

/// Whether a bound session may still be used at `now_ms` (idle and absolute lifetimes, the
/// identity's kill switch, its membership).
fn session_alive(s: &Services, row: &store_s::SessionRow, now_ms: i64) -> bool {
    let idle_ms = s.identity_sessions.idle_timeout.whole_milliseconds() as i64;
    now_ms < row.expires_at
        && now_ms - row.last_seen_at < idle_ms
        && row.identity_status() == IdentityStatus::Active
        && row
            .membership_status
            .as_deref()
            .is_some_and(|m| MembershipStatus::from_stored(m) == MembershipStatus::Active)
}

fn principal(row: store_s::SessionRow) -> Result<IdentityPrincipal, AppError> {
    let (Some(application_id), Some(environment_id), Some(name), Some(slug)) = (
        row.application_id,
        row.environment_id,
        row.application_name,
        row.application_slug,
    ) else {
        return Err(AppError::ApplicationSelectionRequired);
    };
    Ok(IdentityPrincipal {
        account_id: row.account_id,
        session_id: row.id,
        identity: SignedInIdentity {
            id: row.identity_id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
        },
        application: ApplicationChoice {
            id: application_id,
            name,
            slug,
        },
        environment_id,
        email_verified: row.email_verified_at.is_some(),
        password_change_required: row.password_change_required.into(),
    })
}

/// Resolves a bearer access token. Unknown, expired or ended: `Unauthenticated` (the cause is
/// not told); a selection token: `ApplicationSelectionRequired`.
pub async fn authenticate(s: &Services, access_token: &str) -> Result<IdentityPrincipal, AppError> {
    let now_ms = store::ms(s.now());
    let row = store_s::by_access_hash(s.db.reader(), &tokens::digest(access_token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if row.access_expires_at <= now_ms {
        return Err(AppError::Unauthenticated);
    }
    if row.application_id.is_none() {
        return Err(AppError::ApplicationSelectionRequired);
    }
    if !session_alive(s, &row, now_ms) {
        return Err(AppError::Unauthenticated);
    }
    principal(row)
}

/// `POST /refresh`: a new access token and a new refresh token for the cookie; the presented
/// refresh token is spent. Presenting a spent one ends its session (someone else holds it).
pub async fn refresh(
    s: &Services,
    refresh_token: &str,
) -> Result<(RefreshAnswer, RefreshCookie), AppError> {
    let policy = s.identity_sessions;
    let now = s.now();
    let now_ms = store::ms(now);
    let hash = tokens::digest(refresh_token);
    let mut tx = s.db.begin().await?;
    let Some(row) = store_s::by_refresh_hash(&mut tx, &hash).await? else {
        if let Some((account_id, session_id, identity_id)) =
            store_s::spent_refresh(&mut tx, &hash).await?
        {
            store_s::delete(&mut tx, &account_id, &session_id).await?;
            let event = Event::new(
                &account_id,
                &Actor::System,
                "identity.refresh_token_reused",
                "auth",
            )
            .resource("identity", &identity_id, "")
            .failed()
            .metadata(serde_json::json!({ "session_id": session_id, "session_ended": true }));
            audit::commit(s, tx, vec![event]).await?;
        }
        return Err(AppError::Unauthenticated);
    };
    if !session_alive(s, &row, now_ms) {
        return Err(AppError::Unauthenticated);
    }
    if bool::from(row.password_change_required) {
        return Err(AppError::PasswordChangeRequired);
    }
    let access = tokens::new_token();
    let refresh = tokens::new_token();
    let rotated = store_s::rotate(
        &mut tx,
        &row.account_id,
        &row.id,
        &hash,
        store_s::Issue {
            access_hash: &tokens::digest(&access),
            access_expires_ms: store::ms(now + policy.access_lifetime),
            refresh_hash: &tokens::digest(&refresh),
            now_ms,
        },
    )
    .await?;
    if !rotated {
        return Err(AppError::Unauthenticated);
    }
    // A refresh is routine: not audited (sign-in and sign-out are).
    tx.commit().await?;
    let remaining = Duration::milliseconds(row.expires_at - now_ms);
    Ok((
        RefreshAnswer {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: expires_in(policy.access_lifetime),
        },
        RefreshCookie {
            token: refresh,
            max_age: policy.idle_timeout.min(remaining),
        },
    ))
}

/// `POST /logout`: ends the session of the bearer token or, without one, of the refresh cookie.
/// Answers the same whether or not anything was signed in.
pub async fn logout(
    s: &Services,
    access_token: Option<&str>,
    refresh_token: Option<&str>,
) -> Result<AuthMessage, AppError> {
    let mut tx = s.db.begin().await?;
    let mut row = None;
    if let Some(token) = access_token {
        row = store_s::by_access_hash(&mut *tx, &tokens::digest(token)).await?;
    }
    if row.is_none()
        && let Some(token) = refresh_token
    {
        row = store_s::by_refresh_hash(&mut tx, &tokens::digest(token)).await?;
    }
    let message = AuthMessage::new("Signed out.");
    let Some(row) = row else {
        return Ok(message);
    };
    store_s::delete(&mut tx, &row.account_id, &row.id).await?;
    let actor = identity_actor(&row.identity_id, &row.email);
    let event = auth_event(
        &row.account_id,
        &actor,
        "identity.signed_out",
        &row.identity_id,
        &row.email,
    )
    .scope(row.application_id.as_deref(), row.environment_id.as_deref())
    .metadata(serde_json::json!({ "session_id": row.id }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(message)
}

/// `GET /me`.
pub fn me(principal: &IdentityPrincipal) -> Result<IdentityMe, AppError> {
    principal.require_full_session()?;
    Ok(IdentityMe {
        identity: principal.identity.clone(),
        email_verified: principal.email_verified,
        application: principal.application.clone(),
        environment_id: principal.environment_id.clone(),
        session_id: principal.session_id.clone(),
    })
}

/// `POST /change-password`: the current password (checked like a login, also for imported
/// hashes) and a new one; every other session of the identity ends, this one stays.
pub async fn change_password(
    s: &Services,
    principal: &IdentityPrincipal,
    form: &ChangePasswordForm,
) -> Result<AuthMessage, AppError> {
    let (current, new) = form.validate().map_err(|errors| {
        if errors.iter().any(|e| e.rule == "too_common") {
            AppError::PasswordTooCommon { errors }
        } else {
            AppError::Validation { errors }
        }
    })?;
    let verified = identity_passwords::verify_password(
        s,
        &principal.account_id,
        &principal.identity.email,
        current,
    )
    .await?;
    if verified.is_none_or(|v| v.identity_id != principal.identity.id) {
        return Err(AppError::validation(vec![FieldError::new(
            "current_password",
            "incorrect",
            "This is not your current password.",
        )]));
    }
    let hash = s.passwords.hash(new.expose().to_owned()).await?;
    let mut tx = s.db.begin().await?;
    store_i::set_chosen_password(
        &mut tx,
        &principal.account_id,
        &principal.identity.id,
        &hash,
        false,
        store::ms(s.now()),
    )
    .await?;
    let ended = store_s::delete_for_identity(
        &mut tx,
        &principal.account_id,
        &principal.identity.id,
        Some(&principal.session_id),
    )
    .await?;
    let event = auth_event(
        &principal.account_id,
        &principal.actor(),
        "identity.password_changed",
        &principal.identity.id,
        &principal.identity.email,
    )
    .scope(
        Some(&principal.application.id),
        Some(&principal.environment_id),
    )
    .metadata(serde_json::json!({ "other_sessions_ended": ended }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(AuthMessage::new(
        "Your password was changed. Other sessions were signed out.",
    ))
}

/// Which emailed link to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Reset { by_admin: bool },
    Verification,
}

/// Issues a token for `identity_id`, queues its email in `tx`; returns nothing secret.
async fn send_link(
    s: &Services,
    tx: &mut Tx,
    origin: &MailOrigin,
    identity_id: &str,
    email: &str,
    first_name: &str,
    link: Link,
) -> Result<(), AppError> {
    let policy = s.identity_sessions;
    let now = s.now();
    let token = tokens::new_token();
    let (purpose, lifetime) = match link {
        Link::Reset { .. } => (TokenPurpose::PasswordReset, policy.reset_lifetime),
        Link::Verification => (
            TokenPurpose::EmailVerification,
            policy.verification_lifetime,
        ),
    };
    store_s::insert_token(
        tx,
        store_s::NewToken {
            token_hash: &tokens::digest(&token),
            account_id: &origin.account_id,
            id: &s.new_id(),
            identity_id,
            purpose,
            application_id: origin.application_id.as_deref(),
            environment_id: origin.environment_id.as_deref(),
            now_ms: store::ms(now),
            expires_ms: store::ms(now + lifetime),
        },
    )
    .await?;
    let head = mail::letterhead(tx, origin).await?;
    let account = head.account_name.clone();
    let greeting = format!("Hello {first_name},");
    let (kind, letter) = match link {
        Link::Reset { by_admin } => {
            let why = if by_admin {
                format!("An administrator of {account} sent you this link to choose a new password for {email}.")
            } else {
                format!("Someone — hopefully you — asked to reset the password of {email} at {account}.")
            };
            (
                MailKind::IdentityPasswordReset,
                Letter::new(head, "Reset your password")
                    .greeting(greeting)
                    .paragraph(why)
                    .action("Choose a new password", s.link(&format!("/reset-password?token={token}")))
                    .footnote("The link works once and expires in 1 hour. If you did not expect this email, ignore it: your password stays as it is."),
            )
        }
        Link::Verification => (
            MailKind::IdentityEmailVerification,
            Letter::new(head, "Confirm your email address")
                .greeting(greeting)
                .paragraph(format!("Please confirm that {email} is your email address at {account}."))
                .action("Verify email address", s.link(&format!("/verify-email?token={token}")))
                .footnote("The link works once and expires in 24 hours. If you did not expect this email, ignore it."),
        ),
    };
    mail::queue(s, tx, origin, kind, email, &letter).await?;
    Ok(())
}

/// Runs `work`, then waits until `floor` has passed since `started`: the public mail endpoints
/// answer in the same time whether they queued an email or found nobody.
pub(crate) async fn at_least<T>(
    floor: std::time::Duration,
    work: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    // Wall-clock time on purpose: this is about how long the answer takes, not domain time.
    let started = tokio::time::Instant::now();
    let outcome = work.await;
    tokio::time::sleep_until(started + floor).await;
    outcome
}

/// `POST /forgot-password`: emails a reset link when the email belongs to an identity of the
/// account (pending ones too: that is how they get a first password; not deactivated ones).
/// Always the same answer, in the same time.
pub async fn forgot_password(
    s: &Services,
    form: &AccountEmailForm,
    client: &ClientInfo,
) -> Result<AuthMessage, AppError> {
    email_own_link(
        s,
        form,
        client,
        Link::Reset { by_admin: false },
        "identity.password_reset_requested",
        |_verified| true,
    )
    .await?;
    Ok(AuthMessage::new(FORGOT_PASSWORD_ANSWER))
}

/// `POST /resend-verification`: emails a verification link when the email belongs to an
/// identity of the account whose email is not verified yet. Same answer, same time, always.
pub async fn resend_verification(
    s: &Services,
    form: &AccountEmailForm,
    client: &ClientInfo,
) -> Result<AuthMessage, AppError> {
    email_own_link(
        s,
        form,
        client,
        Link::Verification,
        "identity.verification_requested",
        |verified| !verified,
    )
    .await?;
    Ok(AuthMessage::new(RESEND_VERIFICATION_ANSWER))
}

/// What forgot-password and resend-verification share: the per-address limit, then — within the
/// constant-time floor — `link` emailed to the identity with that email in that account, when it
/// exists, is not deactivated and `wanted(email verified)` holds. Nothing tells the caller which.
async fn email_own_link(
    s: &Services,
    form: &AccountEmailForm,
    client: &ClientInfo,
    link: Link,
    action: &'static str,
    wanted: impl FnOnce(bool) -> bool,
) -> Result<(), AppError> {
    let (account_slug, email) = form.validate().map_err(AppError::validation)?;
    if let Some(retry_after_secs) =
        shared_limits::take(s, &s.identity_mail_limit, address(client)).await?
    {
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    at_least(s.identity_sessions.public_answer_floor, async {
        let Some((account_id, _)) = store_s::account_by_slug(s.db.reader(), &account_slug).await?
        else {
            return Ok(());
        };
        let Some((identity_id, status, verified)) =
            store_s::identity_by_email(s.db.reader(), &account_id, email.as_str()).await?
        else {
            return Ok(());
        };
        if IdentityStatus::parse(&status) == IdentityStatus::Inactive || !wanted(verified.is_some())
        {
            return Ok(());
        }
        let state = store_s::sign_in_state(s.db.reader(), &account_id, &identity_id)
            .await?
            .ok_or(AppError::NotFound {
                resource: crate::error::Resource::Identity,
            })?;
        let origin = MailOrigin {
            account_id: account_id.clone(),
            application_id: None,
            environment_id: None,
        };
        let mut tx = s.db.begin().await?;
        send_link(
            s,
            &mut tx,
            &origin,
            &identity_id,
            &state.email,
            &state.first_name,
            link,
        )
        .await?;
        let event = auth_event(
            &account_id,
            &identity_actor(&identity_id, &state.email),
            action,
            &identity_id,
            &state.email,
        );
        audit::commit(s, tx, vec![event]).await
    })
    .await
}

/// The token's row when it can still be used; otherwise why not.
fn usable(row: Option<store_s::TokenRow>, now_ms: i64) -> Result<store_s::TokenRow, AppError> {
    let row = row.ok_or(AppError::TokenInvalid)?;
    link_state(row.used_at, row.expires_at, now_ms)?;
    Ok(row)
}

/// Why an emailed link found in the store can no longer be used, if it cannot (identity and
/// admin links alike).
pub(crate) fn link_state(
    used_at: Option<i64>,
    expires_at: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    if used_at.is_some() {
        return Err(AppError::TokenUsed);
    }
    if expires_at <= now_ms {
        return Err(AppError::TokenExpired);
    }
    Ok(())
}

/// What the reset or verification page shows before its form is sent: a read-only check that
/// never spends the token (mail scanners open every link; decisions.md › Invites and email).
pub async fn preview_token(
    s: &Services,
    token: &str,
    reset: bool,
) -> Result<TokenPreview, AppError> {
    let purpose = if reset {
        TokenPurpose::PasswordReset
    } else {
        TokenPurpose::EmailVerification
    };
    let row = store_s::token(s.db.reader(), &tokens::digest(token), purpose).await?;
    let row = usable(row, store::ms(s.now()))?;
    Ok(TokenPreview {
        email: row.email,
        account_name: row.account_name,
    })
}

/// `POST /reset-password`: spends the token, sets the password (the identity proved its email:
/// verified; a pending identity becomes active; the lockout is lifted) and ends every session.
pub async fn reset_password(
    s: &Services,
    form: &ResetPasswordForm,
) -> Result<AuthMessage, AppError> {
    let password = form.validate().map_err(AppError::identity_input)?;
    let hash_of_token = tokens::digest(&form.token);
    // Checked before hashing the password, so a dead link fails fast; spent in the write below.
    usable(
        store_s::token(s.db.reader(), &hash_of_token, TokenPurpose::PasswordReset).await?,
        store::ms(s.now()),
    )?;
    let hash = s.passwords.hash(password.expose().to_owned()).await?;
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let row = usable(
        store_s::token(&mut *tx, &hash_of_token, TokenPurpose::PasswordReset).await?,
        now_ms,
    )?;
    if !store_s::use_token(&mut tx, &row.account_id, &hash_of_token, now_ms).await? {
        return Err(AppError::TokenUsed);
    }
    store_i::set_chosen_password(
        &mut tx,
        &row.account_id,
        &row.identity_id,
        &hash,
        true,
        now_ms,
    )
    .await?;
    let ended =
        store_s::delete_for_identity(&mut tx, &row.account_id, &row.identity_id, None).await?;
    let event = auth_event(
        &row.account_id,
        &identity_actor(&row.identity_id, &row.email),
        "identity.password_reset",
        &row.identity_id,
        &row.email,
    )
    .scope(row.application_id.as_deref(), row.environment_id.as_deref())
    .metadata(serde_json::json!({ "sessions_ended": ended }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(AuthMessage::new(
        "Your password was changed. You can sign in with it now.",
    ))
}

/// `POST /verify-email`: spends the token and stamps the email as verified.
pub async fn verify_email(s: &Services, token: &str) -> Result<AuthMessage, AppError> {
    if token.is_empty() {
        return Err(AppError::TokenInvalid);
    }
    let hash_of_token = tokens::digest(token);
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let row = usable(
        store_s::token(&mut *tx, &hash_of_token, TokenPurpose::EmailVerification).await?,
        now_ms,
    )?;
    if !store_s::use_token(&mut tx, &row.account_id, &hash_of_token, now_ms).await? {
        return Err(AppError::TokenUsed);
    }
    store_i::mark_email_verified(&mut tx, &row.account_id, &row.identity_id, now_ms).await?;
    let event = auth_event(
        &row.account_id,
        &identity_actor(&row.identity_id, &row.email),
        "identity.email_verified",
        &row.identity_id,
        &row.email,
    )
    .scope(row.application_id.as_deref(), row.environment_id.as_deref());
    audit::commit(s, tx, vec![event]).await?;
    Ok(AuthMessage::new("Your email address is verified."))
}

/// The identity an admin action is about: a member of the caller's application (environment
/// tier: the REST API, Access Control) or any identity of the account (Tenant › Identities).
async fn target(s: &Services, caller: &Caller, id: &str) -> Result<store_s::SignInState, AppError> {
    let not_found = AppError::NotFound {
        resource: crate::error::Resource::Identity,
    };
    if let Ok(scope) = caller.env() {
        identities::member_of(s, scope, id).await?;
    }
    store_s::sign_in_state(s.db.reader(), caller.account_id(), id)
        .await?
        .ok_or(not_found)
}

fn origin_of(caller: &Caller) -> MailOrigin {
    let env = caller.env().ok();
    MailOrigin {
        account_id: caller.account_id().to_owned(),
        application_id: env.map(|e| e.application_id.clone()),
        environment_id: env.map(|e| e.environment_id.clone()),
    }
}

/// Send password reset (identity drawer, `POST /api/v1/identities/{id}/send-password-reset`):
/// emails the identity a reset link. The admin never sees the token. Not for a deactivated
/// identity (the kill switch is on: the link could not be used to sign in).
pub async fn send_password_reset(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<AuthMessage, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let identity = target(s, caller, id).await?;
    if identity.status() == IdentityStatus::Inactive {
        return Err(AppError::IdentityInactive);
    }
    let origin = origin_of(caller);
    let mut tx = s.db.begin().await?;
    send_link(
        s,
        &mut tx,
        &origin,
        &identity.id,
        &identity.email,
        &identity.first_name,
        Link::Reset { by_admin: true },
    )
    .await?;
    let event = caller
        .event("identity.password_reset_sent", "auth")
        .resource("identity", &identity.id, &identity.email);
    audit::commit(s, tx, vec![event]).await?;
    Ok(AuthMessage::new(format!(
        "A password reset link was emailed to {}.",
        identity.email
    )))
}

/// Send verification email (identity drawer, `POST /api/v1/identities/{id}/send-verification`):
/// 409 `identities.email_already_verified` when there is nothing to verify.
pub async fn send_verification(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<AuthMessage, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let identity = target(s, caller, id).await?;
    if identity.email_verified_at.is_some() {
        return Err(AppError::EmailAlreadyVerified);
    }
    let origin = origin_of(caller);
    let mut tx = s.db.begin().await?;
    send_link(
        s,
        &mut tx,
        &origin,
        &identity.id,
        &identity.email,
        &identity.first_name,
        Link::Verification,
    )
    .await?;
    let event = caller.event("identity.verification_sent", "auth").resource(
        "identity",
        &identity.id,
        &identity.email,
    );
    audit::commit(s, tx, vec![event]).await?;
    Ok(AuthMessage::new(format!(
        "A verification link was emailed to {}.",
        identity.email
    )))
}
