//! The SMTP side of delivery: the transport built from `SMTP_URL` (lettre's URL syntax) and
//! `ARBOR_MAIL_FROM`, the MIME message of an outbox row, and what an SMTP answer means for the
//! next try.

use crate::store::outbox::Claimed;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::{Duration, SystemTime};

/// The sender when `ARBOR_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "Arbor <no-reply@localhost>";

/// One SMTP conversation may take this long before the attempt counts as a temporary failure.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The SMTP server Arbor submits to, and the sender it writes.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the sender's domain.
    domain: String,
}

impl std::fmt::Debug for Smtp {
    // The transport holds the credentials: only the sender is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp").field("from", &self.from).finish()
    }
}

/// Why an attempt did not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later: a 4xx answer, no connection, a timeout, a TLS or login problem.
    Temporary(String),
    /// The server refused this message for good (5xx), or it cannot be written at all.
    Permanent(String),
}

impl Smtp {
    /// `url` like `smtp://host:2525`, `smtp://user:pass@host?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host` (TLS from the first byte); `from` like `Acme <no-reply@acme.test>`.
    /// The error never repeats the URL (it may hold a password).
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("ARBOR_MAIL_FROM `{from}` is not a mailbox: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(TIMEOUT))
            .build();
        let domain = from.email.domain().to_owned();
        Ok(Smtp {
            transport,
            from,
            domain,
        })
    }

    /// The Message-ID of an outbox message: the same on every try, so receivers can drop
    /// duplicates should a try be repeated after a crash.
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.domain)
    }

    /// Submits `m` (text and HTML as multipart/alternative), dated `date`.
    pub async fn send(&self, m: &Claimed, date: SystemTime) -> Result<(), Failure> {
        let message = self.letter(m, date)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    fn letter(&self, m: &Claimed, date: SystemTime) -> Result<Message, Failure> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| Failure::Permanent(format!("invalid recipient address: {e}")))?;
        let (Some(text), Some(html)) = (&m.text_body, &m.html_body) else {
            return Err(Failure::Permanent("the message has no body".into()));
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .date(date)
            .message_id(Some(self.message_id(&m.id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        lettre::message::SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.clone()),
                    )
                    .singlepart(
                        lettre::message::SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.clone()),
                    ),
            )
            .map_err(|e| Failure::Permanent(format!("cannot write the message: {e}")))
    }
}

/// A 5xx answer refuses the message for good — except the login answers (530, 534, 535, 538):
/// those say Arbor's credentials are wrong, which an operator fixes, so they are retried like
/// any other temporary failure. Anything without an SMTP answer (network, TLS, timeout) is
/// temporary too.
fn classify(error: lettre::transport::smtp::Error) -> Failure {
    let text = truncate(&error.to_string());
    let code = error.status().map(|c| c.to_string());
    let login = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"));
    if error.is_permanent() && !login {
        Failure::Permanent(text)
    } else {
        Failure::Temporary(text)
    }
}

/// Server answers can be long; the mailbox shows the first 500 characters.
fn truncate(text: &str) -> String {
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_and_url_are_checked_and_the_url_never_echoed() {
        assert!(Smtp::new("smtp://127.0.0.1:2525", DEFAULT_FROM).is_ok());
        assert!(Smtp::new("smtps://user:pass@mail.example.com", "Acme <a@acme.test>").is_ok());
        assert!(Smtp::new("smtp://mail.example.com?tls=required", DEFAULT_FROM).is_ok());
        let bad = Smtp::new("ftp://user:s3cret@host", DEFAULT_FROM).err();
        assert!(
            bad.as_deref().is_some_and(|e| !e.contains("s3cret")),
            "{bad:?}"
        );
        assert!(Smtp::new("smtp://host", "not a mailbox").is_err());
    }

    #[test]
    fn message_ids_use_the_senders_domain() {
        let smtp = Smtp::new("smtp://127.0.0.1:2525", "Acme <no-reply@acme.test>");
        assert_eq!(
            smtp.map(|s| s.message_id("0193")).ok().as_deref(),
            Some("<0193@acme.test>")
        );
    }
}
