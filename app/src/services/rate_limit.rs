//! The per-API-key rate limits: a token bucket per key, refilled continuously at `per_minute`
//! tokens a minute and holding at most that many (so a quiet key may burst a minute's worth).
//!
//! The bucket is shared by every node on the database (`rate_buckets`, a GCRA), but a request
//! never waits for it: each node leases tokens in chunks of a tenth of a second of the key's rate
//! (at least 1), spends them from memory, and goes back to the database only when its chunk is
//! spent. With N nodes the key's limit holds within N chunks (decisions.md › Several nodes). A
//! refused lease is remembered until a token is due, so a key over its limit costs no database
//! round trip per request either. Time comes from the injected clock.

use crate::error::AppError;
use crate::store::{Db, limits};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;

/// The default: generous for a backend, a brake on a runaway loop.
pub const DEFAULT_PER_MINUTE: u64 = 6_000;

/// The default of permission evaluation's own budget (`ARBOR_EVALUATE_RATE_LIMIT`): 20,000
/// checks a second per key. A backend asks before each of its own requests, and a check is an
/// in-memory lookup, so evaluation does not share the budget of the other endpoints.
pub const DEFAULT_EVALUATE_PER_MINUTE: u64 = 1_200_000;

/// The bucket's refill period: it holds a minute's worth.
const WINDOW_NS: i64 = 60_000_000_000;
/// A lease is this fraction of a minute's tokens (a tenth of a second).
const CHUNKS_PER_MINUTE: u64 = 600;

pub struct RateLimiter {
    /// Which budget (`api`, `evaluate`): the shared bucket's key starts with it.
    name: &'static str,
    per_minute: AtomicU64,
    /// This node's leased, unspent tokens per key (keys are authenticated API keys: bounded).
    leased: Mutex<HashMap<String, Leased>>,
}

#[derive(Default)]
struct Leased {
    tokens: u64,
    /// A lease was refused: none is worth asking for before this (ns of the clock).
    refused_until_ns: i64,
}

impl RateLimiter {
    pub fn new(name: &'static str, per_minute: u64) -> Self {
        RateLimiter {
            name,
            per_minute: AtomicU64::new(per_minute.max(1)),
            leased: Mutex::new(HashMap::new()),
        }
    }

    pub fn set_per_minute(&self, per_minute: u64) {
        self.per_minute.store(per_minute.max(1), Ordering::Relaxed);
        self.leased
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The tokens one lease asks for.
    pub fn chunk(&self) -> u64 {
        (self.per_minute.load(Ordering::Relaxed) / CHUNKS_PER_MINUTE).max(1)
    }

    /// Takes one request's token for `key_id` at `now`, or says when to retry.
    pub async fn take(&self, db: &Db, key_id: &str, now: OffsetDateTime) -> Result<(), AppError> {
        let per_minute = self.per_minute.load(Ordering::Relaxed);
        // Over a million a second (or "no limit", u64::MAX): a token is under a nanosecond.
        let Ok(spacing_ns @ 1..) = i64::try_from(60_000_000_000 / u128::from(per_minute)) else {
            return Ok(());
        };
        let now_ns = i64::try_from(now.unix_timestamp_nanos()).unwrap_or(i64::MAX);
        if let Some(leased) = self.lock().get_mut(key_id) {
            if leased.tokens > 0 {
                leased.tokens -= 1;
                return Ok(());
            }
            if now_ns < leased.refused_until_ns {
                return Err(refused(leased.refused_until_ns - now_ns));
            }
        }
        // The rate is part of the key: a changed setting starts a full bucket (as a restart
        // did), rather than carrying a debt measured in the old rate's tokens.
        let key = format!("{}:{per_minute}:{key_id}", self.name);
        let chunk = i64::try_from(self.chunk()).unwrap_or(i64::MAX);
        let pool = db.writer();
        match limits::lease(pool, &key, now_ns, spacing_ns, WINDOW_NS, chunk).await? {
            Some(granted) => {
                let mut leased = self.lock();
                let leased = leased.entry(key_id.to_owned()).or_default();
                // Leases that raced each other on this node all land here: nothing is lost.
                leased.tokens += u64::try_from(granted - 1).unwrap_or(0);
                Ok(())
            }
            None => {
                // One token is due when the arrival time is a window (less one token) away.
                let tat = limits::bucket_tat(pool, &key).await?.unwrap_or(now_ns);
                let due = tat + spacing_ns - WINDOW_NS;
                self.lock()
                    .entry(key_id.to_owned())
                    .or_default()
                    .refused_until_ns = due;
                Err(refused(due - now_ns))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Leased>> {
        self.leased.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn refused(wait_ns: i64) -> AppError {
    let secs = (wait_ns.max(0) as u64).div_ceil(1_000_000_000).max(1);
    AppError::RateLimited {
        retry_after_secs: secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    /// A fresh database file, deleted with the returned directory.
    async fn database() -> (tempfile::TempDir, Db) {
        // The limiter writes through the one writer connection; a file (an in-memory database
        // would differ between the read and write pools).
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let path = dir.path().join("rate-limit.db");
        let db = Db::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"));
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("migrate: {e}"));
        (dir, db)
    }

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[tokio::test]
    async fn a_minute_of_requests_then_a_clear_wait() {
        let (_dir, db) = database().await;
        let limiter = RateLimiter::new("api", 3);
        for _ in 0..3 {
            assert_eq!(limiter.take(&db, "k", T0).await, Ok(()));
        }
        assert_eq!(
            limiter.take(&db, "k", T0).await,
            Err(AppError::RateLimited {
                retry_after_secs: 20
            })
        );
        assert_eq!(
            limiter.take(&db, "other", T0).await,
            Ok(()),
            "keys are limited apart"
        );
        let later = T0 + Duration::seconds(20);
        assert_eq!(
            limiter.take(&db, "k", later).await,
            Ok(()),
            "one back in 20 s"
        );
        assert!(limiter.take(&db, "k", later).await.is_err());
    }

    /// Two nodes leasing from one bucket: together they never pass more than its capacity and
    /// the refill, plus one chunk each (what each may hold unspent).
    #[tokio::test]
    async fn two_leasers_never_exceed_capacity_plus_their_chunks() {
        let (_dir, db) = database().await;
        let per_minute = 6_000;
        let nodes = [
            RateLimiter::new("api", per_minute),
            RateLimiter::new("api", per_minute),
        ];
        let chunk = nodes[0].chunk();
        assert_eq!(chunk, 10);
        let mut passed = 0u64;
        let mut refused_at_once = 0;
        // Two seconds in steps of a millisecond, each node asking five times a step: far more
        // than the rate, so the bucket is what decides.
        let steps = 2_000;
        for step in 0..steps {
            let now = T0 + Duration::milliseconds(step);
            for node in &nodes {
                for _ in 0..5 {
                    match node.take(&db, "k", now).await {
                        Ok(()) => passed += 1,
                        Err(AppError::RateLimited { .. }) => refused_at_once += 1,
                        Err(other) => panic!("{other:?}"),
                    }
                }
            }
        }
        let refill = per_minute * u64::try_from(steps).unwrap_or(0) / 60_000;
        let bound = per_minute + refill + 2 * chunk;
        assert!(passed <= bound, "{passed} passed, bound {bound}");
        assert!(
            passed + 2 * chunk >= per_minute + refill,
            "{passed} passed: the nodes may spend the whole budget"
        );
        assert!(refused_at_once > 0);
    }

    #[tokio::test]
    async fn no_limit_never_reads_the_database() {
        let (_dir, db) = database().await;
        db.close().await;
        let limiter = RateLimiter::new("evaluate", u64::MAX);
        assert_eq!(limiter.take(&db, "k", T0).await, Ok(()));
    }
}
