//! Permissions and roles of an environment: the catalog, custom roles and what each role grants.
//! System rows (the management catalog) are read-only.

use crate::error::{AppError, Resource};
use crate::model::{
    EnvScope, Permission, PermissionForm, PermissionGroupForm, PermissionGroupOutcome,
    PermissionPatch, Precondition, Role, RoleForm, RolePatch, SystemPermission, ValidPermission,
};
use crate::services::audit::{self, Event};
use crate::services::{Caller, Services};
use crate::store::catalog;
use crate::store::versioned::{self, Versioned};
use crate::store::{self, Tx, accounts};

fn event(caller: &Caller, action: &'static str) -> Event {
    caller.event(action, "rbac")
}

/// The permission catalog of the caller's environment, system permissions included.
pub async fn list_permissions(s: &Services, caller: &Caller) -> Result<Vec<Permission>, AppError> {
    caller.require(SystemPermission::PermissionRead)?;
    catalog::permissions(s.db.reader(), caller.env()?).await
}

pub async fn get_permission(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<Permission, AppError> {
    caller.require(SystemPermission::PermissionRead)?;
    let permission = catalog::permission_by_id(s.db.reader(), caller.env()?, id).await?;
    permission.ok_or(AppError::NotFound {
        resource: Resource::Permission,
    })
}

async fn insert_permissions(
    s: &Services,
    tx: &mut Tx,
    env: &EnvScope,
    permissions: &[ValidPermission],
) -> Result<Vec<(String, ValidPermission)>, AppError> {
    let now_ms = store::ms(s.now());
    let mut created = Vec::new();
    for permission in permissions {
        let id = s.new_id();
        accounts::insert_permission(
            tx,
            accounts::NewPermission {
                account_id: &env.account_id,
                environment_id: &env.environment_id,
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
    caller: &Caller,
    form: &PermissionForm,
) -> Result<Permission, AppError> {
    caller.require(SystemPermission::PermissionManage)?;
    form.validate().map_err(AppError::validation)?;
    create_permissions(s, caller, std::slice::from_ref(form))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("permission", "not created"))?
}

/// Creates custom permissions (`POST /api/v1/permissions` takes a batch): each row is validated
/// on its own, a key that exists (or came earlier in the batch) is `permissions.key_taken` on its
/// row, and every good row is written in one transaction. The answer has one result per row.
pub async fn create_permissions(
    s: &Services,
    caller: &Caller,
    forms: &[PermissionForm],
) -> Result<Vec<Result<Permission, AppError>>, AppError> {
    caller.require(SystemPermission::PermissionManage)?;
    crate::model::count_rule("permissions", forms.len())?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let mut taken = catalog::existing_keys(&mut tx, env).await?;
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
    let created = insert_permissions(s, &mut tx, env, &fresh).await?;
    // The written rows as the catalog shows them, read once for the whole batch.
    let mut catalog_rows: std::collections::HashMap<String, Permission> =
        catalog::permissions(&mut *tx, env)
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
        events.push(event(caller, "permission.created").resource(
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
    caller: &Caller,
    form: &PermissionGroupForm,
) -> Result<PermissionGroupOutcome, AppError> {
    caller.require(SystemPermission::PermissionManage)?;
    let wanted = form.validate().map_err(AppError::validation)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let existing = catalog::existing_keys(&mut tx, env).await?;
    let (skipped, fresh): (Vec<ValidPermission>, Vec<ValidPermission>) = wanted
        .into_iter()
        .partition(|p| existing.iter().any(|k| k == p.key.as_str()));
    let created = insert_permissions(s, &mut tx, env, &fresh).await?;
    let events = created
        .iter()
        .map(|(id, p)| {
            event(caller, "permission.created").resource("permission", id, p.key.as_str())
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

/// A custom permission about to change in `tx`, locked when the change takes any version.
async fn custom_permission(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    precondition: Precondition,
) -> Result<Permission, AppError> {
    versioned::prepare(tx, Versioned::Permission, env, id, precondition).await?;
    let permission =
        catalog::permission_by_id(&mut **tx, env, id)
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Permission,
            })?;
    if permission.source == "system" {
        return Err(AppError::SystemItemReadOnly);
    }
    Ok(permission)
}

/// Changes description and/or category (the key is immutable) under `precondition`.
pub async fn update_permission(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &PermissionPatch,
) -> Result<Permission, AppError> {
    caller.require(SystemPermission::PermissionManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let current = custom_permission(&mut tx, env, id, precondition).await?;
    let version = precondition.version(current.version)?;
    let valid = patch
        .apply(&current)
        .validate()
        .map_err(AppError::validation)?;
    let updated = catalog::update_permission(
        &mut tx,
        env,
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
    let permission =
        catalog::permission_by_id(&mut *tx, env, id)
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Permission,
            })?;
    let events = vec![event(caller, "permission.updated").resource("permission", id, &current.key)];
    audit::commit(s, tx, events).await?;
    Ok(permission)
}

/// Deletes a custom permission (and its grants) under `precondition`.
pub async fn delete_permission(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
) -> Result<(), AppError> {
    caller.require(SystemPermission::PermissionManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let current = custom_permission(&mut tx, env, id, precondition).await?;
    let version = precondition.version(current.version)?;
    if !catalog::delete_permission(&mut tx, env, id, version).await? {
        return Err(AppError::VersionConflict);
    }
    let events = vec![event(caller, "permission.deleted").resource("permission", id, &current.key)];
    audit::commit(s, tx, events).await
}

/// The roles of the caller's environment.
pub async fn list_roles(s: &Services, caller: &Caller) -> Result<Vec<Role>, AppError> {
    caller.require(SystemPermission::RoleRead)?;
    catalog::roles(s.db.reader(), caller.env()?).await
}

pub async fn get_role(s: &Services, caller: &Caller, id: &str) -> Result<Role, AppError> {
    caller.require(SystemPermission::RoleRead)?;
    let role = catalog::role_by_id(s.db.reader(), caller.env()?, id).await?;
    role.ok_or(AppError::NotFound {
        resource: Resource::Role,
    })
}

pub async fn create_role(s: &Services, caller: &Caller, form: &RoleForm) -> Result<Role, AppError> {
    caller.require(SystemPermission::RoleManage)?;
    let valid = form.validate().map_err(AppError::validation)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let id = s.new_id();
    if !catalog::insert_role(
        &mut tx,
        env,
        &id,
        &valid.name,
        &valid.description,
        store::ms(s.now()),
    )
    .await?
    {
        return Err(AppError::RoleNameTaken { name: valid.name });
    }
    let role = catalog::role_by_id(&mut *tx, env, &id)
        .await?
        .ok_or_else(|| AppError::internal("role", "vanished"))?;
    let events = vec![event(caller, "role.created").resource("role", &id, &valid.name)];
    audit::commit(s, tx, events).await?;
    Ok(role)
}

/// A custom role about to change in `tx`, locked when the change takes any version.
async fn custom_role(
    tx: &mut Tx,
    env: &EnvScope,
    id: &str,
    precondition: Precondition,
) -> Result<Role, AppError> {
    versioned::prepare(tx, Versioned::Role, env, id, precondition).await?;
    let role = catalog::role_by_id(&mut **tx, env, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Role,
        })?;
    if role.is_system_role {
        return Err(AppError::SystemItemReadOnly);
    }
    Ok(role)
}

/// Renames, re-describes, activates or deactivates a role under `precondition`.
pub async fn update_role(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &RolePatch,
) -> Result<Role, AppError> {
    caller.require(SystemPermission::RoleManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let current = custom_role(&mut tx, env, id, precondition).await?;
    let version = precondition.version(current.version)?;
    let (form, active) = patch.apply(&current);
    let valid = form.validate().map_err(AppError::validation)?;
    if catalog::role_name_taken(&mut tx, env, &valid.name, id).await? {
        return Err(AppError::RoleNameTaken { name: valid.name });
    }
    let updated = catalog::update_role(
        &mut tx,
        env,
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
    let role = catalog::role_by_id(&mut *tx, env, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::Role,
        })?;
    let events = vec![
        event(caller, "role.updated")
            .resource("role", id, &valid.name)
            .metadata(serde_json::json!({ "previous_name": current.name, "active": active })),
    ];
    audit::commit(s, tx, events).await?;
    Ok(role)
}

pub async fn delete_role(
    s: &Services,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
) -> Result<(), AppError> {
    caller.require(SystemPermission::RoleManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let current = custom_role(&mut tx, env, id, precondition).await?;
    let version = precondition.version(current.version)?;
    if !catalog::delete_role(&mut tx, env, id, version).await? {
        return Err(AppError::VersionConflict);
    }
    let events = vec![event(caller, "role.deleted").resource("role", id, &current.name)];
    audit::commit(s, tx, events).await
}

/// The permission keys a role grants, sorted.
pub async fn role_permissions(
    s: &Services,
    caller: &Caller,
    id: &str,
) -> Result<Vec<String>, AppError> {
    get_role(s, caller, id).await?;
    catalog::role_permission_keys(s.db.reader(), caller.account_id(), id).await
}

/// Replaces everything a role grants with `keys`, in one transaction. Unknown keys are refused.
/// Answers the role as it now is and the keys it grants, sorted.
pub async fn set_role_permissions(
    s: &Services,
    caller: &Caller,
    id: &str,
    keys: &[String],
) -> Result<(Role, Vec<String>), AppError> {
    caller.require(SystemPermission::RoleManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let role = custom_role(&mut tx, env, id, Precondition::Any).await?;
    let catalog_ids = catalog::permission_ids(&mut tx, env).await?;
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    // The list is bounded only by the body limit: a map keeps the lookup linear in it.
    let by_key: std::collections::HashMap<&str, &String> = catalog_ids
        .iter()
        .map(|(pid, key)| (key.as_str(), pid))
        .collect();
    let mut unknown = Vec::new();
    let mut ids = Vec::new();
    for key in &wanted {
        match by_key.get(key) {
            Some(pid) => ids.push((*pid).clone()),
            None => unknown.push(*key),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "permission_keys",
            "unknown",
            unknown_keys_message(&unknown),
        )]));
    }
    catalog::clear_role_permissions(&mut tx, &env.account_id, id).await?;
    let now_ms = store::ms(s.now());
    for pid in &ids {
        catalog::grant(&mut tx, &env.account_id, id, pid, now_ms).await?;
    }
    let role_now = catalog::role_by_id(&mut *tx, env, id)
        .await?
        .ok_or_else(|| AppError::internal("role", "vanished"))?;
    let events = vec![
        event(caller, "role.permissions_set")
            .resource("role", id, &role.name)
            .metadata(serde_json::json!({ "permission_keys": wanted })),
    ];
    audit::commit(s, tx, events).await?;
    Ok((role_now, wanted.into_iter().map(str::to_owned).collect()))
}

/// How many unknown keys a refusal names: enough for any list an admin types or a dashboard sends
/// by mistake, while a list the size of the body limit cannot make a megabyte-long answer.
const UNKNOWN_KEYS_NAMED: usize = 10;

fn unknown_keys_message(unknown: &[&str]) -> String {
    // No key is longer than a permission key can be (128 characters): what is, is cut.
    let shown = |key: &&str| match key.char_indices().nth(128) {
        Some((end, _)) => format!("{}…", &key[..end]),
        None => (*key).to_owned(),
    };
    let named: Vec<String> = unknown.iter().take(UNKNOWN_KEYS_NAMED).map(shown).collect();
    let named = named.join(", ");
    match unknown.len().saturating_sub(UNKNOWN_KEYS_NAMED) {
        0 => format!("These permissions do not exist in this environment: {named}."),
        more => {
            format!("These permissions do not exist in this environment: {named} and {more} more.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_at_most_ten_unknown_keys_each_at_most_a_key_long() {
        let few = ["a.b", "c.d"];
        assert_eq!(
            unknown_keys_message(&few),
            "These permissions do not exist in this environment: a.b, c.d."
        );
        let keys: Vec<String> = (0..170_000).map(|i| format!("k.k{i}")).collect();
        let many: Vec<&str> = keys.iter().map(String::as_str).collect();
        let message = unknown_keys_message(&many);
        assert!(message.ends_with("k.k9 and 169990 more."), "{message}");
        let long = "x".repeat(1_000_000);
        let message = unknown_keys_message(&[long.as_str()]);
        assert!(message.chars().count() < 250, "{}", message.len());
        assert!(message.contains('…'));
    }
}
