//! `GET /api/v1/openapi.json` over real HTTP: OpenAPI 3.1, every route the API serves is in it and
//! every documented operation is served (with the scope it documents), and every example — of
//! the component schemas, parameters, request and response bodies — validates against its schema.
//! The answers the server really gives are validated against the documented schemas too.

use crate::api::{api, key};
use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_engines!(
    the_document_is_openapi_3_1_and_lists_every_route,
    operations_and_types_read_as_sdk_names,
    every_string_a_request_sends_states_its_rule,
    every_example_validates_against_its_schema,
    every_documented_operation_is_served_as_documented,
    hostile_inputs_get_a_documented_4xx_never_a_5xx
);

/// Every (method, path) the API serves (`server/src/api/mod.rs`), written out here so that a
/// route that goes missing from the document, or appears unannounced, fails this test.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/identities"),
    ("GET", "/api/v1/identities"),
    ("POST", "/api/v1/identities/bulk-create"),
    ("GET", "/api/v1/identities/{id}"),
    ("PATCH", "/api/v1/identities/{id}"),
    ("DELETE", "/api/v1/identities/{id}"),
    ("POST", "/api/v1/identities/{id}/send-password-reset"),
    ("POST", "/api/v1/identities/{id}/send-verification"),
    ("GET", "/api/v1/identities/{id}/assignments"),
    ("GET", "/api/v1/identities/{id}/permissions"),
    ("GET", "/api/v1/roles"),
    ("POST", "/api/v1/roles"),
    ("GET", "/api/v1/roles/{id}"),
    ("PATCH", "/api/v1/roles/{id}"),
    ("DELETE", "/api/v1/roles/{id}"),
    ("GET", "/api/v1/roles/{id}/permissions"),
    ("PUT", "/api/v1/roles/{id}/permissions"),
    ("GET", "/api/v1/permissions"),
    ("POST", "/api/v1/permissions"),
    ("GET", "/api/v1/permissions/{id}"),
    ("PATCH", "/api/v1/permissions/{id}"),
    ("DELETE", "/api/v1/permissions/{id}"),
    ("GET", "/api/v1/nodes"),
    ("POST", "/api/v1/nodes"),
    ("GET", "/api/v1/nodes/{id}"),
    ("PATCH", "/api/v1/nodes/{id}"),
    ("DELETE", "/api/v1/nodes/{id}"),
    ("POST", "/api/v1/nodes/{id}/move"),
    ("GET", "/api/v1/nodes/{id}/ancestors"),
    ("POST", "/api/v1/assignments"),
    ("PATCH", "/api/v1/assignments/{id}"),
    ("DELETE", "/api/v1/assignments/{id}"),
    ("POST", "/api/v1/assignments/bulk-create"),
    ("POST", "/api/v1/assignments/bulk-remove"),
    ("POST", "/api/v1/assignments/bulk-change-role"),
    ("POST", "/api/v1/permissions/evaluate"),
    ("POST", "/api/v1/permissions/evaluate/bulk"),
    ("POST", "/api/v1/identity-invites"),
    ("GET", "/api/v1/identity-invites"),
    ("POST", "/api/v1/identity-invites/bulk-create"),
    ("GET", "/api/v1/identity-invites/summary"),
    ("POST", "/api/v1/identity-invites/{id}/resend"),
    ("DELETE", "/api/v1/identity-invites/{id}"),
    ("GET", "/api/v1/audit-events"),
    ("GET", "/api/v1/environment"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/v1/identity/auth/login"),
    ("POST", "/v1/identity/auth/select-application"),
    ("POST", "/v1/identity/auth/refresh"),
    ("POST", "/v1/identity/auth/logout"),
    ("GET", "/v1/identity/auth/me"),
    ("POST", "/v1/identity/auth/change-password"),
    ("POST", "/v1/identity/auth/forgot-password"),
    ("POST", "/v1/identity/auth/reset-password"),
    ("POST", "/v1/identity/auth/verify-email"),
    ("POST", "/v1/identity/auth/resend-verification"),
    ("POST", "/v1/identity/auth/invite-info"),
    ("POST", "/v1/identity/auth/accept-invite"),
];

/// Operations anyone may call with no credential at all: their security is `{}`.
fn is_public(path: &str) -> bool {
    path.ends_with("/openapi.json")
}

/// The identity API (sign-in and the invited person's endpoints): public, or with the identity's
/// bearer token — never an API key.
fn is_identity_auth(path: &str) -> bool {
    path.starts_with("/v1/identity/auth/")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn fetch_document(app: &TestApp) -> Value {
    // No API key: the document is public.
    let response = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap_or_else(|e| panic!("GET openapi.json: {e}"));
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{:?}",
        response.headers()
    );
    response
        .json()
        .await
        .unwrap_or_else(|e| panic!("openapi.json is not JSON: {e}"))
}

/// (method upper-case, path, operation) of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

async fn the_document_is_openapi_3_1_and_lists_every_route(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let doc = fetch_document(&app).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Arbor API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        json!({ "type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": doc["components"]["securitySchemes"]["api_key"]["description"] })
    );

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    let unlisted: Vec<_> = documented.difference(&served).collect();
    assert!(
        unlisted.is_empty(),
        "documented but not in ROUTES: {unlisted:?}"
    );

    for (method, path, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: summary"
        );
        assert!(operation["tags"][0].is_string(), "{at}: tag");
        // Any operation can meet a failure of ours or an unreachable database: a generated
        // client must know both answers.
        for (status, shared) in [("500", "InternalError"), ("503", "Unavailable")] {
            let reference = format!("#/components/responses/{shared}");
            assert_eq!(
                operation["responses"][status]["$ref"],
                reference.as_str(),
                "{at}: {status}"
            );
            assert!(
                doc["components"]["responses"][shared]["content"]["application/json"]["schema"]
                    .is_object(),
                "{shared} has its envelope schema"
            );
        }
        let security = operation["security"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(security.len(), 1, "{at}: one security requirement");
        if is_public(&path) {
            assert_eq!(security[0], json!({}), "{at} is public");
            continue;
        }
        if is_identity_auth(&path) {
            assert!(
                security[0] == json!({}) || security[0] == json!({ "identity_bearer": [] }),
                "{at}: public or the identity's bearer token: {security:?}"
            );
            if operation.get("requestBody").is_some() {
                assert!(operation["responses"]["400"].is_object(), "{at}: 400");
            }
            continue;
        }
        let scopes = security[0]["api_key"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // What the key is bound to is the key's own business: any valid key may ask.
        let needs = usize::from(path != "/api/v1/environment");
        assert_eq!(scopes.len(), needs, "{at}: names the one scope it needs");
        for status in ["401", "403", "429"] {
            assert!(operation["responses"][status].is_object(), "{at}: {status}");
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413"] {
                assert!(operation["responses"][status].is_object(), "{at}: {status}");
            }
        }
        if path.contains("{id}") {
            assert!(operation["responses"]["404"].is_object(), "{at}: 404");
            assert!(
                operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "id" && p["in"] == "path" && p["required"] == true),
                "{at}: the id parameter"
            );
        }
    }
    let bulk = &doc["paths"]["/api/v1/identities/bulk-create"]["post"];
    assert!(
        bulk["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
        "{bulk}"
    );
    for status in ["200", "207", "409", "422"] {
        assert!(
            bulk["responses"][status].is_object(),
            "bulk-create {status}"
        );
    }
}

/// What a client generator turns into method and type names: unique camelCase operation ids,
/// one declared tag each, documented failures, and PascalCase component names (no utoipa generic
/// spellings like `Collection_Role`, no handler-side `…Form`/`…Patch`).
async fn operations_and_types_read_as_sdk_names(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let doc = fetch_document(&app).await;
    let camel = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let declared_tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(camel(id), "{at}: operationId {id:?} is not camelCase");
        assert!(
            ids.insert(id.to_owned()),
            "{at}: operationId {id} is not unique"
        );
        let tags = operation["tags"].as_array().cloned().unwrap_or_default();
        assert_eq!(tags.len(), 1, "{at}: one tag");
        // Generators name a client class per tag: no spaces.
        assert!(
            tags[0].as_str().is_some_and(|t| !t.contains(' ')),
            "{at}: tag {} has a space",
            tags[0]
        );
        assert!(
            tags[0].as_str().is_some_and(|t| declared_tags.contains(t)),
            "{at}: tag {} is not declared",
            tags[0]
        );
        // The document itself is public and has no failure of its own to document.
        if !is_public(&path) {
            let responses = operation["responses"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            assert!(
                responses.keys().any(|status| status.starts_with('4')),
                "{at}: no documented error"
            );
        }
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, _)| n)
    {
        assert!(
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric())
                && !name.ends_with("Form")
                && !name.ends_with("Patch"),
            "component {name} does not read as an SDK type name"
        );
    }
}

/// Every string a request body carries says what the server accepts (length, pattern, format or
/// values), so a client generated from the document never sends one the validator refuses for a
/// reason the document does not state (`server/src/api/constraints.rs`).
async fn every_string_a_request_sends_states_its_rule(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let doc = fetch_document(&app).await;
    fn refs(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    found.insert(
                        target
                            .trim_start_matches("#/components/schemas/")
                            .to_owned(),
                    );
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut requested = BTreeSet::new();
    for (_, _, operation) in operations(&doc) {
        refs(&operation["requestBody"], &mut requested);
    }
    loop {
        let mut more = requested.clone();
        for name in &requested {
            refs(&doc["components"]["schemas"][name], &mut more);
        }
        if more.len() == requested.len() {
            break;
        }
        requested = more;
    }
    let is_string = |schema: &Value| {
        schema["type"] == "string"
            || schema["type"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "string"))
    };
    let states_rule = |schema: &Value| {
        ["maxLength", "format", "enum", "pattern"]
            .iter()
            .any(|keyword| schema.get(keyword).is_some())
    };
    let mut silent = Vec::new();
    for name in &requested {
        for (property, schema) in doc["components"]["schemas"][name]["properties"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let string = if schema["type"] == "array" {
                &schema["items"]
            } else {
                schema
            };
            if is_string(string) && !states_rule(string) {
                silent.push(format!("{name}.{property}"));
            }
        }
    }
    assert!(
        silent.is_empty(),
        "request strings without a stated rule (add them to constraints.rs): {silent:?}"
    );
}

/// A validator for `schema` (any schema object of the document), resolving its
/// `#/components/schemas/…` references against the document.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {schema}: {e}"))
}

/// Errors of `instance` against `schema`, as text (empty when valid).
fn problems(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    validator(doc, schema)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every (where, schema, example) in the document. Objects with a `schema` member (parameters,
/// media types, headers) hold examples of that schema; any other object holding `example` or an
/// `examples` list is a schema with examples of itself.
fn examples(node: &Value, at: &str, found: &mut Vec<(String, Value, Value)>) {
    let Some(object) = node.as_object() else {
        if let Some(items) = node.as_array() {
            for (i, item) in items.iter().enumerate() {
                examples(item, &format!("{at}/{i}"), found);
            }
        }
        return;
    };
    let schema = object.get("schema").unwrap_or(node);
    if let Some(example) = object.get("example") {
        found.push((at.to_owned(), schema.clone(), example.clone()));
    }
    match object.get("examples") {
        Some(Value::Array(list)) => {
            for example in list {
                found.push((at.to_owned(), schema.clone(), example.clone()));
            }
        }
        Some(Value::Object(named)) => {
            for (name, example) in named {
                found.push((
                    format!("{at}#{name}"),
                    schema.clone(),
                    example["value"].clone(),
                ));
            }
        }
        _ => {}
    }
    for (key, child) in object {
        // Example values are data, not document.
        if key != "example" && key != "examples" {
            examples(child, &format!("{at}/{key}"), found);
        }
    }
}

async fn every_example_validates_against_its_schema(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let doc = fetch_document(&app).await;

    // The validator can fail: a wrong value against a referenced schema is refused.
    let form = json!({ "$ref": "#/components/schemas/CreateIdentityRequest" });
    assert!(!problems(&doc, &form, &json!({ "email": "a@example.com" })).is_empty());
    assert!(
        !problems(
            &doc,
            &form,
            &json!({ "email": "not an email", "first_name": "A", "last_name": "B" })
        )
        .is_empty()
    );
    let envelope = json!({ "$ref": "#/components/schemas/ErrorEnvelope" });
    let wrong_code = json!({ "error": { "status": 400, "code": "no.such_code", "message": "x" } });
    assert!(!problems(&doc, &envelope, &wrong_code).is_empty());

    let mut found = Vec::new();
    examples(&doc, "", &mut found);
    let mut failures = Vec::new();
    for (at, schema, example) in &found {
        let errors = problems(&doc, schema, example);
        if !errors.is_empty() {
            failures.push(format!("{at}: {}", errors.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "examples that do not validate:\n{}",
        failures.join("\n")
    );

    // Examples are where a reader looks: every request body has one, and so do the main types.
    for (method, path, operation) in operations(&doc) {
        if let Some(media) = operation["requestBody"]["content"]["application/json"].as_object() {
            let schema = media.get("schema").cloned().unwrap_or_default();
            let referenced = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| doc.pointer(p))
                .cloned()
                .unwrap_or_default();
            assert!(
                media.contains_key("example")
                    || referenced.get("example").is_some()
                    || referenced.get("examples").is_some(),
                "{method} {path}: the request body has no example"
            );
        }
    }
    for name in [
        "CreateIdentityRequest",
        "Identity",
        "MemberRow",
        "Assignment",
        "CreateAssignmentRequest",
        "Role",
        "CreateRoleRequest",
        "Permission",
        "NewPermission",
        "Node",
        "Decision",
        "ErrorEnvelope",
        "ErrorBody",
        "FieldError",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert!(
            schema.get("example").is_some() || schema.get("examples").is_some(),
            "{name} has no example: {schema}"
        );
    }
    assert!(found.len() >= 50, "only {} examples found", found.len());
}

/// The operation's documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.strip_prefix("/api/v1")
        .unwrap_or(path)
        .replace("{id}", "0193a1f0-0000-7000-8000-000000000000")
}

/// The request example of an operation (its own, else its schema's).
fn request_example(doc: &Value, operation: &Value) -> Option<Value> {
    let media = operation["requestBody"]["content"].get("application/json")?;
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let schema = media["schema"]["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| doc.pointer(p))?;
    schema
        .get("example")
        .or_else(|| schema["examples"].get(0))
        .cloned()
}

async fn every_documented_operation_is_served_as_documented(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let doc = fetch_document(&app).await;
    // A key whose one scope no operation needs: each keyed operation must refuse it, naming the
    // scope it documents — which proves the call reached that handler.
    let auditor = key(
        &app,
        &admin,
        "development",
        json!({ "name": "Auditor", "scopes": ["environment.manage"] }),
    )
    .await;
    let full = key(&app, &admin, "development", json!({ "name": "Full" })).await;
    let api = api(&app);

    for (method, path, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        let target = concrete(&path);
        let body = request_example(&doc, &operation).map(|b| b.to_string());
        let scope = operation["security"][0]["api_key"][0].as_str();

        if !path.starts_with("/api/v1") {
            // A public endpoint outside the API prefix: its example answers as documented.
            let response = reqwest::Client::new()
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST),
                    format!("{}{path}", app.base),
                )
                .header("content-type", "application/json")
                .body(body.unwrap_or_default())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{at}: {e}"));
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            let documented = &operation["responses"][status.to_string()];
            assert!(
                documented.is_object(),
                "{at} answered an undocumented {status}: {answer}"
            );
            assert_ne!(
                answer["error"]["code"], "request.malformed",
                "{at}: {answer}"
            );
            if let Some(schema) = documented["content"]["application/json"].get("schema") {
                let errors = problems(&doc, schema, &answer);
                assert!(errors.is_empty(), "{at} {status}: {errors:?}\n{answer}");
            }
            continue;
        }
        let (status, answer) = api
            .send(&method, &target, Some(&auditor), body.clone())
            .await;
        match scope {
            Some(scope) => {
                assert_eq!(
                    (
                        status,
                        answer["error"]["code"].as_str(),
                        answer["error"]["details"]["scope"].as_str()
                    ),
                    (403, Some("api_keys.scope_missing"), Some(scope)),
                    "{at}: {answer}"
                );
            }
            // The identity API is public or takes a bearer token: its answers are checked below.
            None if is_identity_auth(&path) => {}
            None => assert_eq!(status, 200, "{at} is public: {answer}"),
        }

        // With full access the documented example is accepted by the real parser, and the answer
        // is one the operation documents, in the documented shape.
        let (status, answer) = api.send(&method, &target, Some(&full), body).await;
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        assert!(
            status != 405 && code != "request.unknown_endpoint" && code != "request.malformed",
            "{at}: {status} {answer}"
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{at} answered an undocumented {status}: {answer}"
        );
        if let Some(schema) = documented["content"]["application/json"].get("schema") {
            let errors = problems(&doc, schema, &answer);
            assert!(
                errors.is_empty(),
                "{at} {status} does not match its schema: {errors:?}\n{answer}"
            );
        }
    }
}

/// Hostile inputs, tried on every documented operation with a key that may do everything: path
/// ids that are not UTF-8, hold a NUL, quotes or an emoji, or run long; bodies that are not an
/// object, or hold the example with one property at a time made too long, a NUL, the wrong type
/// or null. Every answer is a 4xx in the envelope, with a stable code, that the operation
/// documents: never a 5xx, a dropped connection or a plain-text refusal.
async fn hostile_inputs_get_a_documented_4xx_never_a_5xx(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let doc = fetch_document(&app).await;
    let full = key(&app, &admin, "development", json!({ "name": "Full" })).await;
    let api = api(&app);
    let long = "x".repeat(10_000);
    let ids = [
        "%FF".to_owned(),
        "a%00b".to_owned(),
        "'%20OR%20'1'='1".to_owned(),
        "%F0%9F%98%80".to_owned(),
        "z".repeat(2_000),
    ];
    let mut tried = 0;
    for (method, path, operation) in operations(&doc) {
        // `Api::send` reaches the REST API and the identity API beside it.
        if !path.starts_with("/api/v1") && !path.starts_with("/v1/identity/") {
            continue;
        }
        let mut cases: Vec<(String, Option<String>)> = Vec::new();
        let example = request_example(&doc, &operation);
        if path.contains("{id}") {
            for id in &ids {
                let target = path
                    .strip_prefix("/api/v1")
                    .unwrap_or(&path)
                    .replace("{id}", id);
                cases.push((target, example.as_ref().map(Value::to_string)));
            }
        }
        let target = concrete(&path);
        if let Some(example) = &example {
            for body in ["", "[]", "null", "\"x\"", "{}", "{\"a\":"] {
                cases.push((target.clone(), Some(body.to_owned())));
            }
            for field in example
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                for bad in [
                    json!(long),
                    json!("a\u{0}b"),
                    json!(1e308),
                    json!({ "x": [1] }),
                    Value::Null,
                ] {
                    let mut body = example.clone();
                    body[&field] = bad;
                    cases.push((target.clone(), Some(body.to_string())));
                }
            }
        }
        for (target, body) in cases {
            tried += 1;
            let at = format!(
                "{method} {target:.80} {:.120}",
                body.as_deref().unwrap_or("")
            );
            let (status, answer) = api.send(&method, &target, Some(&full), body).await;
            let code = answer["error"]["code"].as_str().unwrap_or_default();
            assert!(
                (400..500).contains(&status) || (200..300).contains(&status),
                "{at}: {status} {answer}"
            );
            if status >= 400 {
                assert!(
                    !code.is_empty(),
                    "{at}: {status} is not an envelope: {answer}"
                );
                assert!(
                    operation["responses"][status.to_string()].is_object(),
                    "{at} answered an undocumented {status}: {answer}"
                );
            }
        }
    }
    assert!(tried > 300, "only {tried} hostile requests were tried");
}
