//! What the request bodies' strings must look like, stated in the OpenAPI document from the
//! validators' own limits — so a client generated from the document sends only strings the
//! server accepts. utoipa takes a `pattern` only as a literal on each field, which would copy
//! every rule into dozens of attributes; instead one table names the rule of each request field
//! and [`state`] writes `minLength`/`maxLength`/`pattern`/`format` into the finished document.
//! The document may be stricter than the validator (a client that follows it is always
//! accepted), never looser: `server/tests/it/openapi.rs` checks that every string a request
//! body takes has a rule here, and the generated-request test holds the rules to the server.

use app::model::{
    EXTERNAL_ID_MAX, Email, IdentityPassword, NodeForm, PermissionForm, PermissionKey, PersonName,
    RoleForm, Slug,
};
use serde_json::{Value, json};

/// No control character (Rust's `char::is_control`: U+0000–U+001F, U+007F–U+009F).
const NO_CONTROL: &str = r"[^\x00-\x1F\x7F-\x9F]";
/// …and also no line break exception: free text may hold `\n`.
const NO_CONTROL_BUT_NEWLINE: &str = r"[^\x00-\x09\x0B-\x1F\x7F-\x9F]";

#[derive(Clone, Copy)]
enum Rule {
    /// Trimmed, 1 to `max` characters, no control characters.
    Name(usize),
    /// Trimmed, at most `max` characters, no control characters but line breaks; may be empty.
    Text(usize),
    /// `local@domain.tld`, no whitespace, at most 254 characters.
    Email,
    /// 2–8 dot-separated segments of `[a-z][a-z0-9_]*`.
    PermissionKey,
    /// A new password: `min` to `max` characters, not on the common list (documented as the
    /// operation's `password_too_common`).
    Password { min: usize, max: usize },
    /// A password given at creation: empty (none) or a new password.
    OptionalPassword { min: usize, max: usize },
    /// A password to check, as typed: not empty.
    Secret,
    /// An account's address slug.
    Slug,
    /// An id Arbor issued (a UUID).
    Id,
    /// A link's token: 32 random bytes, base64url without padding.
    Token,
    /// RFC 3339 with an offset (the server also reads `YYYY-MM-DDTHH:MM` as UTC).
    Time,
    /// `active` or `inactive`.
    ActiveStatus,
    /// A hash from another system in PHC form, or bcrypt.
    PasswordHash,
}

/// (component, property, rule): every string property of every request body.
const FIELDS: &[(&str, &str, Rule)] = &[
    (
        "AcceptInviteRequest",
        "first_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    (
        "AcceptInviteRequest",
        "last_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    ("AcceptInviteRequest", "password", IDENTITY_PASSWORD),
    ("AcceptInviteRequest", "token", Rule::Token),
    ("AssignmentIdsRequest", "role_id", Rule::Id),
    ("AssignmentIdsRequest", "assignment_ids", Rule::Id),
    ("ChangePasswordRequest", "current_password", Rule::Secret),
    ("ChangePasswordRequest", "new_password", IDENTITY_PASSWORD),
    ("CreateAssignmentRequest", "effective_from", Rule::Time),
    ("CreateAssignmentRequest", "effective_to", Rule::Time),
    ("CreateAssignmentRequest", "identity_id", Rule::Id),
    ("CreateAssignmentRequest", "node_id", Rule::Id),
    ("CreateAssignmentRequest", "role_id", Rule::Id),
    ("CreateIdentityInviteRequest", "email", Rule::Email),
    (
        "CreateIdentityInviteRequest",
        "first_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    (
        "CreateIdentityInviteRequest",
        "last_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    ("CreateIdentityInviteRequest", "node_id", Rule::Id),
    ("CreateIdentityInviteRequest", "role_id", Rule::Id),
    ("CreateIdentityRequest", "email", Rule::Email),
    (
        "CreateIdentityRequest",
        "external_id",
        Rule::Text(EXTERNAL_ID_MAX),
    ),
    (
        "CreateIdentityRequest",
        "first_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    (
        "CreateIdentityRequest",
        "last_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    ("CreateIdentityRequest", "node_id", Rule::Id),
    ("CreateIdentityRequest", "role_id", Rule::Id),
    (
        "CreateIdentityRequest",
        "password",
        Rule::OptionalPassword {
            min: IdentityPassword::MIN_LEN,
            max: IdentityPassword::MAX_LEN,
        },
    ),
    ("CreateIdentityRequest", "password_hash", Rule::PasswordHash),
    ("CreateNodeRequest", "name", Rule::Name(NodeForm::NAME_MAX)),
    (
        "CreateNodeRequest",
        "node_type",
        Rule::Name(NodeForm::NAME_MAX),
    ),
    ("CreateNodeRequest", "parent_node_id", Rule::Id),
    ("CreateRoleRequest", "name", Rule::Name(RoleForm::NAME_MAX)),
    (
        "CreateRoleRequest",
        "description",
        Rule::Text(RoleForm::DESCRIPTION_MAX),
    ),
    ("EmailRequest", "account_slug", Rule::Slug),
    ("EmailRequest", "email", Rule::Email),
    ("EvaluatePermissionRequest", "identity_id", Rule::Id),
    ("EvaluatePermissionRequest", "node_id", Rule::Id),
    (
        "EvaluatePermissionRequest",
        "permission",
        Rule::PermissionKey,
    ),
    ("IdentityLoginRequest", "account_slug", Rule::Slug),
    ("IdentityLoginRequest", "email", Rule::Email),
    ("IdentityLoginRequest", "password", Rule::Secret),
    ("InviteToken", "token", Rule::Token),
    ("MoveNodeRequest", "parent_node_id", Rule::Id),
    ("NewPermission", "key", Rule::PermissionKey),
    (
        "NewPermission",
        "description",
        Rule::Text(PermissionForm::DESCRIPTION_MAX),
    ),
    (
        "NewPermission",
        "category",
        Rule::Text(PermissionForm::CATEGORY_MAX),
    ),
    ("ResetPasswordRequest", "password", IDENTITY_PASSWORD),
    ("ResetPasswordRequest", "token", Rule::Token),
    ("SelectApplicationRequest", "account_id", Rule::Id),
    ("SelectApplicationRequest", "application_id", Rule::Id),
    (
        "SetRolePermissionsRequest",
        "permission_keys",
        Rule::PermissionKey,
    ),
    ("TokenRequest", "token", Rule::Token),
    ("UpdateAssignmentRequest", "effective_from", Rule::Time),
    ("UpdateAssignmentRequest", "effective_to", Rule::Time),
    ("UpdateAssignmentRequest", "role_id", Rule::Id),
    (
        "UpdateIdentityRequest",
        "first_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    (
        "UpdateIdentityRequest",
        "last_name",
        Rule::Name(PersonName::MAX_LEN),
    ),
    ("UpdateNodeRequest", "name", Rule::Name(NodeForm::NAME_MAX)),
    ("UpdateNodeRequest", "status", Rule::ActiveStatus),
    (
        "UpdatePermissionRequest",
        "description",
        Rule::Text(PermissionForm::DESCRIPTION_MAX),
    ),
    (
        "UpdatePermissionRequest",
        "category",
        Rule::Text(PermissionForm::CATEGORY_MAX),
    ),
    ("UpdateRoleRequest", "name", Rule::Name(RoleForm::NAME_MAX)),
    (
        "UpdateRoleRequest",
        "description",
        Rule::Text(RoleForm::DESCRIPTION_MAX),
    ),
];

const IDENTITY_PASSWORD: Rule = Rule::Password {
    min: IdentityPassword::MIN_LEN,
    max: IdentityPassword::MAX_LEN,
};

impl Rule {
    /// The JSON Schema keywords of the rule.
    fn keywords(self) -> Value {
        match self {
            Rule::Name(max) => json!({
                "minLength": 1,
                "maxLength": max,
                "pattern": format!("^{NO_CONTROL}*[^\\s\\x00-\\x1F\\x7F-\\x9F]{NO_CONTROL}*$"),
            }),
            Rule::Text(max) => json!({
                "maxLength": max,
                "pattern": format!("^{NO_CONTROL_BUT_NEWLINE}*$"),
            }),
            Rule::Email => json!({
                "format": "email",
                "minLength": 3,
                "maxLength": Email::MAX_LEN,
                "pattern": r"^[^\s@\x00-\x1F\x7F-\x9F]+@[^\s@.\x00-\x1F\x7F-\x9F]+(\.[^\s@.\x00-\x1F\x7F-\x9F]+)+$",
            }),
            Rule::PermissionKey => json!({
                "minLength": 3,
                "maxLength": PermissionKey::MAX_LEN,
                "pattern": format!(
                    "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){{{},{}}}$",
                    PermissionKey::MIN_SEGMENTS - 1,
                    PermissionKey::MAX_SEGMENTS - 1
                ),
            }),
            Rule::Password { min, max } => json!({ "minLength": min, "maxLength": max }),
            Rule::OptionalPassword { min, max } => json!({
                "maxLength": max,
                "pattern": format!("^$|^[\\s\\S]{{{min},}}$"),
            }),
            Rule::Secret => json!({ "minLength": 1, "maxLength": 1024 }),
            Rule::Slug => json!({
                "minLength": 1,
                "maxLength": Slug::MAX_LEN,
                "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
            }),
            Rule::Id => json!({ "format": "uuid", "minLength": 36, "maxLength": 36 }),
            Rule::Token => {
                json!({ "minLength": 43, "maxLength": 43, "pattern": "^[A-Za-z0-9_-]{43}$" })
            }
            Rule::Time => json!({ "format": "date-time" }),
            Rule::ActiveStatus => json!({ "enum": ["active", "inactive", null] }),
            Rule::PasswordHash => json!({
                "maxLength": 1024,
                "pattern": r"^\$(argon2id|argon2i|scrypt|pbkdf2-sha256|2[abxy])\$\S+$",
            }),
        }
    }
}

/// Writes every rule of [`FIELDS`] into the document's component schemas (into an array's
/// items for a list of strings). A field the document no longer has is skipped here and
/// reported by the contract test.
pub fn state(document: &mut Value) {
    for (component, property, rule) in FIELDS {
        let pointer = format!("/components/schemas/{component}/properties/{property}");
        let Some(schema) = document.pointer_mut(&pointer) else {
            continue;
        };
        let target = match schema.get_mut("items") {
            Some(items) => items,
            None => schema,
        };
        if let (Some(target), Value::Object(keywords)) = (target.as_object_mut(), rule.keywords()) {
            target.extend(keywords);
        }
    }
}
