//! Limits and job leases shared through the database: two nodes (two `Services` on one database,
//! one clock) see one budget, whichever takes each request. `scale_out.rs` does the same with
//! three real processes.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::error::AppError;
use app::services::{Services, jobs, shared_limits};
use std::time::Duration;

on_both_engines!(
    failure_throttles_and_address_limits_are_shared_between_nodes,
    a_keys_budget_is_shared_between_nodes,
    a_job_lease_gives_each_period_to_one_node,
);

fn ok<T>(what: &str, result: Result<T, AppError>) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

async fn limit_rows(s: &Services) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM limit_counters) + (SELECT COUNT(*) FROM rate_buckets)",
    )
    .fetch_one(s.db.reader())
    .await
    .unwrap_or_else(|e| panic!("count: {e}"))
}

async fn failure_throttles_and_address_limits_are_shared_between_nodes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let b = app.second_node().await;
    let nodes = [&app.services, &b];
    let email = "ada@example.com";
    let from = Some("203.0.113.7");

    // Five failures, alternating nodes: neither node's own throttle has seen five.
    for i in 0..5 {
        let s = nodes[i % 2];
        assert_eq!(
            ok(
                "check",
                shared_limits::sign_in_retry_after(s, email, from).await
            ),
            None
        );
        ok("fail", shared_limits::sign_in_failed(s, email, from).await);
    }
    for s in nodes {
        assert_eq!(
            ok(
                "check",
                shared_limits::sign_in_retry_after(s, email, from).await
            ),
            Some(900),
            "locked on every node"
        );
    }
    assert_eq!(
        ok(
            "other email",
            shared_limits::sign_in_retry_after(&b, "bob@example.com", from).await
        ),
        None
    );
    // A success through one node releases the email on the other.
    ok("success", shared_limits::sign_in_succeeded(&b, email).await);
    assert_eq!(
        ok(
            "released",
            shared_limits::sign_in_retry_after(&app.services, email, from).await
        ),
        None
    );

    // A per-address limit on every request (identity mail: 10 in 15 minutes).
    for i in 0..10 {
        let s = nodes[i % 2];
        assert_eq!(
            ok(
                "mail",
                shared_limits::take(s, &s.identity_mail_limit, "198.51.100.4").await
            ),
            None,
            "request {i}"
        );
    }
    for s in nodes {
        assert_eq!(
            ok(
                "mail",
                shared_limits::take(s, &s.identity_mail_limit, "198.51.100.4").await
            ),
            Some(900)
        );
    }

    // The costly public routes: 60 a minute per address across both nodes.
    for i in 0..60 {
        let s = nodes[i % 2];
        ok("edge", shared_limits::edge_take(s, Some("192.0.2.1")).await);
    }
    for s in nodes {
        assert_eq!(
            shared_limits::edge_take(s, Some("192.0.2.1")).await,
            Err(AppError::TooManyRequests {
                retry_after_secs: 60
            })
        );
    }

    // Windows end; the purge (one node) deletes what no longer counts.
    assert!(limit_rows(&app.services).await > 0);
    app.clock.advance(time::Duration::minutes(15));
    assert!(ok("purge", shared_limits::purge(&b).await) > 0);
    assert_eq!(limit_rows(&app.services).await, 0);
}

async fn a_keys_budget_is_shared_between_nodes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let b = app.second_node().await;
    let nodes = [&app.services, &b];
    for s in nodes {
        s.api_rate.set_per_minute(3);
    }
    for i in 0..3 {
        let s = nodes[i % 2];
        ok("take", s.api_rate.take(&s.db, "key-1", s.now()).await);
    }
    for s in nodes {
        assert_eq!(
            s.api_rate.take(&s.db, "key-1", s.now()).await,
            Err(AppError::RateLimited {
                retry_after_secs: 20
            }),
            "the budget is spent on both nodes"
        );
        ok("other key", s.api_rate.take(&s.db, "key-2", s.now()).await);
    }
    app.clock.advance(time::Duration::seconds(20));
    ok("refilled", b.api_rate.take(&b.db, "key-1", b.now()).await);
    assert!(
        app.services
            .api_rate
            .take(&app.services.db, "key-1", app.services.now())
            .await
            .is_err()
    );
    // A full bucket is nothing to keep.
    app.clock.advance(time::Duration::minutes(1));
    ok("purge", shared_limits::purge(&app.services).await);
    assert_eq!(limit_rows(&app.services).await, 0);
}

async fn a_job_lease_gives_each_period_to_one_node(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let b = app.second_node().await;
    let (a, period) = (&app.services, Duration::from_secs(60));
    assert!(ok("a", jobs::claim(a, "test_job", period).await));
    assert!(!ok("b", jobs::claim(&b, "test_job", period).await));
    assert!(!ok("a again", jobs::claim(a, "test_job", period).await));
    app.clock.advance(time::Duration::seconds(60));
    assert!(ok(
        "b next period",
        jobs::claim(&b, "test_job", period).await
    ));
    assert!(!ok(
        "a next period",
        jobs::claim(a, "test_job", period).await
    ));
    let runs: i64 = sqlx::query_scalar("SELECT runs FROM job_leases WHERE job = 'test_job'")
        .fetch_one(a.db.reader())
        .await
        .unwrap_or_else(|e| panic!("runs: {e}"));
    assert_eq!(runs, 2);
}
