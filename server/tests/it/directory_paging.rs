//! The directory at scale (issue 14 item 5): keyset pages in every sort, prefix search from the
//! indexes, the bounded count, and stat cards served from a cache that every write — on any node
//! — invalidates.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::model::{DirectoryQuery, DirectorySort, IdentityStatus};
use app::services::{Caller, directory};
use serde_json::{Value, json};

on_both_engines!(
    cursors_walk_every_sort_exactly_once,
    search_matches_prefixes_from_the_indexes,
    stat_cards_follow_every_write_on_every_node
);

const ACCOUNT: &str = "scale";

/// 60 identities created in one instant (the test clock stands still), so every tie in every
/// sort is broken by creation time and id — what a cursor must get right. Names repeat; every
/// third is deactivated; the even ones are members of the application.
async fn seed(app: &TestApp) -> (reqwest::Client, Vec<String>) {
    let (admin, _) = app.sign_up("ada@example.com", "Scale").await;
    let application = app.strings("SELECT id FROM applications").await[0].clone();
    let first = ["Ann", "Bob", "Cid"];
    let forms: Vec<Value> = (0..60)
        .map(|n| {
            json!({
                "email": format!("user{n}@example.com"),
                "first_name": first[n % 3],
                "last_name": format!("Lee{}", n % 4),
                "external_id": format!("HR-{n:03}"),
                "application_id": (n % 2 == 0).then(|| application.clone()),
            })
        })
        .collect();
    let created = app
        .call(
            &admin,
            "import_directory_identities",
            json!({ "account": ACCOUNT, "forms": forms, "dry_run": false }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let ids: Vec<String> = created.body.as_array().map_or_else(Vec::new, |rows| {
        rows.iter()
            .filter_map(|r| r["outcome"]["Ok"]["id"].as_str().map(str::to_owned))
            .collect()
    });
    assert_eq!(ids.len(), 60, "{}", created.body);
    for id in ids.iter().step_by(3) {
        let off = app
            .call(
                &admin,
                "set_identity_status",
                json!({ "account": ACCOUNT, "id": id, "active": false }),
            )
            .await;
        assert_eq!(off.status, 200, "{}", off.body);
    }
    (admin, ids)
}

async fn list(app: &TestApp, admin: &reqwest::Client, query: Value) -> Value {
    let reply = app
        .call(
            admin,
            "list_directory",
            json!({ "account": ACCOUNT, "query": query }),
        )
        .await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.body
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"].as_array().map_or_else(Vec::new, |items| {
        items
            .iter()
            .filter_map(|r| r["identity"]["id"].as_str().map(str::to_owned))
            .collect()
    })
}

async fn cursors_walk_every_sort_exactly_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, ids) = seed(&app).await;
    for sort in ["created", "name", "email", "status"] {
        for descending in [false, true] {
            let base = json!({ "sort": sort, "descending": descending, "status": null });
            // The same order page by page by number (an offset) and by cursor (keyset).
            let mut by_number = Vec::new();
            for page in 1..=3 {
                let mut query = base.clone();
                query["page"] = json!(page);
                by_number.extend(ids_of(&list(&app, &admin, query).await));
            }
            let mut by_cursor = Vec::new();
            let mut query = base.clone();
            let mut pages = 0;
            loop {
                let page = list(&app, &admin, query.clone()).await;
                assert_eq!(page["total"], 60);
                assert_eq!(page["total_is_lower_bound"], false);
                by_cursor.extend(ids_of(&page));
                pages += 1;
                match page["next_cursor"].as_str() {
                    Some(cursor) => query["cursor"] = json!(cursor),
                    None => break,
                }
            }
            assert_eq!(pages, 3, "{sort} {descending}: 25 + 25 + 10");
            assert_eq!(by_cursor, by_number, "{sort} descending={descending}");
            let mut seen = by_cursor.clone();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), ids.len(), "{sort}: each identity exactly once");
        }
    }
    // A status filter pages the same way: 40 pending, newest first.
    let pending = list(&app, &admin, json!({ "status": "pending" })).await;
    assert_eq!(pending["total"], 40);
    let rest = list(
        &app,
        &admin,
        json!({ "status": "pending", "cursor": pending["next_cursor"] }),
    )
    .await;
    let mut both = ids_of(&pending);
    both.extend(ids_of(&rest));
    both.sort();
    both.dedup();
    assert_eq!(both.len(), 40);
    assert!(rest["next_cursor"].is_null());

    // A cursor continues only the sort that made it; anything else is refused, naming it.
    let by_name = list(&app, &admin, json!({ "sort": "name" })).await;
    for cursor in [json!("not a cursor"), by_name["next_cursor"].clone()] {
        let refused = app
            .call(
                &admin,
                "list_directory",
                json!({ "account": ACCOUNT, "query": { "sort": "email", "cursor": cursor } }),
            )
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.code(), "validation.invalid_input");
        assert_eq!(refused.body["errors"][0]["field"], "cursor");
    }

    // The count stops at its cap and says so.
    let account = app.strings("SELECT id FROM accounts").await[0].clone();
    let capped = app::store::directory::count(
        app.services.db.reader(),
        &account,
        &DirectoryQuery::default(),
        7,
    )
    .await
    .unwrap_or_else(|e| panic!("count: {e:?}"));
    assert_eq!(capped, 8, "one past the cap: more than 7");
}

async fn search_matches_prefixes_from_the_indexes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = seed(&app).await;
    let found = |q: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move { list(app, &admin, json!({ "q": q })).await["total"].clone() }
    };
    // user5 and user50–user59; any case; surrounding spaces ignored.
    assert_eq!(found("user5").await, 11);
    assert_eq!(found("  USER5 ").await, 11);
    // The full name, the last name, the external id (any case).
    assert_eq!(found("ann lee1").await, 5);
    assert_eq!(found("lee3").await, 15);
    assert_eq!(found("hr-01").await, 10);
    // A prefix, not a substring.
    assert_eq!(found("example.com").await, 0);
    assert_eq!(found("ser5").await, 0);
    // Characters that mean something to LIKE mean nothing here.
    assert_eq!(found("user%").await, 0);
    assert_eq!(found("_ser5").await, 0);
    // The members list of Access Control (and `GET /identities`) searches the same way.
    let env = json!({ "account": ACCOUNT, "application": "billing-portal", "environment": "development" });
    let members = |q: &'static str| {
        let (app, admin, env) = (&app, admin.clone(), env.clone());
        async move {
            let reply = app
                .call(
                    &admin,
                    "list_members",
                    json!({ "env": env, "q": q, "page": 1 }),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.body["total"].clone()
        }
    };
    assert_eq!(members("").await, 30);
    assert_eq!(members("user5").await, 5, "user50, 52, 54, 56, 58");
    assert_eq!(members("LEE2").await, 15);
    assert_eq!(members("ser5").await, 0);
}

async fn stat_cards_follow_every_write_on_every_node(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, ids) = seed(&app).await;
    let cards = || {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.call(&admin, "directory_summary", json!({ "account": ACCOUNT }))
                .await
                .body
        }
    };
    let before = cards().await;
    assert_eq!(
        before,
        json!({ "total": 60, "active": 0, "pending": 40, "inactive": 20, "email_unverified": 60, "no_memberships": 30 })
    );
    // Served again from the cache: the same answer.
    assert_eq!(cards().await, before);
    // A write on another node (its own caches) shows on this one at once: the cards are keyed on
    // the account's journal head, read from the database on each request.
    let other = app.second_node().await;
    let account = app.strings("SELECT id FROM accounts").await[0].clone();
    let operator = Caller::operator_in_account(account);
    directory::set_status(&other, &operator, &ids[1], false)
        .await
        .unwrap_or_else(|e| panic!("set status: {e:?}"));
    let after = cards().await;
    assert_eq!(after["inactive"], 21);
    assert_eq!(after["pending"], 39);
    let page = directory::list(
        &app.services,
        &operator,
        &DirectoryQuery {
            status: Some(IdentityStatus::Inactive),
            sort: DirectorySort::Email,
            ..DirectoryQuery::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("list: {e:?}"));
    assert_eq!(page.total, 21);
}
