//! The per-environment evaluation cache and what it knows of each account's change journal.
//!
//! Evaluation reads an in-memory [`Snapshot`] of the environment instead of querying per check.
//! Every write that can change an answer appends to the account's change journal and takes the
//! account's next seq in its own transaction (`audit::commit`, table `access_journal`), and seqs
//! commit in order. A snapshot remembers the seq it reflects; this process remembers the highest
//! seq it knows committed per account (`advance`: after its own commits at once, other
//! processes' through `access_sync`). A snapshot is only served while it is at or past that seq;
//! otherwise the checker applies the journal since the snapshot's seq (re-reading only what the
//! entries name) or, when the journal no longer reaches back that far, reloads whole.
//!
//! Correctness never depends on timing: a load first reads the account's committed seq from the
//! database and only then the data, so what it read is at least as new as the seq it is tagged
//! with; a write that commits during the load has a higher seq, and once this process knows it,
//! the snapshot is not served until that write has been applied. Applying an entry re-reads the
//! current rows, so applying one the snapshot already reflects is harmless. Assignment windows
//! are compared with the clock at each check, so the passing of time needs no invalidation.
//!
//! `invalidate` (an epoch per account) is for writes made outside the journal (tests that seed
//! rows directly): every snapshot of the account is reloaded whole.

use crate::services::evaluate::Snapshot;
use crate::store::access::Head;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// What a snapshot (or a cached API key) was read under. Later ones compare greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Generation {
    pub epoch: u64,
    pub seq: i64,
}

#[derive(Default)]
pub struct AccessCache {
    accounts: Mutex<HashMap<String, Known>>,
    snapshots: RwLock<HashMap<String, Cached>>,
    /// One loader per environment at a time: checks that miss together wait for one load or
    /// apply instead of each doing it.
    loaders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Whole reads and journal applies so far: what tests and benches look at to tell that a
    /// write cost an apply, not a reload.
    full_loads: AtomicU64,
    applies: AtomicU64,
}

/// `AccessCache::counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadCounts {
    pub full_loads: u64,
    pub applies: u64,
}

/// What this process knows of an account: its generation, and the `key_seq` of the newest head
/// it heard of (`Head`).
#[derive(Default, Clone, Copy)]
struct Known {
    generation: Generation,
    key_seq: i64,
}

struct Cached {
    generation: Generation,
    snapshot: Arc<Snapshot>,
}

impl AccessCache {
    fn known(&self, account_id: &str) -> Known {
        let accounts = self
            .accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        accounts.get(account_id).copied().unwrap_or_default()
    }

    /// The newest state of `account_id` this process knows of; read it *before* loading.
    pub fn generation(&self, account_id: &str) -> Generation {
        self.known(account_id).generation
    }

    /// What a cached API key of `account_id` depends on: the epoch and the newest `key_seq`
    /// this process knows of. Only writes that can change a key move it (`Head`), so a key
    /// survives the identity writes made with it; read it *before* reading the key.
    pub fn key_generation(&self, account_id: &str) -> Generation {
        let known = self.known(account_id);
        Generation {
            epoch: known.generation.epoch,
            seq: known.key_seq,
        }
    }

    /// The account's journal has reached `head` (committed). Call after the commit, never before.
    pub fn advance(&self, account_id: &str, head: Head) {
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let known = accounts.entry(account_id.to_owned()).or_default();
        known.generation.seq = known.generation.seq.max(head.seq);
        known.key_seq = known.key_seq.max(head.key_seq);
    }

    /// Every snapshot of the account is stale from now on and is reloaded whole: for writes that
    /// bypassed the journal. Call after the write has committed.
    pub fn invalidate(&self, account_id: &str) {
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        accounts
            .entry(account_id.to_owned())
            .or_default()
            .generation
            .epoch += 1;
    }

    /// The cached snapshot of the environment, if it is current for `known` (its account's
    /// `generation`).
    pub fn get(&self, environment_id: &str, known: Generation) -> Option<Arc<Snapshot>> {
        self.cached(environment_id)
            .filter(|(generation, _)| {
                generation.epoch == known.epoch && generation.seq >= known.seq
            })
            .map(|(_, snapshot)| snapshot)
    }

    /// The cached snapshot of the environment, current or not, with what it was read under: the
    /// base an apply starts from.
    pub fn cached(&self, environment_id: &str) -> Option<(Generation, Arc<Snapshot>)> {
        let snapshots = self
            .snapshots
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        snapshots
            .get(environment_id)
            .map(|cached| (cached.generation, cached.snapshot.clone()))
    }

    /// How many whole reads and journal applies this cache has done.
    pub fn counts(&self) -> LoadCounts {
        LoadCounts {
            full_loads: self.full_loads.load(Ordering::Relaxed),
            applies: self.applies.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_load(&self, applied: bool) {
        let counter = if applied {
            &self.applies
        } else {
            &self.full_loads
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The lock a loader of `environment_id` holds while it reads or applies.
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

    /// Keeps `snapshot`, read under `generation`, unless a newer one is already kept.
    pub fn put(&self, environment_id: &str, generation: Generation, snapshot: Arc<Snapshot>) {
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

    /// A head whose writes changed no key.
    fn at(seq: i64) -> Head {
        Head { seq, key_seq: 0 }
    }

    #[test]
    fn a_snapshot_loaded_before_a_write_is_never_served_after_it() {
        let cache = AccessCache::default();
        // A load reads the committed seq (say 4) and the epoch before it reads the data…
        cache.advance("acct", at(4));
        let before = Generation {
            seq: 4,
            ..cache.generation("acct")
        };
        // …a write commits as seq 5 while the load is in flight…
        cache.advance("acct", at(5));
        // …then the slow load stores what it read, tagged with the seq it read first.
        cache.put("env", before, Arc::new(Snapshot::default()));
        assert!(cache.get("env", cache.generation("acct")).is_none());

        // Applying seq 5 makes it current again.
        let applied = Generation { seq: 5, ..before };
        cache.put("env", applied, Arc::new(Snapshot::default()));
        assert!(cache.get("env", cache.generation("acct")).is_some());
        // An older load finishing late does not replace the newer snapshot.
        cache.put("env", before, Arc::new(Snapshot::default()));
        assert_eq!(cache.cached("env").map(|(g, _)| g), Some(applied));
    }

    #[test]
    fn a_snapshot_ahead_of_what_this_process_heard_is_served() {
        // A load may read a seq another process committed before this one was told of it.
        let cache = AccessCache::default();
        cache.advance("acct", at(2));
        let read = Generation {
            seq: 7,
            ..cache.generation("acct")
        };
        cache.put("env", read, Arc::new(Snapshot::default()));
        assert!(cache.get("env", cache.generation("acct")).is_some());
        cache.advance("acct", at(8));
        assert!(cache.get("env", cache.generation("acct")).is_none());
    }

    #[test]
    fn invalidate_outranks_any_seq() {
        let cache = AccessCache::default();
        cache.advance("acct", at(3));
        let read = cache.generation("acct");
        cache.put("env", read, Arc::new(Snapshot::default()));
        cache.invalidate("acct");
        assert!(cache.get("env", cache.generation("acct")).is_none());
        // A seq-newer snapshot of the old epoch is still stale.
        cache.put(
            "env",
            Generation { seq: 9, ..read },
            Arc::new(Snapshot::default()),
        );
        assert!(cache.get("env", cache.generation("acct")).is_none());
    }

    #[test]
    fn accounts_advance_independently() {
        let cache = AccessCache::default();
        let other = cache.generation("other");
        cache.advance("acct", at(1));
        cache.invalidate("acct");
        assert_eq!(cache.generation("other"), other);
        assert_eq!(cache.generation("acct"), Generation { epoch: 1, seq: 1 });
        // Seqs only move forward (notifications can arrive out of order).
        cache.advance("acct", at(0));
        assert_eq!(cache.generation("acct").seq, 1);
    }

    #[test]
    fn a_key_is_current_until_a_write_that_can_change_keys() {
        let cache = AccessCache::default();
        cache.advance("acct", Head { seq: 4, key_seq: 2 });
        let read = cache.key_generation("acct");
        // Identity writes move the seq, not what a cached key was read under…
        cache.advance("acct", at(9));
        assert_eq!(cache.key_generation("acct"), read);
        assert_eq!(cache.generation("acct").seq, 9);
        // …a key revocation (from any process) does,
        cache.advance(
            "acct",
            Head {
                seq: 10,
                key_seq: 10,
            },
        );
        assert!(cache.key_generation("acct") > read);
        // and so does a write made outside the journal.
        let read = cache.key_generation("acct");
        cache.invalidate("acct");
        assert!(cache.key_generation("acct") > read);
    }
}
