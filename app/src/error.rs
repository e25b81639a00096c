//! The one error type that crosses every boundary: services return it, server functions carry it
//! typed to the browser, and the REST layer renders it as the JSON error envelope.
//!
//! Every variant has a stable `domain.reason` code (`AppError::code`); `docs/errors.md` lists them
//! all and a test keeps that catalog complete.

use serde::{Deserialize, Serialize};

/// One problem with one input field, shown next to that field in a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "field": "email", "rule": "invalid", "message": "Enter a valid email address." })))]
pub struct FieldError {
    /// The input's name as the wire knows it (`email`, `first_name`, ...).
    pub field: String,
    /// A stable machine code for the rule that failed (`too_long`, `invalid`, ...).
    pub rule: String,
    /// A sentence a person understands.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

/// What kind of thing was not found, for a `*.not_found` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Account,
    Application,
    Environment,
    Permission,
    Role,
    Node,
    Identity,
    Assignment,
    Membership,
    ApiKey,
    Invite,
    Endpoint,
    MailMessage,
    AuditEvent,
    Session,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// One or more inputs broke a validation rule; nothing was written.
    #[error("Some fields need attention.")]
    Validation { errors: Vec<FieldError> },
    /// No valid session (or it expired).
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Wrong email or password — deliberately the same answer for both.
    #[error("Incorrect email or password.")]
    InvalidCredentials,
    /// Too many failed sign-ins for this email or address.
    #[error("Too many sign-in attempts. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Signed in, but the account role does not grant `permission` (a viewer changing something).
    #[error("Your role in this account does not allow this (it needs {permission}).")]
    Forbidden { permission: String },
    /// A state-changing request came from another site.
    #[error("This request came from another site and was refused.")]
    CrossOrigin,
    /// An admin with this email already exists.
    #[error("An account with this email already exists. Sign in instead.")]
    AdminEmailTaken,
    /// The change would leave the Account without an owner (demoting or removing the last one).
    #[error("An account needs at least one owner. Make another admin an owner first.")]
    LastOwner,
    /// The email already belongs to an admin of this Account.
    #[error("This person is already an admin of this account.")]
    AdminAlreadyMember,
    /// The signed-in admin has not confirmed their email address yet, and this needs it
    /// (decisions.md › Admin account security).
    #[error(
        "Confirm your email address first: use the link we emailed you (or resend it from the banner)."
    )]
    AdminEmailUnverified,
    /// The thing asked for does not exist, or is not visible to the caller.
    #[error("{} not found.", resource_label(*resource))]
    NotFound { resource: Resource },
    /// A permission with this key already exists in the environment.
    #[error("A permission with the key {key} already exists in this environment.")]
    PermissionKeyTaken { key: String },
    /// A role with this name (ignoring case) already exists in the environment.
    #[error("A role named \"{name}\" already exists in this environment.")]
    RoleNameTaken { name: String },
    /// Built-in (system) permissions and roles cannot be changed or deleted.
    #[error("Built-in items cannot be changed or deleted.")]
    SystemItemReadOnly,
    /// A change the hierarchy's rules forbid (schema, depth, parent type, cycle, flat mode).
    #[error("{message}")]
    HierarchyRule { message: String },
    /// A node with children cannot be deleted.
    #[error("This node has child nodes. Move or delete them first.")]
    NodeHasChildren,
    /// A node with assignments is only deleted with `cascade`.
    #[error("{count} role assignment(s) sit on this node. Delete with cascade to remove them too.")]
    NodeHasAssignments { count: i64 },
    /// The identity has no active membership in the environment's application.
    #[error(
        "This identity is not an active member of this application. Add it to the application first."
    )]
    MembershipRequired,
    /// System roles are for platform administration, not identities.
    #[error("System roles are reserved for platform administration and cannot be assigned.")]
    SystemRoleNotAssignable,
    /// Inactive roles cannot be newly assigned.
    #[error("This role is inactive. Activate it before assigning it.")]
    RoleInactive,
    /// The identity already has this role at this node.
    #[error("Identity already has this role at this node.")]
    AssignmentConflict,
    /// The email already belongs to a member of this application.
    #[error("Email already exists in this Application.")]
    IdentityEmailTaken,
    /// The email belongs to an identity of the account that is not in this application (yet).
    #[error(
        "This email belongs to an identity in your account that is not in this application. Add it to this application instead."
    )]
    IdentityExistsInAccount { identity_id: String },
    /// Another identity of the account has this external id.
    #[error("Another identity in this account already has this external id.")]
    ExternalIdTaken,
    /// An identity's password is on the common-password list; `errors` lists it with every other
    /// field problem of the same input (as `Validation` would). Nothing was written.
    #[error("This password is too common. Choose one that is harder to guess.")]
    PasswordTooCommon { errors: Vec<FieldError> },
    /// The identity is already an active member of the application.
    #[error("This identity is already a member of this application.")]
    AlreadyMember,
    /// A pending invite for this email already exists in this environment (or at the Account
    /// tier): resend it rather than send a second link.
    #[error("A pending invite for this email already exists. Resend it instead.")]
    InvitePendingExists { invite_id: String },
    /// Resend and revoke act on pending invites only.
    #[error("Invite is no longer pending.")]
    InviteNotPending,
    /// The invite link's seven days are over.
    #[error("This invite has expired. Ask the person who invited you to send a new one.")]
    InviteExpired,
    /// The invite was withdrawn.
    #[error("This invite was revoked. Ask the person who invited you if you still need access.")]
    InviteRevoked,
    /// The invite was already accepted; its link works once.
    #[error("This invite was already accepted. Sign in instead.")]
    InviteAlreadyAccepted,
    /// No invite has this token: mistyped, cut short, or replaced by a resend.
    #[error(
        "This invite link is not valid. It may have been replaced by a newer invite; use the latest link you received."
    )]
    InviteInvalid,
    /// An API request without `X-API-Key`.
    #[error("Send your API key in the X-API-Key header.")]
    ApiKeyMissing,
    /// No key like this exists (or it was malformed).
    #[error("This API key is not valid.")]
    ApiKeyInvalid,
    /// The key was valid until its expiration date.
    #[error("This API key has expired. Create a new one.")]
    ApiKeyExpired,
    /// The key was revoked.
    #[error("This API key was revoked.")]
    ApiKeyRevoked,
    /// A scoped key without the management permission the request needs.
    #[error("This API key lacks the {scope} permission.")]
    ScopeMissing { scope: String },
    /// The API key sent more requests than its rate limit allows.
    #[error("Too many requests for this API key. Retry in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// An `Idempotency-Key` reused within 24 hours for a different request body.
    #[error("This Idempotency-Key was already used with a different request. Use a new key.")]
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still being processed.
    #[error("A request with this Idempotency-Key is still being processed. Retry in a moment.")]
    IdempotencyInProgress,
    /// The row changed since the caller read it.
    #[error("This item was changed by someone else. Refresh and try again.")]
    VersionConflict,
    /// A change of a versioned item came without `If-Match` (the version the caller read).
    #[error("Send If-Match with the version you read (the ETag of the item) to change it.")]
    PreconditionRequired,
    /// The request body is larger than the API accepts.
    #[error("The request body is too large (at most {limit_bytes} bytes).")]
    PayloadTooLarge { limit_bytes: u64 },
    /// The path exists under `/api/`, but not with this method; `Allow` lists the ones it takes.
    #[error("This endpoint does not answer {method}. The Allow header lists the methods it takes.")]
    MethodNotAllowed { method: String },
    /// The request could not be decoded (bad encoding, missing arguments).
    #[error("The request was malformed: {detail}")]
    BadRequest { detail: String },
    /// The identity's password is right but it was deactivated (the Account-wide kill switch).
    #[error("This sign-in is deactivated. Contact the administrator of this account.")]
    IdentityInactive,
    /// The identity's password is right but it is an active member of no application.
    #[error("You do not have access to any application of this account yet.")]
    NoApplicationAccess,
    /// Too many consecutive failed sign-ins for this identity: locked until the time passes.
    #[error(
        "Too many failed sign-ins. Sign-in is locked; try again in {retry_after_secs} seconds or reset your password."
    )]
    IdentityLocked { retry_after_secs: u64 },
    /// The session must choose an application (`select-application`) before anything else.
    #[error("Choose an application first.")]
    ApplicationSelectionRequired,
    /// The session may only change the password until it has (an admin required a new one).
    #[error("You must choose a new password before you continue.")]
    PasswordChangeRequired,
    /// An emailed link's token that was never issued (or was replaced by a newer one).
    #[error("This link is not valid. It may have been mistyped or replaced by a newer one.")]
    TokenInvalid,
    /// An emailed link's token past its lifetime.
    #[error("This link has expired. Ask for a new one.")]
    TokenExpired,
    /// An emailed link's token that was already used.
    #[error("This link was already used. Ask for a new one if you still need it.")]
    TokenUsed,
    /// Verification asked for an identity whose email is already verified.
    #[error("This email address is already verified.")]
    EmailAlreadyVerified,
    /// An account keeps at least one application.
    #[error("This is the account's only application. Create another one before deleting it.")]
    LastApplication,
    /// An application keeps at least one environment.
    #[error("This is the application's only environment. Create another one before deleting it.")]
    LastEnvironment,
    /// The application's default environment cannot be deleted.
    #[error("This is the application's default environment. Make another one the default first.")]
    DefaultEnvironment,
    /// Too many costly unauthenticated requests (sign-up, sign-in, forgot-password, accepting an
    /// invite) from one client address.
    #[error("Too many requests from your network. Retry in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    /// The request ran past `ARBOR_REQUEST_TIMEOUT` and was stopped.
    #[error("The request took too long and was stopped. Please try again.")]
    Timeout,
    /// The database could not be reached, or its connection was lost while the request ran (it
    /// is restarting, or the network to it failed). Nothing uncommitted was kept; retry.
    #[error("The database is unavailable for a moment. Please try again.")]
    DatabaseUnavailable,
    /// Something failed on our side; the details are in the server log under this id.
    #[error("Something went wrong on our side (reference {reference}). Please try again.")]
    Internal { reference: String },
}

fn resource_label(resource: Resource) -> &'static str {
    match resource {
        Resource::Account => "Account",
        Resource::Application => "Application",
        Resource::Environment => "Environment",
        Resource::Permission => "Permission",
        Resource::Role => "Role",
        Resource::Node => "Node",
        Resource::Identity => "Identity",
        Resource::Assignment => "Assignment",
        Resource::Membership => "Membership",
        Resource::ApiKey => "API key",
        Resource::Invite => "Invite",
        Resource::Endpoint => "Endpoint",
        Resource::MailMessage => "Message",
        Resource::AuditEvent => "Audit event",
        Resource::Session => "Session",
    }
}

impl AppError {
    /// A NUL character (U+0000) in text: PostgreSQL's text cannot hold one, so it is refused as
    /// malformed wherever it is met (`edge::refuse_nul`, or the database's own refusal).
    pub fn nul_in_text() -> AppError {
        AppError::BadRequest {
            detail: "text may not contain the NUL character (U+0000)".into(),
        }
    }

    /// The stable `domain.reason` code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation.invalid_input",
            AppError::Unauthenticated => "auth.unauthenticated",
            AppError::InvalidCredentials => "auth.invalid_credentials",
            AppError::TooManyAttempts { .. } => "auth.too_many_attempts",
            AppError::Forbidden { .. } => "auth.forbidden",
            AppError::CrossOrigin => "auth.cross_origin",
            AppError::AdminEmailTaken => "admins.email_taken",
            AppError::LastOwner => "admins.last_owner",
            AppError::AdminAlreadyMember => "admins.already_member",
            AppError::AdminEmailUnverified => "admins.email_unverified",
            AppError::NotFound { resource } => match resource {
                Resource::Account => "accounts.not_found",
                Resource::Application => "applications.not_found",
                Resource::Environment => "environments.not_found",
                Resource::Permission => "permissions.not_found",
                Resource::Role => "roles.not_found",
                Resource::Node => "nodes.not_found",
                Resource::Identity => "identities.not_found",
                Resource::Assignment => "assignments.not_found",
                Resource::Membership => "memberships.not_found",
                Resource::ApiKey => "api_keys.not_found",
                Resource::Invite => "invites.not_found",
                Resource::Endpoint => "request.unknown_endpoint",
                Resource::MailMessage => "mail.not_found",
                Resource::AuditEvent => "audit.not_found",
                Resource::Session => "sessions.not_found",
            },
            AppError::MembershipRequired => "assignments.membership_required",
            AppError::IdentityEmailTaken => "identities.email_taken",
            AppError::IdentityExistsInAccount { .. } => "identities.exists_in_account",
            AppError::ExternalIdTaken => "identities.external_id_taken",
            AppError::PasswordTooCommon { .. } => "identities.password_too_common",
            AppError::AlreadyMember => "memberships.already_active",
            AppError::InvitePendingExists { .. } => "invites.pending_exists",
            AppError::InviteNotPending => "invites.not_pending",
            AppError::InviteExpired => "invites.expired",
            AppError::InviteRevoked => "invites.revoked",
            AppError::InviteAlreadyAccepted => "invites.already_accepted",
            AppError::InviteInvalid => "invites.invalid_token",
            AppError::ApiKeyMissing => "api_keys.missing",
            AppError::ApiKeyInvalid => "api_keys.invalid",
            AppError::ApiKeyExpired => "api_keys.expired",
            AppError::ApiKeyRevoked => "api_keys.revoked",
            AppError::ScopeMissing { .. } => "api_keys.scope_missing",
            AppError::IdempotencyKeyReused => "idempotency.key_reused",
            AppError::RateLimited { .. } => "api_keys.rate_limited",
            AppError::IdempotencyInProgress => "idempotency.in_progress",
            AppError::SystemRoleNotAssignable => "rbac.system_role_not_assignable",
            AppError::RoleInactive => "rbac.role_inactive",
            AppError::AssignmentConflict => "rbac.assignment_conflict",
            AppError::HierarchyRule { .. } => "hierarchy.rule_violation",
            AppError::NodeHasChildren => "nodes.has_children",
            AppError::NodeHasAssignments { .. } => "nodes.has_assignments",
            AppError::PermissionKeyTaken { .. } => "permissions.key_taken",
            AppError::RoleNameTaken { .. } => "roles.name_taken",
            AppError::SystemItemReadOnly => "rbac.system_item_readonly",
            AppError::VersionConflict => "common.version_conflict",
            AppError::PreconditionRequired => "request.precondition_required",
            AppError::MethodNotAllowed { .. } => "request.method_not_allowed",
            AppError::BadRequest { .. } => "request.malformed",
            AppError::PayloadTooLarge { .. } => "request.too_large",
            AppError::IdentityInactive => "identity_auth.identity_inactive",
            AppError::NoApplicationAccess => "identity_auth.no_application",
            AppError::IdentityLocked { .. } => "identity_auth.locked",
            AppError::ApplicationSelectionRequired => {
                "identity_auth.application_selection_required"
            }
            AppError::PasswordChangeRequired => "identity_auth.password_change_required",
            AppError::TokenInvalid => "identity_auth.token_invalid",
            AppError::TokenExpired => "identity_auth.token_expired",
            AppError::TokenUsed => "identity_auth.token_used",
            AppError::EmailAlreadyVerified => "identities.email_already_verified",
            AppError::LastApplication => "applications.last_application",
            AppError::LastEnvironment => "environments.last_environment",
            AppError::DefaultEnvironment => "environments.is_default",
            AppError::TooManyRequests { .. } => "request.rate_limited",
            AppError::Timeout => "request.timeout",
            AppError::DatabaseUnavailable => "database.unavailable",
            AppError::Internal { .. } => "internal.unexpected",
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. }
            | AppError::PasswordTooCommon { .. }
            | AppError::BadRequest { .. }
            | AppError::HierarchyRule { .. }
            | AppError::SystemRoleNotAssignable
            | AppError::RoleInactive
            | AppError::TokenInvalid
            | AppError::InviteNotPending => 400,
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::ApiKeyMissing
            | AppError::ApiKeyInvalid
            | AppError::ApiKeyExpired
            | AppError::ApiKeyRevoked => 401,
            AppError::Forbidden { .. }
            | AppError::CrossOrigin
            | AppError::SystemItemReadOnly
            | AppError::ScopeMissing { .. }
            | AppError::IdentityInactive
            | AppError::NoApplicationAccess
            | AppError::ApplicationSelectionRequired
            | AppError::PasswordChangeRequired
            | AppError::AdminEmailUnverified => 403,
            AppError::TokenExpired
            | AppError::TokenUsed
            | AppError::InviteExpired
            | AppError::InviteRevoked
            | AppError::InviteAlreadyAccepted => 410,
            AppError::NotFound { .. } | AppError::InviteInvalid => 404,
            AppError::AdminEmailTaken
            | AppError::LastOwner
            | AppError::AdminAlreadyMember
            | AppError::VersionConflict
            | AppError::PermissionKeyTaken { .. }
            | AppError::RoleNameTaken { .. }
            | AppError::NodeHasChildren
            | AppError::NodeHasAssignments { .. }
            | AppError::MembershipRequired
            | AppError::AssignmentConflict
            | AppError::IdentityEmailTaken
            | AppError::IdentityExistsInAccount { .. }
            | AppError::ExternalIdTaken
            | AppError::AlreadyMember
            | AppError::InvitePendingExists { .. }
            | AppError::IdempotencyInProgress
            | AppError::EmailAlreadyVerified
            | AppError::LastApplication
            | AppError::LastEnvironment
            | AppError::DefaultEnvironment => 409,
            AppError::IdempotencyKeyReused => 422,
            AppError::MethodNotAllowed { .. } => 405,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::PreconditionRequired => 428,
            AppError::TooManyAttempts { .. }
            | AppError::RateLimited { .. }
            | AppError::IdentityLocked { .. }
            | AppError::TooManyRequests { .. } => 429,
            AppError::Timeout | AppError::DatabaseUnavailable => 503,
            AppError::Internal { .. } => 500,
        }
    }

    /// The message for one form field, if this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation { errors } | AppError::PasswordTooCommon { errors } => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            AppError::AdminEmailTaken | AppError::AdminAlreadyMember if field == "email" => {
                Some(self.to_string())
            }
            AppError::PermissionKeyTaken { .. } if field == "key" => Some(self.to_string()),
            AppError::RoleNameTaken { .. } if field == "name" => Some(self.to_string()),
            AppError::IdentityEmailTaken
            | AppError::IdentityExistsInAccount { .. }
            | AppError::InvitePendingExists { .. }
                if field == "email" =>
            {
                Some(self.to_string())
            }
            AppError::ExternalIdTaken if field == "external_id" => Some(self.to_string()),
            _ => None,
        }
    }

    /// Whether the error belongs next to a field rather than in a page-level alert.
    pub fn is_field_error(&self) -> bool {
        matches!(
            self,
            AppError::Validation { .. }
                | AppError::PasswordTooCommon { .. }
                | AppError::AdminEmailTaken
                | AppError::AdminAlreadyMember
                | AppError::PermissionKeyTaken { .. }
                | AppError::RoleNameTaken { .. }
                | AppError::IdentityEmailTaken
                | AppError::IdentityExistsInAccount { .. }
                | AppError::ExternalIdTaken
                | AppError::InvitePendingExists { .. }
        )
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        AppError::Validation { errors }
    }

    /// The field problems of an identity's input (a create form, a bulk row): a password on the
    /// common list gets its own code (`identities.password_too_common`), anything else is
    /// `validation.invalid_input`. Admin passwords keep the generic code: they are not identities.
    pub fn identity_input(errors: Vec<FieldError>) -> Self {
        if errors
            .iter()
            .any(|e| e.field == "password" && e.rule == "too_common")
        {
            AppError::PasswordTooCommon { errors }
        } else {
            AppError::Validation { errors }
        }
    }

    /// Every code, for the catalog test and documentation.
    pub const ALL_CODES: &'static [&'static str] = &[
        "validation.invalid_input",
        "auth.unauthenticated",
        "auth.invalid_credentials",
        "auth.too_many_attempts",
        "auth.forbidden",
        "auth.cross_origin",
        "admins.email_taken",
        "admins.last_owner",
        "admins.already_member",
        "admins.email_unverified",
        "accounts.not_found",
        "applications.not_found",
        "environments.not_found",
        "permissions.not_found",
        "roles.not_found",
        "nodes.not_found",
        "hierarchy.rule_violation",
        "nodes.has_children",
        "nodes.has_assignments",
        "identities.not_found",
        "assignments.not_found",
        "memberships.not_found",
        "api_keys.not_found",
        "invites.not_found",
        "request.unknown_endpoint",
        "assignments.membership_required",
        "rbac.system_role_not_assignable",
        "rbac.role_inactive",
        "rbac.assignment_conflict",
        "permissions.key_taken",
        "roles.name_taken",
        "rbac.system_item_readonly",
        "identities.email_taken",
        "identities.exists_in_account",
        "identities.external_id_taken",
        "identities.password_too_common",
        "memberships.already_active",
        "invites.pending_exists",
        "invites.not_pending",
        "invites.expired",
        "invites.revoked",
        "invites.already_accepted",
        "invites.invalid_token",
        "api_keys.missing",
        "api_keys.invalid",
        "api_keys.expired",
        "api_keys.revoked",
        "api_keys.scope_missing",
        "idempotency.key_reused",
        "idempotency.in_progress",
        "api_keys.rate_limited",
        "common.version_conflict",
        "request.precondition_required",
        "request.method_not_allowed",
        "request.malformed",
        "request.too_large",
        "identity_auth.identity_inactive",
        "identity_auth.no_application",
        "identity_auth.locked",
        "identity_auth.application_selection_required",
        "identity_auth.password_change_required",
        "identity_auth.token_invalid",
        "identity_auth.token_expired",
        "identity_auth.token_used",
        "identities.email_already_verified",
        "applications.last_application",
        "environments.last_environment",
        "environments.is_default",
        "request.rate_limited",
        "request.timeout",
        "database.unavailable",
        "sessions.not_found",
        "internal.unexpected",
    ];
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::BadRequest {
            detail: value.to_string(),
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an unexpected failure with a fresh reference id and returns the opaque error shown to
    /// the caller; internals never leave the server.
    /// The reference is the request's `x-request-id` when there is one (so the answer, the
    /// request log and this line share it), else a fresh one.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let reference = crate::services::request_id::current().unwrap_or_else(|| {
            uuid::Uuid::now_v7()
                .simple()
                .to_string()
                .chars()
                .skip(20)
                .collect()
        });
        tracing::error!(%reference, context, error = %err, "unexpected failure");
        AppError::Internal { reference }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if database_unreachable(&err) {
            // Not a fault of ours: the database is restarting or the way to it failed. The pool
            // reconnects by itself; the caller is told to retry (503), not that Arbor failed.
            tracing::warn!(error = %err, "database unavailable");
            return AppError::DatabaseUnavailable;
        }
        // A NUL in text that reached PostgreSQL past the edge's check (`refuse_nul`), say from a
        // caller inside the process: the input's fault, not ours.
        if let sqlx::Error::Database(e) = &err
            && e.code().as_deref() == Some(NUL_IN_TEXT)
        {
            return AppError::nul_in_text();
        }
        AppError::internal("database", err)
    }
}

/// PostgreSQL's SQLSTATE for text its encoding cannot hold (`character_not_in_repertoire`),
/// which a NUL is in every encoding.
#[cfg(feature = "ssr")]
const NUL_IN_TEXT: &str = "22021";

/// A failure to reach the database rather than a failure of the statement: no connection could
/// be had in time, the connection broke, or PostgreSQL said it is shutting down or not accepting
/// connections yet (SQLSTATE classes 08 "connection exception" and 57P "operator intervention").
#[cfg(feature = "ssr")]
pub fn database_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<AppError> {
        vec![
            AppError::Validation { errors: vec![] },
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::TooManyAttempts {
                retry_after_secs: 1,
            },
            AppError::Forbidden {
                permission: "role.manage".into(),
            },
            AppError::CrossOrigin,
            AppError::AdminEmailTaken,
            AppError::LastOwner,
            AppError::AdminAlreadyMember,
            AppError::AdminEmailUnverified,
            AppError::NotFound {
                resource: Resource::Account,
            },
            AppError::NotFound {
                resource: Resource::Application,
            },
            AppError::NotFound {
                resource: Resource::Environment,
            },
            AppError::NotFound {
                resource: Resource::Permission,
            },
            AppError::NotFound {
                resource: Resource::Role,
            },
            AppError::NotFound {
                resource: Resource::Node,
            },
            AppError::HierarchyRule {
                message: "m".into(),
            },
            AppError::NodeHasChildren,
            AppError::NodeHasAssignments { count: 1 },
            AppError::NotFound {
                resource: Resource::Identity,
            },
            AppError::NotFound {
                resource: Resource::Assignment,
            },
            AppError::NotFound {
                resource: Resource::Membership,
            },
            AppError::NotFound {
                resource: Resource::ApiKey,
            },
            AppError::NotFound {
                resource: Resource::Invite,
            },
            AppError::NotFound {
                resource: Resource::Endpoint,
            },
            AppError::MembershipRequired,
            AppError::SystemRoleNotAssignable,
            AppError::RoleInactive,
            AppError::AssignmentConflict,
            AppError::PermissionKeyTaken { key: "a.b".into() },
            AppError::RoleNameTaken {
                name: "Admin".into(),
            },
            AppError::SystemItemReadOnly,
            AppError::IdentityEmailTaken,
            AppError::IdentityExistsInAccount {
                identity_id: "i".into(),
            },
            AppError::ExternalIdTaken,
            AppError::PasswordTooCommon { errors: vec![] },
            AppError::AlreadyMember,
            AppError::InvitePendingExists {
                invite_id: "v".into(),
            },
            AppError::InviteNotPending,
            AppError::InviteExpired,
            AppError::InviteRevoked,
            AppError::InviteAlreadyAccepted,
            AppError::InviteInvalid,
            AppError::ApiKeyMissing,
            AppError::ApiKeyInvalid,
            AppError::ApiKeyExpired,
            AppError::ApiKeyRevoked,
            AppError::ScopeMissing {
                scope: "identity.manage".into(),
            },
            AppError::IdempotencyKeyReused,
            AppError::IdempotencyInProgress,
            AppError::RateLimited {
                retry_after_secs: 1,
            },
            AppError::VersionConflict,
            AppError::PreconditionRequired,
            AppError::MethodNotAllowed {
                method: "PUT".into(),
            },
            AppError::BadRequest { detail: "x".into() },
            AppError::PayloadTooLarge { limit_bytes: 1 },
            AppError::IdentityInactive,
            AppError::NoApplicationAccess,
            AppError::IdentityLocked {
                retry_after_secs: 1,
            },
            AppError::ApplicationSelectionRequired,
            AppError::PasswordChangeRequired,
            AppError::TokenInvalid,
            AppError::TokenExpired,
            AppError::TokenUsed,
            AppError::EmailAlreadyVerified,
            AppError::LastApplication,
            AppError::LastEnvironment,
            AppError::DefaultEnvironment,
            AppError::TooManyRequests {
                retry_after_secs: 1,
            },
            AppError::Timeout,
            AppError::DatabaseUnavailable,
            AppError::NotFound {
                resource: Resource::Session,
            },
            AppError::Internal {
                reference: "r".into(),
            },
        ]
    }

    #[test]
    fn every_variant_code_is_listed_and_documented() {
        let catalog = include_str!("../../docs/errors.md");
        let codes: Vec<_> = one_of_each().iter().map(AppError::code).collect();
        assert_eq!(codes, AppError::ALL_CODES);
        for code in codes {
            assert!(
                catalog.contains(&format!("`{code}`")),
                "{code} is missing from docs/errors.md"
            );
        }
    }

    #[test]
    fn a_too_common_identity_password_has_its_own_code_and_keeps_every_field_error() {
        let common = FieldError::new("password", "too_common", "This password is too common.");
        let email = FieldError::new("email", "invalid", "Enter a valid email address.");
        let error = AppError::identity_input(vec![email.clone(), common.clone()]);
        assert_eq!(error.code(), "identities.password_too_common");
        assert_eq!(error.status(), 400);
        assert!(error.is_field_error());
        assert_eq!(
            error.field_message("password"),
            Some(common.message.clone())
        );
        assert_eq!(error.field_message("email"), Some(email.message.clone()));
        let other = AppError::identity_input(vec![email]);
        assert_eq!(other.code(), "validation.invalid_input");
        // An admin's password is not an identity's: the generic code stays.
        assert_eq!(
            AppError::validation(vec![common]).code(),
            "validation.invalid_input"
        );
    }

    #[test]
    fn errors_survive_the_wire_typed() {
        for err in one_of_each() {
            let json = serde_json::to_string(&err).unwrap_or_default();
            let back: AppError = serde_json::from_str(&json).unwrap_or(AppError::CrossOrigin);
            assert_eq!(back, err);
        }
    }
}
