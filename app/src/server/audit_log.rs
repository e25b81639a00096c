//! Tenant › Audit log: the filtered, keyset-paged log, one event's detail, the retention setting.
//! (The exports are plain downloads: `server/src/audit_export.rs`.)

use crate::error::AppError;
use crate::model::{AuditEventDetail, AuditFilter, AuditPage, AuditRetention, RetentionForm};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "list_audit_events", input = Json)]
pub async fn list_audit_events(
    account: String,
    filter: AuditFilter,
    cursor: Option<String>,
) -> Result<AuditPage, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::audit_log::list(
        &s,
        &caller,
        &filter,
        cursor.as_deref(),
        crate::model::AUDIT_PAGE_DEFAULT,
    )
    .await
}

#[server(endpoint = "audit_event_detail", input = Json)]
pub async fn load_audit_event(account: String, id: String) -> Result<AuditEventDetail, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::audit_log::detail(&s, &caller, &id).await
}

#[server(endpoint = "audit_retention", input = Json)]
pub async fn load_audit_retention(account: String) -> Result<AuditRetention, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::audit_log::retention(&s, &caller).await
}

#[server(endpoint = "set_audit_retention", input = Json)]
pub async fn set_audit_retention(
    account: String,
    form: RetentionForm,
) -> Result<AuditRetention, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::audit_log::set_retention(&s, &caller, &form).await
}
