use crate::error::AppError;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyQueryResult, AnyTypeInfo};
use sqlx::error::BoxDynError;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Connection, Database, Decode, Transaction, Type};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A write transaction. Every service write happens inside exactly one.
pub type Tx = Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The database: chosen by URL, migrated on start.
///
/// SQLite allows one writer at a time, so its writes go through a single-connection pool (no
/// `SQLITE_BUSY` between our own transactions) while reads use a wider pool that WAL lets run
/// alongside. On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    engine: Engine,
    /// SQLite's background checkpointer, stopped when the last handle goes.
    _checkpointer: Option<Arc<AbortOnDrop>>,
}

impl Db {
    /// Connects to `sqlite:<path>` (the file and its directory are created) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= TRUST_A_RELEASED_CONNECTION_FOR {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .connect(url)
                .await?;
            return Ok(Db {
                read: pool.clone(),
                write: pool,
                engine: Engine::Postgres,
                _checkpointer: None,
            });
        }
        let (url, file) = sqlite_url(url)?;
        let write = sqlite_pool(&url, 1, Role::Writer).await?;
        let read = sqlite_pool(&url, 8, Role::Reader).await?;
        let checkpointer = tokio::spawn(checkpoint_in_background(read.clone(), file));
        Ok(Db {
            read,
            write,
            engine: Engine::Sqlite,
            _checkpointer: Some(Arc::new(AbortOnDrop(checkpointer))),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for single-statement writes outside a service transaction (shared limits, job
    /// leases): on SQLite the one writer connection, so they queue behind our own transactions
    /// instead of meeting `SQLITE_BUSY`.
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts the one kind of write transaction services use.
    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred one that reads first and another process (an `arbor` command, a second node in
    /// tests) commits in between could not upgrade to a writer and would fail at once with
    /// `SQLITE_BUSY_SNAPSHOT` instead of waiting out the busy timeout. Within a process the one
    /// writer connection already serialises writes, so nothing else changes.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.write.begin().await,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.write).await
    }

    /// True when the database answers and every embedded migration has been applied.
    pub async fn is_ready(&self) -> bool {
        let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Result<Option<i64>, _> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.read)
                .await;
        matches!(applied, Ok(Some(v)) if v >= latest)
    }

    /// Connections of each pool (`read`, `write`; one shared pool on PostgreSQL): open, idle.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        let stat = |name, pool: &AnyPool| (name, pool.size(), pool.num_idle());
        match self.engine {
            Engine::Postgres => vec![stat("shared", &self.write)],
            Engine::Sqlite => vec![stat("read", &self.read), stat("write", &self.write)],
        }
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Accepts `sqlite:path`, `sqlite://path` or `sqlite::memory:`-less file paths, creates the parent
/// directory, and asks SQLite to create the file if missing. Also answers the file's path.
fn sqlite_url(url: &str) -> Result<(String, PathBuf), sqlx::Error> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            sqlx::Error::Configuration(format!("unsupported DATABASE_URL: {url}").into())
        })?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((format!("sqlite://{path}?{query}"), PathBuf::from(path)))
}

/// How long after its release a PostgreSQL connection is handed out without a ping. sqlx pings
/// every connection as it goes back to the pool, and by default again as it comes out: a round
/// trip to the server on every acquire, and a create acquires once. A connection released less
/// than this long ago answered that ping; one idle longer (the server may have restarted, or a
/// proxy dropped it) is pinged before use as before.
const TRUST_A_RELEASED_CONNECTION_FOR: Duration = Duration::from_secs(1);

/// What a SQLite pool's connections are for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Reader,
    Writer,
}

/// WAL frames (pages) after which a committing writer checkpoints the log itself and so restarts
/// it. SQLite's default, 1,000, put a checkpoint (two `fsync`s) into every ~40th single create;
/// the background checkpointer does that copying beside the writer, and this only bounds the log
/// (40 MB) under writes so steady that it never catches up whole.
const WAL_FRAMES_BEFORE_WRITER_CHECKPOINTS: u32 = 10_000;

/// How often the background checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Copies committed WAL frames into the database file off the request path (`PASSIVE`: it never
/// waits for, or blocks, a reader or the writer), so a commit only appends to the log. It runs
/// on a reader connection and only when the log's file changed since its last pass, so an idle
/// server does no database work.
async fn checkpoint_in_background(read: AnyPool, database: PathBuf) {
    let mut wal = database.into_os_string();
    wal.push("-wal");
    let mut last_seen = None;
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if read.is_closed() {
            return;
        }
        let modified = std::fs::metadata(&wal).and_then(|m| m.modified()).ok();
        if modified.is_none() || modified == last_seen {
            continue;
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&read)
            .await
        {
            Ok(_) => last_seen = modified,
            Err(error) => tracing::debug!(%error, "background WAL checkpoint"),
        }
    }
}

/// Stops a background task when its owner is dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn sqlite_pool(url: &str, max: u32, role: Role) -> Result<AnyPool, sqlx::Error> {
    // Validate early so a bad path fails with a clear message rather than at first query.
    sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // A connection to a local file has no peer that could hang up; sqlx's default ping on
        // every acquire was one more hop to the connection's thread and back per transaction.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if role == Role::Writer {
                    // A write transaction's statement journal (kept so one failed statement can
                    // be undone without the rest) was a file created and unlinked per create:
                    // half a millisecond of file-system work. Write transactions are small, so
                    // their temporary structures live in memory.
                    sqlx::query("PRAGMA temp_store = MEMORY")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(&format!(
                        "PRAGMA wal_autocheckpoint = {WAL_FRAMES_BEFORE_WRITER_CHECKPOINTS}"
                    ))
                    .execute(&mut *conn)
                    .await?;
                }
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA synchronous = NORMAL")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA busy_timeout = 10000")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// A 0/1 flag column as a row field. Flags are BIGINT on both engines (SQLite has no boolean), and
/// sqlx's `bool` only decodes a real boolean, so `#[derive(sqlx::FromRow)]` rows read flags as this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Flag(<i64 as Decode<'r, Any>>::decode(value)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

/// Runs a write that may collide with a unique constraint: `Ok(None)` when it did, the outcome
/// otherwise. (On PostgreSQL the failed statement aborts the transaction: the caller gives up on
/// it, which every caller of this does.)
pub async fn unless_unique_violation<'q>(
    tx: &mut Tx,
    write: Query<'q, Any, AnyArguments<'q>>,
) -> Result<Option<AnyQueryResult>, AppError> {
    match write.execute(&mut **tx).await {
        Ok(done) => Ok(Some(done)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Inserts a row unless its unique key is taken: `Ok(false)` when it is — the insert failed on the
/// constraint, or its `ON CONFLICT DO NOTHING` skipped the row (which keeps a PostgreSQL
/// transaction usable).
pub async fn insert_unique<'q>(
    tx: &mut Tx,
    insert: Query<'q, Any, AnyArguments<'q>>,
) -> Result<bool, AppError> {
    Ok(unless_unique_violation(tx, insert)
        .await?
        .is_some_and(|done| done.rows_affected() > 0))
}

/// The `VALUES` list of a multi-row insert whose only binds these are, in order: `rows` groups of
/// `columns` placeholders. On PostgreSQL they are numbered (`($1, $2), ($3, $4)`); on SQLite they
/// are anonymous (`(?, ?), (?, ?)`), which SQLite numbers the same way, because sqlx-sqlite finds
/// a numbered bind's slot with `sqlite3_bind_parameter_name`, a walk of the statement's parameter
/// list, so binding N numbered binds costs O(N²) while N anonymous ones cost O(N). Size `rows`
/// with `rows_per_insert`.
pub fn values_list(conn: &sqlx::AnyConnection, rows: usize, columns: usize) -> String {
    let anonymous = is_sqlite(conn);
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(1 + row * columns + column).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

pub(super) fn is_sqlite(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME
}

/// Numbered binds (`$n`) one statement carries on `conn`'s engine: an `IN` list beside other
/// binds.
///
/// sqlx-sqlite binds a numbered parameter in time proportional to its number (see
/// `values_list`), so a statement costs O(binds²): a bulk create's 8,500-bind audit insert once
/// spent about 100 ms there. A few hundred keep that to a few µs a statement. PostgreSQL binds by
/// position and a statement is a round trip, so there one carries as many as its limit
/// comfortably allows.
fn binds_per_statement(conn: &sqlx::AnyConnection) -> usize {
    if is_sqlite(conn) { 256 } else { 16_000 }
}

/// Rows of `binds_per_row` numbered binds each that one statement carries on `conn` (at least
/// one).
pub fn rows_per_statement(conn: &sqlx::AnyConnection, binds_per_row: usize) -> usize {
    (binds_per_statement(conn) / binds_per_row.max(1)).max(1)
}

/// Rows of `binds_per_row` binds each that one multi-row insert built with `values_list` carries
/// on `conn` (at least one). Its binds are anonymous on SQLite, so binding stays linear and a
/// 200-row bulk create writes each table in one or two statements instead of dozens (each one a
/// hop to sqlx-sqlite's worker thread); SQLite allows 32,766.
pub fn rows_per_insert(conn: &sqlx::AnyConnection, binds_per_row: usize) -> usize {
    let binds = if is_sqlite(conn) { 4_096 } else { 16_000 };
    (binds / binds_per_row.max(1)).max(1)
}

/// `$first, …` for an `IN (…)` list of `n` binds.
pub(crate) fn in_list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A timestamp as stored: milliseconds since the Unix epoch.
pub fn ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub fn from_ms(stored: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(stored) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A stored timestamp as the wire shows it (RFC 3339, UTC).
pub fn rfc3339(stored: i64) -> String {
    from_ms(stored)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn committed_writes_reach_the_database_file_without_a_writer_checkpointing() {
        let path = std::env::temp_dir().join(format!("arbor-wal-{}.db", uuid::Uuid::now_v7()));
        let db = Db::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"));
        // The migrations are hundreds of pages: far below the writer's own checkpoint threshold,
        // so they sit in the log until the background checkpointer copies them.
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("migrate: {e}"));
        let file_len = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let after_commit = file_len();
        let mut waited = Duration::ZERO;
        while file_len() <= after_commit && waited < Duration::from_secs(10) {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            waited += CHECKPOINT_EVERY;
        }
        assert!(
            file_len() > after_commit,
            "the database file stayed at {after_commit} bytes: nothing checkpointed the log"
        );
        let writer_frames: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(db.writer())
            .await
            .unwrap_or_else(|e| panic!("pragma: {e}"));
        assert_eq!(
            writer_frames,
            i64::from(WAL_FRAMES_BEFORE_WRITER_CHECKPOINTS)
        );
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
