//! The common-password half of the password rule, asked of the server when the field loses
//! focus: the list is not in the browser bundle (docs/decisions.md › Common passwords). Length
//! rules stay local; the server refuses a common password again on submit.

use crate::server::passwords::password_too_common;
use leptos::prelude::*;

/// The list only holds passwords of 8 characters or more; shorter ones fail the length rule.
const SHORTEST_LISTED: usize = 8;

#[derive(Clone, Copy)]
pub struct CommonPasswordCheck {
    password: RwSignal<String>,
    /// The password last asked about and the server's message for it.
    verdict: RwSignal<Option<(String, Option<String>)>>,
}

impl CommonPasswordCheck {
    pub fn new(password: RwSignal<String>) -> Self {
        CommonPasswordCheck {
            password,
            verdict: RwSignal::new(None),
        }
    }

    /// Asks the server about the current password, unless it is too short to be listed or was
    /// already asked about. A failed request shows nothing: the submit still checks.
    pub fn check(self) {
        let candidate = self.password.get_untracked();
        let known = self
            .verdict
            .with_untracked(|v| v.as_ref().is_some_and(|(asked, _)| *asked == candidate));
        if known || candidate.chars().count() < SHORTEST_LISTED {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(message) = password_too_common(candidate.clone()).await {
                self.verdict.set(Some((candidate, message)));
            }
        });
    }

    /// The server's message for the password as it is now (none once it is edited).
    pub fn error(self) -> Option<String> {
        let current = self.password.get();
        self.verdict
            .get()
            .and_then(|(asked, message)| (asked == current).then_some(message).flatten())
    }
}
