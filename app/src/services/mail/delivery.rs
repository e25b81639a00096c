//! The delivery worker (`arbor serve` starts one per process). It wakes on `Services::mail_wake`
//! (after every commit; it then passes only if mail is due, and looks at most once per
//! `COMMIT_LOOK_GAP`) and also polls, so mail queued by
//! another Arbor process on the same database leaves too. Each due message is claimed with a
//! lease (`store::outbox::claim`: one UPDATE that only one worker wins), submitted over SMTP, and
//! its outcome recorded by the lease's owner only. Without an SMTP server, due messages are
//! `held`: they stay in the Dev mailbox.
//!
//! Delivery is at least once: a process that dies after the server accepted a message but before
//! recording it leaves a lease that expires, and the message is sent again (with the same
//! Message-ID). The worker's bookkeeping is not audited: the outbox row is its own record, and an
//! audit commit would wake the worker again.

use super::smtp::{Failure, Smtp};
use crate::error::AppError;
use crate::services::Services;
use crate::store::{self, outbox::Outcome};
use std::time::Duration;

/// Tries per message before it is `failed` (the first one included).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claim holds a message: well beyond one SMTP conversation (its timeout is 30 s).
pub const LEASE: time::Duration = time::Duration::minutes(5);
/// How often the worker looks for mail nobody woke it for (another process's, retries).
pub const POLL: Duration = Duration::from_secs(5);
/// The least time between two looks for due mail that commits woke the worker for. Most commits
/// queue no mail, and on a busy server a look per commit was one extra read per write (about a
/// tenth of a sequential create's time on SQLite); this gap caps those reads at ten a second and
/// delays no message after a quiet spell.
pub const COMMIT_LOOK_GAP: Duration = Duration::from_millis(100);
/// Finished messages (sent, failed, held) are deleted this long after they were queued.
pub const RETENTION: time::Duration = time::Duration::days(30);
/// Messages claimed per query; a pass goes on while batches come back full.
const BATCH: i64 = 20;

/// The wait before try `attempts + 1`, after `attempts` tries failed: 1 minute, doubling, at most
/// an hour (1, 2, 4, 8, 16, 32, 60, 60, 60 minutes: the tenth try comes about four hours after the
/// first).
pub fn backoff(attempts: i64) -> time::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    time::Duration::minutes(2_i64.pow(exponent)).min(time::Duration::hours(1))
}

/// Where due messages go.
#[derive(Debug, Clone)]
pub enum Outlet {
    /// No SMTP server: messages are held in the Dev mailbox.
    Hold,
    Smtp(Box<Smtp>),
}

/// One worker: where it delivers, and the name its leases carry.
#[derive(Debug, Clone)]
pub struct Worker {
    pub outlet: Outlet,
    /// Unique per worker (a fresh id at start), so a late outcome cannot overwrite another's.
    pub owner: String,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub held: u64,
    /// Due messages another worker claimed first.
    pub lost: u64,
}

impl Worker {
    pub fn new(s: &Services, outlet: Outlet) -> Worker {
        Worker {
            outlet,
            owner: s.new_id(),
        }
    }

    /// Runs until the process ends: a pass, then wait for a wake-up or the next poll.
    pub async fn run(self, s: Services) {
        let mut woken_by_commit = false;
        loop {
            let looked_at = tokio::time::Instant::now();
            let pass = if woken_by_commit {
                self.pass_if_due(&s).await
            } else {
                self.pass(&s).await
            };
            match pass {
                Ok(pass) if pass != Pass::default() => tracing::info!(
                    sent = pass.sent,
                    retried = pass.retried,
                    failed = pass.failed,
                    held = pass.held,
                    "mail delivery"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(code = error.code(), %error, "mail delivery pass failed")
                }
            }
            woken_by_commit = tokio::select! {
                () = s.mail_wake.notified() => true,
                () = tokio::time::sleep(POLL) => false,
            };
            if woken_by_commit {
                // The commits of the gap share one look.
                tokio::time::sleep_until(looked_at + COMMIT_LOOK_GAP).await;
            }
        }
    }

    /// `pass` if a message is due, else nothing. Every commit wakes the worker and most queue no
    /// mail: this is one read on a reader connection where a pass is a write transaction (on
    /// SQLite, on the one writer the next write then waits for: a sequential create paid for a
    /// pass each time). Finished messages are purged by the polls' whole passes.
    async fn pass_if_due(&self, s: &Services) -> Result<Pass, AppError> {
        if store::outbox::due_ids(s.db.reader(), store::ms(s.now()), 1)
            .await?
            .is_empty()
        {
            return Ok(Pass::default());
        }
        self.pass(s).await
    }

    /// Delivers (or holds) every message due now, and purges old finished ones.
    pub async fn pass(&self, s: &Services) -> Result<Pass, AppError> {
        let now_ms = store::ms(s.now());
        let mut pass = Pass::default();
        let mut tx = s.db.begin().await?;
        store::outbox::purge(&mut tx, store::ms(s.now() - RETENTION)).await?;
        if let Outlet::Hold = self.outlet {
            pass.held = store::outbox::hold_due(&mut tx, now_ms).await?;
        }
        tx.commit().await?;
        let Outlet::Smtp(smtp) = &self.outlet else {
            return Ok(pass);
        };
        loop {
            let ids = store::outbox::due_ids(s.db.reader(), store::ms(s.now()), BATCH).await?;
            for id in &ids {
                self.deliver(s, smtp, id, &mut pass).await?;
            }
            // A short batch was the last; a full one may have more behind it. Retries are due a
            // minute later at the earliest, so this ends.
            if i64::try_from(ids.len()).unwrap_or(BATCH) < BATCH {
                return Ok(pass);
            }
        }
    }

    async fn deliver(
        &self,
        s: &Services,
        smtp: &Smtp,
        id: &str,
        pass: &mut Pass,
    ) -> Result<(), AppError> {
        let now = s.now();
        let mut tx = s.db.begin().await?;
        let claimed = store::outbox::claim(
            &mut tx,
            id,
            &self.owner,
            store::ms(now),
            store::ms(now + LEASE),
        )
        .await?;
        tx.commit().await?;
        let Some(message) = claimed else {
            pass.lost += 1;
            return Ok(());
        };
        // The SMTP conversation happens outside any transaction: SQLite's one writer stays free.
        let result = smtp.send(&message, now.into()).await;
        let done = s.now();
        let outcome = match &result {
            Ok(()) => {
                pass.sent += 1;
                Outcome::Sent {
                    at_ms: store::ms(done),
                }
            }
            Err(Failure::Temporary(error)) if message.attempts < MAX_ATTEMPTS => {
                pass.retried += 1;
                Outcome::Retry {
                    next_ms: store::ms(done + backoff(message.attempts)),
                    error,
                }
            }
            Err(Failure::Temporary(error) | Failure::Permanent(error)) => {
                pass.failed += 1;
                Outcome::Failed { error }
            }
        };
        let mut tx = s.db.begin().await?;
        let recorded =
            store::outbox::finish(&mut tx, id, &self.owner, &smtp.message_id(id), &outcome).await?;
        tx.commit().await?;
        if !recorded {
            tracing::warn!(
                outbox_id = id,
                "mail lease expired before the outcome was recorded"
            );
        }
        if let Err(Failure::Temporary(error) | Failure::Permanent(error)) = &result {
            tracing::warn!(outbox_id = id, attempts = message.attempts, %error, "mail not delivered");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_an_hour() {
        let minutes: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|a| backoff(a).whole_minutes())
            .collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // Nonsense counts stay in range rather than overflowing.
        assert_eq!(backoff(0).whole_minutes(), 1);
        assert_eq!(backoff(i64::MAX).whole_minutes(), 60);
        let total: i64 = minutes.iter().sum();
        assert_eq!(
            total, 243,
            "the last try comes about four hours after the first"
        );
    }
}
