//! One template for every message: a letterhead naming the Account (and Application), a greeting,
//! paragraphs, one call-to-action button with its link, and a footer. Rendered as HTML and as
//! plain text from the same parts, so both bodies always say the same thing.

/// Who sends: names shown at the top and in the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    pub account_name: String,
    pub application_name: Option<String>,
    pub environment_name: Option<String>,
    /// Mail from a Development environment says so in its subject and body.
    pub development: bool,
}

/// A message being written.
#[derive(Debug, Clone)]
pub struct Letter {
    head: Letterhead,
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    action: Option<(String, String)>,
    footnote: Option<String>,
}

/// Subject, HTML body and text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

impl Letter {
    pub fn new(head: Letterhead, subject: impl Into<String>) -> Self {
        Letter {
            head,
            subject: subject.into(),
            greeting: "Hello,".into(),
            paragraphs: Vec::new(),
            action: None,
            footnote: None,
        }
    }

    pub fn greeting(mut self, greeting: impl Into<String>) -> Self {
        self.greeting = greeting.into();
        self
    }

    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.paragraphs.push(text.into());
        self
    }

    /// The one button: its label and the absolute URL it opens.
    pub fn action(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.action = Some((label.into(), url.into()));
        self
    }

    /// Small print under the button (e.g. when the link expires, what to do if unexpected).
    pub fn footnote(mut self, text: impl Into<String>) -> Self {
        self.footnote = Some(text.into());
        self
    }

    /// "Acme" or "Acme · Billing".
    fn sender(&self) -> String {
        match &self.head.application_name {
            Some(app) => format!("{} · {}", self.head.account_name, app),
            None => self.head.account_name.clone(),
        }
    }

    pub fn render(&self) -> Rendered {
        let dev = self.head.development;
        let env_name = self
            .head
            .environment_name
            .clone()
            .unwrap_or_else(|| "Development".into());
        let subject = if dev {
            format!("[{env_name}] {}", self.subject)
        } else {
            self.subject.clone()
        };
        let sender = self.sender();
        let dev_note = format!(
            "This message comes from the {env_name} environment of {sender}: it is for testing."
        );

        let mut text = String::new();
        text.push_str(&sender);
        text.push_str("\n\n");
        if dev {
            text.push_str(&format!("[{dev_note}]\n\n"));
        }
        text.push_str(&self.greeting);
        text.push_str("\n\n");
        for p in &self.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
        }
        if let Some((label, url)) = &self.action {
            text.push_str(&format!("{label}:\n{url}\n\n"));
        }
        if let Some(note) = &self.footnote {
            text.push_str(note);
            text.push_str("\n\n");
        }
        text.push_str(&format!("— {sender}, via Arbor\n"));

        let mut html = String::new();
        html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
        html.push_str(&escape(&subject));
        html.push_str(
            "</title></head><body style=\"margin:0;padding:24px;background:#f4f5f4;\
             font-family:system-ui,sans-serif;color:#1d2420\">\
             <div style=\"max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px\">",
        );
        html.push_str(&format!(
            "<p style=\"margin:0 0 24px;font-weight:600\">{}</p>",
            escape(&sender)
        ));
        if dev {
            html.push_str(&format!(
                "<p style=\"margin:0 0 24px;padding:8px 12px;background:#fff4d6;border-radius:4px\">{}</p>",
                escape(&dev_note)
            ));
        }
        html.push_str(&format!("<p>{}</p>", escape(&self.greeting)));
        for p in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", escape(p)));
        }
        if let Some((label, url)) = &self.action {
            let url = escape(url);
            html.push_str(&format!(
                "<p style=\"margin:32px 0\"><a href=\"{url}\" style=\"display:inline-block;\
                 padding:12px 20px;background:#1f6f4a;color:#fff;text-decoration:none;\
                 border-radius:6px;font-weight:600\">{}</a></p>\
                 <p style=\"font-size:13px;color:#4d5a52\">Or open this link: <a href=\"{url}\">{url}</a></p>",
                escape(label)
            ));
        }
        if let Some(note) = &self.footnote {
            html.push_str(&format!(
                "<p style=\"font-size:13px;color:#4d5a52\">{}</p>",
                escape(note)
            ));
        }
        html.push_str(&format!(
            "<p style=\"margin-top:32px;font-size:13px;color:#4d5a52\">— {}, via Arbor</p></div></body></html>",
            escape(&sender)
        ));
        Rendered {
            subject,
            html,
            text,
        }
    }
}

/// HTML text and attribute escaping (names come from admins and end users).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(development: bool) -> Letterhead {
        Letterhead {
            account_name: "Acme <Corp>".into(),
            application_name: Some("Billing".into()),
            environment_name: Some("Development".into()),
            development,
        }
    }

    #[test]
    fn both_bodies_name_the_sender_and_carry_the_link() {
        let r = Letter::new(head(false), "You're invited")
            .greeting("Hello Pat,")
            .paragraph("Join us.")
            .action(
                "Accept invitation",
                "https://arbor.example/accept-invite?token=a&b",
            )
            .footnote("The link expires in 7 days.")
            .render();
        assert_eq!(r.subject, "You're invited");
        assert!(r.text.contains("Acme <Corp> · Billing"));
        assert!(
            r.text
                .contains("https://arbor.example/accept-invite?token=a&b")
        );
        assert!(r.html.contains("Acme &lt;Corp&gt; · Billing"));
        assert!(
            r.html
                .contains("href=\"https://arbor.example/accept-invite?token=a&amp;b\"")
        );
        assert!(r.html.contains("The link expires in 7 days."));
        assert!(!r.text.contains("testing"));
    }

    #[test]
    fn development_mail_is_marked_in_subject_and_bodies() {
        let r = Letter::new(head(true), "Reset your password").render();
        assert_eq!(r.subject, "[Development] Reset your password");
        assert!(r.text.contains("Development environment"));
        assert!(r.html.contains("Development environment"));
    }
}
