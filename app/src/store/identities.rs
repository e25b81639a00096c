//! Identity rows (Account directory) and their application memberships.

use crate::error::AppError;
use crate::model::EnvScope;
use crate::model::{Identity, IdentityStatus, MembershipStatus};
use crate::store::batch::{Batch, Bind};
use crate::store::directory::{Binds, search_condition};
use crate::store::{Flag, Tx, insert_unique, rfc3339};
use sqlx::AnyPool;

pub(crate) const COLUMNS: &str = "i.id, i.email, i.first_name, i.last_name, i.status, i.external_id, i.metadata, \
     CAST(CASE WHEN i.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, i.password_change_required, i.version, i.created_at, i.updated_at";

/// An identity as `COLUMNS` selects it (`metadata` is JSON text).
#[derive(sqlx::FromRow)]
pub(crate) struct StoredIdentity {
    id: String,
    email: String,
    first_name: String,
    last_name: String,
    status: String,
    external_id: Option<String>,
    metadata: Option<String>,
    has_password: Flag,
    password_change_required: Flag,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<StoredIdentity> for Identity {
    fn from(r: StoredIdentity) -> Self {
        Identity {
            id: r.id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            status: IdentityStatus::parse(&r.status),
            external_id: r.external_id,
            metadata: r.metadata.and_then(|m| serde_json::from_str(&m).ok()),
            has_password: r.has_password.into(),
            password_change_required: r.password_change_required.into(),
            version: r.version,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// The account's identity with this (normalised) email and its membership status in
/// `application_id`, if any.
pub async fn by_email_with_membership(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
    email: &str,
) -> Result<Option<(String, Option<MembershipStatus>)>, AppError> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT i.id, m.status FROM identities i \
         LEFT JOIN app_memberships m ON m.account_id = i.account_id AND m.identity_id = i.id \
           AND m.application_id = $2 \
         WHERE i.account_id = $1 AND i.email = $3",
    )
    .bind(account_id)
    .bind(application_id)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(id, membership)| (id, membership.as_deref().map(MembershipStatus::from_stored))))
}

pub async fn by_id(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    id: &str,
) -> Result<Option<Identity>, AppError> {
    let row: Option<StoredIdentity> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM identities i WHERE i.account_id = $1 AND i.id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Identity::from))
}

pub struct NewIdentity<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub external_id: Option<&'a str>,
    pub metadata: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub password_change_required: bool,
    pub now_ms: i64,
}

impl<'a> NewIdentity<'a> {
    pub fn from_valid(
        id: &'a str,
        valid: &'a crate::model::ValidIdentity,
        password_hash: Option<&'a str>,
        now_ms: i64,
    ) -> Self {
        NewIdentity {
            id,
            email: valid.email.as_str(),
            first_name: valid.first_name.as_str(),
            last_name: valid.last_name.as_str(),
            external_id: valid.external_id.as_deref(),
            metadata: valid.metadata.as_deref(),
            password_hash,
            password_change_required: valid.require_password_change,
            now_ms,
        }
    }
}

/// Inserts the identity; a taken email or external id in the account is
/// `identities.email_taken` / `identities.external_id_taken` (a concurrent create of the same
/// email lands here too).
pub async fn insert(tx: &mut Tx, account_id: &str, n: NewIdentity<'_>) -> Result<(), AppError> {
    let status = if n.password_hash.is_some() {
        IdentityStatus::Active
    } else {
        IdentityStatus::Pending
    };
    let insert = sqlx::query(
        "INSERT INTO identities (account_id, id, email, first_name, last_name, external_id, metadata, status, \
           password_hash, password_change_required, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(n.id)
    .bind(n.email)
    .bind(n.first_name)
    .bind(n.last_name)
    .bind(n.external_id)
    .bind(n.metadata)
    .bind(status.as_str())
    .bind(n.password_hash)
    .bind(i64::from(
        n.password_hash.is_some() && n.password_change_required,
    ))
    .bind(n.password_hash.map(|_| n.now_ms))
    .bind(n.now_ms);
    if insert_unique(tx, insert).await? {
        return Ok(());
    }
    let email_taken: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM identities WHERE account_id = $1 AND email = $2")
            .bind(account_id)
            .bind(n.email)
            .fetch_one(&mut **tx)
            .await?;
    Err(if email_taken > 0 {
        AppError::IdentityEmailTaken
    } else {
        AppError::ExternalIdTaken
    })
}

/// Makes the identity an active member of the application: a new membership, or a deactivated
/// one re-activated. `Ok(None)` when it already is an active member.
pub async fn activate_membership(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
    identity_id: &str,
    new_id: &str,
    now_ms: i64,
) -> Result<Option<String>, AppError> {
    let id: Option<String> = sqlx::query_scalar(
        "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, activated_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5, $5) \
         ON CONFLICT (account_id, application_id, identity_id) DO UPDATE \
           SET status = 'active', activated_at = $5, deactivated_at = NULL, updated_at = $5 \
           WHERE app_memberships.status <> 'active' \
         RETURNING id",
    )
    .bind(account_id)
    .bind(new_id)
    .bind(identity_id)
    .bind(application_id)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

/// A member: the identity and its membership's status.
#[derive(sqlx::FromRow)]
struct Member {
    #[sqlx(flatten)]
    identity: StoredIdentity,
    membership_status: String,
}

/// The application's members (every membership status), counted from the membership index.
pub async fn member_count(pool: &AnyPool, env: &EnvScope) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM app_memberships WHERE account_id = $1 AND application_id = $2",
    )
    .bind(&env.account_id)
    .bind(&env.application_id)
    .fetch_one(pool)
    .await?)
}

/// From this many members on, a page of them walks the identities rather than the memberships.
const WALK_IDENTITIES_FROM: i64 = 1_000;

/// One page of the application's members (optionally matching `q`, a prefix of the email, the
/// names or the external id — `directory::search_condition`), newest first, with the total
/// (without a search or role filter: `member_count`, which the caller has).
pub async fn members_page(
    pool: &AnyPool,
    env: &EnvScope,
    q: &str,
    has_role: Option<bool>,
    limit: i64,
    offset: i64,
    member_count: i64,
) -> Result<(Vec<(Identity, MembershipStatus)>, i64), AppError> {
    let mut binds = Binds::default();
    let account = binds.text(env.account_id.clone());
    let application = binds.text(env.application_id.clone());
    // A search names the account in each of its branches (`search_condition`).
    let mut conditions = vec![
        search_condition(q, &account, &mut binds)
            .unwrap_or_else(|| format!("i.account_id = {account}")),
    ];
    if let Some(has_role) = has_role {
        let environment = binds.text(env.environment_id.clone());
        conditions.push(format!(
            "{}EXISTS (SELECT 1 FROM assignments a WHERE a.account_id = i.account_id \
               AND a.identity_id = i.id AND a.environment_id = {environment})",
            if has_role { "" } else { "NOT " }
        ));
    }
    let conditions = conditions.join(" AND ");
    let membership = format!(
        "m.account_id = i.account_id AND m.application_id = {application} AND m.identity_id = i.id"
    );
    let joined =
        format!("FROM identities i JOIN app_memberships m ON {membership} WHERE {conditions}");
    let total = if q.trim().is_empty() && has_role.is_none() {
        member_count
    } else {
        let (n,): (i64,) = binds
            .apply(sqlx::query_as(&format!("SELECT COUNT(*) AS n {joined}")))
            .fetch_one(pool)
            .await?;
        n
    };
    // Many members and no search: walk the identities newest first (`identities_by_created`) and
    // look each one's membership up, so a page reads about `limit` rows (plus its offset). Written
    // as a join, SQLite would read every membership first and sort them all. Few members (or a
    // search, which reads only its matches): the join, where the planner picks.
    let from = if q.trim().is_empty() && member_count >= WALK_IDENTITIES_FROM {
        // The membership as a scalar subquery in the filter too: an `EXISTS` there, SQLite may
        // turn into an `IN` list of every member, read first.
        let status = format!("(SELECT m.status FROM app_memberships m WHERE {membership})");
        format!(
            "{status} AS membership_status FROM identities i \
             WHERE {conditions} AND {status} IS NOT NULL"
        )
    } else {
        format!("m.status AS membership_status {joined}")
    };
    // Limit and offset are numbers we computed, so they are written into the text.
    let list_sql = format!(
        "SELECT {COLUMNS}, {from} ORDER BY i.created_at DESC, i.id DESC LIMIT {limit} OFFSET {offset}"
    );
    let rows: Vec<Member> = binds
        .apply(sqlx::query_as(&list_sql))
        .fetch_all(pool)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            (
                r.identity.into(),
                MembershipStatus::from_stored(&r.membership_status),
            )
        })
        .collect();
    Ok((items, total))
}

pub struct ProfileUpdate<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub metadata: Option<&'a str>,
    pub version: i64,
    pub now_ms: i64,
}

/// Names and metadata; `Ok(false)` when `version` is stale (or the identity is gone).
pub async fn update_profile(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    u: ProfileUpdate<'_>,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identities SET first_name = $1, last_name = $2, metadata = $3, version = version + 1, updated_at = $4 \
         WHERE account_id = $5 AND id = $6 AND version = $7",
    )
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.metadata)
    .bind(u.now_ms)
    .bind(account_id)
    .bind(id)
    .bind(u.version)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The Account-wide kill switch: `inactive`, or back to `active` (`pending` without a password).
pub async fn set_active(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    active: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identities SET status = CASE WHEN $1 = 'inactive' THEN 'inactive' \
           WHEN password_hash IS NULL THEN 'pending' ELSE 'active' END, \
           version = version + 1, updated_at = $2 WHERE account_id = $3 AND id = $4",
    )
    .bind(if active { "reactivate" } else { "inactive" })
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deactivates the identity's membership in the application and revokes every assignment it
/// holds in that application's environments. `None` when it was not an active member; else the
/// number of assignments revoked.
pub async fn deactivate_membership(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
    identity_id: &str,
    now_ms: i64,
) -> Result<Option<u64>, AppError> {
    let changed = sqlx::query(
        "UPDATE app_memberships SET status = 'deactivated', deactivated_at = $1, updated_at = $1 \
         WHERE account_id = $2 AND application_id = $3 AND identity_id = $4 AND status = 'active'",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(application_id)
    .bind(identity_id)
    .execute(&mut **tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Ok(None);
    }
    let revoked = sqlx::query(
        "DELETE FROM assignments WHERE account_id = $1 AND identity_id = $2 AND environment_id IN \
           (SELECT id FROM environments WHERE account_id = $1 AND application_id = $3)",
    )
    .bind(account_id)
    .bind(identity_id)
    .bind(application_id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(revoked.rows_affected()))
}

/// Whether the application belongs to the account.
pub async fn application_exists(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
) -> Result<bool, AppError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(application_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n > 0)
}

/// An identity's id, stored password hash and status, by email in the account (for sign-in).
pub async fn credentials_by_email(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
    email: &str,
) -> Result<Option<(String, Option<String>, IdentityStatus)>, AppError> {
    let row: Option<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, password_hash, status FROM identities WHERE account_id = $1 AND email = $2",
    )
    .bind(account_id)
    .bind(email)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, hash, status)| (id, hash, IdentityStatus::parse(&status))))
}

/// Replaces the stored hash with `new_hash` only if it is still `old_hash` (a password changed
/// meanwhile is never overwritten by an upgrade). Not a profile change: `version` stays.
pub async fn upgrade_password_hash(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    old_hash: &str,
    new_hash: &str,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identities SET password_hash = $1 \
         WHERE account_id = $2 AND id = $3 AND password_hash = $4",
    )
    .bind(new_hash)
    .bind(account_id)
    .bind(id)
    .bind(old_hash)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A password the identity chose (accepting an invite, a reset, a change): stores `hash`, clears
/// the forced change and the failed-sign-in lockout, and makes a `pending` identity `active` (an
/// `inactive` one stays inactive: the kill switch is the admin's). When the identity proved its
/// email on the way (an emailed link), `email_verified` stamps that too.
pub async fn set_chosen_password(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    hash: &str,
    email_verified: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identities SET password_hash = $1, password_changed_at = $2, \
         password_change_required = 0, failed_login_count = 0, locked_until = NULL, \
         status = CASE WHEN status = 'pending' THEN 'active' ELSE status END, \
         email_verified_at = CASE WHEN $3 = 1 THEN COALESCE(email_verified_at, $2) \
                                  ELSE email_verified_at END, \
         version = version + 1, updated_at = $2 \
         WHERE account_id = $4 AND id = $5",
    )
    .bind(hash)
    .bind(now_ms)
    .bind(i64::from(email_verified))
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Stamps `email_verified_at` (once: a later proof keeps the first date). False when the
/// identity does not exist.
pub async fn mark_email_verified(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE identities SET email_verified_at = COALESCE(email_verified_at, $1) \
         WHERE account_id = $2 AND id = $3",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

// ---- Set-based writes: a whole bulk create in a few statements (services::identities). ----

/// Binds per row of `insert_new`.
const NEW_IDENTITY_BINDS: usize = 13;

/// `COLUMNS` as a `RETURNING` list (no table alias there).
const RETURNING: &str = "id, email, first_name, last_name, status, external_id, metadata, \
     CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, password_change_required, version, created_at, updated_at";

/// Inserts `rows` in the order given, skipping every row whose email or external id is taken
/// (`ON CONFLICT DO NOTHING`, so a PostgreSQL transaction stays usable); answers the rows
/// inserted, as stored. Callers pass rows sorted by email: two transactions inserting overlapping
/// emails then take the unique-index entries in the same order and never deadlock.
pub async fn insert_new(
    tx: &mut Tx,
    account_id: &str,
    rows: &[NewIdentity<'_>],
) -> Result<Vec<Identity>, AppError> {
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(crate::store::rows_per_insert(tx, NEW_IDENTITY_BINDS)) {
        let sql = insert_sql(tx, chunk.len(), " ON CONFLICT DO NOTHING");
        let query = chunk
            .iter()
            .flat_map(|n| new_identity_binds(account_id, n))
            .fold(sqlx::query_as::<_, StoredIdentity>(&sql), |query, bind| {
                bind.bind_to(query)
            });
        inserted.extend(
            query
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Identity::from),
        );
    }
    Ok(inserted)
}

/// `insert_new` of one row in `batch`, refused (a unique violation) when its email or external
/// id is taken: the batch's first row is the identity, as stored (`stored_of_row`).
pub fn push_new<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    account_id: &'q str,
    row: &NewIdentity<'q>,
) {
    batch.push(
        insert_sql(conn, 1, ""),
        new_identity_binds(account_id, row).into(),
    );
}

/// The identity a `push_new` statement returned.
pub fn stored_of_row(row: &sqlx::any::AnyRow) -> Result<Identity, AppError> {
    use sqlx::FromRow;
    Ok(StoredIdentity::from_row(row)?.into())
}

fn insert_sql(conn: &sqlx::AnyConnection, rows: usize, on_conflict: &str) -> String {
    format!(
        "INSERT INTO identities (account_id, id, email, first_name, last_name, external_id, metadata, status, \
           password_hash, password_change_required, password_changed_at, created_at, updated_at) \
         VALUES {}{on_conflict} RETURNING {RETURNING}",
        crate::store::values_list(conn, rows, NEW_IDENTITY_BINDS)
    )
}

fn new_identity_binds<'q>(
    account_id: &'q str,
    n: &NewIdentity<'q>,
) -> [Bind<'q>; NEW_IDENTITY_BINDS] {
    let status = if n.password_hash.is_some() {
        IdentityStatus::Active
    } else {
        IdentityStatus::Pending
    };
    [
        Bind::Text(account_id),
        Bind::Text(n.id),
        Bind::Text(n.email),
        Bind::Text(n.first_name),
        Bind::Text(n.last_name),
        Bind::MaybeText(n.external_id),
        Bind::MaybeText(n.metadata),
        Bind::Text(status.as_str()),
        Bind::MaybeText(n.password_hash),
        Bind::Int(i64::from(
            n.password_hash.is_some() && n.password_change_required,
        )),
        Bind::MaybeInt(n.password_hash.map(|_| n.now_ms)),
        Bind::Int(n.now_ms),
        Bind::Int(n.now_ms),
    ]
}

/// `by_email_with_membership` for many emails at once: the taken ones, by email.
pub async fn by_emails_with_membership(
    tx: &mut Tx,
    account_id: &str,
    application_id: &str,
    emails: &[&str],
) -> Result<std::collections::HashMap<String, (String, Option<MembershipStatus>)>, AppError> {
    let mut found = std::collections::HashMap::new();
    for chunk in emails.chunks(crate::store::rows_per_statement(tx, 1)) {
        let sql = format!(
            "SELECT i.email, i.id, m.status FROM identities i \
             LEFT JOIN app_memberships m ON m.account_id = i.account_id AND m.identity_id = i.id \
               AND m.application_id = $2 \
             WHERE i.account_id = $1 AND i.email IN ({})",
            crate::store::in_list(chunk.len(), 3)
        );
        let mut query = sqlx::query_as::<_, (String, String, Option<String>)>(&sql)
            .bind(account_id)
            .bind(application_id);
        for email in chunk {
            query = query.bind(*email);
        }
        for (email, id, membership) in query.fetch_all(&mut **tx).await? {
            found.insert(
                email,
                (id, membership.as_deref().map(MembershipStatus::from_stored)),
            );
        }
    }
    Ok(found)
}

/// Which of `external_ids` an identity of the account already has.
pub async fn external_ids_taken(
    tx: &mut Tx,
    account_id: &str,
    external_ids: &[&str],
) -> Result<std::collections::HashSet<String>, AppError> {
    let mut taken = std::collections::HashSet::new();
    for chunk in external_ids.chunks(crate::store::rows_per_statement(tx, 1)) {
        let sql = format!(
            "SELECT external_id FROM identities WHERE account_id = $1 AND external_id IN ({})",
            crate::store::in_list(chunk.len(), 2)
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(account_id);
        for id in chunk {
            query = query.bind(*id);
        }
        taken.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(taken)
}

/// Active memberships of `application_id` for identities that have none yet (just created):
/// `(membership id, identity id)` pairs, as multi-row inserts added to `batch` (they travel with
/// the write's bookkeeping).
pub fn push_memberships<'q>(
    batch: &mut Batch<'q>,
    conn: &sqlx::AnyConnection,
    account_id: &'q str,
    application_id: &'q str,
    rows: &[(&'q str, &'q str)],
    now_ms: i64,
) {
    for chunk in rows.chunks(crate::store::rows_per_insert(conn, 8)) {
        let sql = format!(
            "INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, activated_at, created_at, updated_at) \
             VALUES {}",
            crate::store::values_list(conn, chunk.len(), 8)
        );
        let mut binds = Vec::with_capacity(chunk.len() * 8);
        for &(id, identity_id) in chunk {
            binds.extend([
                Bind::Text(account_id),
                Bind::Text(id),
                Bind::Text(identity_id),
                Bind::Text(application_id),
                Bind::Text("active"),
                Bind::Int(now_ms),
                Bind::Int(now_ms),
                Bind::Int(now_ms),
            ]);
        }
        batch.push(sql, binds);
    }
}
