//! The signed-out pages of an admin's own account: forgot password (`/signin/forgot`), and the
//! two pages opened from emailed links — reset (`/signin/reset?token=…`) and email confirmation
//! (`/signup/verify?token=…`). Opening a link only checks it (read-only: mail scanners open every
//! link); sending the page's form spends the token. They sit in the hosted pages' card and share
//! their dead-link page.

pub mod forgot;
pub mod reset;
pub mod verify;

use crate::error::AppError;

/// A link that died while its page was open (used in another tab, expired) gets the same page as
/// one that was dead on arrival.
pub(crate) fn dead_link(error: Option<AppError>) -> Option<AppError> {
    error.filter(|e| {
        matches!(
            e,
            AppError::TokenExpired | AppError::TokenUsed | AppError::TokenInvalid
        )
    })
}
