//! `Idempotency-Key` claims as leases, and answers stored with the rows: a bulk create whose
//! client gives up half-way still runs to the end and its replay gets its answer, ids included;
//! a batch cut before its commit leaves nothing (its replay, once the lease ran out, runs it
//! afresh); a batch cut after its commit left its answer (its replay gets it, byte for byte);
//! expired records are deleted.

use crate::api::{code, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::services::idempotency::{FAIL_AFTER_COMMIT, FAIL_RECORD, LEASE_MS};
use app::services::identities::PAUSE_BEFORE_BULK_WRITE;
use serde_json::{Value, json};
use std::collections::HashSet;
use time::Duration;

on_both_engines!(
    a_batch_outlives_its_client_and_is_recorded_once,
    a_running_batch_renews_its_lease,
    a_batch_cut_before_its_commit_leaves_nothing_and_runs_again,
    a_batch_cut_after_its_commit_replays_its_answer,
    an_invite_batch_commits_its_answer_with_its_rows,
    expired_records_are_deleted_by_later_claims
);

fn batch(count: usize, prefix: &str) -> Value {
    let rows: Vec<Value> = (0..count)
        .map(|i| json!({ "email": format!("{prefix}{i:03}@example.com"), "first_name": "Bulk", "last_name": format!("Row {i}") }))
        .collect();
    json!({ "identities": rows })
}

/// `(status, body text, replayed)` of a bulk create at `path` with an `Idempotency-Key`.
async fn post_text(
    app: &TestApp,
    path: &str,
    key: &str,
    idem: &str,
    body: &Value,
) -> (u16, String, bool) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/{path}", app.base))
        .header("X-API-Key", key)
        .header("Idempotency-Key", idem)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("bulk: {e}"));
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = response.text().await.unwrap_or_default();
    (status, text, replayed)
}

/// `(status, body, replayed)` of an identities bulk create with an `Idempotency-Key`.
async fn bulk(app: &TestApp, key: &str, idem: &str, body: &Value) -> (u16, Value, bool) {
    let (status, text, replayed) = post_text(app, "identities/bulk-create", key, idem, body).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        replayed,
    )
}

/// Polls `count` of `from_where` until it is `expected` (at most 40 seconds).
async fn wait_for_count(app: &TestApp, from_where: &str, expected: i64) {
    for _ in 0..800 {
        if app.count(from_where).await == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "{from_where}: {} rows, expected {expected}",
        app.count(from_where).await
    );
}

/// The ids of an answer's created rows, as `pick` finds them in each row's `data`.
fn ids<'a>(body: &'a Value, pick: impl Fn(&'a Value) -> Option<&'a str>) -> HashSet<&'a str> {
    body["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|row| pick(&row["data"])).collect())
        .unwrap_or_default()
}

/// The answer stored for `idem`, as the database holds it.
async fn stored(app: &TestApp, idem: &str) -> Vec<String> {
    app.strings(&format!(
        "SELECT body FROM idempotency_records WHERE idem_key = '{idem}' AND status > 0"
    ))
    .await
}

async fn a_batch_outlives_its_client_and_is_recorded_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(5, "cut");

    // The client gives up while the batch is running (claimed, before its one transaction).
    app.services.failpoints.arm(PAUSE_BEFORE_BULK_WRITE);
    let client = {
        let (base, full, rows) = (app.base.clone(), full.clone(), rows.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/identities/bulk-create"))
                .header("X-API-Key", full)
                .header("Idempotency-Key", "cut-1")
                .json(&rows)
                .send()
                .await
        })
    };
    wait_for_count(&app, "idempotency_records WHERE idem_key = 'cut-1'", 1).await;
    client.abort();
    assert!(client.await.is_err_and(|e| e.is_cancelled()));

    // A replay meanwhile hears that the batch is still running; nothing of it is written yet.
    let (status, body, _) = bulk(&app, &full, "cut-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));
    assert_eq!(app.count("identities WHERE email LIKE 'cut%'").await, 0);

    // The batch goes on without its client and commits its rows with its answer: the replay gets
    // the original per-row answer, with the ids of the rows it created, once.
    app.services.failpoints.disarm(PAUSE_BEFORE_BULK_WRITE);
    let mut answer = None;
    for _ in 0..400 {
        let (status, body, replayed) = bulk(&app, &full, "cut-1", &rows).await;
        if status != 409 {
            answer = Some((status, body, replayed));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, body, replayed) = answer.unwrap_or_else(|| panic!("still in progress"));
    assert_eq!((status, replayed), (200, true), "{body}");
    assert_eq!(
        body["summary"],
        json!({ "total": 5, "succeeded": 5, "failed": 0 })
    );
    let created = ids(&body, |d| d["id"].as_str());
    assert_eq!(created.len(), 5);
    let written = app
        .strings("SELECT id FROM identities WHERE email LIKE 'cut%'")
        .await;
    assert_eq!(
        written.iter().map(String::as_str).collect::<HashSet<_>>(),
        created
    );
}

/// Takes about 20 seconds: the renewal interval is real time.
async fn a_running_batch_renews_its_lease(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(2, "slow");

    app.services.failpoints.arm(PAUSE_BEFORE_BULK_WRITE);
    let first = {
        let (base, full, rows) = (app.base.clone(), full.clone(), rows.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/identities/bulk-create"))
                .header("X-API-Key", full)
                .header("Idempotency-Key", "slow-1")
                .json(&rows)
                .send()
                .await
                .unwrap_or_else(|e| panic!("bulk: {e}"));
            response.status().as_u16()
        })
    };
    wait_for_count(&app, "idempotency_records WHERE idem_key = 'slow-1'", 1).await;

    // Nearly a lease later the batch is still running; it renews the lease from the clock's now.
    app.clock.advance(Duration::milliseconds(LEASE_MS - 1000));
    let renewed = app::store::ms(app.services.now()) + LEASE_MS;
    wait_for_count(
        &app,
        &format!("idempotency_records WHERE idem_key = 'slow-1' AND lease_until = {renewed}"),
        1,
    )
    .await;
    // Past the first lease, a replay is still told the batch is running.
    app.clock.advance(Duration::seconds(2));
    let (status, body, _) = bulk(&app, &full, "slow-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));

    app.services.failpoints.disarm(PAUSE_BEFORE_BULK_WRITE);
    assert_eq!(first.await.ok(), Some(200));
    assert_eq!(app.count("identities WHERE email LIKE 'slow%'").await, 2);
}

/// The crash window between a batch's writes and its commit: storing the answer fails there, so
/// the transaction rolls back and nothing of the batch remains; its replay runs it afresh.
async fn a_batch_cut_before_its_commit_leaves_nothing_and_runs_again(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(3, "lost");
    let audited = app.count("audit_events").await;

    app.services.failpoints.arm(FAIL_RECORD);
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (500, "internal.unexpected"));
    app.services.failpoints.disarm(FAIL_RECORD);
    assert_eq!(app.count("identities WHERE email LIKE 'lost%'").await, 0);
    assert_eq!(app.count("audit_events").await, audited);
    assert!(stored(&app, "lost-1").await.is_empty());

    // Until its lease runs out the claim looks like a running request...
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));
    app.clock.advance(Duration::milliseconds(LEASE_MS - 1));
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));
    // ...a different body is still refused...
    let (status, body, _) = bulk(&app, &full, "lost-1", &batch(1, "other")).await;
    assert_eq!((status, code(&body)), (422, "idempotency.key_reused"));

    // ...then a replay runs the batch afresh: every row is created, once.
    app.clock.advance(Duration::milliseconds(1));
    let (status, text, replayed) =
        post_text(&app, "identities/bulk-create", &full, "lost-1", &rows).await;
    assert_eq!((status, replayed), (200, false), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(
        body["summary"],
        json!({ "total": 3, "succeeded": 3, "failed": 0 })
    );
    assert_eq!(ids(&body, |d| d["id"].as_str()).len(), 3);
    assert_eq!(app.count("identities WHERE email LIKE 'lost%'").await, 3);
    // Its answer is the one stored, byte for byte.
    let again = post_text(&app, "identities/bulk-create", &full, "lost-1", &rows).await;
    assert_eq!(again, (200, text.clone(), true));
    assert_eq!(stored(&app, "lost-1").await, [text]);
}

/// The crash window between a batch's commit and its answer: the client never hears it, its
/// replay gets it — the ids of the rows the batch created — from the record committed with them.
async fn a_batch_cut_after_its_commit_replays_its_answer(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(3, "done");

    app.services.failpoints.arm(FAIL_AFTER_COMMIT);
    let (status, body, _) = bulk(&app, &full, "done-1", &rows).await;
    assert_eq!((status, code(&body)), (500, "internal.unexpected"));
    app.services.failpoints.disarm(FAIL_AFTER_COMMIT);
    assert_eq!(app.count("identities WHERE email LIKE 'done%'").await, 3);

    let (status, text, replayed) =
        post_text(&app, "identities/bulk-create", &full, "done-1", &rows).await;
    assert_eq!((status, replayed), (200, true), "{text}");
    assert_eq!(stored(&app, "done-1").await, std::slice::from_ref(&text));
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let written = app
        .strings("SELECT id FROM identities WHERE email LIKE 'done%'")
        .await;
    assert_eq!(
        ids(&body, |d| d["id"].as_str()),
        written.iter().map(String::as_str).collect::<HashSet<_>>()
    );
    assert_eq!(app.count("identities WHERE email LIKE 'done%'").await, 3);
}

/// The same guarantee for bulk invites: cut before the commit, no invite or email remains and the
/// replay runs afresh; cut after it, the replay gets the answer with the invites' ids.
async fn an_invite_batch_commits_its_answer_with_its_rows(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let invites = json!({ "invites": [
        { "email": "ana@example.com", "first_name": "Ana", "last_name": "Park" },
        { "email": "ana@example.com", "first_name": "Ana", "last_name": "Twice" },
        { "email": "bo@example.com", "first_name": "Bo", "last_name": "Li" },
    ] });
    let invite_ids = |body: &Value| -> HashSet<String> {
        ids(body, |d| d["id"].as_str())
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    let outbox = app.count("outbox").await;

    app.services.failpoints.arm(FAIL_RECORD);
    let (status, _, _) = post_text(
        &app,
        "identity-invites/bulk-create",
        &full,
        "inv-1",
        &invites,
    )
    .await;
    assert_eq!(status, 500);
    app.services.failpoints.disarm(FAIL_RECORD);
    assert_eq!(app.count("identity_invites").await, 0);
    assert_eq!(app.count("outbox").await, outbox);
    app.clock.advance(Duration::milliseconds(LEASE_MS));
    let (status, text, replayed) = post_text(
        &app,
        "identity-invites/bulk-create",
        &full,
        "inv-1",
        &invites,
    )
    .await;
    assert_eq!((status, replayed), (207, false), "{text}");
    let first: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(invite_ids(&first).len(), 2);
    assert_eq!(app.count("identity_invites").await, 2);
    assert_eq!(app.count("outbox").await, outbox + 2);

    let more = json!({ "invites": [{ "email": "cy@example.com", "first_name": "Cy", "last_name": "Ng" }] });
    app.services.failpoints.arm(FAIL_AFTER_COMMIT);
    let (status, _, _) =
        post_text(&app, "identity-invites/bulk-create", &full, "inv-2", &more).await;
    assert_eq!(status, 500);
    app.services.failpoints.disarm(FAIL_AFTER_COMMIT);
    let (status, text, replayed) =
        post_text(&app, "identity-invites/bulk-create", &full, "inv-2", &more).await;
    assert_eq!((status, replayed), (200, true), "{text}");
    let written = app
        .strings("SELECT id FROM identity_invites WHERE email = 'cy@example.com'")
        .await;
    let answered: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(
        invite_ids(&answered),
        written.into_iter().collect::<HashSet<_>>()
    );
    assert_eq!(app.count("identity_invites").await, 3);
}

async fn expired_records_are_deleted_by_later_claims(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;

    for (i, idem) in ["old-1", "old-2"].into_iter().enumerate() {
        let (status, _, _) = bulk(&app, &full, idem, &batch(1, &format!("old{i}-"))).await;
        assert_eq!(status, 200);
    }
    app.clock.advance(Duration::hours(23));
    let (status, _, _) = bulk(&app, &full, "recent", &batch(1, "recent")).await;
    assert_eq!(status, 200);
    assert_eq!(app.count("idempotency_records").await, 3);

    // A day after the first two, the next claim deletes them; the recent one stays.
    app.clock.advance(Duration::hours(1));
    let (status, _, _) = bulk(&app, &full, "new", &batch(1, "new")).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.strings("SELECT idem_key FROM idempotency_records ORDER BY idem_key")
            .await,
        ["new", "recent"]
    );
}
