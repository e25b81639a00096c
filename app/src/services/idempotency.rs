//! `Idempotency-Key` for API requests that must not run twice (bulk create): the first request
//! with a key runs and its answer is stored; a replay within 24 hours gets that answer back
//! without running again; the same key with another body is refused (422); a replay while the
//! first is still running is told so (409).
//!
//! The answer is stored by the request's write itself (`Recorder::record`), in the very
//! transaction that writes its rows, just before the one commit: after a crash at any moment,
//! either nothing of the request exists (and its replay runs it afresh) or both its rows and its
//! answer do (and its replay gets that answer). A replay never runs a request whose rows exist.
//!
//! A claim is a lease (`LEASE_MS`), renewed while its request runs: when the request dies before
//! its commit (the process stopped, the write failed), the next replay after the lease ran out
//! runs the request again instead of hearing 409 for 24 hours. The request itself runs on a task
//! of its own (`run_detached`), so a client that gives up does not stop it half-way.
//! Expired records are swept by `begin`, a bounded number at a time.

use crate::error::{AppError, FieldError};
use crate::services::Caller;
use crate::services::Services;
use crate::store::{self, Tx, idempotency};
use std::future::Future;
use std::time::Duration;

pub const KEY_MAX: usize = 255;
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a claim outlives the last sign of life of its request.
pub const LEASE_MS: i64 = 60 * 1000;
/// How often a running request renews its lease: a third of it, so a slow renewal or two do not
/// lose it.
const RENEW_EVERY: Duration = Duration::from_secs(20);
/// Expired records deleted per `begin`: keeps each claim's cost bounded while deleting more than
/// one claim adds, so the table holds about one day of claims.
pub const SWEEP_LIMIT: i64 = 100;

/// The failpoint that makes storing the answer fail, in the request's transaction after its rows
/// were written and before its commit: the crash window of a write, so nothing of it remains.
pub const FAIL_RECORD: &str = "idempotency.record";
/// The failpoint that fails a request after its commit and before its answer is sent: the client
/// hears a 500, its replay gets the stored answer.
pub const FAIL_AFTER_COMMIT: &str = "idempotency.after_commit";

/// A key held by one running request, until its answer is stored.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Whose key it is: the API key's id (records belong to their caller).
    principal_id: String,
    key: String,
    /// This request's token: only it renews the lease and stores the answer.
    owner: String,
}

pub enum Begin {
    /// Run the request (`run_detached` stores its answer).
    Fresh(Claim),
    /// Answer with what the first request answered.
    Replay { status: u16, body: String },
}

fn check_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > KEY_MAX || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::validation(vec![FieldError::new(
            "Idempotency-Key",
            "invalid",
            format!("Use 1 to {KEY_MAX} visible ASCII characters, e.g. a UUID."),
        )]));
    }
    Ok(())
}

pub async fn begin(
    s: &Services,
    caller: &Caller,
    key: &str,
    request_hash: &str,
) -> Result<Begin, AppError> {
    check_key(key)?;
    let now_ms = store::ms(s.now());
    sweep(s, now_ms).await;
    let owner = caller.principal_id();
    let claim = Claim {
        principal_id: owner.to_owned(),
        key: key.to_owned(),
        owner: s.new_id(),
    };
    let lease = idempotency::Lease {
        owner: &claim.owner,
        until_ms: now_ms + LEASE_MS,
    };
    let mut tx = s.db.begin().await?;
    let account = caller.account_id();
    if idempotency::claim(&mut tx, account, owner, key, request_hash, lease, now_ms).await? {
        tx.commit().await?;
        return Ok(Begin::Fresh(claim));
    }
    let Some(record) = idempotency::find(&mut tx, owner, key).await? else {
        return Err(AppError::IdempotencyInProgress);
    };
    if now_ms - record.created_ms >= KEEP_MS {
        // Expired: the key is free again.
        idempotency::forget(&mut tx, owner, key).await?;
        idempotency::claim(&mut tx, account, owner, key, request_hash, lease, now_ms).await?;
        tx.commit().await?;
        return Ok(Begin::Fresh(claim));
    }
    if record.request_hash != request_hash {
        return Err(AppError::IdempotencyKeyReused);
    }
    if record.status > 0
        && let Some(body) = record.body
    {
        return Ok(Begin::Replay {
            status: u16::try_from(record.status).unwrap_or(200),
            body,
        });
    }
    // Unfinished. Once its request stops renewing the lease (it died before storing an answer),
    // this request runs in its place.
    if record.lease_until_ms <= now_ms
        && idempotency::take_over(&mut tx, owner, key, lease, now_ms).await?
    {
        tx.commit().await?;
        return Ok(Begin::Fresh(claim));
    }
    Err(AppError::IdempotencyInProgress)
}

/// Deletes expired records, at most `SWEEP_LIMIT`. Best effort: a failure only leaves them for
/// the next claim, so it is logged rather than failing the request.
async fn sweep(s: &Services, now_ms: i64) {
    let swept = async {
        let mut tx = s.db.begin().await?;
        idempotency::delete_expired(&mut tx, now_ms - KEEP_MS, SWEEP_LIMIT).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    };
    if let Err(e) = swept.await {
        tracing::warn!(error = %e, "idempotency sweep failed");
    }
}

/// Renders a batch's per-row results as the status and JSON body its request answers.
pub type Render<T> =
    Box<dyn Fn(&[Result<T, AppError>]) -> Result<(u16, String), AppError> + Send + Sync>;

/// What a bulk write does with its answer: with a request's claim, `record` renders it and stores
/// it in the write's own transaction, before the commit; `answer` gives the stored answer, or
/// renders it when nothing was stored (no key, a dry run).
pub struct Recorder<T> {
    claim: Option<Claim>,
    render: Option<Render<T>>,
    stored: Option<(u16, String)>,
}

impl<T> Recorder<T> {
    /// A write with no answer to store (the dashboard, a service call of its own).
    pub fn none() -> Recorder<T> {
        Recorder {
            claim: None,
            render: None,
            stored: None,
        }
    }

    /// The answer of a request, stored for replays when it holds a `claim`.
    pub fn new(claim: Option<Claim>, render: Render<T>) -> Recorder<T> {
        Recorder {
            claim,
            render: Some(render),
            stored: None,
        }
    }

    /// Whether `record` has something to store: such a write must end in one transaction.
    pub fn stores(&self) -> bool {
        self.claim.is_some()
    }

    /// Stores the answer of `results` in `tx`, the transaction that wrote them, just before it
    /// commits; nothing without a claim. Fails — so the write rolls back — when the claim was
    /// taken over meanwhile (the lease ran out): the request that took it runs the batch.
    pub async fn record(
        &mut self,
        s: &Services,
        tx: &mut Tx,
        results: &[Result<T, AppError>],
    ) -> Result<(), AppError> {
        let (Some(claim), Some(render)) = (&self.claim, &self.render) else {
            return Ok(());
        };
        let (status, body) = render(results)?;
        s.failpoints.check(FAIL_RECORD)?;
        let held = idempotency::complete(
            tx,
            &claim.principal_id,
            &claim.key,
            &claim.owner,
            status,
            &body,
        )
        .await?;
        if !held {
            tracing::warn!(key = %claim.key, "idempotency claim taken over; the batch is rolled back");
            return Err(AppError::IdempotencyInProgress);
        }
        self.stored = Some((status, body));
        Ok(())
    }

    /// The request's answer: the one stored with its rows, else `results` rendered now.
    pub fn answer(self, results: &[Result<T, AppError>]) -> Result<(u16, String), AppError> {
        if let Some(stored) = self.stored {
            return Ok(stored);
        }
        if self.claim.is_some() {
            // A claimed write that committed without its answer would replay into a second run.
            return Err(AppError::internal("idempotency", "answer not stored"));
        }
        match &self.render {
            Some(render) => render(results),
            None => Err(AppError::internal("idempotency", "no answer to render")),
        }
    }
}

/// Runs a request's `work` (which is given the claim, stores its answer with its writes through a
/// `Recorder`, and yields the status and JSON body to answer) on a task of its own and waits for
/// it. Dropping the returned future — the client went away — does not stop the work: it finishes,
/// and its answer is stored for replays. While it runs, the claim's lease is renewed.
pub async fn run_detached<W, Fut>(
    s: &Services,
    claim: Option<Claim>,
    work: W,
) -> Result<(u16, String), AppError>
where
    W: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<(u16, String), AppError>> + Send + 'static,
{
    let heartbeat = claim.as_ref().map(|claim| (s.clone(), claim.clone()));
    let work = work(claim);
    let job = tokio::spawn(async move {
        let heartbeat = heartbeat.map(|(s, claim)| Heartbeat::start(&s, &claim));
        let answer = work.await;
        drop(heartbeat);
        answer
    });
    let answer = job
        .await
        .map_err(|e| AppError::internal("detached request", e))??;
    s.failpoints.check(FAIL_AFTER_COMMIT)?;
    Ok(answer)
}

/// Renews a claim's lease every `RENEW_EVERY` until dropped. It runs on its own task: the work may
/// hold the one SQLite write connection while the renewal waits for it.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(s: &Services, claim: &Claim) -> Heartbeat {
        let (s, claim) = (s.clone(), claim.clone());
        Heartbeat(tokio::spawn(async move {
            let mut every = tokio::time::interval(RENEW_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await; // the first tick is immediate; the lease is fresh
            loop {
                every.tick().await;
                match renew(&s, &claim).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(key = %claim.key, "idempotency claim lost"),
                    Err(e) => tracing::warn!(error = %e, "idempotency lease renewal failed"),
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn renew(s: &Services, claim: &Claim) -> Result<bool, AppError> {
    let lease = idempotency::Lease {
        owner: &claim.owner,
        until_ms: store::ms(s.now()) + LEASE_MS,
    };
    let mut tx = s.db.begin().await?;
    let held = idempotency::renew(&mut tx, &claim.principal_id, &claim.key, lease).await?;
    tx.commit().await?;
    Ok(held)
}
