//! Throttling of failed admin sign-ins, per email and per client address, in memory (one Arbor
//! process serves a deployment; a restart forgets — acceptable for a brake on guessing).

use std::collections::HashMap;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_EMAIL: usize = 5;
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<OffsetDateTime>>>,
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
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait: Option<Duration> = None;
        for (key, limit) in Self::keys(email, address) {
            let Some(times) = map.get_mut(&key) else {
                continue;
            };
            times.retain(|t| now - *t < WINDOW);
            if times.len() >= limit
                && let Some(oldest) = times.first()
            {
                let until = *oldest + WINDOW - now;
                wait = Some(wait.map_or(until, |w| w.max(until)));
            }
        }
        wait.map(|w| u64::try_from(w.whole_seconds().max(1)).unwrap_or(1))
    }

    pub fn record_failure(&self, email: &str, address: Option<&str>, now: OffsetDateTime) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(email, address) {
            map.entry(key).or_default().push(now);
        }
    }

    /// A successful sign-in clears that email's failures (the address keeps its count).
    pub fn record_success(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("email:{email}"));
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
/// window per address, in memory like `LoginThrottle`, but bounded: at most `MAX_ADDRESSES`
/// addresses are tracked, expired ones are dropped first, and when every slot is live the oldest
/// address is forgotten (a flood of spoofed-looking addresses cannot exhaust memory; each slot is
/// a handful of timestamps).
pub struct AddressLimiter {
    limit: std::sync::atomic::AtomicUsize,
    window: Duration,
    attempts: Mutex<HashMap<String, Vec<OffsetDateTime>>>,
}

pub const MAX_ADDRESSES: usize = 50_000;

impl AddressLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        AddressLimiter {
            limit: std::sync::atomic::AtomicUsize::new(limit.max(1)),
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Tests (and a future setting) change the limit; what was counted is forgotten.
    pub fn set_limit(&self, limit: usize) {
        self.limit
            .store(limit.max(1), std::sync::atomic::Ordering::Relaxed);
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Seconds until `address` may try again, if it is over its limit now.
    pub fn retry_after(&self, address: &str, now: OffsetDateTime) -> Option<u64> {
        let limit = self.limit.load(std::sync::atomic::Ordering::Relaxed);
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let times = map.get_mut(address)?;
        times.retain(|t| now - *t < self.window);
        if times.len() < limit {
            return None;
        }
        let oldest = times.first()?;
        let wait = *oldest + self.window - now;
        Some(u64::try_from(wait.whole_seconds().max(1)).unwrap_or(1))
    }

    /// Counts one attempt from `address`.
    pub fn record(&self, address: &str, now: OffsetDateTime) {
        let limit = self.limit.load(std::sync::atomic::Ordering::Relaxed);
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(address) && map.len() >= MAX_ADDRESSES {
            let window = self.window;
            map.retain(|_, times| times.last().is_some_and(|t| now - *t < window));
            if map.len() >= MAX_ADDRESSES
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, times)| times.last().copied())
                    .map(|(key, _)| key.clone())
            {
                map.remove(&oldest);
            }
        }
        let times = map.entry(address.to_owned()).or_default();
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
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn an_address_over_its_limit_waits_for_the_oldest_attempt_to_leave_the_window() {
        let limiter = AddressLimiter::new(5, Duration::minutes(15));
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
        let limiter = AddressLimiter::new(2, Duration::minutes(15));
        let start = OffsetDateTime::UNIX_EPOCH;
        for i in 0..(MAX_ADDRESSES + 10) {
            limiter.record(&format!("10.0.{}.{}", i / 256, i % 256), start);
        }
        let map = limiter.attempts.lock().unwrap_or_else(|p| p.into_inner());
        assert!(map.len() <= MAX_ADDRESSES);
    }
}
