//! The outbox as the dashboard's mailbox shows it: each message's delivery state, and one
//! message with its bodies.

use super::Page;
use serde::{Deserialize, Serialize};

/// Where a message is on its way out. Stored as the lower-case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for the worker (first try, or the next one after a temporary failure).
    Queued,
    /// A worker holds it right now.
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: refused for good, or out of tries.
    Failed,
    /// No SMTP server configured: it stays in the Dev mailbox.
    Held,
}

impl MailStatus {
    pub const ALL: [MailStatus; 5] = [
        MailStatus::Queued,
        MailStatus::Sending,
        MailStatus::Sent,
        MailStatus::Failed,
        MailStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sending => "sending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
            MailStatus::Held => "held",
        }
    }

    /// The stored word; the table's CHECK admits only ours, and anything else reads as failed
    /// rather than pretending it left.
    pub fn from_stored(raw: &str) -> Self {
        MailStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .unwrap_or(MailStatus::Failed)
    }

    pub fn label(self) -> &'static str {
        match self {
            MailStatus::Queued => "Queued",
            MailStatus::Sending => "Sending",
            MailStatus::Sent => "Sent",
            MailStatus::Failed => "Failed",
            MailStatus::Held => "Held",
        }
    }
}

/// What a stored `kind` is called on screen; kinds added later read as "Email".
pub fn mail_kind_label(kind: &str) -> &'static str {
    match kind {
        "identity_invite" => "Invite",
        "identity_password_reset" => "Password reset",
        "identity_email_verification" => "Email verification",
        "admin_invite" => "Admin invite",
        "test" => "Test email",
        _ => "Email",
    }
}

/// One line of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub status: MailStatus,
    /// Delivery attempts so far (a claim counts, so a crash mid-send counts too).
    pub attempts: i64,
    /// Why the last attempt failed (the SMTP server's answer), kept until the message is sent.
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// When a queued message is tried next.
    pub next_attempt_at: Option<String>,
    pub application_name: Option<String>,
    pub environment_name: Option<String>,
}

/// One message with its bodies. The bodies are gone (`None`) once an SMTP server accepted it:
/// they carry single-use links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    pub row: MailboxRow,
    pub html_body: Option<String>,
    pub text_body: Option<String>,
    pub message_id: Option<String>,
}

/// A page of the mailbox, and whether an SMTP server delivers (the page is then "Email", with
/// delivery states) or not (the "Dev mailbox": everything stays held here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub smtp: bool,
    pub page: Page<MailboxRow>,
}

/// The plain-text body cut into text and links, so the page can make the links clickable without
/// ever rendering the body as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPiece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Splits `text` at every `http://` / `https://` URL (up to the next whitespace).
pub fn text_pieces(text: &str) -> Vec<TextPiece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = find_url(rest) {
        if start > 0 {
            pieces.push(TextPiece::Text(&rest[..start]));
        }
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        pieces.push(TextPiece::Link(&tail[..end]));
        rest = &tail[end..];
    }
    if !rest.is_empty() {
        pieces.push(TextPiece::Text(rest));
    }
    pieces
}

fn find_url(text: &str) -> Option<usize> {
    match (text.find("https://"), text.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip_and_unknown_ones_fail_closed() {
        for s in MailStatus::ALL {
            assert_eq!(MailStatus::from_stored(s.as_str()), s);
        }
        assert_eq!(MailStatus::from_stored("delivered?"), MailStatus::Failed);
    }

    #[test]
    fn links_in_the_text_body_are_found() {
        let text = "Accept:\nhttps://arbor.example/accept-invite?token=abc\n\n— Acme";
        assert_eq!(
            text_pieces(text),
            vec![
                TextPiece::Text("Accept:\n"),
                TextPiece::Link("https://arbor.example/accept-invite?token=abc"),
                TextPiece::Text("\n\n— Acme"),
            ]
        );
        assert_eq!(text_pieces("no links"), vec![TextPiece::Text("no links")]);
        assert_eq!(
            text_pieces("http://a b https://c"),
            vec![
                TextPiece::Link("http://a"),
                TextPiece::Text(" b "),
                TextPiece::Link("https://c"),
            ]
        );
    }
}
