//! Statements a write sends together because nothing between them depends on an answer: the
//! bookkeeping that ends every service write (its audit rows, the evaluation journal's head and
//! entries). On SQLite they go as one multi-statement command to the connection's thread, where
//! each command is a hop there and back and a hop costs more than a small insert does; on
//! PostgreSQL one after the other, as its protocol prepares one statement at a time. The SQL is
//! the same on both engines: only how it travels differs.

use crate::error::AppError;
use crate::store::Tx;
use crate::store::db::is_sqlite;
use sqlx::any::AnyRow;

/// One bound value.
#[derive(Debug, Clone)]
pub enum Bind<'q> {
    Text(&'q str),
    MaybeText(Option<&'q str>),
    Owned(String),
    Int(i64),
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
        if self.statements.is_empty() {
            return Ok(Vec::new());
        }
        if is_sqlite(tx) {
            let sql = self
                .statements
                .iter()
                .map(|statement| statement.sql.as_str())
                .collect::<Vec<_>>()
                .join(";\n");
            let binds = self.statements.into_iter().flat_map(|s| s.binds);
            return Ok(bound(sqlx::query(&sql), binds).fetch_all(&mut **tx).await?);
        }
        let mut rows = Vec::new();
        for statement in self.statements {
            rows.extend(
                bound(sqlx::query(&statement.sql), statement.binds)
                    .fetch_all(&mut **tx)
                    .await?,
            );
        }
        Ok(rows)
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;
type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

impl<'q> Bind<'q> {
    /// `query` with this value bound as its next parameter (a typed query: a page's rows).
    pub fn bind_to<O>(self, query: AnyQueryAs<'q, O>) -> AnyQueryAs<'q, O> {
        match self {
            Bind::Text(text) => query.bind(text),
            Bind::MaybeText(text) => query.bind(text),
            Bind::Owned(text) => query.bind(text),
            Bind::Int(number) => query.bind(number),
        }
    }
}

fn bound<'q>(query: AnyQuery<'q>, binds: impl IntoIterator<Item = Bind<'q>>) -> AnyQuery<'q> {
    binds.into_iter().fold(query, |query, bind| match bind {
        Bind::Text(text) => query.bind(text),
        Bind::MaybeText(text) => query.bind(text),
        Bind::Owned(text) => query.bind(text),
        Bind::Int(number) => query.bind(number),
    })
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
