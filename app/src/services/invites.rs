//! Identity invites (Access Control › Identities › Invite / Invite & Assign, Tenant › Identities ›
//! Invite, `/api/v1/identity-invites`) and their acceptance by the person invited (the hosted
//! `/accept-invite` page and `/v1/identity/auth/accept-invite`).
//!
//! An invite is a pending promise: an email, an intent, optionally a role + node, and a link whose
//! token only the recipient holds (32 random bytes; the database keeps its SHA-256). Sending
//! writes the invite and queues its email in one transaction. Opening the link reads (`info`);
//! only submitting the accept form spends it (`accept`), writing in one transaction the identity
//! (created, found, or given a new password), its active membership, the bundled assignment,
//! `email_verified_at`, and the invite's `accepted` state.
//!
//! Permissions: sending, resending and revoking need `invite.manage`; the list and the summary
//! are reads of who is (about to be) an identity, so they need `identity.read` (viewers see them).

use crate::error::{AppError, Resource};
use crate::model::{
    AcceptInviteForm, AcceptedInvite, CreatedInvite, DirectoryInviteForm, EnvScope,
    INVITE_EXPIRY_DAYS, InviteForm, InviteInfo, InviteIntent, InviteStatus, InviteSummary,
    MAX_PAGE, Page, ResentInvite, SystemPermission, ValidAcceptance, ValidAssignment, ValidInvite,
    count_rule,
};
use crate::services::assignments::{check_target, insert_checked};
use crate::services::audit::{self, Actor, Event};
use crate::services::idempotency::Recorder;
use crate::services::mail::{self, Letter, MailKind, MailOrigin};
use crate::services::rows::{Mode, Rows};
use crate::services::{Caller, Services, identity_passwords, tokens};
use crate::store::{self, Tx, identities as store_i, invites as store_v, rfc3339};

pub const INVITES_PER_PAGE: i64 = 20;
/// The failpoint after everything an acceptance writes, before the invite is marked accepted.
pub const FAIL_BEFORE_ACCEPTED: &str = "invites.before_accepted";
/// The pause point after each row of a bulk create.
pub const PAUSE_AFTER_BULK_ROW: &str = "invites.after_bulk_row";

/// The path of the hosted accept page; the token rides in its query.
pub const ACCEPT_PATH: &str = "/accept-invite";

/// Where an invite lands: the account, the application the identity joins (if any), and the
/// environment (`None` at the Account tier).
struct Target {
    account_id: String,
    application_id: Option<String>,
    env: Option<EnvScope>,
}

impl Target {
    fn environment_id(&self) -> Option<&str> {
        self.env.as_ref().map(|e| e.environment_id.as_str())
    }

    fn origin(&self) -> MailOrigin {
        MailOrigin {
            account_id: self.account_id.clone(),
            application_id: self.application_id.clone(),
            environment_id: self.environment_id().map(str::to_owned),
        }
    }
}

fn accept_url(s: &Services, token: &str) -> String {
    s.link(&format!("{ACCEPT_PATH}?token={token}"))
}

fn invite_event(caller: &Caller, action: &'static str, id: &str, email: &str) -> Event {
    caller
        .event(action, "invites")
        .resource("identity_invite", id, email)
}

/// Invite or Invite & Assign in the caller's environment (`POST /api/v1/identity-invites`).
pub async fn create(
    s: &Services,
    caller: &Caller,
    form: &InviteForm,
) -> Result<CreatedInvite, AppError> {
    caller.require(SystemPermission::InviteManage)?;
    let valid = form.validate().map_err(AppError::validation)?;
    let env = caller.env()?.clone();
    let target = Target {
        account_id: env.account_id.clone(),
        application_id: Some(env.application_id.clone()),
        env: Some(env),
    };
    write(s, caller, &target, &valid).await
}

/// Bulk invite (`POST /api/v1/identity-invites/bulk-create`): 1 to `BULK_MAX` rows, each validated
/// and written like `create`, in row order, each in a savepoint of one transaction
/// (`services::rows`; a duplicate email inside the batch fails on its later row with
/// `invites.pending_exists`, a failed row leaves nothing). `Mode::Dry` runs the same rows and rolls
/// the transaction back: no invite, audit event or email remains.
pub async fn bulk_create(
    s: &Services,
    caller: &Caller,
    forms: &[InviteForm],
    mode: Mode,
) -> Result<Vec<Result<CreatedInvite, AppError>>, AppError> {
    bulk_create_answered(s, caller, forms, mode, &mut Recorder::none()).await
}

/// `bulk_create` for an API request: its answer is stored by `recorder` in the transaction that
/// writes the rows (`idempotency`), so a crash leaves both or neither.
pub async fn bulk_create_answered(
    s: &Services,
    caller: &Caller,
    forms: &[InviteForm],
    mode: Mode,
    recorder: &mut Recorder<CreatedInvite>,
) -> Result<Vec<Result<CreatedInvite, AppError>>, AppError> {
    caller.require(SystemPermission::InviteManage)?;
    count_rule("invites", forms.len())?;
    let env = caller.env()?.clone();
    let target = Target {
        account_id: env.account_id.clone(),
        application_id: Some(env.application_id.clone()),
        env: Some(env),
    };
    let mut rows = Rows::batch(s, mode).await?;
    let mut results = Vec::with_capacity(forms.len());
    for form in forms {
        let outcome = match form.validate().map_err(AppError::validation) {
            Ok(valid) => write_row(s, &mut rows, caller, &target, &valid).await,
            Err(e) => Err(e),
        };
        results.push(outcome);
        s.failpoints.pause(PAUSE_AFTER_BULK_ROW).await;
    }
    rows.finish_answered(s, recorder, &results).await?;
    Ok(results)
}

/// Invite on Tenant › Identities: an Account-tier invite (no environment, no role), optionally
/// admitting the identity to one application on acceptance.
pub async fn create_in_account(
    s: &Services,
    caller: &Caller,
    form: &DirectoryInviteForm,
) -> Result<CreatedInvite, AppError> {
    caller.require(SystemPermission::InviteManage)?;
    let (valid, application_id) = form.validate().map_err(AppError::validation)?;
    if let Some(app) = &application_id {
        let mut tx = s.db.begin().await?;
        let exists = store_i::application_exists(&mut tx, caller.account_id(), app).await?;
        tx.rollback().await?;
        if !exists {
            return Err(AppError::NotFound {
                resource: Resource::Application,
            });
        }
    }
    let target = Target {
        account_id: caller.account_id().to_owned(),
        application_id,
        env: None,
    };
    write(s, caller, &target, &valid).await
}

/// The intent the invite really has, and the names it carries: an `activate` for an email already
/// in the account admits that identity (`add_to_app`; or, when it has no password yet, lets it
/// choose one: `password_reset`); an email already an active member is refused.
async fn derive_intent(
    tx: &mut Tx,
    target: &Target,
    valid: &ValidInvite,
) -> Result<(InviteIntent, String, String), AppError> {
    let email = valid.email.as_str();
    let found = store_i::by_email_with_membership(
        tx,
        &target.account_id,
        target.application_id.as_deref().unwrap_or_default(),
        email,
    )
    .await?;
    let existing = match &found {
        Some((id, _)) => store_i::by_id(&mut **tx, &target.account_id, id).await?,
        None => None,
    };
    let active_member = found
        .as_ref()
        .is_some_and(|(_, m)| m.is_some_and(|m| m.is_active()));
    match (valid.intent, existing) {
        (InviteIntent::PasswordReset, None) => Err(AppError::NotFound {
            resource: Resource::Identity,
        }),
        (_, None) => {
            let (first, last) = valid
                .names
                .as_ref()
                .map(|(f, l)| (f.as_str().to_owned(), l.as_str().to_owned()))
                .unwrap_or_default();
            Ok((InviteIntent::Activate, first, last))
        }
        (InviteIntent::PasswordReset, Some(identity)) => Ok((
            InviteIntent::PasswordReset,
            identity.first_name,
            identity.last_name,
        )),
        // Already in, or nothing to join: the email is taken (decisions: `identities.email_taken`).
        (_, Some(_)) if active_member || target.application_id.is_none() => {
            Err(AppError::IdentityEmailTaken)
        }
        (_, Some(identity)) if !identity.has_password => Ok((
            InviteIntent::PasswordReset,
            identity.first_name,
            identity.last_name,
        )),
        (_, Some(identity)) => Ok((
            InviteIntent::AddToApp,
            identity.first_name,
            identity.last_name,
        )),
    }
}

/// The invitation email.
async fn queue_letter(
    s: &Services,
    tx: &mut Tx,
    target: &Target,
    email: &str,
    first_name: &str,
    intent: InviteIntent,
    url: &str,
) -> Result<(), AppError> {
    let origin = target.origin();
    let head = mail::letterhead(tx, &origin).await?;
    let place = head
        .application_name
        .clone()
        .unwrap_or_else(|| head.account_name.clone());
    let (subject, lead, action) = match intent {
        InviteIntent::Activate => (
            format!("You're invited to {place}"),
            format!(
                "{} invited you to {place}. Choose a password to activate your account.",
                head.account_name
            ),
            "Accept invite",
        ),
        InviteIntent::AddToApp => (
            format!("You've been added to {place}"),
            format!(
                "{} invited you to {place}. Confirm with your current password to join.",
                head.account_name
            ),
            "Accept invite",
        ),
        InviteIntent::PasswordReset => (
            format!("Set your password for {place}"),
            format!(
                "{} asked you to choose a new password for {place}.",
                head.account_name
            ),
            "Choose a password",
        ),
    };
    let greeting = if first_name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {first_name},")
    };
    let letter = Letter::new(head, subject)
        .greeting(greeting)
        .paragraph(lead)
        .action(action, url)
        .footnote(format!(
            "This link works once and expires in {INVITE_EXPIRY_DAYS} days. If you did not expect \
             this invitation, you can ignore this email."
        ));
    mail::queue(s, tx, &origin, MailKind::IdentityInvite, email, &letter).await?;
    Ok(())
}

async fn write(
    s: &Services,
    caller: &Caller,
    target: &Target,
    valid: &ValidInvite,
) -> Result<CreatedInvite, AppError> {
    let mut rows = Rows::start(s, Mode::Real).await?;
    write_row(s, &mut rows, caller, target, valid).await
}

/// One invite's writes (and its queued email) in the row's transaction of `rows`.
async fn write_row(
    s: &Services,
    rows: &mut Rows,
    caller: &Caller,
    target: &Target,
    valid: &ValidInvite,
) -> Result<CreatedInvite, AppError> {
    let now = s.now();
    let now_ms = store::ms(now);
    let email = valid.email.as_str();
    let dry = rows.mode().is_dry();
    let mut tx = rows.begin(s).await?;
    let (intent, first_name, last_name) = derive_intent(&mut tx, target, valid).await?;
    if let (Some((role_id, node_id)), Some(env)) = (&valid.assignment, &target.env) {
        check_target(&mut tx, env, role_id, node_id).await?;
    }
    store_v::expire_stale(
        &mut tx,
        &target.account_id,
        target.environment_id(),
        email,
        now_ms,
    )
    .await?;
    let id = s.new_id();
    let token = tokens::new_token();
    let token_hash = tokens::digest(&token);
    let inserted = store_v::insert(
        &mut tx,
        &store_v::NewInvite {
            account_id: &target.account_id,
            id: &id,
            application_id: target.application_id.as_deref(),
            environment_id: target.environment_id(),
            email,
            intent,
            first_name: &first_name,
            last_name: &last_name,
            assignment: valid
                .assignment
                .as_ref()
                .map(|(r, n)| (r.as_str(), n.as_str())),
            token_hash: &token_hash,
            send_email: valid.send_email,
            expires_ms: store::ms(now + time::Duration::days(INVITE_EXPIRY_DAYS)),
            invited_by: caller.principal_id(),
            inviter_email: caller.admin().map(|a| a.profile.email.as_str()),
            now_ms,
        },
    )
    .await?;
    if !inserted {
        let invite_id =
            store_v::pending_id(&mut tx, &target.account_id, target.environment_id(), email)
                .await?
                .unwrap_or_default();
        return Err(AppError::InvitePendingExists { invite_id });
    }
    let url = accept_url(s, &token);
    if valid.send_email {
        queue_letter(s, &mut tx, target, email, &first_name, intent, &url).await?;
    }
    let event = caller
        .event("invite.created", "invites")
        .scope(target.application_id.as_deref(), target.environment_id())
        .resource("identity_invite", &id, email)
        .metadata(serde_json::json!({
            "intent": intent.as_str(),
            "requested_intent": valid.intent.as_str(),
            "role_id": valid.assignment.as_ref().map(|(r, _)| r),
            "node_id": valid.assignment.as_ref().map(|(_, n)| n),
            "send_email": valid.send_email,
            "tier": if target.env.is_some() { "environment" } else { "account" },
        }));
    // Read before the commit, in the row's transaction: a dry run's row is never committed.
    let stored = store_v::by_token_hash(&mut **tx, &token_hash)
        .await?
        .ok_or_else(|| AppError::internal("invite", "vanished after insert"))?;
    tx.commit(s, vec![event]).await?;
    Ok(CreatedInvite {
        invite: stored.to_dto(now_ms),
        // The link is handed out only when the caller delivers it — and never from a dry run,
        // whose token was never kept.
        accept_url: (!valid.send_email && !dry).then_some(url),
    })
}

/// The environment's invite `id`, read in `tx`, if it is still pending (the UPDATE that follows
/// checks again, so a concurrent change cannot slip between).
async fn pending_invite(
    tx: &mut Tx,
    scope: &EnvScope,
    id: &str,
    now_ms: i64,
) -> Result<store_v::StoredInvite, AppError> {
    let invite = store_v::by_id(&mut **tx, &scope.account_id, &scope.environment_id, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Invite,
        })?;
    if invite.status(now_ms) != InviteStatus::Pending {
        return Err(AppError::InviteNotPending);
    }
    Ok(invite)
}

/// Resend (`POST /identity-invites/{id}/resend`): a new token — the previous link stops working —
/// and seven new days. The link goes by email again, or back to the caller for an invite it
/// delivers itself.
pub async fn resend(s: &Services, caller: &Caller, id: &str) -> Result<ResentInvite, AppError> {
    caller.require(SystemPermission::InviteManage)?;
    let scope = caller.env()?;
    let now = s.now();
    let now_ms = store::ms(now);
    let mut tx = s.db.begin().await?;
    let invite = pending_invite(&mut tx, scope, id, now_ms).await?;
    let token = tokens::new_token();
    let rotated = store_v::rotate_token(
        &mut tx,
        &scope.account_id,
        id,
        &tokens::digest(&token),
        store::ms(now + time::Duration::days(INVITE_EXPIRY_DAYS)),
        now_ms,
    )
    .await?;
    if !rotated {
        return Err(AppError::InviteNotPending);
    }
    let url = accept_url(s, &token);
    if invite.send_email() {
        let target = Target {
            account_id: scope.account_id.clone(),
            application_id: invite.application_id.clone(),
            env: Some(scope.clone()),
        };
        queue_letter(
            s,
            &mut tx,
            &target,
            &invite.email,
            &invite.first_name,
            invite.intent(),
            &url,
        )
        .await?;
    }
    let event = invite_event(caller, "invite.resent", id, &invite.email)
        .metadata(serde_json::json!({ "send_email": invite.send_email() }));
    audit::commit(s, tx, vec![event]).await?;
    Ok(if invite.send_email() {
        ResentInvite {
            message: format!(
                "Invite resent to {}. The previous link no longer works.",
                invite.email
            ),
            accept_url: None,
        }
    } else {
        ResentInvite {
            message: format!(
                "A new link for {} is ready. The previous link no longer works.",
                invite.email
            ),
            accept_url: Some(url),
        }
    })
}

/// Revoke (`DELETE /identity-invites/{id}`): the link stops working; the row stays, `revoked`.
pub async fn revoke(s: &Services, caller: &Caller, id: &str) -> Result<(), AppError> {
    caller.require(SystemPermission::InviteManage)?;
    let scope = caller.env()?;
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let invite = pending_invite(&mut tx, scope, id, now_ms).await?;
    if !store_v::revoke(&mut tx, &scope.account_id, id, now_ms).await? {
        return Err(AppError::InviteNotPending);
    }
    let event = invite_event(caller, "invite.revoked", id, &invite.email);
    audit::commit(s, tx, vec![event]).await
}

/// The environment's invites, newest first, optionally of one status.
pub async fn list(
    s: &Services,
    caller: &Caller,
    status: Option<InviteStatus>,
    page: i64,
    per_page: i64,
) -> Result<Page<crate::model::Invite>, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let scope = caller.env()?;
    let page = page.clamp(1, MAX_PAGE);
    let now_ms = store::ms(s.now());
    let (rows, total) = store_v::page(
        s.db.reader(),
        &scope.account_id,
        &scope.environment_id,
        status,
        now_ms,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    Ok(Page {
        items: rows.iter().map(|r| r.to_dto(now_ms)).collect(),
        total,
        page,
        per_page,
    })
}

/// The environment's invite counts (`GET /identity-invites/summary`).
pub async fn summary(s: &Services, caller: &Caller) -> Result<InviteSummary, AppError> {
    caller.require(SystemPermission::IdentityRead)?;
    let scope = caller.env()?;
    store_v::summary(
        s.db.reader(),
        &scope.account_id,
        &scope.environment_id,
        store::ms(s.now()),
    )
    .await
}

/// The invite behind a token, if it can still be accepted; otherwise why not. Public: the token
/// is the credential, and the answers say nothing about any other invite, identity or account.
async fn live_invite(s: &Services, token: &str) -> Result<store_v::StoredInvite, AppError> {
    let invite = store_v::by_token_hash(s.db.reader(), &tokens::digest(token.trim()))
        .await?
        .ok_or(AppError::InviteInvalid)?;
    match invite.status(store::ms(s.now())) {
        InviteStatus::Pending => Ok(invite),
        InviteStatus::Expired => Err(AppError::InviteExpired),
        InviteStatus::Revoked => Err(AppError::InviteRevoked),
        InviteStatus::Accepted => Err(AppError::InviteAlreadyAccepted),
    }
}

/// `invite-info`: what the accept page shows. A read: opening a link never spends it.
pub async fn info(s: &Services, token: &str) -> Result<InviteInfo, AppError> {
    let invite = live_invite(s, token).await?;
    let names = store_v::names(
        s.db.reader(),
        &invite.account_id,
        invite.application_id.as_deref(),
    )
    .await?;
    Ok(InviteInfo {
        intent: invite.intent(),
        first_name: invite.first_name.clone(),
        last_name: invite.last_name.clone(),
        account_name: names.account_name,
        app_name: names.application_name,
        inviter_email: invite.inviter_email.clone(),
        expires_at: rfc3339(invite.expires_at),
        email: invite.email,
    })
}

/// `accept-invite`: spends the token. One transaction writes the identity (created for
/// `activate`; for `add_to_app` found, its password checked and left alone; for `password_reset`
/// given the new password), its active membership, the invite's assignment, `email_verified_at`
/// (the link came by email, or from the inviter who vouches for the address), and the invite's
/// `accepted` state. A wrong current password spends nothing.
pub async fn accept(s: &Services, form: &AcceptInviteForm) -> Result<AcceptedInvite, AppError> {
    let invite = live_invite(s, &form.token).await?;
    let token_hash = tokens::digest(form.token.trim());
    let intent = invite.intent();
    let valid = form.validate(intent).map_err(AppError::identity_input)?;
    let account_id = invite.account_id.clone();
    let email = invite.email.clone();
    // Hashing and verifying are slow on purpose: done before the transaction holds the writer.
    let (new_hash, verified_id) = match &valid {
        ValidAcceptance::Activate { password, .. }
        | ValidAcceptance::PasswordReset { password } => (
            Some(s.passwords.hash(password.expose().to_owned()).await?),
            None,
        ),
        ValidAcceptance::AddToApp { current_password } => {
            let verified = identity_passwords::verify_password(
                s,
                &account_id,
                &email,
                current_password.expose().to_owned(),
            )
            .await?
            .ok_or(AppError::InvalidCredentials)?;
            (None, Some(verified.identity_id))
        }
    };
    let now_ms = store::ms(s.now());
    let mut tx = s.db.begin().await?;
    let mut events = Vec::new();
    let identity_id = match (&valid, new_hash.as_deref(), verified_id) {
        (
            ValidAcceptance::Activate {
                first_name,
                last_name,
                ..
            },
            Some(hash),
            _,
        ) => {
            let id = s.new_id();
            store_i::insert(
                &mut tx,
                &account_id,
                store_i::NewIdentity {
                    id: &id,
                    email: &email,
                    first_name: first_name.as_str(),
                    last_name: last_name.as_str(),
                    external_id: None,
                    metadata: None,
                    password_hash: Some(hash),
                    password_change_required: false,
                    now_ms,
                },
            )
            .await?;
            store_i::mark_email_verified(&mut tx, &account_id, &id, now_ms).await?;
            events.push(("identity.created", id.clone()));
            id
        }
        (ValidAcceptance::PasswordReset { .. }, Some(hash), _) => {
            let (id, _, _) = store_i::credentials_by_email(&mut *tx, &account_id, &email)
                .await?
                .ok_or(AppError::InviteInvalid)?;
            store_i::set_chosen_password(&mut tx, &account_id, &id, hash, true, now_ms).await?;
            events.push(("identity.password_set", id.clone()));
            id
        }
        (ValidAcceptance::AddToApp { .. }, _, Some(id)) => {
            store_i::mark_email_verified(&mut tx, &account_id, &id, now_ms).await?;
            id
        }
        _ => return Err(AppError::internal("accept invite", "intent mismatch")),
    };
    if let Some(application_id) = &invite.application_id {
        // `None`: already an active member (a password reset of a member), nothing to change.
        if let Some(membership_id) = store_i::activate_membership(
            &mut tx,
            &account_id,
            application_id,
            &identity_id,
            &s.new_id(),
            now_ms,
        )
        .await?
        {
            events.push(("membership.activated", membership_id));
        }
    }
    if let (Some((role_id, node_id)), Some(environment_id), Some(application_id)) = (
        invite.assignment(),
        &invite.environment_id,
        &invite.application_id,
    ) {
        let scope = EnvScope {
            account_id: account_id.clone(),
            application_id: application_id.clone(),
            environment_id: environment_id.clone(),
        };
        let valid = ValidAssignment {
            identity_id: identity_id.clone(),
            role_id: role_id.to_owned(),
            node_id: node_id.to_owned(),
            effective_from: None,
            effective_to: None,
        };
        let id = insert_checked(s, &mut tx, &scope, &valid).await?;
        events.push(("assignment.created", id));
    }
    s.failpoints.check(FAIL_BEFORE_ACCEPTED)?;
    if !store_v::mark_accepted(
        &mut tx,
        &account_id,
        &invite.id,
        &token_hash,
        &identity_id,
        now_ms,
    )
    .await?
    {
        // Another submit of the same link (or a resend) won the race.
        return Err(AppError::InviteAlreadyAccepted);
    }
    let actor = Actor::Identity {
        id: identity_id.clone(),
        label: email.clone(),
    };
    let event = |action: &'static str, category: &'static str| {
        Event::new(&account_id, &actor, action, category).scope(
            invite.application_id.as_deref(),
            invite.environment_id.as_deref(),
        )
    };
    let mut audit_events = vec![
        event("invite.accepted", "invites")
            .resource("identity_invite", &invite.id, &email)
            .metadata(serde_json::json!({
                "intent": intent.as_str(), "identity_id": identity_id,
            })),
    ];
    for (action, id) in events {
        audit_events.push(match action {
            "membership.activated" => event(action, "identity")
                .resource("app_membership", &id, &email)
                .metadata(serde_json::json!({ "identity_id": identity_id })),
            "assignment.created" => event(action, "rbac")
                .resource("assignment", &id, "")
                .metadata(serde_json::json!({
                    "identity_id": identity_id, "role_id": invite.role_id, "node_id": invite.node_id,
                })),
            _ => event(action, "identity")
                .resource("identity", &id, &email)
                .metadata(serde_json::json!({ "via": "invite" })),
        });
    }
    audit::commit(s, tx, audit_events).await?;
    let names =
        store_v::names(s.db.reader(), &account_id, invite.application_id.as_deref()).await?;
    let place = names
        .application_name
        .clone()
        .unwrap_or_else(|| names.account_name.clone());
    Ok(AcceptedInvite {
        intent,
        message: match intent {
            InviteIntent::PasswordReset => {
                format!("Your password is set. You can now sign in to {place}.")
            }
            _ => format!("You can now sign in to {place}."),
        },
        sign_in_path: format!("/login?account={}", names.account_slug),
        account_slug: names.account_slug,
        app_name: names.application_name,
        email,
    })
}
