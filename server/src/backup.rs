//! `arbor backup <file>`: an online copy of an SQLite database (docs/deployment.md › Backups).
//!
//! `VACUUM INTO` copies the database inside one read transaction, so the file is a consistent
//! snapshot of every transaction committed before it began — never half of one — while
//! `arbor serve` goes on reading and writing (WAL mode: the copy's reader blocks no writer).
//! PostgreSQL has its own tools (`pg_dump`); this command names them instead of copying.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::time::Duration;

/// How to back up a PostgreSQL database: the command docs/deployment.md gives (and the
/// integration test runs).
pub const PG_DUMP_COMMAND: &str = "pg_dump --format=custom --file=arbor.dump \"$DATABASE_URL\"";

/// What a finished backup reports.
#[derive(Debug)]
pub struct Copied {
    pub bytes: u64,
    /// The newest migration in the copy.
    pub schema_version: i64,
}

/// Copies the SQLite database of `database_url` into `target`, a file that must not exist yet.
/// The copy is synced to disk and checked with `PRAGMA integrity_check` before this returns.
pub async fn sqlite(database_url: &str, target: &Path) -> anyhow::Result<Copied> {
    let source = sqlite_path(database_url)?;
    if !Path::new(source).is_file() {
        anyhow::bail!("no SQLite database at {source} (DATABASE_URL): nothing to back up");
    }
    let Some(target_text) = target.to_str() else {
        anyhow::bail!("the backup file name must be valid UTF-8");
    };
    // Creating the file ourselves (O_EXCL) is the refusal that cannot race: whatever exists at
    // `target` — even an empty file or a dangling link — is left alone. VACUUM INTO accepts the
    // empty file we made, and only ours is removed if the copy fails.
    if let Err(e) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
    {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::bail!(
                "{} already exists: refusing to overwrite it (choose a new file name)",
                target.display()
            );
        }
        anyhow::bail!("cannot create {}: {e}", target.display());
    }
    let copied = copy(source, target_text).await;
    if copied.is_err() {
        let _ = std::fs::remove_file(target);
    }
    copied
}

async fn copy(source: &str, target: &str) -> anyhow::Result<Copied> {
    // No `create_if_missing`: a typo in DATABASE_URL must not back up a new empty database.
    // `filename`, not a URL: a path is taken as it is, whatever characters it holds.
    let mut conn = SqliteConnectOptions::new()
        .filename(source)
        .busy_timeout(Duration::from_secs(30))
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("cannot open {source}: {e}"))?;
    let schema_version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&mut conn)
            .await
            .map_err(|_| anyhow::anyhow!("{source} is not an Arbor database (no migrations)"))?;
    // VACUUM INTO takes any expression for the file name, so it is bound, never spliced into SQL.
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("backup failed: {e}"))?;
    conn.close().await?;
    // SQLite does not sync a VACUUM INTO file; a backup that a crash can lose is no backup.
    std::fs::File::open(target)?.sync_all()?;
    if let Some(dir) = Path::new(target).parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        // Directories cannot be opened for syncing everywhere; the file's own sync matters most.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    check(target).await?;
    Ok(Copied {
        bytes: std::fs::metadata(target)?.len(),
        schema_version: schema_version.unwrap_or(0),
    })
}

/// `PRAGMA integrity_check` on the copy.
async fn check(target: &str) -> anyhow::Result<()> {
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(target)
        .disable_statement_logging()
        .connect()
        .await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    if verdict != "ok" {
        anyhow::bail!("the copy failed its integrity check: {verdict}");
    }
    Ok(())
}

/// The file of a `sqlite:` URL; a PostgreSQL URL is refused with the command to use instead.
fn sqlite_path(database_url: &str) -> anyhow::Result<&str> {
    if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        anyhow::bail!(
            "arbor backup copies SQLite databases; DATABASE_URL is PostgreSQL. Back it up with \
             pg_dump (docs/deployment.md › Backups):\n  {PG_DUMP_COMMAND}"
        );
    }
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .ok_or_else(|| anyhow::anyhow!("unsupported DATABASE_URL: {database_url}"))?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!("DATABASE_URL names no database file");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_file_and_postgresql_is_sent_to_pg_dump() {
        assert_eq!(
            sqlite_path("sqlite:data/arbor.db").ok(),
            Some("data/arbor.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///srv/arbor.db?mode=rwc").ok(),
            Some("/srv/arbor.db")
        );
        let refused = sqlite_path("postgres://arbor:secret@db/arbor")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(refused.contains(PG_DUMP_COMMAND), "{refused}");
        assert!(!refused.contains("secret"), "{refused}");
        assert!(sqlite_path("mysql://x").is_err());
    }
}
