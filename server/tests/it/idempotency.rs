//! `Idempotency-Key` claims as leases: a bulk create whose client gives up half-way still runs to
//! the end and stores its answer; a claim whose answer was never stored is free again once its
//! lease runs out (not after 24 hours); expired records are deleted.

use crate::api::{code, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::services::idempotency::{FAIL_FINISH, LEASE_MS};
use app::services::identities::PAUSE_AFTER_BULK_ROW;
use serde_json::{Value, json};
use std::collections::HashSet;
use time::Duration;

on_both_engines!(
    a_batch_outlives_its_client_and_is_recorded_once,
    a_running_batch_renews_its_lease,
    an_unfinished_claim_is_free_once_its_lease_runs_out,
    expired_records_are_deleted_by_later_claims
);

fn batch(count: usize, prefix: &str) -> Value {
    let rows: Vec<Value> = (0..count)
        .map(|i| json!({ "email": format!("{prefix}{i:03}@example.com"), "first_name": "Bulk", "last_name": format!("Row {i}") }))
        .collect();
    json!({ "identities": rows })
}

/// `(status, body, replayed)` of a bulk create with an `Idempotency-Key`.
async fn bulk(app: &TestApp, key: &str, idem: &str, body: &Value) -> (u16, Value, bool) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/identities/bulk-create", app.base))
        .header("X-API-Key", key)
        .header("Idempotency-Key", idem)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("bulk: {e}"));
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, replayed)
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

async fn a_batch_outlives_its_client_and_is_recorded_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(5, "cut");

    // The client gives up while the batch is still running: its rows are written (one
    // transaction), its answer not yet stored.
    app.services.failpoints.arm(PAUSE_AFTER_BULK_ROW);
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
    wait_for_count(&app, "identities WHERE email LIKE 'cut%'", 5).await;
    client.abort();
    assert!(client.await.is_err_and(|e| e.is_cancelled()));

    // A replay meanwhile hears that the batch is still running.
    let (status, body, _) = bulk(&app, &full, "cut-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));

    // The batch goes on without its client and stores its answer: replays get every row created
    // once, by the first request (a second run would report the emails as taken).
    app.services.failpoints.disarm(PAUSE_AFTER_BULK_ROW);
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
    let ids: HashSet<&str> = body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|row| row["data"]["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids.len(), 5);
    assert_eq!(app.count("identities WHERE email LIKE 'cut%'").await, 5);
}

/// Takes about 20 seconds: the renewal interval is real time.
async fn a_running_batch_renews_its_lease(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(2, "slow");

    app.services.failpoints.arm(PAUSE_AFTER_BULK_ROW);
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
    wait_for_count(&app, "identities WHERE email LIKE 'slow%'", 2).await;

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

    app.services.failpoints.disarm(PAUSE_AFTER_BULK_ROW);
    assert_eq!(first.await.ok(), Some(200));
    assert_eq!(app.count("identities WHERE email LIKE 'slow%'").await, 2);
}

async fn an_unfinished_claim_is_free_once_its_lease_runs_out(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Importer" })).await;
    let rows = batch(3, "lost");

    // The batch runs, but its answer is never stored.
    app.services.failpoints.arm(FAIL_FINISH);
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (500, "internal.unexpected"));
    app.services.failpoints.disarm(FAIL_FINISH);
    assert_eq!(app.count("identities WHERE email LIKE 'lost%'").await, 3);

    // Until its lease runs out the claim looks like a running request...
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));
    app.clock.advance(Duration::milliseconds(LEASE_MS - 1));
    let (status, body, _) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, code(&body)), (409, "idempotency.in_progress"));
    // ...a different body is still refused...
    let (status, body, _) = bulk(&app, &full, "lost-1", &batch(1, "other")).await;
    assert_eq!((status, code(&body)), (422, "idempotency.key_reused"));

    // ...then a replay runs the batch again: the rows exist once, so each reports its email taken.
    app.clock.advance(Duration::milliseconds(1));
    let (status, body, replayed) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((status, replayed), (207, false), "{body}");
    assert_eq!(
        body["summary"],
        json!({ "total": 3, "succeeded": 0, "failed": 3 })
    );
    assert_eq!(body["results"][0]["code"], "identities.email_taken");
    assert_eq!(app.count("identities WHERE email LIKE 'lost%'").await, 3);
    // Its answer is the one stored now.
    let (again_status, again, replayed) = bulk(&app, &full, "lost-1", &rows).await;
    assert_eq!((again_status, replayed), (207, true));
    assert_eq!(again, body);
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
