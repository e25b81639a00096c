//! Permissions and roles of an environment: the catalog, custom roles and what each role grants.
//! System rows (the management catalog) are read-only.

use crate::error::{AppError, Resource};
use crate::model::{
    AccountRole, EnvPath, Permission, PermissionForm, PermissionGroupForm, PermissionGroupOutcome,
    Role, RoleForm, ValidPermission,
};
use crate::services::Services;
use crate::services::admin_auth::AdminPrincipal;
use crate::services::audit::Actor;
use crate::services::audit::{self, Event};
use crate::services::workspace::environment_scope;
use crate::store::catalog::{self, EnvKey};
use crate::store::{self, Tx, accounts};

/// The environment a catalog request is about, resolved for this admin.
#[derive(Debug, Clone)]
pub struct EnvScope {
    pub account_id: String,
    pub application_id: String,
    pub environment_id: String,
    pub role: AccountRole,
}

impl EnvScope {
    pub fn key(&self) -> EnvKey<'_> {
        EnvKey {
            account_id: &self.account_id,
            application_id: &self.application_id,
            environment_id: &self.environment_id,
        }
    }

    /// An audit event of this environment.
    pub fn event(
        &self,
        admin: &AdminPrincipal,
        action: &'static str,
        category: &'static str,
    ) -> Event {
        self.event_by(&admin.actor(), action, category)
    }

    /// An audit event of this environment by any actor (an admin, an API key).
    pub fn event_by(&self, actor: &Actor, action: &'static str, category: &'static str) -> Event {
        Event::new(&self.account_id, actor, action, category)
            .scope(Some(&self.application_id), Some(&self.environment_id))
    }

    /// Viewers read; owners and admins change things.
    pub fn require_write(&self) -> Result<(), AppError> {
        match self.role {
            AccountRole::Owner | AccountRole::Admin => Ok(()),
            AccountRole::Viewer => Err(AppError::Forbidden),
        }
    }
}

/// `/{account}/{application}/{environment}` → the environment, if this admin may see it.
pub async fn resolve(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
) -> Result<EnvScope, AppError> {
    let (scope, app, env) = environment_scope(
        s,
        admin,
        &path.account,
        &path.application,
        &path.environment,
    )
    .await?;
    Ok(EnvScope {
        account_id: scope.account.id,
        application_id: app.id,
        environment_id: env.id,
        role: scope.role,
    })
}

/// `resolve`, for a change: the admin must be an owner or admin of the account.
pub async fn resolve_writable(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
) -> Result<EnvScope, AppError> {
    let scope = resolve(s, admin, path).await?;
    scope.require_write()?;
    Ok(scope)
}

fn event(scope: &EnvScope, actor: &Actor, action: &'static str) -> Event {
    scope.event_by(actor, action, "rbac")
}

pub async fn list_permissions(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
) -> Result<Vec<Permission>, AppError> {
    let scope = resolve(s, admin, path).await?;
    permissions_in(s, &scope).await
}

/// The permission catalog of a resolved environment, system permissions included.
pub async fn permissions_in(s: &Services, scope: &EnvScope) -> Result<Vec<Permission>, AppError> {
    catalog::permissions(s.db.reader(), scope.key()).await
}

pub async fn permission_in(
    s: &Services,
    scope: &EnvScope,
    id: &str,
) -> Result<Permission, AppError> {
    let permission = catalog::permission_by_id(s.db.reader(), scope.key(), id).await?;
    permission.ok_or(AppError::NotFound {
        resource: Resource::Permission,
    })
}

async fn insert_permissions(
    s: &Services,
    tx: &mut Tx,
    scope: &EnvScope,
    permissions: &[ValidPermission],
) -> Result<Vec<(String, ValidPermission)>, AppError> {
    let now_ms = store::ms(s.now());
    let mut created = Vec::new();
    for permission in permissions {
        let id = s.new_id();
        accounts::insert_permission(
            tx,
            accounts::NewPermission {
                account_id: &scope.account_id,
                environment_id: &scope.environment_id,
                id: id.clone(),
                key: permission.key.as_str(),
                description: &permission.description,
                category: &permission.category,
                source: "custom",
                now_ms,
            },
        )
        .await?;
        created.push((id, permission.clone()));
    }
    Ok(created)
}

/// Creates one custom permission. A key that exists (custom or system) is a conflict.
pub async fn create_permission(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    form: &PermissionForm,
) -> Result<Permission, AppError> {
    form.validate().map_err(AppError::validation)?;
    let scope = resolve_writable(s, admin, path).await?;
    create_permissions_in(s, &admin.actor(), &scope, std::slice::from_ref(form))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("permission", "not created"))?
}

/// Creates custom permissions (`POST /api/v1/permissions` takes a batch): each row is validated
/// on its own, a key that exists (or came earlier in the batch) is `permissions.key_taken` on its
/// row, and every good row is written in one transaction. The answer has one result per row.
pub async fn create_permissions_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    forms: &[PermissionForm],
) -> Result<Vec<Result<Permission, AppError>>, AppError> {
    let mut tx = s.db.begin().await?;
    let mut taken = catalog::existing_keys(&mut tx, scope.key()).await?;
    let mut outcomes: Vec<Result<ValidPermission, AppError>> = Vec::with_capacity(forms.len());
    for form in forms {
        outcomes.push(match form.validate() {
            Err(errors) => Err(AppError::validation(errors)),
            Ok(valid) if taken.iter().any(|k| k == valid.key.as_str()) => {
                Err(AppError::PermissionKeyTaken {
                    key: valid.key.to_string(),
                })
            }
            Ok(valid) => {
                taken.push(valid.key.to_string());
                Ok(valid)
            }
        });
    }
    let fresh: Vec<ValidPermission> = outcomes.iter().flatten().cloned().collect();
    let created = insert_permissions(s, &mut tx, scope, &fresh).await?;
    // The written rows as the catalog shows them, read once for the whole batch.
    let mut catalog_rows: std::collections::HashMap<String, Permission> =
        catalog::permissions(&mut *tx, scope.key())
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
    let mut rows = Vec::with_capacity(created.len());
    let mut events = Vec::with_capacity(created.len());
    for (id, valid) in &created {
        let permission = catalog_rows
            .remove(id)
            .ok_or_else(|| AppError::internal("permission", "vanished"))?;
        events.push(event(scope, actor, "permission.created").resource(
            "permission",
            id,
            valid.key.as_str(),
        ));
        rows.push(permission);
    }
    audit::commit(s, tx, events).await?;
    let mut written = rows.into_iter();
    Ok(outcomes
        .into_iter()
        .map(|outcome| {
            outcome.and_then(|_| {
                written
                    .next()
                    .ok_or_else(|| AppError::internal("permission", "row count"))
            })
        })
        .collect())
}

/// The Permission Group wizard: one permission per action in one transaction; keys that already
/// exist are skipped and reported, not errors.
pub async fn create_permission_group(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    form: &PermissionGroupForm,
) -> Result<PermissionGroupOutcome, AppError> {
    let wanted = form.validate().map_err(AppError::validation)?;
    let scope = resolve_writable(s, admin, path).await?;
    let mut tx = s.db.begin().await?;
    let existing = catalog::existing_keys(&mut tx, scope.key()).await?;
    let (skipped, fresh): (Vec<ValidPermission>, Vec<ValidPermission>) = wanted
        .into_iter()
        .partition(|p| existing.iter().any(|k| k == p.key.as_str()));
    let created = insert_permissions(s, &mut tx, &scope, &fresh).await?;
    let actor = admin.actor();
    let events = created
        .iter()
        .map(|(id, p)| {
            event(&scope, &actor, "permission.created").resource("permission", id, p.key.as_str())
        })
        .collect();
    audit::commit(s, tx, events).await?;
    Ok(PermissionGroupOutcome {
        created: created
            .into_iter()
            .map(|(_, p)| p.key.to_string())
            .collect(),
        skipped: skipped.into_iter().map(|p| p.key.to_string()).collect(),
    })
}

async fn custom_permission(
    tx: &mut Tx,
    scope: &EnvScope,
    id: &str,
) -> Result<Permission, AppError> {
    let permission = catalog::permission_by_id(&mut **tx, scope.key(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Permission,
        })?;
    if permission.source == "system" {
        return Err(AppError::SystemItemReadOnly);
    }
    Ok(permission)
}

/// Edits description and category (the key is immutable), if `version` is still current.
pub async fn update_permission(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
    version: i64,
    form: &PermissionForm,
) -> Result<Permission, AppError> {
    let scope = resolve_writable(s, admin, path).await?;
    update_permission_in(s, &admin.actor(), &scope, id, version, form).await
}

pub async fn update_permission_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    id: &str,
    version: i64,
    form: &PermissionForm,
) -> Result<Permission, AppError> {
    let mut tx = s.db.begin().await?;
    let current = custom_permission(&mut tx, scope, id).await?;
    let valid = PermissionForm {
        key: current.key.clone(),
        ..form.clone()
    }
    .validate()
    .map_err(AppError::validation)?;
    let updated = catalog::update_permission(
        &mut tx,
        scope.key(),
        id,
        version,
        &valid.description,
        &valid.category,
        store::ms(s.now()),
    )
    .await?;
    if !updated {
        return Err(AppError::VersionConflict);
    }
    let permission = catalog::permission_by_id(&mut *tx, scope.key(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Permission,
        })?;
    let events =
        vec![event(scope, actor, "permission.updated").resource("permission", id, &current.key)];
    audit::commit(s, tx, events).await?;
    Ok(permission)
}

/// Deletes a custom permission (and its grants), if `version` is still current.
pub async fn delete_permission(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
    version: i64,
) -> Result<(), AppError> {
    let scope = resolve_writable(s, admin, path).await?;
    delete_permission_in(s, &admin.actor(), &scope, id, version).await
}

pub async fn delete_permission_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    id: &str,
    version: i64,
) -> Result<(), AppError> {
    let mut tx = s.db.begin().await?;
    let current = custom_permission(&mut tx, scope, id).await?;
    if !catalog::delete_permission(&mut tx, scope.key(), id, version).await? {
        return Err(AppError::VersionConflict);
    }
    let events =
        vec![event(scope, actor, "permission.deleted").resource("permission", id, &current.key)];
    audit::commit(s, tx, events).await
}

pub async fn list_roles(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
) -> Result<Vec<Role>, AppError> {
    let scope = resolve(s, admin, path).await?;
    roles_in(s, &scope).await
}

/// The roles of a resolved environment (the REST API calls this).
pub async fn roles_in(s: &Services, scope: &EnvScope) -> Result<Vec<Role>, AppError> {
    catalog::roles(s.db.reader(), scope.key()).await
}

pub async fn role_in(s: &Services, scope: &EnvScope, id: &str) -> Result<Role, AppError> {
    let role = catalog::role_by_id(s.db.reader(), scope.key(), id).await?;
    role.ok_or(AppError::NotFound {
        resource: Resource::Role,
    })
}

pub async fn create_role(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    form: &RoleForm,
) -> Result<Role, AppError> {
    form.validate().map_err(AppError::validation)?;
    let scope = resolve_writable(s, admin, path).await?;
    create_role_in(s, &admin.actor(), &scope, form).await
}

pub async fn create_role_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    form: &RoleForm,
) -> Result<Role, AppError> {
    let valid = form.validate().map_err(AppError::validation)?;
    let mut tx = s.db.begin().await?;
    let id = s.new_id();
    if !catalog::insert_role(
        &mut tx,
        scope.key(),
        &id,
        &valid.name,
        &valid.description,
        store::ms(s.now()),
    )
    .await?
    {
        return Err(AppError::RoleNameTaken { name: valid.name });
    }
    let role = catalog::role_by_id(&mut *tx, scope.key(), &id)
        .await?
        .ok_or_else(|| AppError::internal("role", "vanished"))?;
    let events = vec![event(scope, actor, "role.created").resource("role", &id, &valid.name)];
    audit::commit(s, tx, events).await?;
    Ok(role)
}

async fn custom_role(tx: &mut Tx, scope: &EnvScope, id: &str) -> Result<Role, AppError> {
    let role = catalog::role_by_id(&mut **tx, scope.key(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Role,
        })?;
    if role.is_system_role {
        return Err(AppError::SystemItemReadOnly);
    }
    Ok(role)
}

/// Renames, re-describes, activates or deactivates a role, if `version` is still current.
#[allow(clippy::too_many_arguments)]
pub async fn update_role(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
    version: i64,
    form: &RoleForm,
    active: bool,
) -> Result<Role, AppError> {
    form.validate().map_err(AppError::validation)?;
    let scope = resolve_writable(s, admin, path).await?;
    update_role_in(s, &admin.actor(), &scope, id, version, form, active).await
}

#[allow(clippy::too_many_arguments)]
pub async fn update_role_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    id: &str,
    version: i64,
    form: &RoleForm,
    active: bool,
) -> Result<Role, AppError> {
    let valid = form.validate().map_err(AppError::validation)?;
    let mut tx = s.db.begin().await?;
    let current = custom_role(&mut tx, scope, id).await?;
    if catalog::role_name_taken(&mut tx, scope.key(), &valid.name, id).await? {
        return Err(AppError::RoleNameTaken { name: valid.name });
    }
    let updated = catalog::update_role(
        &mut tx,
        scope.key(),
        id,
        version,
        &valid.name,
        &valid.description,
        active,
        store::ms(s.now()),
    )
    .await?;
    if !updated {
        return Err(AppError::VersionConflict);
    }
    let role = catalog::role_by_id(&mut *tx, scope.key(), id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Role,
        })?;
    let events = vec![
        event(scope, actor, "role.updated")
            .resource("role", id, &valid.name)
            .metadata(serde_json::json!({ "previous_name": current.name, "active": active })),
    ];
    audit::commit(s, tx, events).await?;
    Ok(role)
}

pub async fn delete_role(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
    version: i64,
) -> Result<(), AppError> {
    let scope = resolve_writable(s, admin, path).await?;
    delete_role_in(s, &admin.actor(), &scope, id, version).await
}

pub async fn delete_role_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    id: &str,
    version: i64,
) -> Result<(), AppError> {
    let mut tx = s.db.begin().await?;
    let current = custom_role(&mut tx, scope, id).await?;
    if !catalog::delete_role(&mut tx, scope.key(), id, version).await? {
        return Err(AppError::VersionConflict);
    }
    let events = vec![event(scope, actor, "role.deleted").resource("role", id, &current.name)];
    audit::commit(s, tx, events).await
}

pub async fn role_permissions(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
) -> Result<Vec<String>, AppError> {
    let scope = resolve(s, admin, path).await?;
    role_permissions_in(s, &scope, id).await
}

/// The permission keys a role grants, sorted.
pub async fn role_permissions_in(
    s: &Services,
    scope: &EnvScope,
    id: &str,
) -> Result<Vec<String>, AppError> {
    role_in(s, scope, id).await?;
    catalog::role_permission_keys(s.db.reader(), &scope.account_id, id).await
}

/// Replaces everything a role grants with `keys`, in one transaction. Unknown keys are refused.
pub async fn set_role_permissions(
    s: &Services,
    admin: &AdminPrincipal,
    path: &EnvPath,
    id: &str,
    keys: &[String],
) -> Result<Vec<String>, AppError> {
    let scope = resolve_writable(s, admin, path).await?;
    set_role_permissions_in(s, &admin.actor(), &scope, id, keys).await
}

pub async fn set_role_permissions_in(
    s: &Services,
    actor: &Actor,
    scope: &EnvScope,
    id: &str,
    keys: &[String],
) -> Result<Vec<String>, AppError> {
    let mut tx = s.db.begin().await?;
    let role = custom_role(&mut tx, scope, id).await?;
    let catalog_ids = catalog::permission_ids(&mut tx, scope.key()).await?;
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut unknown = Vec::new();
    let mut ids = Vec::new();
    for key in &wanted {
        match catalog_ids.iter().find(|(_, k)| k == key) {
            Some((pid, _)) => ids.push(pid.clone()),
            None => unknown.push(*key),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "permission_keys",
            "unknown",
            format!(
                "These permissions do not exist in this environment: {}.",
                unknown.join(", ")
            ),
        )]));
    }
    catalog::clear_role_permissions(&mut tx, &scope.account_id, id).await?;
    let now_ms = store::ms(s.now());
    for pid in &ids {
        catalog::grant(&mut tx, &scope.account_id, id, pid, now_ms).await?;
    }
    let events = vec![
        event(scope, actor, "role.permissions_set")
            .resource("role", id, &role.name)
            .metadata(serde_json::json!({ "permission_keys": wanted })),
    ];
    audit::commit(s, tx, events).await?;
    Ok(wanted.into_iter().map(str::to_owned).collect())
}
