//! The mailbox page's reads (an Account's outbox, newest first, and one message with its bodies)
//! and the test email that checks the mail settings.
//!
//! The bodies carry live invite and password-reset links: whoever reads them can set an
//! identity's password. So reading needs `identity.manage` (what an owner or admin holds and a
//! viewer lacks), the same power that creates identities and sets their passwords directly.

use super::{Letter, MailKind, MailOrigin};
use crate::error::{AppError, Resource};
use crate::model::{Email, MAX_PAGE, MailMessage, Mailbox, Page, SystemPermission};
use crate::services::audit::{self, Event};
use crate::services::{Caller, Services};
use crate::store;

pub const PER_PAGE: i64 = 25;

/// A page of the caller's Account's messages, newest first.
pub async fn list(s: &Services, caller: &Caller, page: i64) -> Result<Mailbox, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let page = page.clamp(1, MAX_PAGE);
    let (items, total) = store::outbox::page(
        s.db.reader(),
        caller.account_id(),
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    Ok(Mailbox {
        smtp: s.mail_delivery.is_smtp(),
        page: Page {
            items,
            total,
            page,
            per_page: PER_PAGE,
        },
    })
}

/// One message of the caller's Account; another Account's is not found.
pub async fn read(s: &Services, caller: &Caller, id: &str) -> Result<MailMessage, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    store::outbox::message(s.db.reader(), caller.account_id(), id)
        .await?
        // An admin invite's link makes its holder an admin with the invited role (owner
        // included), an admin's reset link takes over that admin, a verification link vouches
        // for a mailbox: only those who manage the team (`admin.manage`) may read them — and an
        // admin their own.
        .filter(|m| {
            let admin_kinds = [
                MailKind::AdminInvite,
                MailKind::AdminPasswordReset,
                MailKind::AdminEmailVerification,
            ];
            !admin_kinds.iter().any(|k| m.row.kind == k.as_str())
                || caller.holds(SystemPermission::AdminManage)
                || caller
                    .admin()
                    .is_some_and(|a| a.profile.email == m.row.recipient)
        })
        .ok_or(AppError::NotFound {
            resource: Resource::MailMessage,
        })
}

/// The operator at the command line acting on the account with this slug.
pub async fn operator_in_account(s: &Services, account_slug: &str) -> Result<Caller, AppError> {
    let account_id = store::outbox::account_id_by_slug(s.db.reader(), account_slug)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Account,
        })?;
    Ok(Caller::operator_in_account(account_id))
}

/// Queues "Test email from Arbor" to `to` from the caller's Account: an operator checks the SMTP
/// settings with it, and the Dev mailbox shows what a message looks like. Returns the message id.
pub async fn send_test(s: &Services, caller: &Caller, to: &str) -> Result<String, AppError> {
    caller.require(SystemPermission::IdentityManage)?;
    let to = Email::parse("to", to).map_err(|e| AppError::validation(vec![e]))?;
    let origin = MailOrigin {
        account_id: caller.account_id().to_owned(),
        application_id: None,
        environment_id: None,
    };
    let mut tx = s.db.begin().await?;
    let head = super::letterhead(&mut tx, &origin).await?;
    let letter = Letter::new(head, "Test email from Arbor")
        .paragraph(
            "This is a test message. If you can read it, Arbor's email settings work: invitations \
             and password resets will reach people the same way.",
        )
        .action("Open Arbor", s.link("/"))
        .footnote("You received this because an administrator asked Arbor to send a test email.");
    let id = super::queue(s, &mut tx, &origin, MailKind::Test, to.as_str(), &letter).await?;
    let event = Event::new(
        caller.account_id(),
        &caller.actor(),
        "mail.test_queued",
        "mail",
    )
    .resource("outbox", &id, to.as_str());
    audit::commit(s, tx, vec![event]).await?;
    Ok(id)
}
