//! Tenant › Dev mailbox (Email when SMTP is on): the Account's outgoing messages.

use crate::error::AppError;
use crate::model::{MailMessage, Mailbox};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "load_mailbox", input = Json)]
pub async fn load_mailbox(account: String, page: i64) -> Result<Mailbox, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::mail::mailbox::list(&s, &caller, page).await
}

#[server(endpoint = "load_mail_message", input = Json)]
pub async fn load_mail_message(account: String, id: String) -> Result<MailMessage, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    crate::services::mail::mailbox::read(&s, &caller, &id).await
}

/// Sends the test email to the signed-in admin: never to an address typed into the page.
#[server(endpoint = "send_test_email", input = Json)]
pub async fn send_test_email(account: String) -> Result<String, AppError> {
    let (s, caller) = super::context::caller_in_account(&account).await?;
    let to = caller
        .admin()
        .map(|a| a.profile.email.clone())
        .ok_or(AppError::Unauthenticated)?;
    crate::services::mail::mailbox::send_test(&s, &caller, &to).await
}
