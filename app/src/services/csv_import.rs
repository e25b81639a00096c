//! The CSV import wizard's one write of its own: the audit summary of a run (`import.completed`),
//! recorded once when the wizard reaches its results — after its batches went through the bulk
//! services, each of which audited its own rows. Same permission as the mode's bulk service.

use crate::error::AppError;
use crate::model::SystemPermission;
use crate::model::csv_import::{ImportMode, ImportSummary};
use crate::services::audit;
use crate::services::{Caller, Services};

/// The permission of the bulk service a mode drives.
pub fn permission(mode: ImportMode) -> SystemPermission {
    match mode {
        ImportMode::Invite => SystemPermission::InviteManage,
        ImportMode::Create | ImportMode::Account => SystemPermission::IdentityManage,
    }
}

/// Records one import's counts. An environment mode needs an environment's caller; the Account
/// mode is recorded at the Account tier.
pub async fn record_summary(
    s: &Services,
    caller: &Caller,
    mode: ImportMode,
    summary: &ImportSummary,
) -> Result<(), AppError> {
    caller.require(permission(mode))?;
    if mode != ImportMode::Account {
        caller.env()?;
    }
    let done = summary.succeeded + summary.failed + summary.skipped;
    if done > summary.total {
        return Err(AppError::BadRequest {
            detail: "succeeded + failed + skipped exceeds total".to_owned(),
        });
    }
    let event = caller
        .event("import.completed", "identity")
        .metadata(serde_json::json!({
            "mode": mode.as_str(),
            "total": summary.total,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "skipped": summary.skipped,
            "cancelled": summary.cancelled,
        }));
    let tx = s.db.begin().await?;
    audit::commit(s, tx, vec![event]).await
}
