//! Every service operation authorises its caller itself: a caller without the operation's
//! permission is refused with that permission named, before anything is read or written — an API
//! key lacking the scope (`api_keys.scope_missing`, 403) and a viewer admin lacking a management
//! permission (`auth.forbidden`, 403) alike. The table below is every operation of the service
//! layer; an operation missing from it is an operation nobody proved is guarded.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};
use app::error::AppError;
use app::model::csv_import::{ImportMode, ImportSummary};
use app::model::{
    AccountRole, AdminInviteForm, ApiKeyForm, ApplicationForm, AssignmentForm, AuditFilter,
    DirectoryIdentityForm, DirectoryInviteForm, DirectoryQuery, EnvPath, EnvironmentForm,
    HierarchySchema, IdentityForm, IdentityPatch, InviteForm, NodeForm, NodePatch, PermissionForm,
    PermissionGroupForm, PermissionPatch, Precondition, RetentionForm, RoleForm, RolePatch,
    SystemPermission as P,
};
use app::services::access_checks::Check;
use app::services::rows::Mode;
use app::services::{
    Caller, Services, access_checks, api_keys, applications, assignments, audit_log, catalog,
    csv_import, directory, hierarchy, identities, identity_auth, invites, mail::mailbox, team,
};
use std::future::Future;
use std::pin::Pin;

on_both_engines!(
    a_key_without_the_scope_is_refused_by_every_operation,
    a_viewer_is_refused_every_change_and_allowed_every_read
);

type Outcome<'a> = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;
type Operation = for<'a> fn(&'a Services, &'a Caller) -> Outcome<'a>;

/// Turns an operation's answer into "allowed or why not".
macro_rules! op {
    ($permission:expr, $name:literal, |$s:ident, $c:ident| $call:expr) => {
        (
            $permission,
            $name,
            (|$s: &Services, $c: &Caller| -> Outcome<'_> {
                Box::pin(async move {
                    let outcome = $call.await;
                    outcome.map(drop)
                })
            }) as Operation,
        )
    };
}

/// Every operation with the permission it needs. Ids are made up: the permission is checked first.
// Kept one line per operation: a call's temporary arguments must live across its `.await`,
// which the braces formatting would add end too early.
#[rustfmt::skip]
fn operations() -> Vec<(P, &'static str, Operation)> {
    const ID: &str = "0193a1f0-0000-7000-8000-000000000000";
    vec![
        op!(P::PermissionRead, "catalog::list_permissions", |s, c| catalog::list_permissions(s, c)),
        op!(P::PermissionRead, "catalog::get_permission", |s, c| catalog::get_permission(s, c, ID)),
        op!(P::PermissionManage, "catalog::create_permission", |s, c| catalog::create_permission(s, c, &PermissionForm::default())),
        op!(
            P::PermissionManage,
            "catalog::create_permissions",
            |s, c| catalog::create_permissions(s, c, &[])
        ),
        op!(
            P::PermissionManage,
            "catalog::create_permission_group",
            |s, c| catalog::create_permission_group(s, c, &PermissionGroupForm::default())
        ),
        op!(P::PermissionManage, "catalog::update_permission", |s, c| catalog::update_permission(s, c, ID, Precondition::Any, &PermissionPatch::default())),
        op!(P::PermissionManage, "catalog::delete_permission", |s, c| catalog::delete_permission(s, c, ID, Precondition::Any)),
        op!(P::RoleRead, "catalog::list_roles", |s, c| catalog::list_roles(s, c)),
        op!(P::RoleRead, "catalog::get_role", |s, c| catalog::get_role(
            s, c, ID
        )),
        op!(P::RoleRead, "catalog::role_permissions", |s, c| catalog::role_permissions(s, c, ID)),
        op!(P::RoleManage, "catalog::create_role", |s, c| catalog::create_role(s, c, &RoleForm::default())),
        op!(P::RoleManage, "catalog::update_role", |s, c| catalog::update_role(s, c, ID, Precondition::Any, &RolePatch::default())),
        op!(P::RoleManage, "catalog::delete_role", |s, c| catalog::delete_role(s, c, ID, Precondition::Any)),
        op!(P::RoleManage, "catalog::set_role_permissions", |s, c| catalog::set_role_permissions(s, c, ID, &[])),
        op!(P::NodeRead, "hierarchy::view", |s, c| hierarchy::view(s, c)),
        op!(P::NodeRead, "hierarchy::get_node", |s, c| hierarchy::get_node(s, c, ID)),
        op!(P::NodeRead, "hierarchy::ancestors", |s, c| hierarchy::ancestors(s, c, ID)),
        op!(P::NodeRead, "hierarchy::preview_revert", |s, c| hierarchy::preview_revert(s, c)),
        op!(
            P::EnvironmentManage,
            "hierarchy::enable_hierarchy",
            |s, c| hierarchy::enable_hierarchy(s, c, 1, None)
        ),
        op!(P::EnvironmentManage, "hierarchy::update_schema", |s, c| hierarchy::update_schema(s, c, 1, HierarchySchema::default())),
        op!(P::EnvironmentManage, "hierarchy::revert_to_flat", |s, c| hierarchy::revert_to_flat(s, c, 1)),
        op!(P::NodeManage, "hierarchy::create_node", |s, c| hierarchy::create_node(s, c, ID, &NodeForm::default())),
        op!(P::NodeManage, "hierarchy::update_node", |s, c| hierarchy::update_node(s, c, ID, Precondition::Any, &NodePatch::default())),
        op!(P::NodeManage, "hierarchy::move_node", |s, c| hierarchy::move_node(s, c, ID, Precondition::Any, ID)),
        op!(P::NodeManage, "hierarchy::delete_node", |s, c| hierarchy::delete_node(s, c, ID, Precondition::Any, false)),
        op!(
            P::AssignmentRead,
            "assignments::identity_assignments",
            |s, c| assignments::identity_assignments(s, c, ID)
        ),
        op!(P::AssignmentRead, "assignments::node_access", |s, c| assignments::node_access(s, c, ID)),
        op!(
            P::AssignmentManage,
            "assignments::create_assignment",
            |s, c| assignments::create_assignment(s, c, &AssignmentForm::default())
        ),
        op!(P::AssignmentManage, "assignments::bulk_create", |s, c| assignments::bulk_create(s, c, &[], Mode::Real)),
        op!(
            P::AssignmentManage,
            "assignments::change_assignment",
            |s, c| assignments::change_assignment(s, c, ID, &AssignmentForm::default())
        ),
        op!(
            P::AssignmentManage,
            "assignments::remove_assignment",
            |s, c| assignments::remove_assignment(s, c, ID)
        ),
        op!(P::AssignmentManage, "assignments::bulk_remove", |s, c| assignments::bulk_remove(s, c, &[])),
        op!(
            P::AssignmentManage,
            "assignments::bulk_change_role",
            |s, c| assignments::bulk_change_role(s, c, &[], ID)
        ),
        op!(P::PermissionEvaluate, "access_checks::evaluate", |s, c| access_checks::evaluate(s, c, check())),
        op!(
            P::PermissionEvaluate,
            "access_checks::evaluate_many",
            |s, c| access_checks::evaluate_many(s, c, &[check()])
        ),
        op!(
            P::PermissionEvaluate,
            "access_checks::check_access",
            |s, c| access_checks::check_access(s, c, ID, "doc.read", None)
        ),
        op!(
            P::IdentityRead,
            "access_checks::effective_permissions",
            |s, c| access_checks::effective_permissions(s, c, ID)
        ),
        op!(P::IdentityRead, "identities::members", |s, c| identities::members(s, c, "", None, 1, 25)),
        op!(P::IdentityRead, "identities::get_member", |s, c| identities::get_member(s, c, ID)),
        op!(P::IdentityManage, "identities::create", |s, c| identities::create(s, c, &IdentityForm::default())),
        op!(P::IdentityManage, "identities::bulk_create", |s, c| identities::bulk_create(s, c, &[], Mode::Real)),
        op!(
            P::IdentityManage,
            "identities::add_to_application",
            |s, c| identities::add_to_application(s, c, ID, None, None)
        ),
        op!(
            P::IdentityManage,
            "identities::bulk_add_to_application",
            |s, c| identities::bulk_add_to_application(s, c, &[])
        ),
        op!(P::IdentityManage, "identities::update_member", |s, c| identities::update_member(s, c, ID, app::model::Precondition::Any, &IdentityPatch::default())),
        op!(
            P::IdentityManage,
            "identities::remove_from_application",
            |s, c| identities::remove_from_application(s, c, ID)
        ),
        op!(P::IdentityManage, "identity_auth::send_password_reset", |s, c| identity_auth::send_password_reset(s, c, ID)),
        op!(P::IdentityManage, "identity_auth::send_verification", |s, c| identity_auth::send_verification(s, c, ID)),
        op!(P::InviteManage, "invites::create", |s, c| invites::create(s, c, &InviteForm::default())),
        op!(P::InviteManage, "invites::bulk_create", |s, c| invites::bulk_create(s, c, &[], Mode::Real)),
        op!(P::InviteManage, "invites::create_in_account", |s, c| invites::create_in_account(s, c, &DirectoryInviteForm::default())),
        op!(P::InviteManage, "invites::resend", |s, c| invites::resend(s, c, ID)),
        op!(P::InviteManage, "invites::revoke", |s, c| invites::revoke(s, c, ID)),
        op!(P::IdentityRead, "invites::list", |s, c| invites::list(s, c, None, 1, 20)),
        op!(P::IdentityRead, "invites::summary", |s, c| invites::summary(s, c)),
        op!(P::IdentityRead, "directory::summary", |s, c| directory::summary(s, c)),
        op!(P::IdentityRead, "directory::list", |s, c| directory::list(
            s,
            c,
            &DirectoryQuery::default()
        )),
        op!(P::IdentityRead, "directory::detail", |s, c| directory::detail(s, c, ID)),
        op!(P::IdentityManage, "directory::create", |s, c| directory::create(s, c, &DirectoryIdentityForm::default())),
        op!(P::IdentityManage, "directory::bulk_create", |s, c| directory::bulk_create(s, c, &[], Mode::Dry)),
        op!(P::InviteManage, "csv_import::record_summary (invite)", |s, c| csv_import::record_summary(s, c, ImportMode::Invite, &ImportSummary::default())),
        op!(P::IdentityManage, "csv_import::record_summary (create)", |s, c| csv_import::record_summary(s, c, ImportMode::Create, &ImportSummary::default())),
        op!(P::IdentityManage, "directory::update_profile", |s, c| directory::update_profile(s, c, ID, Precondition::Any, &IdentityPatch::default())),
        op!(P::IdentityManage, "directory::set_status", |s, c| directory::set_status(s, c, ID, false)),
        op!(P::IdentityManage, "directory::add_membership", |s, c| directory::add_membership(s, c, ID, ID)),
        op!(P::IdentityManage, "directory::remove_membership", |s, c| directory::remove_membership(s, c, ID, ID)),
        // The mailbox shows live invite and reset links: reading it is a management power.
        op!(P::IdentityManage, "mailbox::list", |s, c| mailbox::list(s, c, 1)),
        op!(P::IdentityManage, "mailbox::read", |s, c| mailbox::read(s, c, ID)),
        op!(P::IdentityManage, "mailbox::send_test", |s, c| mailbox::send_test(s, c, "pat@example.com")),
        op!(P::AdminRead, "team::list", |s, c| team::list(s, c)),
        op!(P::AdminManage, "team::invite", |s, c| team::invite(s, c, &AdminInviteForm::default())),
        op!(P::AdminManage, "team::resend", |s, c| team::resend(s, c, ID)),
        op!(P::AdminManage, "team::revoke", |s, c| team::revoke(s, c, ID)),
        op!(P::AdminManage, "team::change_role", |s, c| team::change_role(s, c, ID, AccountRole::Owner)),
        op!(P::AdminManage, "team::remove", |s, c| team::remove(s, c, ID)),
        op!(
            P::ApiKeyManage,
            "api_keys::create",
            |s, c| api_keys::create(s, c, &ApiKeyForm::default())
        ),
        op!(P::ApiKeyManage, "api_keys::list", |s, c| api_keys::list(
            s, c
        )),
        op!(
            P::ApiKeyManage,
            "api_keys::revoke",
            |s, c| api_keys::revoke(s, c, ID)
        ),
        op!(P::AccountManage, "applications::create_application", |s, c| applications::create_application(s, c, &ApplicationForm::default())),
        op!(P::AccountManage, "applications::rename_application", |s, c| applications::rename_application(s, c, ID, &ApplicationForm::default())),
        op!(P::AccountManage, "applications::application_impact", |s, c| applications::application_impact(s, c, ID)),
        op!(P::AccountManage, "applications::delete_application", |s, c| applications::delete_application(s, c, ID, "")),
        op!(P::AccountManage, "applications::create_environment", |s, c| applications::create_environment(s, c, ID, &EnvironmentForm::default())),
        op!(P::AccountManage, "applications::update_environment", |s, c| applications::update_environment(s, c, ID, &EnvironmentForm::default())),
        op!(P::AccountManage, "applications::set_default_environment", |s, c| applications::set_default_environment(s, c, ID)),
        op!(P::AccountManage, "applications::environment_impact", |s, c| applications::environment_impact(s, c, ID)),
        op!(P::AccountManage, "applications::delete_environment", |s, c| applications::delete_environment(s, c, ID, "")),
        op!(P::AuditRead, "audit_log::list", |s, c| audit_log::list(s, c, &AuditFilter::default(), None, 50)),
        op!(P::AuditRead, "audit_log::detail", |s, c| audit_log::detail(s, c, ID)),
        op!(P::AuditRead, "audit_log::retention", |s, c| audit_log::retention(s, c)),
        op!(P::AccountManage, "audit_log::set_retention", |s, c| audit_log::set_retention(s, c, &RetentionForm::default())),
    ]
}

fn check() -> Check<'static> {
    Check {
        identity_id: "0193a1f0-0000-7000-8000-000000000000",
        permission: "doc.read",
        node_id: None,
    }
}

async fn environment(app: &TestApp) -> EnvPath {
    let (_, landing) = app.sign_up("owner@example.com", "Guarded").await;
    let text = |key: &str| landing[key].as_str().unwrap_or_default().to_owned();
    EnvPath {
        account: text("account"),
        application: text("application"),
        environment: text("environment"),
    }
}

async fn a_key_without_the_scope_is_refused_by_every_operation(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let env = environment(&app).await;
    let s = &app.services;
    let admin = app.admin_principal("owner@example.com").await;
    let owner = Caller::admin_in_environment(s, &admin, &env)
        .await
        .unwrap_or_else(|e| panic!("owner: {e:?}"));
    for (permission, name, operation) in operations() {
        // A key holding every scope but this one.
        // Keys hold environment permissions only (the Team's are never a key's).
        let others: Vec<String> = P::ALL
            .iter()
            .filter(|p| **p != permission && p.is_environment_scope())
            .map(|p| p.key().to_owned())
            .collect();
        let form = ApiKeyForm {
            name: format!("without {}", permission.key()),
            expires: "never".into(),
            scopes: others,
            ..ApiKeyForm::default()
        };
        let created = api_keys::create(s, &owner, &form)
            .await
            .unwrap_or_else(|e| panic!("key: {e:?}"));
        let key = api_keys::authenticate(s, Some(&created.key))
            .await
            .unwrap_or_else(|e| panic!("authenticate: {e:?}"));
        assert_eq!(
            operation(s, &key).await,
            Err(AppError::ScopeMissing {
                scope: permission.key().to_owned()
            }),
            "{name} must require {permission}"
        );
    }
}

async fn a_viewer_is_refused_every_change_and_allowed_every_read(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let env = environment(&app).await;
    let s = &app.services;
    let admin = app.admin_principal("owner@example.com").await;
    sqlx::query("UPDATE account_members SET role = 'viewer' WHERE admin_user_id = $1")
        .bind(&admin.profile.id)
        .execute(s.db.reader())
        .await
        .unwrap_or_else(|e| panic!("demote: {e}"));
    let in_environment = Caller::admin_in_environment(s, &admin, &env)
        .await
        .unwrap_or_else(|e| panic!("viewer: {e:?}"));
    let in_account = Caller::admin_in_account(s, &admin, &env.account)
        .await
        .unwrap_or_else(|e| panic!("viewer: {e:?}"));
    for (permission, name, operation) in operations() {
        let caller = if [
            "directory::",
            "mailbox::",
            "team::",
            "applications::",
            "audit_log::",
        ]
        .iter()
        .any(|tier| name.starts_with(tier))
        {
            &in_account
        } else {
            &in_environment
        };
        let outcome = operation(s, caller).await;
        if permission.is_read_only() {
            assert!(
                !matches!(
                    outcome,
                    Err(AppError::Forbidden { .. } | AppError::ScopeMissing { .. })
                ),
                "{name} is a read a viewer may make: {outcome:?}"
            );
        } else {
            assert_eq!(
                outcome,
                Err(AppError::Forbidden {
                    permission: permission.key().to_owned()
                }),
                "{name} must require {permission}"
            );
        }
    }
    // The refusal reaches the dashboard as `auth.forbidden`, naming the permission.
    let refused = AppError::Forbidden {
        permission: "role.manage".into(),
    };
    assert_eq!((refused.status(), refused.code()), (403, "auth.forbidden"));
    assert!(refused.to_string().contains("role.manage"));
}
