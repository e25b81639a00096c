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
