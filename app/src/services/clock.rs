//! Time is injected: services ask `Clock::now`, never the system directly, so tests can set it.

use std::sync::Mutex;
use time::OffsetDateTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A UUIDv7 for the given instant. Ids sort by the injected time, and ids made within the same
/// millisecond still sort in creation order (a shared monotonic counter), so "ORDER BY id" is
/// creation order.
pub fn uuid_v7_at(at: OffsetDateTime) -> uuid::Uuid {
    static CONTEXT: Mutex<uuid::ContextV7> = Mutex::new(uuid::ContextV7::new());
    let nanos = at.unix_timestamp_nanos().max(0);
    let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(0);
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    let context = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(&*context, seconds, subsec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_one_instant_sort_in_creation_order() {
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let ids: Vec<_> = (0..1000).map(|_| uuid_v7_at(at)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(ids[0].get_version_num(), 7);
    }
}
