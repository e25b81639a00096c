//! Every list bounds `page`: a page so large that `(page - 1) * take` would overflow answers a
//! 400 naming `page` instead of dropping the connection; the last allowed page answers, empty.

use crate::api::{api, code, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::json;

on_both_engines!(
    a_huge_page_is_a_field_error_on_every_list,
    the_dashboard_lists_serve_their_last_page_for_a_huge_one
);

const LISTS: [&str; 4] = ["/roles", "/permissions", "/nodes", "/identities"];

async fn a_huge_page_is_a_field_error_on_every_list(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let full = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);

    for list in LISTS {
        for page in ["9223372036854775806", "9223372036854775807", "10000001"] {
            let (status, body) = api.get(&format!("{list}?page={page}&take=20"), &full).await;
            assert_eq!(
                (status, code(&body)),
                (400, "validation.invalid_input"),
                "{list} page {page}: {body}"
            );
            assert_eq!(
                body["error"]["details"]["errors"][0]["field"], "page",
                "{list} page {page}: {body}"
            );
        }

        // The last page a list answers is served (empty) at the largest take.
        let (status, body) = api
            .get(&format!("{list}?page=10000000&take=100"), &full)
            .await;
        assert_eq!(status, 200, "{list}: {body}");
        assert_eq!(body["items"], json!([]), "{list}: {body}");
        assert_eq!(body["pagination"]["page"], 10_000_000, "{list}: {body}");
    }
}

/// The dashboard's own lists take `page` from a server function: a crafted huge page gets the
/// last page (empty), never an overflow.
async fn the_dashboard_lists_serve_their_last_page_for_a_huge_one(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, landing) = app.sign_up("ada@example.com", "Engines").await;
    let env = json!({
        "account": landing["account"], "application": landing["application"],
        "environment": landing["environment"],
    });
    for page in [i64::MAX, i64::MAX - 1, 10_000_001] {
        let members = app
            .call(
                &admin,
                "list_members",
                json!({ "env": env, "q": "", "page": page }),
            )
            .await;
        assert_eq!(members.status, 200, "{}", members.body);
        assert_eq!(members.body["items"], json!([]), "{}", members.body);
        let directory = app
            .call(
                &admin,
                "list_directory",
                json!({ "account": landing["account"], "query": { "page": page } }),
            )
            .await;
        assert_eq!(directory.status, 200, "{}", directory.body);
        assert_eq!(directory.body["items"], json!([]), "{}", directory.body);
    }
}
