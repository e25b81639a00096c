//! Outgoing email. A service queues a message with [`queue`] inside the transaction of the write
//! that causes it, so the message exists only if that write commits; the delivery worker picks it
//! up after the commit (`audit::commit` wakes it). Without an SMTP server the queue is the Dev
//! mailbox, which the dashboard shows.
//!
//! Messages are written with [`Letter`], which names the Account and Application that send them
//! and marks Development-environment mail as such.

pub mod delivery;
pub mod letter;
pub mod mailbox;
pub mod smtp;

pub use letter::{Letter, Letterhead};

use crate::error::AppError;
use crate::services::Services;
use crate::store::{self, Tx};

/// What a message is for (stored; the Dev mailbox filters by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    IdentityInvite,
    IdentityPasswordReset,
    IdentityEmailVerification,
    /// An invitation to join an Account's admin team (Tenant › Team).
    AdminInvite,
    /// An admin's password-reset link (`/signin/forgot`).
    AdminPasswordReset,
    /// An admin's email-verification link (sign-up, the banner's Resend).
    AdminEmailVerification,
    /// "Test email from Arbor" (`arbor mail send-test`, the mailbox page's button).
    Test,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::IdentityInvite => "identity_invite",
            MailKind::IdentityPasswordReset => "identity_password_reset",
            MailKind::IdentityEmailVerification => "identity_email_verification",
            MailKind::AdminInvite => "admin_invite",
            MailKind::AdminPasswordReset => "admin_password_reset",
            MailKind::AdminEmailVerification => "admin_email_verification",
            MailKind::Test => "test",
        }
    }
}

/// How this process's worker treats queued mail (the mailbox page says which).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeliveryMode {
    /// No SMTP server configured: messages stay `held` in the Dev mailbox.
    #[default]
    Held,
    /// `SMTP_URL` is set: the worker delivers.
    Smtp,
}

impl DeliveryMode {
    pub fn is_smtp(self) -> bool {
        self == DeliveryMode::Smtp
    }
}

/// Where a message comes from: the Account, and the Application / Environment when it concerns one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOrigin {
    pub account_id: String,
    pub application_id: Option<String>,
    pub environment_id: Option<String>,
}

/// The letterhead of `origin`: the names its messages are signed with.
pub async fn letterhead(tx: &mut Tx, origin: &MailOrigin) -> Result<Letterhead, AppError> {
    let names = store::outbox::sender_names(
        tx,
        &origin.account_id,
        origin.application_id.as_deref(),
        origin.environment_id.as_deref(),
    )
    .await?;
    Ok(Letterhead {
        account_name: names.account_name,
        application_name: names.application_name,
        development: names.environment_kind.as_deref() == Some("development"),
        environment_name: names.environment_name,
    })
}

/// Queues `letter` to `recipient` in `tx`; returns the message id. Nothing is sent unless `tx`
/// commits.
pub async fn queue(
    s: &Services,
    tx: &mut Tx,
    origin: &MailOrigin,
    kind: MailKind,
    recipient: &str,
    letter: &Letter,
) -> Result<String, AppError> {
    let id = s.new_id();
    let rendered = letter.render();
    store::outbox::insert(
        tx,
        &store::outbox::QueuedMessage {
            id: &id,
            account_id: &origin.account_id,
            application_id: origin.application_id.as_deref(),
            environment_id: origin.environment_id.as_deref(),
            kind: kind.as_str(),
            recipient,
            subject: &rendered.subject,
            html_body: &rendered.html,
            text_body: &rendered.text,
            created_ms: store::ms(s.now()),
        },
    )
    .await?;
    Ok(id)
}
