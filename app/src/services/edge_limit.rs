//! Per-address limits on the costly public routes (sign-up, sign-in, forgot-password, accepting
//! an invite: each runs argon2 or may send an email) — decisions.md › Hardened edges.
//!
//! This is each node's first line; `shared_limits::edge_take` then counts what it lets through
//! in the database, so the limit holds across nodes.
//!
//! Each client address has a GCRA limiter (`governor`): `per_minute` requests a minute, in a
//! burst of at most that many. The limiters live in a `moka` cache bounded in entries and idle
//! time, so a flood of distinct addresses cannot grow memory: an address idle for a whole
//! refill period is forgotten (its limiter would be full again anyway). Time is the injected
//! clock's. IPv6 clients are limited per /64, the block one subscriber usually holds.

use crate::error::AppError;
use crate::services::Clock;
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The default: at most one costly request a second on average per address, 60 at once.
pub const DEFAULT_PER_MINUTE: u32 = 60;
/// Addresses tracked at once (about 200 bytes each).
pub const MAX_ADDRESSES: u64 = 100_000;

/// `governor`'s clock, read from the services' clock (time since the Unix epoch).
#[derive(Clone)]
pub struct ServicesClock(pub Arc<dyn Clock>);

impl GovernorClock for ServicesClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let since = self.0.now() - time::OffsetDateTime::UNIX_EPOCH;
        Duration::try_from(since).unwrap_or_default()
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, ServicesClock, NoOpMiddleware<Duration>>;

pub struct EdgeLimiter {
    per_minute: u32,
    quota: Quota,
    clock: ServicesClock,
    limiters: moka::sync::Cache<String, Arc<Limiter>>,
}

impl EdgeLimiter {
    pub fn new(per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        Self::with_capacity(per_minute, clock, MAX_ADDRESSES)
    }

    /// `new` tracking at most `capacity` addresses (tests use a small one).
    pub fn with_capacity(per_minute: u32, clock: Arc<dyn Clock>, capacity: u64) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute);
        EdgeLimiter {
            per_minute: per_minute.get(),
            quota,
            clock: ServicesClock(clock),
            limiters: moka::sync::Cache::builder()
                .max_capacity(capacity)
                // Idle for a full refill: the limiter is back to a full burst, nothing to keep.
                .time_to_idle(Duration::from_secs(60))
                .build(),
        }
    }

    /// Takes one request of `address` (`None`: no peer address known, one shared key).
    pub fn take(&self, address: Option<&str>) -> Result<(), AppError> {
        let key = key_of(address);
        let limiter = self.limiters.get_with(key, || {
            Arc::new(RateLimiter::direct_with_clock(
                self.quota,
                self.clock.clone(),
            ))
        });
        limiter.check().map_err(|not_until| {
            metrics::counter!("arbor_rate_limit_rejections_total", "limit" => "address")
                .increment(1);
            let wait = not_until.wait_time_from(self.clock.now());
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Addresses tracked now (after pending evictions), for tests and metrics.
    pub fn tracked(&self) -> u64 {
        self.limiters.run_pending_tasks();
        self.limiters.entry_count()
    }
}

/// The limiter key of an address: itself, or its /64 for IPv6.
pub fn key_of(address: Option<&str>) -> String {
    match address.map(str::parse::<IpAddr>) {
        Some(Ok(IpAddr::V6(v6))) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(Ok(ip)) => ip.to_string(),
        Some(Err(_)) => address.unwrap_or_default().to_owned(),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::ManualClock;

    #[test]
    fn a_burst_then_one_request_a_second_per_address() {
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
        let limiter = EdgeLimiter::new(60, clock.clone());
        for _ in 0..60 {
            assert!(limiter.take(Some("10.0.0.1")).is_ok());
        }
        assert_eq!(
            limiter.take(Some("10.0.0.1")),
            Err(AppError::TooManyRequests {
                retry_after_secs: 1
            })
        );
        assert!(limiter.take(Some("10.0.0.2")).is_ok(), "addresses apart");
        clock.advance(time::Duration::seconds(1));
        assert!(limiter.take(Some("10.0.0.1")).is_ok(), "one back a second");
        assert!(limiter.take(Some("10.0.0.1")).is_err());
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        assert_eq!(
            key_of(Some("2001:db8:1:2:aaaa::1")),
            key_of(Some("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            key_of(Some("2001:db8:1:2::1")),
            key_of(Some("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn a_flood_of_addresses_stays_bounded() {
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
        let capacity = 10_000;
        let limiter = EdgeLimiter::with_capacity(60, clock, capacity);
        for i in 0..(capacity + 5_000) {
            let _ = limiter.take(Some(&format!(
                "10.{}.{}.{}",
                i >> 16 & 255,
                i >> 8 & 255,
                i & 255
            )));
        }
        assert!(limiter.tracked() <= capacity, "{}", limiter.tracked());
    }
}
