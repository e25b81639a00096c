//! Tenant › Mailbox: the Account's outgoing email, newest first. Without an SMTP server it is the
//! **Dev mailbox** — every message stays here, readable with its links; with one it is **Email**,
//! the delivery record (queued, sent, failed with the server's answer). Opening a message shows
//! its HTML body in a sandboxed frame (links open in a new tab, scripts never run) and its text
//! body with the links made clickable.

use crate::components::dialog::Dialog;
use crate::components::form::use_operation;
use crate::components::identity_assignments::short_time;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::model::{
    EnvPath, MailMessage, MailStatus, MailboxRow, TextPiece, mail_kind_label, text_pieces,
};
use crate::server::mail::{load_mail_message, load_mailbox, send_test_email};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MailboxPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let page = RwSignal::new(1i64);
    let refresh = RwSignal::new(0u32);
    let mailbox = Resource::new(
        move || (env.with(|e| e.account.clone()), page.get(), refresh.get()),
        |(account, page, _)| load_mailbox(account, page),
    );
    let opened = RwSignal::new(None::<String>);
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        if !open.get() {
            opened.set(None);
        }
    });
    let show = Callback::new(move |id: String| {
        opened.set(Some(id));
        open.set(true);
    });
    let sending = use_operation(move |account: String| async move {
        send_test_email(account).await?;
        toasts.success("Test email queued to your address");
        refresh.update(|n| *n += 1);
        Ok(())
    });
    let send_test = move |_| sending.submit(env.with_untracked(|e| e.account.clone()));
    // The mode comes with the list; until it is in, the page is called what its link says.
    let smtp = move || async move { mailbox.await.map(|m| m.smtp).unwrap_or(false) };
    view! {
        <Transition fallback=|| view! { <Title text="Mailbox" /> }>
            {move || Suspend::new(async move {
                view! { <Title text=if smtp().await { "Email" } else { "Dev mailbox" } /> }
            })}
        </Transition>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <Transition fallback=|| view! { <h1>"Mailbox"</h1> }>
                    {move || Suspend::new(async move {
                        let smtp = smtp().await;
                        view! {
                            <h1>{if smtp { "Email" } else { "Dev mailbox" }}</h1>
                            <p class="muted">{if smtp {
                                "Email your account sends — invitations, password resets, verifications — and whether the SMTP server took it. Failed messages show the server's answer."
                            } else {
                                "No SMTP server is configured (SMTP_URL), so email your account sends — invitations, password resets, verifications — stays here instead of leaving. Open a message to follow its links."
                            }}</p>
                        }
                    })}
                </Transition>
            </div>
            <div class="page-actions">
                <button class="btn btn-secondary" on:click=send_test disabled={let ro = viewer_disabled(); move || ro.get() || sending.busy().get()} title=read_only_title() data-testid="send-test-email">"Send test email"</button>
                <button class="btn btn-ghost" on:click=move |_| refresh.update(|n| *n += 1) data-testid="refresh-mailbox">"Refresh"</button>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading the mailbox…" /> }>
            {move || Suspend::new(async move {
                match mailbox.await {
                    Ok(mailbox) if mailbox.page.total == 0 => view! {
                        <div class="empty-state" data-testid="mailbox-empty">
                            <p><strong>"No email yet."</strong></p>
                            <p class="muted">"Messages appear here as soon as your account sends one: an invitation, a password reset or an email verification. Send yourself a test email to see one."</p>
                        </div>
                    }.into_any(),
                    Ok(mailbox) => {
                        let (pages, current, total) = (mailbox.page.pages(), mailbox.page.page, mailbox.page.total);
                        view! {
                            <div class="table-wrap">
                                <table data-testid="mailbox-table">
                                    <caption class="visually-hidden">"Messages, newest first"</caption>
                                    <thead><tr>
                                        <th scope="col">"Subject"</th>
                                        <th scope="col">"To"</th>
                                        <th scope="col">"Kind"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Queued"</th>
                                    </tr></thead>
                                    <tbody>{mailbox.page.items.into_iter().map(|row| view! { <MailLine row show /> }).collect_view()}</tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">{format!("{total} message{} · page {current} of {pages}", if total == 1 { "" } else { "s" })}</span>
                                {(pages > 1).then(|| view! {
                                    <button class="btn btn-secondary btn-small" disabled={current <= 1} on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <button class="btn btn-secondary btn-small" disabled={current >= pages} on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open title="Message" testid="mail-message" wide=true>
            {move || opened.get().map(|id| view! { <MessageView id /> })}
        </Dialog>
    }
    .into_any()
}

#[component]
fn StatusBadge(row: MailboxRow) -> impl IntoView {
    let class = match row.status {
        MailStatus::Sent => "pill status-active",
        MailStatus::Queued | MailStatus::Sending | MailStatus::Held => "pill status-scheduled",
        MailStatus::Failed => "pill status-expired",
    };
    let tries = match row.attempts {
        0 => None,
        1 => Some("1 try".to_owned()),
        n => Some(format!("{n} tries")),
    };
    let next = row
        .next_attempt_at
        .as_deref()
        .filter(|_| row.attempts > 0)
        .map(|at| format!("next try {}", short_time(at)));
    view! {
        <span class=class data-testid="mail-status">{row.status.label()}</span>
        {tries.map(|t| view! { <span class="muted small">" · " {t}</span> })}
        {next.map(|n| view! { <div class="muted small">{n}</div> })}
        {row.last_error.map(|e| view! { <div class="small mail-error" data-testid="mail-error">{e}</div> })}
    }
}

#[component]
fn MailLine(row: MailboxRow, show: Callback<String>) -> impl IntoView {
    let id = row.id.clone();
    let from = row
        .application_name
        .clone()
        .map(|app| match &row.environment_name {
            Some(env) => format!("{app} · {env}"),
            None => app,
        });
    view! {
        <tr data-testid="mail-row">
            <td>
                <button type="button" class="link-button" on:click=move |_| show.run(id.clone()) data-testid="open-mail">{row.subject.clone()}</button>
                {from.map(|f| view! { <div class="muted small">{f}</div> })}
            </td>
            <td>{row.recipient.clone()}</td>
            <td>{mail_kind_label(&row.kind)}</td>
            <td><StatusBadge row=row.clone() /></td>
            <td>{short_time(&row.created_at)}</td>
        </tr>
    }
}

/// The HTML body for the frame: links open in a new tab (the sandbox allows popups, nothing
/// else), so following one never replaces the frame's content.
fn framed(html: &str) -> String {
    const BASE: &str = "<base target=\"_blank\">";
    match html.find("<head>") {
        Some(at) => format!("{}{BASE}{}", &html[..at + 6], &html[at + 6..]),
        None => format!("{BASE}{html}"),
    }
}

#[component]
fn MessageView(id: String) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let message = Resource::new(
        move || (env.with(|e| e.account.clone()), id.clone()),
        |(account, id)| load_mail_message(account, id),
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Opening the message…" /> }>
            {move || Suspend::new(async move {
                match message.await {
                    Ok(m) => view! { <MessageBody m /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MessageBody(m: MailMessage) -> impl IntoView {
    let row = m.row;
    view! {
        <dl class="mail-meta" data-testid="mail-meta">
            <div><dt>"Subject"</dt><dd data-testid="mail-subject">{row.subject.clone()}</dd></div>
            <div><dt>"To"</dt><dd>{row.recipient.clone()}</dd></div>
            <div><dt>"Kind"</dt><dd>{mail_kind_label(&row.kind)}</dd></div>
            <div><dt>"Queued"</dt><dd>{short_time(&row.created_at)}</dd></div>
            {row.sent_at.as_deref().map(|at| view! { <div><dt>"Sent"</dt><dd>{short_time(at)}</dd></div> })}
            <div><dt>"Status"</dt><dd><StatusBadge row=row.clone() /></dd></div>
            {m.message_id.map(|mid| view! { <div><dt>"Message-ID"</dt><dd class="mono small">{mid}</dd></div> })}
        </dl>
        {match (m.html_body, m.text_body) {
            (Some(html), Some(text)) => view! {
                <h3 class="mail-part-title">"HTML"</h3>
                <iframe class="mail-html" title="The message as HTML" sandbox="allow-popups allow-popups-to-escape-sandbox"
                    srcdoc=framed(&html) data-testid="mail-html"></iframe>
                <h3 class="mail-part-title">"Plain text"</h3>
                <pre class="mail-text" data-testid="mail-text">{text_pieces(&text).into_iter().map(|piece| match piece {
                    TextPiece::Text(t) => t.to_owned().into_any(),
                    TextPiece::Link(url) => view! { <a href=url.to_owned() target="_blank" rel="noopener noreferrer">{url.to_owned()}</a> }.into_any(),
                }).collect_view()}</pre>
            }.into_any(),
            _ => view! {
                <p class="muted" data-testid="mail-body-gone">"The body was removed once the SMTP server accepted the message: it carried single-use links."</p>
            }.into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::framed;

    #[test]
    fn links_of_the_framed_body_open_in_a_new_tab() {
        assert_eq!(
            framed("<html><head><title>x</title></head></html>"),
            "<html><head><base target=\"_blank\"><title>x</title></head></html>"
        );
        assert_eq!(framed("<p>x</p>"), "<base target=\"_blank\"><p>x</p>");
    }
}
