//! Throttling of failed admin sign-ins, per email and per client address, in memory: each node's
//! first line, in front of the limits the nodes share in the database (`shared_limits`), so a
//! flood is stopped here before it reaches the database.
//!
//! Both maps here are keyed by what a client chooses (an email, an address), so both live in
//! `moka` caches bounded in entries and by the window (an entry untouched for a whole window
//! holds no live failure): a flood of distinct keys evicts the least useful ones instead of
//! growing memory (decisions.md › Hardened edges).

use moka::sync::Cache;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_EMAIL: usize = 5;
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// Emails and addresses tracked at once by the sign-in throttle (each a handful of timestamps).
pub const MAX_TRACKED: u64 = 50_000;

type Times = Arc<Mutex<Vec<OffsetDateTime>>>;

fn bounded_cache(capacity: u64, window: Duration) -> Cache<String, Times> {
    Cache::builder()
        .max_capacity(capacity)
        .time_to_idle(std::time::Duration::try_from(window).unwrap_or_default())
        .build()
}

pub struct LoginThrottle {
    failures: Cache<String, Times>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            failures: bounded_cache(MAX_TRACKED, WINDOW),
        }
    }
}

impl LoginThrottle {
    fn keys(email: &str, address: Option<&str>) -> [(String, usize); 2] {
        [
            (format!("email:{email}"), MAX_FAILURES_PER_EMAIL),
            (
                format!("addr:{}", address.unwrap_or("unknown")),
                MAX_FAILURES_PER_ADDRESS,
            ),
        ]
    }

    /// Seconds to wait before another attempt is accepted, if any.
    pub fn retry_after(
        &self,
        email: &str,
        address: Option<&str>,
        now: OffsetDateTime,
    ) -> Option<u64> {
        let mut wait: Option<Duration> = None;
        for (key, limit) in Self::keys(email, address) {
            let Some(times) = self.failures.get(&key) else {
                continue;
            };
            let mut times = times.lock().unwrap_or_else(|p| p.into_inner());
            times.retain(|t| now - *t < WINDOW);
            if times.len() >= limit
                && let Some(oldest) = times.first()
            {
                let until = *oldest + WINDOW - now;
                wait = Some(wait.map_or(until, |w| w.max(until)));
            }
        }
        if wait.is_some() {
            metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "admin_sign_in")
                .increment(1);
        }
        wait.map(|w| u64::try_from(w.whole_seconds().max(1)).unwrap_or(1))
    }

    pub fn record_failure(&self, email: &str, address: Option<&str>, now: OffsetDateTime) {
        for (key, limit) in Self::keys(email, address) {
            let times = self.failures.get_with(key, Times::default);
            let mut times = times.lock().unwrap_or_else(|p| p.into_inner());
            times.push(now);
            // Only the last `limit` failures decide anything.
            if times.len() > limit {
                let excess = times.len() - limit;
                times.drain(..excess);
            }
        }
    }

    /// A successful sign-in clears that email's failures (the address keeps its count).
    pub fn record_success(&self, email: &str) {
        self.failures.invalidate(&format!("email:{email}"));
    }

    /// Emails and addresses tracked now (after pending evictions), for tests.
    pub fn tracked(&self) -> u64 {
        self.failures.run_pending_tasks();
        self.failures.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_email_for_the_rest_of_the_window() {
        let t = LoginThrottle::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        for i in 0..5 {
            assert_eq!(
                t.retry_after("a@x.io", Some("1.1.1.1"), start),
                None,
                "attempt {i}"
            );
            t.record_failure("a@x.io", Some("1.1.1.1"), start);
        }
        assert_eq!(t.retry_after("a@x.io", Some("1.1.1.1"), start), Some(900));
        assert_eq!(t.retry_after("b@x.io", Some("1.1.1.1"), start), None);
        let later = start + Duration::minutes(15);
        assert_eq!(t.retry_after("a@x.io", Some("1.1.1.1"), later), None);
    }
}

/// Per-address limits of the public identity endpoints (`/v1/identity/auth`): failed logins, and
/// forgot-password / resend-verification requests (each of which may send an email). A sliding
/// window per address, in a bounded cache like `LoginThrottle`'s: at most `MAX_ADDRESSES`
/// addresses, each forgotten after a window without attempts.
pub struct AddressLimiter {
    /// Which limit this is: the shared counter's key starts with it (`shared_limits`).
    name: &'static str,
    limit: std::sync::atomic::AtomicUsize,
    window: Duration,
    attempts: Cache<String, Times>,
}

pub const MAX_ADDRESSES: u64 = 50_000;

impl AddressLimiter {
    pub fn new(name: &'static str, limit: usize, window: Duration) -> Self {
        AddressLimiter {
            name,
            limit: std::sync::atomic::AtomicUsize::new(limit.max(1)),
            window,
            attempts: bounded_cache(MAX_ADDRESSES, window),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn limit(&self) -> usize {
        self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Tests (and a future setting) change the limit; what was counted is forgotten.
    pub fn set_limit(&self, limit: usize) {
        self.limit
            .store(limit.max(1), std::sync::atomic::Ordering::Relaxed);
        self.attempts.invalidate_all();
    }

    /// Seconds until `address` may try again, if it is over its limit now.
    pub fn retry_after(&self, address: &str, now: OffsetDateTime) -> Option<u64> {
        let limit = self.limit.load(std::sync::atomic::Ordering::Relaxed);
        let times = self.attempts.get(address)?;
        let mut times = times.lock().unwrap_or_else(|p| p.into_inner());
        times.retain(|t| now - *t < self.window);
        if times.len() < limit {
            return None;
        }
        let oldest = times.first()?;
        let wait = *oldest + self.window - now;
        metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "identity_address")
            .increment(1);
        Some(u64::try_from(wait.whole_seconds().max(1)).unwrap_or(1))
    }

    /// Counts one attempt from `address`.
    pub fn record(&self, address: &str, now: OffsetDateTime) {
        let limit = self.limit.load(std::sync::atomic::Ordering::Relaxed);
        let times = self.attempts.get_with(address.to_owned(), Times::default);
        let mut times = times.lock().unwrap_or_else(|p| p.into_inner());
        times.push(now);
        // Only the last `limit` attempts decide anything.
        if times.len() > limit {
            let excess = times.len() - limit;
            times.drain(..excess);
        }
    }

    /// `retry_after`, and counting the attempt when it is allowed: for limits on every request.
    pub fn take(&self, address: &str, now: OffsetDateTime) -> Option<u64> {
        if let Some(wait) = self.retry_after(address, now) {
            return Some(wait);
        }
        self.record(address, now);
        None
    }

    /// Addresses tracked now (after pending evictions), for tests.
    pub fn tracked(&self) -> u64 {
        self.attempts.run_pending_tasks();
        self.attempts.entry_count()
    }
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn an_address_over_its_limit_waits_for_the_oldest_attempt_to_leave_the_window() {
        let limiter = AddressLimiter::new("test", 5, Duration::minutes(15));
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..5 {
            assert_eq!(limiter.retry_after("1.1.1.1", start), None);
            limiter.record("1.1.1.1", start);
        }
        assert_eq!(limiter.retry_after("1.1.1.1", start), Some(900));
        assert_eq!(limiter.retry_after("2.2.2.2", start), None);
        assert_eq!(
            limiter.retry_after("1.1.1.1", start + Duration::minutes(15)),
            None
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = AddressLimiter::new("test", 2, Duration::minutes(15));
        let start = OffsetDateTime::UNIX_EPOCH;
        for i in 0..(MAX_ADDRESSES + 10) {
            limiter.record(&format!("10.0.{}.{}", i / 256, i % 256), start);
        }
        assert!(limiter.tracked() <= MAX_ADDRESSES);
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    /// Attacker-chosen emails cannot grow the sign-in throttle past its bound.
    #[test]
    fn a_hundred_thousand_distinct_emails_stay_bounded() {
        let t = LoginThrottle::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        for i in 0..100_000 {
            let email = format!("victim-{i}@example.com");
            assert_eq!(t.retry_after(&email, Some("203.0.113.9"), now), None);
            t.record_failure(
                &email,
                Some(&format!("198.51.{}.{}", i / 256 % 256, i % 256)),
                now,
            );
        }
        let tracked = t.tracked();
        assert!(tracked <= MAX_TRACKED, "{tracked} entries");
        assert!(tracked > MAX_TRACKED / 2, "the cache is used: {tracked}");
    }
}
