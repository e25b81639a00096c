//! API keys: create (the key is shown once), list, revoke, and authenticate a request.
//!
//! Format (decisions.md › Tenancy): `arb_` + an environment marker (`dev_`, `prd_`, `env_`) + 32
//! random bytes base64url. Only the SHA-256 of the whole key is stored; lookups go by that digest.

use crate::error::{AppError, Resource};
use crate::model::{ApiKey, ApiKeyForm, ApiKeyStatus, CreatedApiKey, EnvScope, SystemPermission};
use crate::services::access_cache::Generation;
use crate::services::audit::{self, Actor};
use crate::services::{Caller, Services, tokens};
use crate::store::{self, api_keys as store_k};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// A looked-up key is trusted this long without reading it again. Changes made through this
/// process invalidate it at once, and another process's (`arbor api-key revoke`, another node)
/// as soon as the access journal reaches this one (`access_journal::run_sync`: a notification,
/// or the poll every 500 ms); this bounds it even without that.
pub const KEY_RECHECK_MS: i64 = 1_000;

/// When each key's use was last written, to coalesce those writes; and the keys already looked
/// up, so most requests cost no database read. A cached key is used only while no write that can
/// change a key (its account's `key_seq`, which every key change moves, on any node — see
/// `access_cache`) is known to be newer than the row, and for at most `KEY_RECHECK_MS`; expiry is
/// checked against the clock on every request.
#[derive(Default)]
pub struct UsageLedger {
    last_written: Mutex<HashMap<String, i64>>,
    known: Mutex<HashMap<String, KnownKey>>,
}

struct KnownKey {
    generation: Generation,
    read_at_ms: i64,
    row: Arc<store_k::ApiKeyRow>,
}

impl UsageLedger {
    /// Whether a use at `now_ms` should be written (and, if so, records that it will be).
    fn due(&self, key_id: &str, now_ms: i64) -> bool {
        let mut seen = self.last_written.lock().unwrap_or_else(|p| p.into_inner());
        match seen.get(key_id) {
            Some(last) if now_ms - last < LAST_USED_RESOLUTION_MS => false,
            _ => {
                seen.insert(key_id.to_owned(), now_ms);
                true
            }
        }
    }
}

fn marker(kind: &str) -> &'static str {
    match kind {
        "development" => "dev_",
        "production" => "prd_",
        _ => "env_",
    }
}

fn status(row: &store_k::ApiKeyRow, now_ms: i64) -> ApiKeyStatus {
    if row.revoked_ms.is_some() {
        ApiKeyStatus::Revoked
    } else if row.expires_ms.is_some_and(|at| at <= now_ms) {
        ApiKeyStatus::Expired
    } else {
        ApiKeyStatus::Active
    }
}

fn to_dto(row: store_k::ApiKeyRow, now_ms: i64) -> ApiKey {
    ApiKey {
        status: status(&row, now_ms),
        id: row.id,
        application_id: row.application_id,
        environment_id: row.environment_id,
        name: row.name,
        description: row.description,
        key_preview: row.key_preview,
        scopes: row.scopes,
        expires_at: row.expires_ms.map(store::rfc3339),
        last_used_at: row.last_used_ms.map(store::rfc3339),
        created_at: store::rfc3339(row.created_ms),
    }
}

/// Creates a key in the caller's environment (the wizard, `arbor api-key create`). The secret is
/// in the answer this once and never again.
pub async fn create(
    s: &Services,
    caller: &Caller,
    form: &ApiKeyForm,
) -> Result<CreatedApiKey, AppError> {
    caller.require(SystemPermission::ApiKeyManage)?;
    let valid = form.validate(Some(s.now())).map_err(AppError::validation)?;
    let env = caller.env()?;
    let kind = store_k::environment_kind(s.db.reader(), env).await?;
    let key = format!("arb_{}{}", marker(&kind), tokens::new_token());
    let preview = format!("{}****", key.chars().take(12).collect::<String>());
    let id = s.new_id();
    let now_ms = store::ms(s.now());
    let created_by = match caller.actor() {
        Actor::Admin { label, .. }
        | Actor::ApiKey { label, .. }
        | Actor::Identity { label, .. } => label,
        Actor::System => "arbor api-key".to_owned(),
    };
    let mut tx = s.db.begin().await?;
    store_k::insert(
        &mut tx,
        env,
        store_k::NewApiKey {
            id: &id,
            name: &valid.name,
            description: &valid.description,
            key_hash: &tokens::digest(&key),
            key_preview: &preview,
            scopes: &valid.scopes,
            expires_ms: valid.expires_at.map(store::ms),
            created_by: &created_by,
            now_ms,
        },
    )
    .await?;
    let event = caller
        .event("api_key.created", "api_key")
        .resource("api_key", &id, &valid.name)
        .metadata(serde_json::json!({ "scopes": valid.scopes, "preview": preview }));
    let row = store_k::by_id(&mut *tx, env, &id)
        .await?
        .ok_or_else(|| AppError::internal("api_key", "vanished"))?;
    audit::commit(s, tx, vec![event]).await?;
    Ok(CreatedApiKey {
        api_key: to_dto(row, now_ms),
        key,
    })
}

/// The environment of `arbor api-key`, by slugs (the CLI acts as the operator, not an admin).
pub async fn scope_by_slugs(
    s: &Services,
    account: &str,
    application: &str,
    environment: &str,
) -> Result<EnvScope, AppError> {
    let (account_id, application_id, environment_id, _) =
        store_k::environment_by_slugs(s.db.reader(), account, application, environment)
            .await?
            .ok_or(AppError::NotFound {
                resource: Resource::Environment,
            })?;
    Ok(EnvScope {
        account_id,
        application_id,
        environment_id,
    })
}

/// The keys of the caller's environment. Key metadata is configuration: managing keys is what
/// lets one see them.
pub async fn list(s: &Services, caller: &Caller) -> Result<Vec<ApiKey>, AppError> {
    caller.require(SystemPermission::ApiKeyManage)?;
    let now_ms = store::ms(s.now());
    Ok(store_k::of_environment(s.db.reader(), caller.env()?)
        .await?
        .into_iter()
        .map(|row| to_dto(row, now_ms))
        .collect())
}

/// Revokes a key for good; revoking it again is `api_keys.not_found`.
pub async fn revoke(s: &Services, caller: &Caller, id: &str) -> Result<(), AppError> {
    caller.require(SystemPermission::ApiKeyManage)?;
    let env = caller.env()?;
    let mut tx = s.db.begin().await?;
    let row = store_k::by_id(&mut *tx, env, id)
        .await?
        .ok_or(AppError::NotFound {
            resource: Resource::ApiKey,
        })?;
    if !store_k::revoke(&mut tx, env, id, store::ms(s.now())).await? {
        return Err(AppError::NotFound {
            resource: Resource::ApiKey,
        });
    }
    let event = caller
        .event("api_key.revoked", "api_key")
        .resource("api_key", id, &row.name);
    audit::commit(s, tx, vec![event]).await
}

/// The stored key with this digest, from the ledger while no write that can change a key has
/// reached this process since it was read.
async fn find(s: &Services, key_hash: &str) -> Result<Option<Arc<store_k::ApiKeyRow>>, AppError> {
    let now_ms = store::ms(s.now());
    let cached = s
        .api_key_usage
        .known
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(key_hash)
        .map(|k| (k.generation, k.read_at_ms, k.row.clone()));
    let epoch = match cached {
        Some((generation, read_at_ms, row)) => {
            let known = s.access_cache.key_generation(&row.account_id);
            // Current unless a key change this process knows of is newer than the read (the
            // identity writes made with the key do not count: `Head::key_seq`).
            if known.epoch == generation.epoch
                && known.seq <= generation.seq
                && (0..KEY_RECHECK_MS).contains(&(now_ms - read_at_ms))
            {
                return Ok(Some(row));
            }
            // A key never changes account: its epoch can be read before the one read below.
            Some(known.epoch)
        }
        None => None,
    };
    // The epoch (writes outside the journal) is read before the row: a key seen for the first
    // time needs a read to learn its account, then the row again.
    let epoch = match epoch {
        Some(epoch) => epoch,
        None => match store_k::by_hash_with_head(s.db.reader(), key_hash).await? {
            Some((row, _)) => s.access_cache.key_generation(&row.account_id).epoch,
            None => return Ok(None),
        },
    };
    // The row and its account's head in one statement: the copy is tagged with the `key_seq`
    // it is at least as new as, so a later revocation (a higher one) is never served once known.
    let Some((row, head)) = store_k::by_hash_with_head(s.db.reader(), key_hash).await? else {
        return Ok(None);
    };
    let row = Arc::new(row);
    // What was read may be newer than what this process had heard of.
    s.access_cache.advance(&row.account_id, head);
    s.api_key_usage
        .known
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            key_hash.to_owned(),
            KnownKey {
                generation: Generation {
                    epoch,
                    seq: head.key_seq,
                },
                read_at_ms: now_ms,
                row: row.clone(),
            },
        );
    Ok(Some(row))
}

/// The caller behind an `X-API-Key` value, or why there is none.
pub async fn authenticate(s: &Services, key: Option<&str>) -> Result<Caller, AppError> {
    let key = key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(AppError::ApiKeyMissing)?;
    if !key.starts_with("arb_") || key.len() > 200 {
        return Err(AppError::ApiKeyInvalid);
    }
    let row = find(s, &tokens::digest(key))
        .await?
        .ok_or(AppError::ApiKeyInvalid)?;
    let now_ms = store::ms(s.now());
    match status(&row, now_ms) {
        ApiKeyStatus::Revoked => return Err(AppError::ApiKeyRevoked),
        ApiKeyStatus::Expired => return Err(AppError::ApiKeyExpired),
        ApiKeyStatus::Active => {}
    }
    if s.api_key_usage.due(&row.id, now_ms) {
        let mut tx = s.db.begin().await?;
        store_k::touch(&mut tx, &row.account_id, &row.id, now_ms).await?;
        tx.commit().await?;
    }
    Ok(Caller::api_key(
        row.id.clone(),
        format!("{} ({})", row.name, row.key_preview),
        EnvScope {
            account_id: row.account_id.clone(),
            application_id: row.application_id.clone(),
            environment_id: row.environment_id.clone(),
        },
        &row.scopes,
    ))
}
