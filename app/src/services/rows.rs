//! How the rows of a bulk write meet the database: for real, each row in its own transaction
//! ended by `audit::commit`; as a **dry run**, every row in one transaction that is rolled back
//! at the end, each row inside a savepoint (released when the row succeeds, rolled back to when
//! it fails). The rows run the very same code either way, so a dry run answers exactly what a real
//! run would at that moment — in-batch duplicates included, because a later row sees the earlier
//! rows' writes — and leaves nothing behind: no rows, no audit events, no queued email, and
//! nothing fires after a commit (no cache invalidation, no mail wake).

use crate::error::AppError;
use crate::services::Services;
use crate::services::audit::{self, Event};
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
    dry: Option<DryTx>,
}

struct DryTx {
    tx: Tx,
    /// A row's savepoint that was neither released nor rolled back yet (the row failed).
    open: bool,
}

impl Rows {
    pub async fn start(s: &Services, mode: Mode) -> Result<Rows, AppError> {
        let dry = match mode {
            Mode::Real => None,
            Mode::Dry => Some(DryTx {
                tx: s.db.begin().await?,
                open: false,
            }),
        };
        Ok(Rows { dry })
    }

    pub fn mode(&self) -> Mode {
        if self.dry.is_some() {
            Mode::Dry
        } else {
            Mode::Real
        }
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
                })
            }
        }
    }

    /// Ends the run: a dry run's transaction is rolled back (a real run has nothing left open).
    pub async fn finish(self) -> Result<(), AppError> {
        if let Some(dry) = self.dry {
            dry.tx.rollback().await?;
        }
        Ok(())
    }
}

async fn execute(tx: &mut Tx, sql: &str) -> Result<(), AppError> {
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

/// One row's transaction: its own, or a savepoint of the dry run's.
pub enum RowTx<'a> {
    Own(Tx),
    Savepoint { tx: &'a mut Tx, open: &'a mut bool },
}

impl RowTx<'_> {
    /// The end of a successful row: `audit::commit` for real; in a dry run the same audit rows
    /// are appended (so a failure there fails the row as it would for real) and the savepoint
    /// released, and nothing that follows a commit happens.
    pub async fn commit(self, s: &Services, events: Vec<Event>) -> Result<(), AppError> {
        match self {
            RowTx::Own(tx) => audit::commit(s, tx, events).await,
            RowTx::Savepoint { tx, open } => {
                let correlation_id = s.new_id();
                let rows: Vec<(String, &Event)> = events.iter().map(|e| (s.new_id(), e)).collect();
                store::audit::insert_many(tx, &rows, store::ms(s.now()), &correlation_id).await?;
                execute(tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                *open = false;
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
