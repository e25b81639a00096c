//! An identity's password check — what the identity sign-in endpoints run. A hash imported with
//! the identity (bulk create's `password_hash`: argon2i, scrypt, pbkdf2-sha256, bcrypt, or argon2id
//! with other costs) is verified with its own algorithm, and on the first success replaced by our
//! argon2id hash, so imported hashes disappear as people sign in.

use crate::error::AppError;
use crate::model::{Email, IdentityStatus};
use crate::services::Services;
use crate::services::audit::{self, Actor, Event};
use crate::services::passwords::Verdict;
use crate::store::identities as store_i;

/// A correct password: who it is and their standing (the caller decides what a `pending` or
/// `inactive` identity may do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub identity_id: String,
    pub status: IdentityStatus,
    /// The stored hash was an import (or older costs) and is now our argon2id.
    pub upgraded: bool,
}

/// `Some` when `password` is the identity's in this account. Unknown emails cost the same time as
/// known ones.
pub async fn verify_password(
    s: &Services,
    account_id: &str,
    email: &str,
    password: String,
) -> Result<Option<VerifiedIdentity>, AppError> {
    let found = match Email::parse("email", email) {
        Ok(email) => {
            store_i::credentials_by_email(s.db.reader(), account_id, email.as_str()).await?
        }
        Err(_) => None,
    };
    let stored = found.as_ref().and_then(|(_, hash, _)| hash.clone());
    let verdict = s
        .passwords
        .verify_and_upgrade(password, stored.clone())
        .await?;
    let (Some((identity_id, _, status)), Some(old_hash)) = (found, stored) else {
        return Ok(None);
    };
    let upgraded = match verdict {
        Verdict::Mismatch => return Ok(None),
        Verdict::Match => false,
        Verdict::MatchUpgrade { new_hash } => {
            let mut tx = s.db.begin().await?;
            let replaced = store_i::upgrade_password_hash(
                &mut tx,
                account_id,
                &identity_id,
                &old_hash,
                &new_hash,
            )
            .await?;
            let events = if replaced {
                vec![
                    Event::new(
                        account_id,
                        &Actor::System,
                        "identity.password_upgraded",
                        "identity",
                    )
                    .resource("identity", &identity_id, email),
                ]
            } else {
                Vec::new()
            };
            audit::commit(s, tx, events).await?;
            replaced
        }
    };
    Ok(Some(VerifiedIdentity {
        identity_id,
        status,
        upgraded,
    }))
}
