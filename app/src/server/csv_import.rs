//! The CSV import wizard's server functions: one batch (≤ 200 rows) of a mode's bulk service, for
//! real or as a dry run (the Review step), and the run's audit summary. Each checks, through its
//! service, the permission of that bulk service.

use crate::error::AppError;
use crate::model::csv_import::{ImportMode, ImportSummary};
use crate::model::{
    CreatedIdentity, CreatedInvite, DirectoryIdentityForm, EnvPath, Identity, IdentityForm,
    InviteForm, RowResult,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
fn mode(dry_run: bool) -> crate::services::rows::Mode {
    crate::services::rows::Mode::from_flag(dry_run)
}

/// Bulk create (`identities::bulk_create`) of one batch.
#[server(endpoint = "import_identities", input = Json)]
pub async fn import_identities(
    env: EnvPath,
    forms: Vec<IdentityForm>,
    dry_run: bool,
) -> Result<Vec<RowResult<CreatedIdentity>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::identities::bulk_create(&s, &caller, &forms, mode(dry_run))
        .await
        .map(RowResult::from_results)
}

/// Bulk invite (`invites::bulk_create`) of one batch.
#[server(endpoint = "import_invites", input = Json)]
pub async fn import_invites(
    env: EnvPath,
    forms: Vec<InviteForm>,
    dry_run: bool,
) -> Result<Vec<RowResult<CreatedInvite>>, AppError> {
    let (s, caller) = super::context::caller_in(&env).await?;
    crate::services::invites::bulk_create(&s, &caller, &forms, mode(dry_run))
        .await
        .map(RowResult::from_results)
}

/// Account-tier bulk create (`directory::bulk_create`) of one batch.
#[server(endpoint = "import_directory_identities", input = Json)]
pub async fn import_directory_identities(
    account: String,
    forms: Vec<DirectoryIdentityForm>,
    dry_run: bool,
) -> Result<Vec<RowResult<Identity>>, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::directory::bulk_create(&s, &caller, &forms, mode(dry_run))
        .await
        .map(RowResult::from_results)
}

/// The run's audit summary (`import.completed`): in the environment for the environment's modes,
/// at the Account tier for the Account mode.
#[server(endpoint = "record_csv_import", input = Json)]
pub async fn record_csv_import(
    account: String,
    env: Option<EnvPath>,
    mode: ImportMode,
    summary: ImportSummary,
) -> Result<(), AppError> {
    let (s, caller) = match &env {
        Some(env) => super::context::caller_in(env).await?,
        None => super::context::caller_in_account(&account).await?,
    };
    crate::services::csv_import::record_summary(&s, &caller, mode, &summary).await
}
