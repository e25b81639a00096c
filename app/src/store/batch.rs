//! Statements a write sends together because nothing between them depends on an answer: the
//! bookkeeping that ends every service write (its audit rows, the evaluation journal's head and
//! entries), and the rows of a write that reads nothing back (`OneTrip`: a single create, whose
//! transaction and commit go in the same command). On SQLite they go as one
//! multi-statement command to the connection's thread, where each command is a hop there and
//! back and a hop costs more than a small insert does; on PostgreSQL one after the other, as its
//! protocol prepares one statement at a time. The SQL is the same on both engines: only how it
//! travels differs.

use crate::error::AppError;
use crate::store::db::is_sqlite;
use crate::store::{Db, Engine, Tx};
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};

/// One bound value.
#[derive(Debug, Clone)]
pub enum Bind<'q> {
    Text(&'q str),
    MaybeText(Option<&'q str>),
    Owned(String),
    Int(i64),
    MaybeInt(Option<i64>),
}

#[derive(Debug)]
struct Statement<'q> {
    sql: String,
    binds: Vec<Bind<'q>>,
}

/// Statements run in order in one transaction; `run` answers the rows they return, in order.
///
/// Their placeholders come from `marks` or `values_list`: anonymous on SQLite, where one command
/// numbers the binds of all its statements in a single run (a numbered `$n` there would name the
/// command's n-th bind, not its statement's), and `$1…` per statement on PostgreSQL.
#[derive(Debug, Default)]
pub struct Batch<'q> {
    statements: Vec<Statement<'q>>,
}

impl<'q> Batch<'q> {
    pub fn push(&mut self, sql: String, binds: Vec<Bind<'q>>) {
        self.statements.push(Statement { sql, binds });
    }

    /// Runs every statement in `tx`; the first error stops the batch (and the caller's
    /// transaction rolls back whatever ran).
    pub async fn run(self, tx: &mut Tx) -> Result<Vec<AnyRow>, AppError> {
        Ok(self.run_on(tx).await?)
    }

    async fn run_on(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, sqlx::Error> {
        if self.statements.is_empty() {
            return Ok(Vec::new());
        }
        if is_sqlite(conn) {
            let sql = self.joined();
            let binds = self.statements.into_iter().flat_map(|s| s.binds);
            return bound(sqlx::query(&sql), binds).fetch_all(conn).await;
        }
        let mut rows = Vec::new();
        for statement in self.statements {
            let query = bound(sqlx::query(&statement.sql), statement.binds);
            rows.extend(query.fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }

    fn joined(&self) -> String {
        self.statements
            .iter()
            .map(|statement| statement.sql.as_str())
            .collect::<Vec<_>>()
            .join(";\n")
    }
}

/// A write transaction that is one batch: begun (`begin`), its statements built against
/// `conn`, then sent with the commit (`commit_with`). On SQLite the transaction, its statements
/// and its commit are one command, one hop to the writer's thread where a `Tx` takes three or
/// more; on PostgreSQL it is a `Tx` (its protocol sends `BEGIN` and each statement on its own).
#[derive(Debug)]
pub enum OneTrip {
    /// SQLite's writer, nothing sent on it yet.
    Sqlite(PoolConnection<Any>),
    Postgres(Tx),
}

impl OneTrip {
    /// Takes the writer (SQLite) or begins (PostgreSQL).
    pub async fn begin(db: &Db) -> Result<OneTrip, sqlx::Error> {
        Ok(match db.engine() {
            Engine::Sqlite => OneTrip::Sqlite(db.writer().acquire().await?),
            Engine::Postgres => OneTrip::Postgres(db.begin().await?),
        })
    }

    /// The connection the statements are built for (their placeholders: `marks`).
    pub fn conn(&self) -> &AnyConnection {
        match self {
            OneTrip::Sqlite(conn) => conn,
            OneTrip::Postgres(tx) => tx,
        }
    }

    /// Runs `batch` and commits: answers its rows, or the database's error with nothing kept.
    pub async fn commit_with(self, batch: Batch<'_>) -> Result<Vec<AnyRow>, sqlx::Error> {
        match self {
            OneTrip::Postgres(mut tx) => {
                let rows = batch.run_on(&mut tx).await?;
                tx.commit().await?;
                Ok(rows)
            }
            OneTrip::Sqlite(conn) => {
                let mut writer = InTransaction { conn, ended: false };
                let sql = format!("BEGIN IMMEDIATE;\n{};\nCOMMIT", batch.joined());
                let binds = batch.statements.into_iter().flat_map(|s| s.binds);
                let outcome = bound(sqlx::query(&sql), binds)
                    .fetch_all(&mut *writer.conn)
                    .await;
                // The statements before a failed one ran inside the open transaction.
                writer.ended = outcome.is_ok()
                    || sqlx::query("ROLLBACK")
                        .execute(&mut *writer.conn)
                        .await
                        .is_ok();
                outcome
            }
        }
    }
}

/// SQLite's writer while a `OneTrip` command may have left a transaction open: back to the pool
/// only once the transaction has `ended`. Dropped any other way (the caller stopped waiting, or
/// a failed command's rollback failed too), the connection is closed, and SQLite rolls back
/// whatever it left open.
struct InTransaction {
    conn: PoolConnection<Any>,
    ended: bool,
}

impl Drop for InTransaction {
    fn drop(&mut self) {
        if !self.ended {
            self.conn.close_on_drop();
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;
type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

/// A query that takes its values in order, typed (`query_as`) or not: what a `Bind` binds to.
trait Binding<'q>: Sized {
    fn with<T: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any>>(self, value: T) -> Self;
}

impl<'q> Binding<'q> for AnyQuery<'q> {
    fn with<T: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, O> Binding<'q> for AnyQueryAs<'q, O> {
    fn with<T: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q> Bind<'q> {
    /// `query` with this value bound as its next parameter (a typed query: a page's rows).
    pub fn bind_to<O>(self, query: AnyQueryAs<'q, O>) -> AnyQueryAs<'q, O> {
        self.onto(query)
    }

    fn onto<Q: Binding<'q>>(self, query: Q) -> Q {
        match self {
            Bind::Text(text) => query.with(text),
            Bind::MaybeText(text) => query.with(text),
            Bind::Owned(text) => query.with(text),
            Bind::Int(number) => query.with(number),
            Bind::MaybeInt(number) => query.with(number),
        }
    }
}

fn bound<'q>(query: AnyQuery<'q>, binds: impl IntoIterator<Item = Bind<'q>>) -> AnyQuery<'q> {
    binds
        .into_iter()
        .fold(query, |query, bind| bind.onto(query))
}

/// `n` placeholders for a statement of a `Batch` on `conn`'s engine: `?` on SQLite, `$1…$n` on
/// PostgreSQL.
pub fn marks(conn: &sqlx::AnyConnection, n: usize) -> Vec<String> {
    if is_sqlite(conn) {
        vec!["?".to_owned(); n]
    } else {
        (1..=n).map(|i| format!("${i}")).collect()
    }
}
