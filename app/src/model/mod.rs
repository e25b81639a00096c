//! Wire types and validation shared by the browser and the server. A value of a validated type
//! (`Email`, `PersonName`, ...) is valid by construction, so every surface — dialog, server
//! function, REST handler, bulk row — runs exactly these rules and no copy of them.

mod access;
mod admin_security;
pub mod api_bodies;
mod api_keys;
mod api_reference;
mod applications;
mod assignments;
mod audit;
mod bulk;
mod catalog;

pub mod csv_import;
mod directory;
mod email;
mod evaluation;
mod hierarchy;
mod identity;
pub mod identity_auth;
mod invites;
mod mail;
mod names;
mod password;
mod patch;
mod prehashed;
mod return_to;
mod scope;
mod signup;
mod slug;
mod status;
mod system_catalog;
mod team;
pub mod tree;
mod warning;
mod workspace;

pub use access::{
    PermissionForm, PermissionGroupForm, PermissionKey, RoleForm, ValidPermission, ValidRole,
};
pub use admin_security::{
    ADMIN_FORGOT_ANSWER, AdminForgotForm, AdminLinkPreview, AdminPasswordChangeForm,
    AdminResetForm, AdminSession, device_summary,
};
pub use api_keys::{
    API_KEY_DESCRIPTION_MAX, ApiKey, ApiKeyForm, ApiKeyStatus, CreatedApiKey, EXPIRY_PRESETS,
    ValidApiKey,
};
pub use api_reference::{ApiBody, ApiField, ApiGroup, ApiOperation, ApiReference, ApiResponse};
pub use applications::{
    ApplicationForm, DeletionImpact, EnvironmentForm, KeyEnvironment, KeyEnvironmentRef, KeyRef,
    NamedRef, confirmation_error, confirms,
};
pub use assignments::{
    Assignment, AssignmentForm, AssignmentStatus, EXPIRING_SOON_DAYS, NodeAccess, NodeAccessEntry,
    NodeAccessSummary, ValidAssignment, new_role_id,
};
pub use audit::{
    ACTOR_TYPES, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AuditEvent, AuditEventDetail, AuditFilter,
    AuditPage, AuditRetention, CSV_COLUMNS, RetentionForm, ValidAuditFilter, csv_cell, csv_header,
    parse_time,
};
pub use bulk::{BULK_MAX, RowResult, count_rule};
pub use catalog::{Permission, PermissionGroupOutcome, Role};
pub use directory::{
    AuditEntry, DIRECTORY_COUNT_CAP, DirectoryPage, DirectoryQuery, DirectoryRow, DirectorySort,
    DirectorySummary, IdentityDetail, MembershipInfo,
};
pub use email::Email;
pub use evaluation::{
    Decision, DenialReason, EVALUATE_MANY_MAX, GrantingRole, Question, checks_count_rule,
};
pub use hierarchy::{
    AccessModel, EnvironmentSettings, HierarchySchema, HierarchyView, Node, NodeForm,
    RevertToFlatOutcome,
};
pub use identity::{
    CreatedIdentity, DirectoryIdentityForm, EXTERNAL_ID_MAX, Identity, IdentityForm,
    IdentityStatus, InitialPassword, MAX_PAGE, METADATA_MAX_BYTES, MemberRow, Page, ProfileForm,
    ValidIdentity, ValidProfile, check_metadata, parse_metadata_text,
};
pub use identity_auth::{
    AccountEmailForm, ApplicationChoice, AuthMessage, ChangePasswordForm, IdentityLoginForm,
    IdentityMe, LoginAnswer, RefreshAnswer, ResetPasswordForm, SelectApplicationForm,
    SignedInIdentity, TokenForm, TokenPreview, ValidLogin,
};
pub use invites::{
    AcceptInviteForm, AcceptedInvite, CreatedInvite, CurrentPassword, DirectoryInviteForm,
    INVITE_EXPIRY_DAYS, Invite, InviteForm, InviteInfo, InviteIntent, InviteQuery, InviteStatus,
    InviteSummary, InviteToken, ResentInvite, ValidAcceptance, ValidInvite,
};
pub use mail::{
    MailMessage, MailStatus, Mailbox, MailboxRow, TextPiece, mail_kind_label, text_pieces,
};
pub use names::{DisplayName, PersonName};
#[cfg(feature = "ssr")]
pub use password::common_password_error;
pub use password::{
    AdminPassword, GENERATED_PASSWORD_LEN, IdentityPassword, generate_password,
    validate_password_change,
};
pub use patch::{
    EntityTags, IF_MATCH_PATTERN, IdentityPatch, NodePatch, PermissionPatch, Precondition,
    RolePatch, entity_tag_of, parse_if_match,
};
pub use prehashed::{HashAlgorithm, PrehashedPassword};
pub use return_to::{safe_next, signin_path};
pub use scope::{EnvPath, EnvScope};
pub use signup::{SignInForm, SignupForm, ValidSignup};
pub use slug::{RESERVED_SLUGS, Slug, is_reserved};
pub use status::{ActiveStatus, MembershipStatus};
pub use system_catalog::{SystemPermission, is_management_scope};
pub use team::{
    ADMIN_INVITE_EXPIRY_DAYS, AcceptAdminInviteForm, AcceptedAdminInvite, AdminInvite,
    AdminInviteForm, AdminInviteInfo, NewAdminAcceptance, Team, TeamMember, ValidAdminInvite,
};
pub use warning::{Warning, WarningCode, assignment_pair};
pub use workspace::*;
