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
use crate::store::{Db, Tx};
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Executor};

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

    /// The statements as one PostgreSQL simple-protocol message, each `$n` replaced by its
    /// value as a typed literal (`literal`); `None` when a value cannot be one (a NUL, which
    /// would end the message) or a statement's marks do not match its binds.
    fn inlined(&self) -> Option<String> {
        let mut message = String::new();
        for statement in &self.statements {
            if !message.is_empty() {
                message.push_str(";\n");
            }
            inline_into(&mut message, &statement.sql, &statement.binds)?;
        }
        Some(message)
    }

    fn joined(&self) -> String {
        self.statements
            .iter()
            .map(|statement| statement.sql.as_str())
            .collect::<Vec<_>>()
            .join(";\n")
    }
}

/// A write transaction that is one batch: the writer taken (`begin`), its statements built
/// against `conn`, then sent with the commit (`commit_with`) as one command, one round trip where
/// a `Tx` takes one per statement plus its `BEGIN` and `COMMIT`.
///
/// On SQLite the command is `BEGIN IMMEDIATE`, the statements and `COMMIT`, with their binds, to
/// the writer's thread. On PostgreSQL it is one simple-protocol message holding the statements,
/// which PostgreSQL runs as one implicit transaction (all of them or none); that protocol takes
/// no binds, so each value goes in as a typed literal (`inlined`), and a value a literal cannot
/// carry sends the batch as a `Tx` instead.
#[derive(Debug)]
pub struct OneTrip {
    conn: PoolConnection<Any>,
}

impl OneTrip {
    /// Takes a writer connection.
    pub async fn begin(db: &Db) -> Result<OneTrip, sqlx::Error> {
        Ok(OneTrip {
            conn: db.writer().acquire().await?,
        })
    }

    /// The connection the statements are built for (their placeholders: `marks`).
    pub fn conn(&self) -> &AnyConnection {
        &self.conn
    }

    /// Runs `batch` and commits: answers its rows, or the database's error with nothing kept.
    pub async fn commit_with(self, batch: Batch<'_>) -> Result<Vec<AnyRow>, sqlx::Error> {
        let sqlite = is_sqlite(&self.conn);
        let mut writer = InTransaction {
            conn: self.conn,
            ended: false,
        };
        if sqlite {
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
            return outcome;
        }
        let outcome = match batch.inlined() {
            // A query without binds travels in the simple protocol.
            Some(message) => writer.conn.fetch_all(message.as_str()).await,
            None => {
                let mut tx = sqlx::Connection::begin(&mut *writer.conn).await?;
                let rows = batch.run_on(&mut tx).await?;
                tx.commit().await?;
                Ok(rows)
            }
        };
        // PostgreSQL has ended the implicit transaction (or the `Tx` has) once an answer came.
        writer.ended = true;
        outcome
    }
}

/// The writer while a `OneTrip` command may have left a transaction open: back to the pool only
/// once the transaction has `ended`. Dropped any other way (the caller stopped waiting, or a
/// failed SQLite command's rollback failed too), the connection is closed, and the database rolls
/// back whatever it left open.
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

/// Appends `sql` to `out` with each `$n` outside a quoted string replaced by `binds[n - 1]`.
fn inline_into(out: &mut String, sql: &str, binds: &[Bind<'_>]) -> Option<()> {
    let mut chars = sql.char_indices().peekable();
    let mut quoted = false;
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        let mut digits = 0;
        while let Some(&(_, d)) = chars.peek() {
            let Some(digit) = d.to_digit(10) else { break };
            n = n.checked_mul(10)?.checked_add(digit as usize)?;
            digits += 1;
            chars.next();
        }
        if digits == 0 {
            return None;
        }
        literal(out, binds.get(n.checked_sub(1)?)?)?;
    }
    (!quoted).then_some(())
}

/// `value` as a PostgreSQL literal of the type its bind would have had (`text`, `int8`), so
/// that a statement reads it exactly as the bound parameter. Text is an escape string (`E'…'`)
/// with every backslash and quote doubled, whatever `standard_conforming_strings` says; a NUL
/// cannot be written in one (PostgreSQL's text has none either), so it answers `None`.
fn literal(out: &mut String, value: &Bind<'_>) -> Option<()> {
    let text = match value {
        Bind::Text(text) | Bind::MaybeText(Some(text)) => *text,
        Bind::Owned(text) => text.as_str(),
        Bind::Int(number) | Bind::MaybeInt(Some(number)) => {
            out.push_str(&format!("'{number}'::int8"));
            return Some(());
        }
        Bind::MaybeText(None) => {
            out.push_str("NULL::text");
            return Some(());
        }
        Bind::MaybeInt(None) => {
            out.push_str("NULL::int8");
            return Some(());
        }
    };
    if text.contains('\0') {
        return None;
    }
    out.reserve(text.len() + 10);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push_str("'::text");
    Some(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(sql: &str, binds: &[Bind<'_>]) -> Option<String> {
        let mut out = String::new();
        inline_into(&mut out, sql, binds).map(|()| out)
    }

    #[test]
    fn each_mark_takes_its_own_value_and_quoted_marks_stay_text() {
        let binds: Vec<Bind<'_>> = (1..=11).map(Bind::Int).collect();
        assert_eq!(
            inline("VALUES ($1, $10, $11, '$2', 'it''s $3')", &binds).as_deref(),
            Some("VALUES ('1'::int8, '10'::int8, '11'::int8, '$2', 'it''s $3')")
        );
    }

    #[test]
    fn values_become_typed_literals_that_cannot_leave_their_quotes() {
        let binds = [
            Bind::Text("O'Brien \\' ; DROP TABLE identities; --"),
            Bind::MaybeText(None),
            Bind::Int(-5),
            Bind::MaybeInt(None),
            Bind::Owned("Zoë 東京 🎉".to_owned()),
        ];
        assert_eq!(
            inline("SELECT $1, $2, x-$3, $4, $5", &binds).as_deref(),
            Some(
                "SELECT E'O''Brien \\\\'' ; DROP TABLE identities; --'::text, NULL::text, \
                 x-'-5'::int8, NULL::int8, E'Zoë 東京 🎉'::text"
            )
        );
    }

    #[test]
    fn what_a_literal_cannot_carry_is_refused() {
        assert_eq!(inline("SELECT $1", &[Bind::Text("a\0b")]), None);
        assert_eq!(inline("SELECT $2", &[Bind::Int(1)]), None);
        assert_eq!(inline("SELECT $0", &[Bind::Int(1)]), None);
        assert_eq!(inline("SELECT $", &[Bind::Int(1)]), None);
        assert_eq!(inline("SELECT 'open", &[]), None);
    }
}
