//! Whether the signed-in admin may change anything in this Account: one context, set by the
//! dashboard frame from the admin's role, read by every write button (disabled with a tooltip
//! for a viewer). It is a convenience only: the server refuses a viewer's writes whatever the
//! browser does (`auth.forbidden`, 403).

use crate::model::AccountRole;
use leptos::prelude::*;

/// The tooltip of a write button a viewer cannot use.
pub const READ_ONLY_HINT: &str =
    "Viewers can look but not change anything. Ask an owner of this account for the admin role.";

#[derive(Debug, Clone, Copy)]
pub struct WriteAccess(RwSignal<bool>);

/// Provided by the dashboard frame. It starts out allowing writes — what the server renders and
/// the browser hydrates alike — and follows the admin's role once the workspace is in (an
/// effect, so it only runs in the browser, after hydration).
pub fn provide_write_access() -> WriteAccess {
    let access = WriteAccess(RwSignal::new(true));
    provide_context(access);
    access
}

impl WriteAccess {
    pub fn follow(self, role: AccountRole) {
        self.0.set(role.can_write());
    }
}

/// Whether write buttons are enabled here (outside the dashboard frame: yes).
pub fn use_can_write() -> Signal<bool> {
    match use_context::<WriteAccess>() {
        Some(WriteAccess(can)) => can.into(),
        None => Signal::derive(|| true),
    }
}

/// A write button's `disabled`: true for a viewer. Combine with a busy flag as
/// `disabled={let ro = viewer_disabled(); move || ro.get() || busy.get()}`.
pub fn viewer_disabled() -> Signal<bool> {
    let can_write = use_can_write();
    Signal::derive(move || !can_write.get())
}

/// A write button's `title`: the read-only hint for a viewer, nothing otherwise.
pub fn read_only_title() -> impl Fn() -> Option<&'static str> + Copy {
    let can_write = use_can_write();
    move || (!can_write.get()).then_some(READ_ONLY_HINT)
}
