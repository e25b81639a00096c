//! The per-API-key rate limit: a token bucket per key, refilled continuously at `per_minute`
//! tokens a minute and holding at most that many (so a quiet key may burst a minute's worth).
//! Time comes from the injected clock.

use crate::error::AppError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default: generous for a backend, a brake on a runaway loop.
pub const DEFAULT_PER_MINUTE: u64 = 6_000;

/// The default of permission evaluation's own budget (`ARBOR_EVALUATE_RATE_LIMIT`): 20,000
/// checks a second per key. A backend asks before each of its own requests, and a check is an
/// in-memory lookup, so evaluation does not share the budget of the other endpoints.
pub const DEFAULT_EVALUATE_PER_MINUTE: u64 = 1_200_000;

pub struct RateLimiter {
    per_minute: AtomicU64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(DEFAULT_PER_MINUTE)
    }
}

impl RateLimiter {
    pub fn new(per_minute: u64) -> Self {
        RateLimiter {
            per_minute: AtomicU64::new(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn set_per_minute(&self, per_minute: u64) {
        self.per_minute.store(per_minute.max(1), Ordering::Relaxed);
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Takes one request's token for `key_id` at `now_ms`, or says when to retry.
    pub fn take(&self, key_id: &str, now_ms: i64) -> Result<(), AppError> {
        let capacity = self.per_minute.load(Ordering::Relaxed) as f64;
        let per_ms = capacity / 60_000.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key_id.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * per_ms).min(capacity);
        bucket.at_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_ms = (1.0 - bucket.tokens) / per_ms;
        Err(AppError::RateLimited {
            retry_after_secs: (wait_ms / 1000.0).ceil().max(1.0) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_requests_then_a_clear_wait() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.take("k", 0).is_ok());
        }
        assert_eq!(
            limiter.take("k", 0),
            Err(AppError::RateLimited {
                retry_after_secs: 20
            })
        );
        assert!(limiter.take("other", 0).is_ok(), "keys are limited apart");
        assert!(
            limiter.take("k", 20_000).is_ok(),
            "one token back after 20 s"
        );
        assert!(limiter.take("k", 20_000).is_err());
    }
}
