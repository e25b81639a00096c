//! Background work done once across nodes: before each run of a periodic job, a node takes the
//! job's lease in the database (`job_leases`, one conditional upsert, like the outbox claim). The
//! lease lasts the job's period, so whichever node asks first after it runs out does the run and
//! the others skip it; a node that dies simply stops renewing, and another takes over within one
//! period (decisions.md › Several nodes).

use crate::error::AppError;
use crate::services::Services;
use crate::store::{self, limits};
use std::time::Duration;

pub const AUDIT_PURGE: &str = "audit_purge";
pub const ACCESS_JOURNAL_PRUNE: &str = "access_journal_prune";
pub const LIMIT_PURGE: &str = "limit_purge";

/// Takes `job`'s lease for this node for `period` if no node holds it: true when this node is to
/// run it now.
pub async fn claim(s: &Services, job: &str, period: Duration) -> Result<bool, AppError> {
    let now = s.now();
    let until = now + period;
    let run = limits::claim_job(
        s.db.writer(),
        job,
        &s.node_id,
        store::ms(now),
        store::ms(until),
    )
    .await?;
    if let Some(run) = run {
        tracing::debug!(job, run, "job lease taken");
    }
    Ok(run.is_some())
}

/// Runs `job` every `period` on whichever node takes its lease, for the life of the process.
pub async fn run_every<F, Fut>(s: Services, job: &'static str, period: Duration, work: F)
where
    F: Fn(Services) -> Fut,
    Fut: std::future::Future<Output = Result<u64, AppError>>,
{
    loop {
        match claim(&s, job, period).await {
            Ok(true) => match work(s.clone()).await {
                Ok(0) => {}
                Ok(done) => tracing::info!(job, done, "background job ran"),
                Err(error) => {
                    tracing::warn!(job, code = error.code(), %error, "background job failed")
                }
            },
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(job, code = error.code(), %error, "job lease unavailable")
            }
        }
        tokio::time::sleep(period).await;
    }
}
