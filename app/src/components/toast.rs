//! Short confirmations in the corner of the screen; they fade after a few seconds and are
//! announced to screen readers.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Clone)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
    /// `(label, href)` of a link to what the toast is about.
    link: Option<(String, String)>,
}

#[derive(Clone, Copy)]
pub struct ToastQueue {
    toasts: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
    /// Bumped by every success toast: every successful change says so with one, so panels that
    /// summarise live data (the Setup Guide) refresh on it.
    changes: RwSignal<u64>,
}

impl ToastQueue {
    pub fn push(&self, kind: ToastKind, message: impl Into<String>) {
        self.push_with_link(kind, message.into(), None);
    }

    /// A success toast with a link, e.g. to the identity just created.
    pub fn success_with_link(
        &self,
        message: impl Into<String>,
        label: impl Into<String>,
        href: impl Into<String>,
    ) {
        self.push_with_link(
            ToastKind::Success,
            message.into(),
            Some((label.into(), href.into())),
        );
    }

    /// Counts successful changes (see `changes`).
    pub fn changes(&self) -> u64 {
        self.changes.get()
    }

    fn push_with_link(&self, kind: ToastKind, message: String, link: Option<(String, String)>) {
        if kind == ToastKind::Success {
            self.changes.update(|n| *n += 1);
        }
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.toasts.update(|t| {
            t.push(Toast {
                id,
                kind,
                message,
                link,
            })
        });
        let toasts = self.toasts;
        let has_link = self
            .toasts
            .with_untracked(|t| t.iter().any(|x| x.id == id && x.link.is_some()));
        set_timeout(
            move || toasts.update(|t| t.retain(|toast| toast.id != id)),
            // Long enough to reach a link in the toast.
            std::time::Duration::from_secs(if has_link { 8 } else { 4 }),
        );
    }

    pub fn success(&self, message: impl Into<String>) {
        self.push(ToastKind::Success, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(ToastKind::Error, message);
    }
}

fn new_queue() -> ToastQueue {
    ToastQueue {
        toasts: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
        changes: RwSignal::new(0),
    }
}

pub fn provide_toasts() {
    provide_context(new_queue());
}

/// The app-wide queue (a detached one outside the app root, e.g. in isolated tests).
pub fn use_toasts() -> ToastQueue {
    use_context::<ToastQueue>().unwrap_or_else(new_queue)
}

#[component]
pub fn Toasts() -> impl IntoView {
    let queue = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || queue.toasts.get() key=|t| t.id let:toast>
                <div class="toast" class:toast-error=toast.kind == ToastKind::Error data-testid="toast">
                    {toast.message}
                    {toast.link.map(|(label, href)| view! { " " <a class="toast-link" href=href data-testid="toast-link">{label}</a> })}
                </div>
            </For>
        </div>
    }
}
