//! Every list bounds `page`: a page so large that `(page - 1) * take` would overflow answers a
//! 400 naming `page` instead of dropping the connection; the last allowed page answers, empty.

use crate::api::{api, code, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::json;

on_both_engines!(a_huge_page_is_a_field_error_on_every_list);

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
