//! The admin team of an Account: its members (`account_members` with their admins) and the admin
//! invites. As with identity invites, an invite is found by id within its Account or by the
//! SHA-256 of its link's token, and every change of state is a guarded UPDATE (`status =
//! 'pending'` and not expired), so two requests racing on one invite cannot both win.

use crate::error::AppError;
use crate::model::{AccountRole, InviteStatus};
use crate::store::{Tx, insert_unique};

/// One member as Tenant › Team lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub admin_user_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub status: String,
    pub email_verified_at: Option<i64>,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
}

impl MemberRow {
    pub fn role(&self) -> AccountRole {
        // An unknown stored role reads as the least powerful one.
        AccountRole::parse(&self.role).unwrap_or(AccountRole::Viewer)
    }
}

const MEMBER_COLUMNS: &str = "m.admin_user_id, a.email, a.first_name, a.last_name, m.role, a.status, \
     a.email_verified_at, a.last_sign_in_at, m.created_at";

pub async fn members(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
) -> Result<Vec<MemberRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM account_members m JOIN admin_users a ON a.id = m.admin_user_id \
         WHERE m.account_id = $1 ORDER BY m.created_at, a.email"
    ))
    .bind(account_id)
    .fetch_all(executor)
    .await?)
}

pub async fn member(
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
) -> Result<Option<MemberRow>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM account_members m JOIN admin_users a ON a.id = m.admin_user_id \
         WHERE m.account_id = $1 AND m.admin_user_id = $2"
    ))
    .bind(account_id)
    .bind(admin_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Whether the admin with this email is a member of the Account.
pub async fn is_member_by_email(
    tx: &mut Tx,
    account_id: &str,
    email: &str,
) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT m.admin_user_id FROM account_members m JOIN admin_users a ON a.id = m.admin_user_id \
         WHERE m.account_id = $1 AND a.email = $2",
    )
    .bind(account_id)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Serialises the team changes of one Account: a no-op UPDATE takes the account row's lock on
/// PostgreSQL (SQLite has one writer anyway), so two owners demoting each other at once cannot
/// both pass the last-owner count.
pub async fn lock_account(tx: &mut Tx, account_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE accounts SET updated_at = updated_at WHERE id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn owner_count(tx: &mut Tx, account_id: &str) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM account_members WHERE account_id = $1 AND role = 'owner'",
    )
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn set_role(
    tx: &mut Tx,
    account_id: &str,
    admin_id: &str,
    role: AccountRole,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE account_members SET role = $1 WHERE account_id = $2 AND admin_user_id = $3",
    )
    .bind(role.as_str())
    .bind(account_id)
    .bind(admin_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn remove_member(tx: &mut Tx, account_id: &str, admin_id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND admin_user_id = $2")
        .bind(account_id)
        .bind(admin_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many Accounts the admin still belongs to.
pub async fn membership_count(tx: &mut Tx, admin_id: &str) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM account_members WHERE admin_user_id = $1")
            .bind(admin_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Ends every session of the admin.
pub async fn end_sessions(tx: &mut Tx, admin_id: &str) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM admin_sessions WHERE admin_user_id = $1")
        .bind(admin_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// An admin invite as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredAdminInvite {
    pub account_id: String,
    pub id: String,
    pub email: String,
    role: String,
    status: String,
    pub expires_at: i64,
    pub inviter_email: String,
    pub created_at: i64,
}

impl StoredAdminInvite {
    pub fn role(&self) -> AccountRole {
        AccountRole::parse(&self.role).unwrap_or(AccountRole::Viewer)
    }

    pub fn status(&self, now_ms: i64) -> InviteStatus {
        InviteStatus::derive(&self.status, self.expires_at, now_ms)
    }
}

const INVITE_COLUMNS: &str =
    "account_id, id, email, role, status, expires_at, inviter_email, created_at";

pub struct NewAdminInvite<'a> {
    pub account_id: &'a str,
    pub id: &'a str,
    pub email: &'a str,
    pub role: AccountRole,
    pub token_hash: &'a str,
    pub expires_ms: i64,
    pub invited_by: &'a str,
    pub inviter_email: &'a str,
    pub now_ms: i64,
}

/// Marks the Account's pending invites for `email` that ran out as `expired`, so the one-pending
/// rule only counts live ones.
pub async fn expire_stale(
    tx: &mut Tx,
    account_id: &str,
    email: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE admin_invites SET status = 'expired', updated_at = $1 \
         WHERE account_id = $2 AND email = $3 AND status = 'pending' AND expires_at <= $1",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts the invite; `Ok(false)` when the Account already has a pending one for the email.
pub async fn insert(tx: &mut Tx, n: &NewAdminInvite<'_>) -> Result<bool, AppError> {
    let insert = sqlx::query(
        "INSERT INTO admin_invites (account_id, id, email, role, status, token_hash, expires_at, \
           invited_by, inviter_email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING",
    )
    .bind(n.account_id)
    .bind(n.id)
    .bind(n.email)
    .bind(n.role.as_str())
    .bind(n.token_hash)
    .bind(n.expires_ms)
    .bind(n.invited_by)
    .bind(n.inviter_email)
    .bind(n.now_ms);
    insert_unique(tx, insert).await
}

pub async fn pending_id(
    tx: &mut Tx,
    account_id: &str,
    email: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM admin_invites WHERE account_id = $1 AND email = $2 AND status = 'pending'",
    )
    .bind(account_id)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The Account's invites still worth showing: pending (live or run out), newest first.
pub async fn open_invites(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
) -> Result<Vec<StoredAdminInvite>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM admin_invites WHERE account_id = $1 AND status = 'pending' \
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(account_id)
    .fetch_all(executor)
    .await?)
}

pub async fn by_id(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
) -> Result<Option<StoredAdminInvite>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM admin_invites WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn by_token_hash(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    token_hash: &str,
) -> Result<Option<StoredAdminInvite>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM admin_invites WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(executor)
    .await?)
}

/// A new link and seven new days for a pending invite (live or run out: a resend renews it);
/// `false` when it was accepted or revoked meanwhile.
pub async fn rotate_token(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    token_hash: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE admin_invites SET token_hash = $1, expires_at = $2, updated_at = $3 \
         WHERE account_id = $4 AND id = $5 AND status = 'pending'",
    )
    .bind(token_hash)
    .bind(expires_ms)
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a pending invite (live or run out); `false` when it is no longer pending.
pub async fn revoke(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE admin_invites SET status = 'revoked', revoked_at = $1, updated_at = $1 \
         WHERE account_id = $2 AND id = $3 AND status = 'pending'",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends the token — only if the invite is still pending, live and carries this token.
pub async fn mark_accepted(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
    token_hash: &str,
    admin_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE admin_invites SET status = 'accepted', accepted_at = $1, admin_user_id = $2, updated_at = $1 \
         WHERE account_id = $3 AND id = $4 AND token_hash = $5 AND status = 'pending' AND expires_at > $1",
    )
    .bind(now_ms)
    .bind(admin_id)
    .bind(account_id)
    .bind(id)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an invited admin's email verified: following the emailed link proved it.
pub async fn mark_email_verified(tx: &mut Tx, admin_id: &str, now_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE admin_users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 \
         WHERE id = $2",
    )
    .bind(now_ms)
    .bind(admin_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The account's name, for the accept page.
pub async fn account_name(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    account_id: &str,
) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(executor)
            .await?,
    )
}
