//! The API reference as the dashboard shows it: operations grouped by tag, each with what a caller
//! needs (scope, parameters, body fields, example, answers). Built on the server from the
//! generated OpenAPI document — the one `GET /api/v1/openapi.json` serves — never written by hand.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    pub description: String,
    /// The header the key goes in (`X-API-Key`).
    pub key_header: String,
    pub groups: Vec<ApiGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiGroup {
    pub tag: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiOperation {
    /// Unique in the document; used as the anchor.
    pub id: String,
    /// Upper case, e.g. `POST`.
    pub method: String,
    /// The full path, e.g. `/api/v1/identities/{id}`.
    pub path: String,
    pub summary: String,
    pub description: String,
    /// The API key scope it needs; `None` with `public` for no key at all.
    pub scope: Option<String>,
    pub public: bool,
    pub parameters: Vec<ApiField>,
    pub body: Option<ApiBody>,
    pub responses: Vec<ApiResponse>,
}

/// A parameter (`location` = path, query, header) or a body field (`location` = body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiField {
    pub name: String,
    pub location: String,
    pub type_label: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiBody {
    pub type_label: String,
    pub fields: Vec<ApiField>,
    /// Pretty-printed JSON.
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub status: String,
    pub description: String,
    pub type_label: Option<String>,
    /// Pretty-printed JSON.
    pub example: Option<String>,
}

impl ApiOperation {
    /// Whether the filter text matches (case-insensitive; empty matches all).
    pub fn matches(&self, tag: &str, filter: &str) -> bool {
        let filter = filter.trim().to_lowercase();
        filter.is_empty()
            || [
                tag,
                &self.method,
                &self.path,
                &self.summary,
                &self.description,
                self.scope.as_deref().unwrap_or(""),
            ]
            .iter()
            .any(|text| text.to_lowercase().contains(&filter))
            || format!("{} {}", self.method, self.path)
                .to_lowercase()
                .contains(&filter)
    }
}

#[cfg(feature = "ssr")]
mod build {
    use super::*;
    use serde_json::Value;

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    fn text(value: &Value, key: &str) -> String {
        value
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// Follows a local `$ref` (`#/components/schemas/Name`), at most a few hops.
    fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
        for _ in 0..8 {
            let Some(pointer) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            match pointer.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn ref_name(schema: &Value) -> Option<&str> {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
    }

    /// A short human label: `IdentityForm`, `string (email)`, `Assignment[]`, `string | null`.
    pub(super) fn type_label(schema: &Value) -> String {
        if let Some(name) = ref_name(schema) {
            return name.to_owned();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                return parts.iter().map(type_label).collect::<Vec<_>>().join(" | ");
            }
        }
        if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return type_label(only);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if values.len() <= 10 {
                return values
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
            return format!("string (one of {} values)", values.len());
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.is_empty() {
            return if schema.get("properties").is_some() || schema.get("allOf").is_some() {
                "object".to_owned()
            } else {
                "any".to_owned()
            };
        }
        types
            .iter()
            .map(|t| match *t {
                "array" => format!(
                    "{}[]",
                    schema
                        .get("items")
                        .map_or_else(|| "any".to_owned(), type_label)
                ),
                "object"
                    if schema
                        .get("additionalProperties")
                        .is_some_and(Value::is_object) =>
                {
                    format!(
                        "map of {}",
                        schema
                            .get("additionalProperties")
                            .map_or_else(|| "any".to_owned(), type_label)
                    )
                }
                other => match schema.get("format").and_then(Value::as_str) {
                    Some(format) if other != "null" => format!("{other} ({format})"),
                    _ => other.to_owned(),
                },
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The fields of an object schema, `allOf` parts (flattened structs) included; the fields of
    /// an object (or list of objects) field follow it once, as `rows[].email`.
    fn fields(doc: &Value, schema: &Value, prefix: &str, out: &mut Vec<ApiField>) {
        let schema = resolve(doc, schema);
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                fields(doc, part, prefix, out);
            }
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                out.push(ApiField {
                    name: format!("{prefix}{name}"),
                    location: "body".to_owned(),
                    type_label: type_label(property),
                    required: required.contains(&name.as_str()),
                    description: text(resolve(doc, property), "description"),
                });
                if prefix.is_empty() {
                    let (inner, suffix) = match property.get("items") {
                        Some(items) => (items, "[]."),
                        None => (property, "."),
                    };
                    if resolve(doc, inner).get("properties").is_some() {
                        fields(doc, inner, &format!("{name}{suffix}"), out);
                    }
                }
            }
        }
    }

    /// The media type's own example, else its schema's.
    fn example(doc: &Value, media: &Value) -> Option<String> {
        let schema = media.get("schema").map(|s| resolve(doc, s));
        let value = media
            .get("example")
            .or_else(|| {
                media
                    .get("examples")
                    .and_then(Value::as_object)
                    .and_then(|named| named.values().next())
                    .and_then(|e| e.get("value"))
            })
            .or_else(|| schema.and_then(|s| s.get("examples")?.as_array()?.first()))
            .or_else(|| schema.and_then(|s| s.get("example")))?;
        serde_json::to_string_pretty(value).ok()
    }

    fn json_media(content: Option<&Value>) -> Option<&Value> {
        let content = content?.as_object()?;
        content
            .get("application/json")
            .or_else(|| content.values().next())
    }

    fn operation(doc: &Value, method: &str, path: &str, op: &Value) -> ApiOperation {
        let security = op.get("security").and_then(Value::as_array);
        let public = security.is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
        });
        let scope = security
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|requirement| requirement.values())
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .next()
            .map(str::to_owned);
        let parameters = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| ApiField {
                name: text(p, "name"),
                location: text(p, "in"),
                type_label: p.get("schema").map_or_else(|| "any".to_owned(), type_label),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                description: text(p, "description"),
            })
            .collect();
        let body = op.get("requestBody").and_then(|body| {
            let media = json_media(body.get("content"))?;
            let schema = media.get("schema")?;
            let mut list = Vec::new();
            fields(doc, schema, "", &mut list);
            Some(ApiBody {
                type_label: type_label(schema),
                fields: list,
                example: example(doc, media),
            })
        });
        let responses = op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(status, response)| {
                let media = json_media(response.get("content"));
                ApiResponse {
                    status: status.clone(),
                    description: text(response, "description"),
                    type_label: media.and_then(|m| m.get("schema")).map(type_label),
                    example: media.and_then(|m| example(doc, m)),
                }
            })
            .collect();
        ApiOperation {
            id: op
                .get("operationId")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{method}{path}"), str::to_owned),
            method: method.to_uppercase(),
            path: path.to_owned(),
            summary: text(op, "summary"),
            description: text(op, "description"),
            scope,
            public,
            parameters,
            body,
            responses,
        }
    }

    impl ApiReference {
        /// The reference of an OpenAPI 3.1 document (as JSON), in the document's order.
        pub fn from_document(doc: &Value) -> ApiReference {
            let mut groups: Vec<ApiGroup> = doc
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|tag| ApiGroup {
                    tag: text(tag, "name"),
                    description: text(tag, "description"),
                    operations: Vec::new(),
                })
                .collect();
            let paths = doc.get("paths").and_then(Value::as_object);
            for (path, item) in paths.into_iter().flatten() {
                for method in METHODS {
                    let Some(op) = item.get(method) else { continue };
                    let tag = op
                        .get("tags")
                        .and_then(Value::as_array)
                        .and_then(|t| t.first())
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_owned();
                    let operation = operation(doc, method, path, op);
                    match groups.iter_mut().find(|g| g.tag == tag) {
                        Some(group) => group.operations.push(operation),
                        None => groups.push(ApiGroup {
                            tag,
                            description: String::new(),
                            operations: vec![operation],
                        }),
                    }
                }
            }
            groups.retain(|g| !g.operations.is_empty());
            let key_header = doc
                .pointer("/components/securitySchemes")
                .and_then(Value::as_object)
                .and_then(|schemes| schemes.values().find_map(|s| s.get("name")))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            ApiReference {
                title: doc
                    .pointer("/info/title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                version: doc
                    .pointer("/info/version")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                description: doc
                    .pointer("/info/description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                key_header,
                groups,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str, scope: Option<&str>) -> ApiOperation {
        ApiOperation {
            id: "x".into(),
            method: method.into(),
            path: path.into(),
            summary: "Create up to 200 identities".into(),
            description: String::new(),
            scope: scope.map(Into::into),
            public: scope.is_none(),
            parameters: Vec::new(),
            body: None,
            responses: Vec::new(),
        }
    }

    #[test]
    fn the_filter_matches_method_and_path_together_or_any_text() {
        let bulk = op(
            "POST",
            "/api/v1/identities/bulk-create",
            Some("identity.manage"),
        );
        assert!(bulk.matches("identities", ""));
        assert!(bulk.matches("identities", "post /api/v1/identities/bulk"));
        assert!(bulk.matches("identities", "IDENTITY.MANAGE"));
        assert!(bulk.matches("identities", "up to 200"));
        assert!(!bulk.matches("identities", "get /api/v1/identities/bulk"));
        assert!(!bulk.matches("identities", "evaluate"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn labels_name_refs_arrays_nullables_and_formats() {
        use serde_json::json;
        let label = build::type_label;
        assert_eq!(
            label(&json!({ "$ref": "#/components/schemas/Identity" })),
            "Identity"
        );
        assert_eq!(
            label(&json!({ "type": "array", "items": { "$ref": "#/components/schemas/Role" } })),
            "Role[]"
        );
        assert_eq!(
            label(&json!({ "type": ["string", "null"] })),
            "string | null"
        );
        assert_eq!(
            label(&json!({ "type": "string", "format": "email" })),
            "string (email)"
        );
        assert_eq!(
            label(
                &json!({ "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Assignment" }] })
            ),
            "null | Assignment"
        );
        assert_eq!(
            label(&json!({ "enum": ["active", "pending"] })),
            "\"active\" | \"pending\""
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_body_lists_its_fields_and_those_of_its_rows_and_the_schema_example() {
        use serde_json::json;
        let doc = json!({
            "tags": [{ "name": "people", "description": "People." }],
            "paths": { "/api/v1/people/bulk": { "post": {
                "tags": ["people"], "summary": "Create people", "operationId": "bulk",
                "security": [{ "api_key": ["people.manage"] }],
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Bulk" } } } },
                "responses": { "200": { "description": "Done." } }
            } } },
            "components": {
                "securitySchemes": { "api_key": { "type": "apiKey", "in": "header", "name": "X-API-Key" } },
                "schemas": {
                    "Bulk": { "type": "object", "required": ["rows"], "example": { "rows": [] },
                        "properties": { "rows": { "type": "array", "items": { "$ref": "#/components/schemas/Person" } } } },
                    "Person": { "type": "object", "required": ["email"], "properties": {
                        "email": { "type": "string", "format": "email", "description": "Where to write." },
                        "name": { "type": ["string", "null"] } } }
                }
            }
        });
        let reference = ApiReference::from_document(&doc);
        assert_eq!(reference.key_header, "X-API-Key");
        let [group] = reference.groups.as_slice() else {
            panic!("{reference:?}")
        };
        let [op] = group.operations.as_slice() else {
            panic!("{group:?}")
        };
        assert_eq!(
            (op.method.as_str(), op.path.as_str()),
            ("POST", "/api/v1/people/bulk")
        );
        assert_eq!(op.scope.as_deref(), Some("people.manage"));
        let body = op.body.as_ref().unwrap_or_else(|| panic!("{op:?}"));
        let fields: Vec<(&str, &str, bool)> = body
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.type_label.as_str(), f.required))
            .collect();
        assert_eq!(
            fields,
            [
                ("rows", "Person[]", true),
                ("rows[].email", "string (email)", true),
                ("rows[].name", "string | null", false)
            ]
        );
        assert_eq!(body.example.as_deref(), Some("{\n  \"rows\": []\n}"));
        assert_eq!(op.responses[0].status, "200");
    }
}
