//! How the rows of a bulk write meet the database: for real, each row in its own transaction
//! ended by `audit::commit` (`Rows::start`), or every row in one transaction committed at the end
//! (`Rows::batch`: a request whose answer is stored with its rows, `idempotency::Recorder`), each
//! row inside a savepoint; as a **dry run**, every row in one transaction that is rolled back
//! at the end, each row inside a savepoint (released when the row succeeds, rolled back to when
//! it fails). The rows run the very same code either way, so a dry run answers exactly what a real
//! run would at that moment — in-batch duplicates included, because a later row sees the earlier
//! rows' writes — and leaves nothing behind: no rows, no audit events, no queued email, and
//! nothing fires after a commit (no cache invalidation, no mail wake).

use crate::error::AppError;
use crate::services::Services;
use crate::services::audit::{self, Event};
use crate::services::idempotency::Recorder;
use crate::store::{self, Tx};
use std::ops::{Deref, DerefMut};

/// Real or dry: how a bulk operation was asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Real,
    Dry,
}

impl Mode {
    pub fn from_flag(dry_run: bool) -> Mode {
        if dry_run { Mode::Dry } else { Mode::Real }
    }

    pub fn is_dry(self) -> bool {
        self == Mode::Dry
    }
}

/// The savepoint every dry-run row runs in (one at a time, so one name does).
const SAVEPOINT: &str = "bulk_row";

/// The rows of one bulk operation. Start each row with `begin`, end a successful one with
/// `RowTx::commit`; a row that fails is simply dropped (its own transaction rolls back, or its
/// savepoint is rolled back to when the next row begins or the run finishes).
pub struct Rows {
    mode: Mode,
    /// The one transaction of a dry run or a batch; `None`: each row has its own.
    dry: Option<DryTx>,
}

struct DryTx {
    tx: Tx,
    /// A row's savepoint that was neither released nor rolled back yet (the row failed).
    open: bool,
    /// The audit events of each successful row, appended at the commit of a real batch.
    groups: Vec<Vec<Event>>,
}

impl Rows {
    pub async fn start(s: &Services, mode: Mode) -> Result<Rows, AppError> {
        match mode {
            Mode::Real => Ok(Rows { mode, dry: None }),
            Mode::Dry => Rows::batch(s, mode).await,
        }
    }

    /// Every row in one transaction, each in a savepoint: committed by `finish` for real (with
    /// the request's answer, `finish_answered`), rolled back in a dry run.
    pub async fn batch(s: &Services, mode: Mode) -> Result<Rows, AppError> {
        Ok(Rows {
            mode,
            dry: Some(DryTx {
                tx: s.db.begin().await?,
                open: false,
                groups: Vec::new(),
            }),
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The transaction one row writes in.
    pub async fn begin(&mut self, s: &Services) -> Result<RowTx<'_>, AppError> {
        match &mut self.dry {
            None => Ok(RowTx::Own(s.db.begin().await?)),
            Some(dry) => {
                if dry.open {
                    // The previous row failed: undo whatever it wrote before the next row looks.
                    execute(&mut dry.tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                    execute(&mut dry.tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                }
                execute(&mut dry.tx, &format!("SAVEPOINT {SAVEPOINT}")).await?;
                dry.open = true;
                Ok(RowTx::Savepoint {
                    tx: &mut dry.tx,
                    open: &mut dry.open,
                    groups: &mut dry.groups,
                })
            }
        }
    }

    /// Ends the run: a dry run's transaction is rolled back, a real batch's committed (a real
    /// run of its own transactions has nothing left open).
    pub async fn finish(self, s: &Services) -> Result<(), AppError> {
        let Some(mut dry) = self.dry else {
            return Ok(());
        };
        if dry.open {
            // The last row failed: none of it may be committed.
            execute(&mut dry.tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
            execute(&mut dry.tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
        }
        match self.mode {
            Mode::Dry => dry.tx.rollback().await?,
            Mode::Real => audit::commit_appended(s, dry.tx, &dry.groups).await?,
        }
        Ok(())
    }

    /// `finish`, with the request's answer of `results` stored first in the same transaction.
    pub async fn finish_answered<T>(
        mut self,
        s: &Services,
        recorder: &mut Recorder<T>,
        results: &[Result<T, AppError>],
    ) -> Result<(), AppError> {
        match (&mut self.dry, self.mode) {
            (Some(dry), Mode::Real) => {
                if dry.open {
                    execute(&mut dry.tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                    execute(&mut dry.tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                    dry.open = false;
                }
                recorder.record(s, &mut dry.tx, results).await?;
            }
            (None, _) if recorder.stores() => {
                return Err(AppError::internal(
                    "rows",
                    "an answer needs one transaction",
                ));
            }
            _ => {}
        }
        self.finish(s).await
    }
}

async fn execute(tx: &mut Tx, sql: &str) -> Result<(), AppError> {
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

/// One row's transaction: its own, or a savepoint of the dry run's.
pub enum RowTx<'a> {
    Own(Tx),
    Savepoint {
        tx: &'a mut Tx,
        open: &'a mut bool,
        groups: &'a mut Vec<Vec<Event>>,
    },
}

impl RowTx<'_> {
    /// The end of a successful row: `audit::commit` for real; in a savepoint the same audit rows
    /// are appended (so a failure there fails the row as it would for real) and the savepoint
    /// released. A dry run does nothing that follows a commit; a real batch keeps the row's events
    /// for the effects of its one commit.
    pub async fn commit(self, s: &Services, events: Vec<Event>) -> Result<(), AppError> {
        match self {
            RowTx::Own(tx) => audit::commit(s, tx, events).await,
            RowTx::Savepoint { tx, open, groups } => {
                let correlation_id = s.new_id();
                let rows: Vec<(String, &Event)> = events.iter().map(|e| (s.new_id(), e)).collect();
                store::audit::insert_many(tx, &rows, store::ms(s.now()), &correlation_id).await?;
                execute(tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                *open = false;
                groups.push(events);
                Ok(())
            }
        }
    }
}

impl Deref for RowTx<'_> {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        match self {
            RowTx::Own(tx) => tx,
            RowTx::Savepoint { tx, .. } => tx,
        }
    }
}

impl DerefMut for RowTx<'_> {
    fn deref_mut(&mut self) -> &mut Tx {
        match self {
            RowTx::Own(tx) => tx,
            RowTx::Savepoint { tx, .. } => tx,
        }
    }
}
