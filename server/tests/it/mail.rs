//! Email delivery through a real SMTP server on loopback (Debian's python3-aiosmtpd, started by
//! each test: `server/tests/smtp/sink.py`), the lease that lets several workers share one
//! database, held mail without SMTP, and the mailbox's server functions.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::services::Services;
use app::services::mail::delivery::{MAX_ATTEMPTS, Outlet, Pass, Worker};
use app::services::mail::smtp::Smtp;
use app::services::mail::{self, Letter, MailKind, MailOrigin};
use sqlx::Row;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

on_both_engines!(
    delivers_headers_both_bodies_and_the_link_after_a_refused_first_try,
    a_message_queued_in_a_rolled_back_transaction_is_never_delivered,
    without_smtp_messages_are_held_and_the_mailbox_shows_them_to_their_account_only,
    the_running_worker_passes_at_the_wake_of_the_commit_that_queued_mail,
    two_workers_on_one_database_deliver_each_message_exactly_once,
    an_expired_lease_is_reclaimed_and_the_late_worker_records_nothing,
    a_permanent_refusal_fails_at_once_and_temporary_ones_give_up_after_the_last_try,
);

/// The SMTP server of one test; stopped when dropped.
struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Refuses the first `refuse_first` recipients with 451, then accepts.
    fn start(refuse_first: u32) -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("free port: {e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        // Debian's interpreter, where python3-aiosmtpd is installed (scripts/test installs it).
        let python = std::env::var("ARBOR_TEST_PYTHON").unwrap_or_else(|_| {
            if std::path::Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".into()
            } else {
                "python3".into()
            }
        });
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string(), "--refuse-first"])
            .arg(refuse_first.to_string())
            .arg("--out")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {python} {}: {e}", script.display()));
        let ready = child
            .stdout
            .take()
            .and_then(|out| std::io::BufReader::new(out).lines().next())
            .and_then(Result::ok);
        assert_eq!(
            ready.as_deref(),
            Some("ready"),
            "the SMTP sink did not start: is python3-aiosmtpd installed? (scripts/test installs it)"
        );
        SmtpSink { port, dir, child }
    }

    fn smtp(&self) -> Smtp {
        Smtp::new(
            &format!("smtp://127.0.0.1:{}", self.port),
            "Arbor Test <no-reply@arbor.test>",
        )
        .unwrap_or_else(|e| panic!("smtp: {e}"))
    }

    /// Every accepted message, in the order received.
    fn received(&self) -> Vec<serde_json::Value> {
        let mut numbered: Vec<(u32, serde_json::Value)> = std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let n = name.strip_suffix(".json")?.parse().ok()?;
                        let text = std::fs::read_to_string(e.path()).ok()?;
                        Some((n, serde_json::from_str(&text).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        numbered.sort_by_key(|(n, _)| *n);
        numbered.into_iter().map(|(_, v)| v).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-up account; returns its id and slug.
async fn account(app: &TestApp, email: &str, company: &str) -> (reqwest::Client, String, String) {
    let (client, landing) = app.sign_up(email, company).await;
    let slug = landing["account"].as_str().unwrap_or_default().to_owned();
    let ids = app
        .strings(&format!("SELECT id FROM accounts WHERE slug = '{slug}'"))
        .await;
    (client, ids.first().cloned().unwrap_or_default(), slug)
}

/// Queues an invitation-like letter with a token link in its own transaction, committed or not.
async fn queue(s: &Services, account_id: &str, to: &str, token: &str, commit: bool) -> String {
    let origin = MailOrigin {
        account_id: account_id.to_owned(),
        application_id: None,
        environment_id: None,
    };
    let mut tx = s.db.begin().await.unwrap_or_else(|e| panic!("begin: {e}"));
    let head = mail::letterhead(&mut tx, &origin)
        .await
        .unwrap_or_else(|e| panic!("letterhead: {e:?}"));
    let letter = Letter::new(head, "You're invited")
        .greeting("Hello Pat,")
        .paragraph("Join us.")
        .action(
            "Accept invitation",
            s.link(&format!("/accept-invite?token={token}")),
        );
    let id = mail::queue(s, &mut tx, &origin, MailKind::IdentityInvite, to, &letter)
        .await
        .unwrap_or_else(|e| panic!("queue: {e:?}"));
    if commit {
        tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    } else {
        tx.rollback()
            .await
            .unwrap_or_else(|e| panic!("rollback: {e}"));
    }
    id
}

/// status, attempts, last_error, whether both bodies are still there, message_id.
async fn row(app: &TestApp, id: &str) -> (String, i64, Option<String>, bool, Option<String>) {
    let r = sqlx::query(
        "SELECT status, attempts, last_error, html_body, text_body, message_id FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.services.db.reader())
    .await
    .unwrap_or_else(|e| panic!("outbox row: {e}"));
    let text = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
    (
        text("status").unwrap_or_default(),
        r.try_get("attempts").unwrap_or(-1),
        text("last_error"),
        text("html_body").is_some() && text("text_body").is_some(),
        text("message_id"),
    )
}

async fn pass(worker: &Worker, s: &Services) -> Pass {
    worker
        .pass(s)
        .await
        .unwrap_or_else(|e| panic!("pass: {e:?}"))
}

async fn delivers_headers_both_bodies_and_the_link_after_a_refused_first_try(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let sink = SmtpSink::start(1);
    let s = &app.services;
    let worker = Worker::new(s, Outlet::Smtp(Box::new(sink.smtp())));
    let id = queue(s, &account_id, "pat@example.com", "tok3n-abc", true).await;

    // The server answers 451 to the first RCPT: a temporary refusal, retried a minute later.
    let first = pass(&worker, s).await;
    assert_eq!((first.retried, first.sent), (1, 0), "{first:?}");
    let (status, attempts, error, bodies, _) = row(&app, &id).await;
    assert_eq!((status.as_str(), attempts, bodies), ("queued", 1, true));
    assert!(
        error.as_deref().is_some_and(|e| e.contains("451")),
        "{error:?}"
    );
    assert!(sink.received().is_empty());
    assert_eq!(pass(&worker, s).await, Pass::default(), "not due yet");

    app.clock.advance(time::Duration::seconds(61));
    let second = pass(&worker, s).await;
    assert_eq!(second.sent, 1, "{second:?}");
    let (status, attempts, error, bodies, message_id) = row(&app, &id).await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 2, None));
    assert!(
        !bodies,
        "the bodies (single-use links) are gone once delivered"
    );
    let expected_id = format!("<{id}@arbor.test>");
    assert_eq!(message_id.as_deref(), Some(expected_id.as_str()));

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    let header = |name: &str| m["headers"][name].as_str().unwrap_or_default().to_owned();
    assert_eq!(m["rcpt_tos"], serde_json::json!(["pat@example.com"]));
    assert_eq!(m["mail_from"], "no-reply@arbor.test");
    assert_eq!(header("From"), "Arbor Test <no-reply@arbor.test>");
    assert_eq!(header("To"), "pat@example.com");
    assert_eq!(header("Subject"), "You're invited");
    assert_eq!(header("Message-ID"), expected_id);
    // The date of the successful try, from the injected clock (09:00 + 61 s), not the wall's.
    assert!(
        header("Date").contains("27 Nov 2026 09:01:01"),
        "{}",
        header("Date")
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    let part = |ty: &str| {
        m["parts"]
            .as_array()
            .and_then(|parts| parts.iter().find(|p| p["content_type"] == ty))
            .and_then(|p| p["body"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let link = format!("{}/accept-invite?token=tok3n-abc", s.public_url);
    let text = part("text/plain");
    let html = part("text/html");
    assert!(
        text.contains("Hello Pat,") && text.contains(&link),
        "{text}"
    );
    assert!(text.contains("Acme"), "the text names the account: {text}");
    assert!(
        html.contains(&format!("href=\"{link}\"")) && html.contains("Accept invitation"),
        "{html}"
    );
}

async fn a_message_queued_in_a_rolled_back_transaction_is_never_delivered(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let sink = SmtpSink::start(0);
    let s = &app.services;
    queue(s, &account_id, "ghost@example.com", "never", false).await;
    let kept = queue(s, &account_id, "pat@example.com", "kept", true).await;
    let done = pass(&Worker::new(s, Outlet::Smtp(Box::new(sink.smtp()))), s).await;
    assert_eq!(done.sent, 1, "{done:?}");
    assert_eq!(
        app.count("outbox").await,
        1,
        "the rolled-back message never existed"
    );
    assert_eq!(row(&app, &kept).await.0, "sent");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0]["rcpt_tos"],
        serde_json::json!(["pat@example.com"])
    );
}

/// The worker `arbor serve` runs: after its first pass it waits, and a commit's wake-up makes it
/// pass only when mail is due (`Worker::pass_if_due`), looking at most once per
/// `COMMIT_LOOK_GAP`. The message must leave at the wake that follows its commit, long before the
/// 5 s poll would find it, even when that wake comes inside the gap after a burst of commits
/// that queued nothing.
async fn the_running_worker_passes_at_the_wake_of_the_commit_that_queued_mail(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let s = &app.services;
    let running = tokio::spawn(Worker::new(s, Outlet::Hold).run(s.clone()));
    // Its first, whole pass, then a burst of wakes with nothing due.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for _ in 0..20 {
        s.mail_wake.notify_one();
        tokio::task::yield_now().await;
    }

    let id = queue(s, &account_id, "pat@example.com", "wake-token", true).await;
    // What every service write's commit does (`audit::commit`).
    s.mail_wake.notify_one();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut status = String::new();
    while std::time::Instant::now() < deadline {
        status = row(&app, &id).await.0;
        if status == "held" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    running.abort();
    assert_eq!(status, "held", "the wake after the commit did not pass");
}

async fn without_smtp_messages_are_held_and_the_mailbox_shows_them_to_their_account_only(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let (admin, account_id, slug) = account(&app, "owner@example.com", "Acme").await;
    let (other, _, other_slug) = account(&app, "other@example.com", "Other Co").await;
    let s = &app.services;
    let id = queue(s, &account_id, "pat@example.com", "held-token", true).await;
    let done = pass(&Worker::new(s, Outlet::Hold), s).await;
    assert_eq!(done.held, 1, "{done:?}");
    let (status, attempts, _, bodies, _) = row(&app, &id).await;
    assert_eq!((status.as_str(), attempts, bodies), ("held", 0, true));

    // The dashboard's test email goes to the signed-in admin, and is held too.
    let test = app
        .call(
            &admin,
            "send_test_email",
            serde_json::json!({ "account": slug }),
        )
        .await;
    assert_eq!(test.status, 200, "{}", test.body);
    pass(&Worker::new(s, Outlet::Hold), s).await;

    let mailbox = app
        .call(
            &admin,
            "load_mailbox",
            serde_json::json!({ "account": slug, "page": 1 }),
        )
        .await;
    assert_eq!(mailbox.status, 200, "{}", mailbox.body);
    assert_eq!(mailbox.body["smtp"], false);
    let items = mailbox.body["page"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "test", "newest first");
    assert_eq!(items[0]["recipient"], "owner@example.com");
    assert_eq!(items[0]["status"], "held");
    assert_eq!(items[1]["id"], id.as_str());

    let message = app
        .call(
            &admin,
            "load_mail_message",
            serde_json::json!({ "account": slug, "id": id }),
        )
        .await;
    assert_eq!(message.status, 200, "{}", message.body);
    let link = format!("{}/accept-invite?token=held-token", s.public_url);
    assert!(
        message.body["text_body"]
            .as_str()
            .is_some_and(|t| t.contains(&link))
    );
    assert!(
        message.body["html_body"]
            .as_str()
            .is_some_and(|t| t.contains(&link))
    );

    // Another account's admin sees neither the message nor it in their own mailbox.
    let foreign = app
        .call(
            &other,
            "load_mail_message",
            serde_json::json!({ "account": other_slug, "id": id }),
        )
        .await;
    assert_eq!((foreign.status, foreign.code()), (404, "mail.not_found"));
    let theirs = app
        .call(
            &other,
            "load_mailbox",
            serde_json::json!({ "account": other_slug, "page": 1 }),
        )
        .await;
    assert_eq!(theirs.body["page"]["total"], 0);
    let wrong_account = app
        .call(
            &other,
            "load_mailbox",
            serde_json::json!({ "account": slug, "page": 1 }),
        )
        .await;
    assert_eq!(wrong_account.code(), "accounts.not_found");
}

async fn two_workers_on_one_database_deliver_each_message_exactly_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let sink = SmtpSink::start(0);
    // A second process: its own connection pool on the same database.
    let mut other = app.services.clone();
    other.parts_mut().db = server::open_database(app.database_url())
        .await
        .unwrap_or_else(|e| panic!("second pool: {e}"));
    let s = &app.services;
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(
            queue(
                s,
                &account_id,
                &format!("p{n}@example.com"),
                &format!("t{n}"),
                true,
            )
            .await,
        );
    }
    let a = Worker::new(s, Outlet::Smtp(Box::new(sink.smtp())));
    let b = Worker::new(&other, Outlet::Smtp(Box::new(sink.smtp())));
    let (pa, pb) = tokio::join!(a.pass(s), b.pass(&other));
    let (pa, pb) = (
        pa.unwrap_or_else(|e| panic!("a: {e:?}")),
        pb.unwrap_or_else(|e| panic!("b: {e:?}")),
    );
    assert_eq!(pa.sent + pb.sent, 30, "{pa:?} {pb:?}");
    let received = sink.received();
    let mut message_ids: Vec<String> = received
        .iter()
        .map(|m| {
            m["headers"]["Message-ID"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(
        (received.len(), message_ids.len()),
        (30, 30),
        "each exactly once"
    );
    assert_eq!(
        app.count("outbox WHERE status = 'sent' AND attempts = 1")
            .await,
        30
    );
}

async fn an_expired_lease_is_reclaimed_and_the_late_worker_records_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let sink = SmtpSink::start(0);
    let s = &app.services;
    let id = queue(s, &account_id, "pat@example.com", "lease", true).await;
    // A worker claims the message, then its process stalls (or dies) before it finishes.
    let now = app::store::ms(s.now());
    let mut tx = s.db.begin().await.unwrap_or_else(|e| panic!("begin: {e}"));
    let claimed = app::store::outbox::claim(&mut tx, &id, "stalled", now, now + 300_000)
        .await
        .unwrap_or_else(|e| panic!("claim: {e:?}"));
    tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    assert!(claimed.is_some());

    let worker = Worker::new(s, Outlet::Smtp(Box::new(sink.smtp())));
    assert_eq!(pass(&worker, s).await.sent, 0, "the lease still holds");
    app.clock.advance(time::Duration::minutes(6));
    assert_eq!(
        pass(&worker, s).await.sent,
        1,
        "reclaimed after the lease expired"
    );
    let (status, attempts, ..) = row(&app, &id).await;
    assert_eq!((status.as_str(), attempts), ("sent", 2));

    // The stalled worker wakes up: its outcome no longer counts.
    let mut tx = s.db.begin().await.unwrap_or_else(|e| panic!("begin: {e}"));
    let recorded = app::store::outbox::finish(
        &mut tx,
        &id,
        "stalled",
        "<x@y>",
        &app::store::outbox::Outcome::Failed { error: "late" },
    )
    .await
    .unwrap_or_else(|e| panic!("finish: {e:?}"));
    tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    assert!(!recorded);
    assert_eq!(row(&app, &id).await.0, "sent");
}

async fn a_permanent_refusal_fails_at_once_and_temporary_ones_give_up_after_the_last_try(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let (_, account_id, _) = account(&app, "owner@example.com", "Acme").await;
    let s = &app.services;

    let sink = SmtpSink::start(0);
    let rejected = queue(s, &account_id, "reject-me@example.com", "r", true).await;
    let done = pass(&Worker::new(s, Outlet::Smtp(Box::new(sink.smtp()))), s).await;
    assert_eq!(done.failed, 1, "{done:?}");
    let (status, attempts, error, ..) = row(&app, &rejected).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(
        error.as_deref().is_some_and(|e| e.contains("550")),
        "{error:?}"
    );

    // A server that never accepts: ten tries over about four hours, then failed.
    let busy = SmtpSink::start(1000);
    let worker = Worker::new(s, Outlet::Smtp(Box::new(busy.smtp())));
    let id = queue(s, &account_id, "pat@example.com", "busy", true).await;
    for _ in 0..MAX_ATTEMPTS {
        pass(&worker, s).await;
        app.clock.advance(time::Duration::hours(1));
    }
    let (status, attempts, error, ..) = row(&app, &id).await;
    assert_eq!((status.as_str(), attempts), ("failed", MAX_ATTEMPTS));
    assert!(
        error.as_deref().is_some_and(|e| e.contains("451")),
        "{error:?}"
    );
    assert!(busy.received().is_empty());
}
