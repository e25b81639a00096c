//! The per-environment evaluation cache.
//!
//! Evaluation reads an in-memory [`Snapshot`] of the environment (tree, roles with their
//! permission keys, every assignment with its identity's standing) instead of querying per check.
//! Correctness never depends on timing: each account has a generation counter that every service
//! write bumps *after* its commit (`audit::commit`), and a snapshot is only served while the
//! generation it was loaded under is still current. A load that races a write is therefore tagged
//! with the old generation and never served after the write. Assignment windows are kept in the
//! snapshot and compared with the clock at each check, so the passing of time needs no
//! invalidation.
//!
//! The cache is per process: it is exact for one Arbor process per database (the SQLite default
//! and a single PostgreSQL-backed server). See docs/performance.md.

use crate::services::evaluate::Snapshot;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Default)]
pub struct AccessCache {
    generations: Mutex<HashMap<String, u64>>,
    snapshots: RwLock<HashMap<String, Cached>>,
    /// One loader per environment at a time: checks that miss together wait for one load
    /// instead of each reading the whole environment.
    loaders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

struct Cached {
    generation: u64,
    snapshot: Arc<Snapshot>,
}

impl AccessCache {
    /// The current generation of `account_id`; read it *before* loading a snapshot.
    pub fn generation(&self, account_id: &str) -> u64 {
        let generations = self
            .generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        generations.get(account_id).copied().unwrap_or(0)
    }

    /// Every snapshot of the account is stale from now on. Call after the write has committed.
    pub fn invalidate(&self, account_id: &str) {
        let mut generations = self
            .generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *generations.entry(account_id.to_owned()).or_insert(0) += 1;
    }

    /// The cached snapshot of the environment, if it was loaded under `generation`.
    pub fn get(&self, environment_id: &str, generation: u64) -> Option<Arc<Snapshot>> {
        let snapshots = self
            .snapshots
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        snapshots
            .get(environment_id)
            .filter(|cached| cached.generation == generation)
            .map(|cached| cached.snapshot.clone())
    }

    /// The lock a loader of `environment_id` holds while it reads the environment.
    pub fn loader(&self, environment_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut loaders = self
            .loaders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loaders
            .entry(environment_id.to_owned())
            .or_default()
            .clone()
    }

    /// Keeps `snapshot`, loaded under `generation`, unless a newer one is already kept.
    pub fn put(&self, environment_id: &str, generation: u64, snapshot: Arc<Snapshot>) {
        let mut snapshots = self
            .snapshots
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let newer_kept = snapshots
            .get(environment_id)
            .is_some_and(|cached| cached.generation > generation);
        if !newer_kept {
            snapshots.insert(
                environment_id.to_owned(),
                Cached {
                    generation,
                    snapshot,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_loaded_before_a_write_is_never_served_after_it() {
        let cache = AccessCache::default();
        let before = cache.generation("acct");
        // A write commits and invalidates while the load is in flight…
        cache.invalidate("acct");
        // …then the slow load stores what it read under the old generation.
        cache.put("env", before, Arc::new(Snapshot::default()));
        assert!(cache.get("env", cache.generation("acct")).is_none());

        let now = cache.generation("acct");
        cache.put("env", now, Arc::new(Snapshot::default()));
        assert!(cache.get("env", now).is_some());
        // An older load finishing late does not replace the newer snapshot.
        cache.put("env", before, Arc::new(Snapshot::default()));
        assert!(cache.get("env", now).is_some());
    }

    #[test]
    fn accounts_invalidate_independently() {
        let cache = AccessCache::default();
        let other = cache.generation("other");
        cache.invalidate("acct");
        assert_eq!(cache.generation("other"), other);
        assert_eq!(cache.generation("acct"), 1);
    }
}
