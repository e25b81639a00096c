//! The evaluation change journal (`access_heads`, `access_journal`) and what an evaluation
//! snapshot reads of an environment: whole, or only the identities a change touched.

use crate::error::AppError;
use crate::model::{EnvScope, IdentityStatus, MembershipStatus};
use crate::store::batch::{Batch, Bind, marks};
use crate::store::in_list;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// The PostgreSQL notification channel that carries `<account id> <seq>` after each commit.
pub const CHANNEL: &str = "arbor_access";

/// One journal row: what a committed write touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    pub kind: String,
    pub environment_id: Option<String>,
    pub identity_id: Option<String>,
}

/// Binds per journal row in `push_append`: ord, kind, environment, identity.
const JOURNAL_BINDS_PER_ROW: usize = 4;

/// An account's journal head: its last committed seq, and the seq of its last write that could
/// change an API key (what cached keys are checked against; `key_seq <= seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Head {
    pub seq: i64,
    pub key_seq: i64,
}

/// Takes the account's next seq; `keys`: the write can change an API key, so `key_seq` moves to
/// it as well. Runs last in the write's transaction: the row lock it takes (PostgreSQL) or the
/// single writer (SQLite) makes seqs commit in order. Returns one row, `(seq, key_seq)`: see
/// `head_of_row`.
///
/// On PostgreSQL the same statement tells the other processes on the database, delivered at
/// commit and not before: `<account id> <seq> <key_seq>` on `CHANNEL` (a third column, `''`;
/// a statement of its own would be one more round trip of a write's eight). SQLite's processes
/// poll.
pub fn push_bump_head<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    account_id: &'q str,
    keys: bool,
) {
    let notifies = !crate::store::db::is_sqlite(conn);
    let m = marks(conn, if notifies { 4 } else { 3 });
    let notify = if notifies {
        format!(
            ", CAST(pg_notify({}, account_id || ' ' || CAST(seq AS TEXT) || ' ' || CAST(key_seq AS TEXT)) AS TEXT)",
            m[3]
        )
    } else {
        String::new()
    };
    let mut binds = vec![
        Bind::Text(account_id),
        Bind::Int(i64::from(keys)),
        Bind::Int(i64::from(keys)),
    ];
    if notifies {
        binds.push(Bind::Text(CHANNEL));
    }
    batch.push(
        format!(
            "INSERT INTO access_heads (account_id, seq, key_seq) VALUES ({}, 1, {}) \
             ON CONFLICT (account_id) DO UPDATE SET seq = access_heads.seq + 1, \
               key_seq = CASE WHEN {} = 0 THEN access_heads.key_seq ELSE access_heads.seq + 1 END \
             RETURNING seq, key_seq{notify}",
            m[0], m[1], m[2]
        ),
        binds,
    );
}

/// The head a `push_bump_head` statement returned.
pub fn head_of_row(row: &AnyRow) -> Result<Head, AppError> {
    Ok(Head {
        seq: row.try_get(0)?,
        key_seq: row.try_get(1)?,
    })
}

/// Appends `entries` under the account's head seq, as the same batch's `push_bump_head` left it
/// (read in the statement, so both travel together). The head is read once per statement, joined
/// to the rows: a subquery per row cost PostgreSQL a plan and an index lookup each, a fifth of a
/// 200-row bulk create.
pub fn push_append<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    account_id: &'q str,
    entries: &'q [Entry],
    now_ms: i64,
) {
    let per_statement = crate::store::rows_per_insert(conn, JOURNAL_BINDS_PER_ROW);
    for (chunk_index, chunk) in entries.chunks(per_statement).enumerate() {
        // In the statement's order: the time, each row's binds, the account.
        let m = marks(conn, chunk.len() * JOURNAL_BINDS_PER_ROW + 2);
        let rows: Vec<String> = m[1..m.len() - 1]
            .chunks(JOURNAL_BINDS_PER_ROW)
            .map(|r| format!("({}, {}, {}, {})", r[0], r[1], r[2], r[3]))
            .collect();
        let mut binds = Vec::with_capacity(m.len());
        binds.push(Bind::Int(now_ms));
        for (i, entry) in chunk.iter().enumerate() {
            let ord = i64::try_from(chunk_index * per_statement + i).unwrap_or(i64::MAX);
            binds.extend([
                Bind::Int(ord),
                Bind::Text(entry.kind.as_str()),
                Bind::MaybeText(entry.environment_id.as_deref()),
                Bind::MaybeText(entry.identity_id.as_deref()),
            ]);
        }
        binds.push(Bind::Text(account_id));
        // VALUES names its columns column1, column2, … on both engines.
        batch.push(
            format!(
                "INSERT INTO access_journal (account_id, seq, ord, kind, environment_id, identity_id, created_at) \
                 SELECT h.account_id, h.seq, v.column1, v.column2, v.column3, v.column4, {} \
                 FROM access_heads h, (VALUES {}) AS v WHERE h.account_id = {}",
                m[0],
                rows.join(", "),
                m[m.len() - 1]
            ),
            binds,
        );
    }
}

/// The account's last committed seq (0 before its first journaled write).
pub async fn head(pool: &AnyPool, account_id: &str) -> Result<i64, AppError> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM access_heads WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// The account's head, both seqs (zeros before its first journaled write).
pub async fn head_of(pool: &AnyPool, account_id: &str) -> Result<Head, AppError> {
    let found: Option<(i64, i64)> =
        sqlx::query_as("SELECT seq, key_seq FROM access_heads WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.map_or_else(Head::default, |(seq, key_seq)| Head { seq, key_seq }))
}

/// Every account's head: the catch-up poll.
pub async fn heads(pool: &AnyPool) -> Result<Vec<(String, Head)>, AppError> {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT account_id, seq, key_seq FROM access_heads")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(account_id, seq, key_seq)| (account_id, Head { seq, key_seq }))
        .collect())
}

/// The entries of seqs `after + 1 ..= upto`, in seq order, each with its seq.
pub async fn entries(
    pool: &AnyPool,
    account_id: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<(i64, Entry)>, AppError> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT seq, kind, environment_id, identity_id FROM access_journal \
         WHERE account_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq, ord",
    )
    .bind(account_id)
    .bind(after)
    .bind(upto)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, environment_id, identity_id)| {
            (
                seq,
                Entry {
                    kind,
                    environment_id,
                    identity_id,
                },
            )
        })
        .collect())
}

/// Drops entries written before `before_ms`; returns how many.
pub async fn prune(pool: &AnyPool, before_ms: i64) -> Result<u64, AppError> {
    Ok(
        sqlx::query("DELETE FROM access_journal WHERE created_at < $1")
            .bind(before_ms)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// An identity as evaluation in one application sees it: active, and an active member?
#[derive(Debug, Clone)]
pub struct StandingRow {
    pub identity_id: String,
    pub active: bool,
    pub member: bool,
}

/// One assignment of the environment.
#[derive(Debug, Clone)]
pub struct HeldRow {
    pub identity_id: String,
    pub role_id: String,
    pub node_id: String,
    pub from_ms: i64,
    pub to_ms: Option<i64>,
}

type StoredStanding = (String, String, Option<String>);
type StoredHeld = (String, String, String, i64, Option<i64>);

fn standing((identity_id, status, membership): StoredStanding) -> StandingRow {
    StandingRow {
        identity_id,
        active: IdentityStatus::parse(&status) != IdentityStatus::Inactive,
        member: membership
            .as_deref()
            .is_some_and(|m| MembershipStatus::from_stored(m).is_active()),
    }
}

fn held((identity_id, role_id, node_id, from_ms, to_ms): StoredHeld) -> HeldRow {
    HeldRow {
        identity_id,
        role_id,
        node_id,
        from_ms,
        to_ms,
    }
}

const STANDING: &str = "SELECT i.id, i.status, m.status FROM identities i \
     LEFT JOIN app_memberships m ON m.account_id = i.account_id AND m.identity_id = i.id \
       AND m.application_id = $2 \
     WHERE i.account_id = $1";
const HELD: &str = "SELECT identity_id, role_id, node_id, effective_from, effective_to \
     FROM assignments WHERE account_id = $1 AND environment_id = $2";

/// Every identity of the account with its standing in the environment's application, streamed
/// to `each` so the rows are never held at once.
pub async fn each_standing(
    pool: &AnyPool,
    env: &EnvScope,
    mut each: impl FnMut(StandingRow),
) -> Result<(), AppError> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query_as::<_, StoredStanding>(STANDING)
        .bind(&env.account_id)
        .bind(&env.application_id)
        .fetch(pool);
    while let Some(row) = rows.try_next().await? {
        each(standing(row));
    }
    Ok(())
}

/// Ids per `IN` list: well under both engines' bind limits.
const IDS_PER_STATEMENT: usize = 500;

/// `standings` of these identities only (absent ones no longer exist).
pub async fn standings_of(
    pool: &AnyPool,
    env: &EnvScope,
    identity_ids: &[&str],
) -> Result<Vec<StandingRow>, AppError> {
    let mut out = Vec::with_capacity(identity_ids.len());
    for chunk in identity_ids.chunks(IDS_PER_STATEMENT) {
        // The order names the primary key as the way in: without it and without `ANALYZE`
        // statistics, SQLite read two or more ids by walking the account's whole covering
        // `identities_by_status` index (10-15 ms at 100,000 identities, after every write).
        let sql = format!(
            "{STANDING} AND i.id IN ({}) ORDER BY i.id",
            in_list(chunk.len(), 3)
        );
        let mut query = sqlx::query_as::<_, StoredStanding>(&sql)
            .bind(&env.account_id)
            .bind(&env.application_id);
        for id in chunk {
            query = query.bind(*id);
        }
        out.extend(query.fetch_all(pool).await?.into_iter().map(standing));
    }
    Ok(out)
}

/// `held_all` of these identities only.
pub async fn held_of(
    pool: &AnyPool,
    env: &EnvScope,
    identity_ids: &[&str],
) -> Result<Vec<HeldRow>, AppError> {
    let mut out = Vec::new();
    for chunk in identity_ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!("{HELD} AND identity_id IN ({})", in_list(chunk.len(), 3));
        let mut query = sqlx::query_as::<_, StoredHeld>(&sql)
            .bind(&env.account_id)
            .bind(&env.environment_id);
        for id in chunk {
            query = query.bind(*id);
        }
        out.extend(query.fetch_all(pool).await?.into_iter().map(held));
    }
    Ok(out)
}

/// Every assignment of the environment, grouped by identity (ordered by it), streamed to
/// `each` so a million rows are never held at once.
pub async fn each_held(
    pool: &AnyPool,
    env: &EnvScope,
    mut each: impl FnMut(HeldRow),
) -> Result<(), AppError> {
    use futures_util::TryStreamExt;
    let sql = format!("{HELD} ORDER BY identity_id");
    let mut rows = sqlx::query_as::<_, StoredHeld>(&sql)
        .bind(&env.account_id)
        .bind(&env.environment_id)
        .fetch(pool);
    while let Some(row) = rows.try_next().await? {
        each(held(row));
    }
    Ok(())
}
