//! The state every dashboard form shares, over one Leptos `Action`: whether a request is in
//! flight, the server's answer to the last submit, and whether the admin has touched the form
//! (the shared validation rules show inline from then on).
//!
//! The action's function does the request *and* what follows a success (toast, close, reload):
//! it returns the server's error with `?`, and the form keeps it for the fields and the alert.

use crate::components::field::inline_error;
use crate::components::toast::use_toasts;
use crate::error::{AppError, FieldError};
use leptos::prelude::*;
use std::future::Future;

pub struct Form<I: 'static, O: 'static = ()> {
    action: Action<I, Result<O, AppError>>,
    /// Set on the first blur or submit; the shared rules show inline from then on.
    pub touched: RwSignal<bool>,
}

impl<I, O> Clone for Form<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Form<I, O> {}

/// A form whose submit runs `send` with the submitted input.
pub fn use_form<I, O, F, Fut>(send: F) -> Form<I, O>
where
    I: Clone + Send + Sync + 'static,
    O: Send + Sync + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, AppError>> + Send + 'static,
{
    Form {
        action: Action::new(move |input: &I| send(input.clone())),
        touched: RwSignal::new(false),
    }
}

/// A one-click operation (revoke, delete, activate…): its failure shows as a toast, since there
/// is no form to show it in.
pub fn use_operation<I, O, F, Fut>(send: F) -> Form<I, O>
where
    I: Clone + Send + Sync + 'static,
    O: Send + Sync + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, AppError>> + Send + 'static,
{
    let toasts = use_toasts();
    use_form(move |input| {
        let sent = send(input);
        async move {
            let answer = sent.await;
            if let Err(error) = &answer {
                toasts.error(error.to_string());
            }
            answer
        }
    })
}

impl<I, O> Form<I, O>
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    /// For forms that open on existing data: their rules show before the first blur.
    pub fn touched_from_start(self) -> Self {
        self.touched.set(true);
        self
    }

    /// Uses `touched` as the form's flag, for a send function that clears it (a form that stays
    /// open for the next entry).
    pub fn with_touched(mut self, touched: RwSignal<bool>) -> Self {
        self.touched = touched;
        self
    }

    pub fn touch(&self) {
        self.touched.set(true);
    }

    /// Sends `input`, dropping the previous answer; ignored while a request is in flight.
    pub fn submit(&self, input: I) {
        if self.action.pending().get_untracked() {
            return;
        }
        self.action.clear();
        self.action.dispatch(input);
    }

    /// Sends `input` even while an earlier request is in flight: for calls the admin does not
    /// submit, where each one counts (switching twice remembers the second switch too).
    pub fn send(&self, input: I) {
        self.action.dispatch(input);
    }

    /// Forgets the server's last answer (the admin moved on from what it was about).
    pub fn clear_error(&self) {
        self.action.clear();
    }

    /// A request is in flight.
    pub fn busy(&self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// A request is in flight or has succeeded: for forms that go away on success (a page that
    /// navigates, a dialog that closes), so nothing can be sent twice on the way out.
    pub fn busy_or_done(&self) -> Signal<bool> {
        let (pending, value) = (self.action.pending(), self.action.value());
        Signal::derive(move || pending.get() || value.with(|v| matches!(v, Some(Ok(_)))))
    }

    /// The server's error from the last submit, if it failed.
    pub fn error(&self) -> Signal<Option<AppError>> {
        let value = self.action.value();
        Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
    }

    /// The server's error when it is about no field in particular (those show inline).
    pub fn general_error(&self) -> Signal<Option<AppError>> {
        let error = self.error();
        Signal::derive(move || error.get().filter(|e| !e.is_field_error()))
    }

    /// What to show under `field`: see [`inline_error`].
    pub fn error_for(
        &self,
        field: &'static str,
        rule: impl Fn(&'static str) -> Option<FieldError> + Send + Sync + 'static,
    ) -> Signal<Option<String>> {
        inline_error(field, self.error(), self.touched.into(), rule)
    }
}

/// The alert above a form for an error that belongs to no field.
#[component]
pub fn FormAlert(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <div class="alert alert-error" role="alert" data-testid=testid>{e.to_string()}</div> })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use any_spawner::Executor;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// Runs `check` in a reactive owner on a tokio executor, as the browser runs forms.
    async fn in_owner(check: impl AsyncFnOnce()) {
        let _ = Executor::init_tokio();
        let owner = Owner::new();
        owner.set();
        check().await;
    }

    /// A send function whose answers the test queues; each request takes 20 ms.
    fn scripted(answers: Vec<Result<u32, AppError>>) -> Form<u32, u32> {
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        use_form(move |_input: u32| {
            let answer = answers
                .lock()
                .ok()
                .and_then(|mut a| a.next())
                .unwrap_or(Err(AppError::CrossOrigin));
            async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                answer
            }
        })
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(60)).await;
    }

    fn taken() -> AppError {
        AppError::Validation {
            errors: vec![FieldError::new("name", "taken", "That name is taken.")],
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_submit_shows_the_servers_error_until_the_next_submit() {
        in_owner(async || {
            let form = scripted(vec![Err(AppError::CrossOrigin), Ok(7)]);
            form.submit(1);
            assert!(
                form.busy().get_untracked(),
                "busy while the request is in flight"
            );
            settle().await;
            assert!(!form.busy().get_untracked());
            assert_eq!(form.error().get_untracked(), Some(AppError::CrossOrigin));
            assert_eq!(
                form.general_error().get_untracked(),
                Some(AppError::CrossOrigin)
            );
            assert!(
                !form.busy_or_done().get_untracked(),
                "a failure lets the admin retry"
            );

            form.submit(2);
            assert_eq!(
                form.error().get_untracked(),
                None,
                "a new submit drops the old answer"
            );
            settle().await;
            assert_eq!(form.error().get_untracked(), None);
            assert!(
                form.busy_or_done().get_untracked(),
                "a success keeps the button off"
            );
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_field_error_shows_under_its_field_and_not_in_the_alert() {
        in_owner(async || {
            let form = scripted(vec![Err(taken())]);
            let rule = |_: &'static str| Some(FieldError::new("name", "required", "Required."));
            let name = form.error_for("name", rule);
            assert_eq!(name.get_untracked(), None, "rules wait for the first touch");
            form.submit(1);
            settle().await;
            assert_eq!(name.get_untracked().as_deref(), Some("That name is taken."));
            assert_eq!(form.general_error().get_untracked(), None);

            form.clear_error();
            assert_eq!(name.get_untracked(), None, "untouched: no rule shows yet");
            form.touch();
            assert_eq!(name.get_untracked().as_deref(), Some("Required."));
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_submit_while_one_is_in_flight_is_not_sent() {
        in_owner(async || {
            let sent = Arc::new(Mutex::new(Vec::new()));
            let form = {
                let sent = Arc::clone(&sent);
                use_form(move |input: u32| {
                    if let Ok(mut s) = sent.lock() {
                        s.push(input);
                    }
                    async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, AppError>(())
                    }
                })
            };
            form.submit(1);
            form.submit(2);
            settle().await;
            form.submit(3);
            settle().await;
            assert_eq!(*sent.lock().unwrap_or_else(|e| e.into_inner()), vec![1, 3]);
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_while_one_is_in_flight_is_sent_too() {
        in_owner(async || {
            let sent = Arc::new(Mutex::new(Vec::new()));
            let form = {
                let sent = Arc::clone(&sent);
                use_form(move |input: u32| {
                    if let Ok(mut s) = sent.lock() {
                        s.push(input);
                    }
                    async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, AppError>(())
                    }
                })
            };
            form.send(1);
            form.send(2);
            settle().await;
            assert_eq!(*sent.lock().unwrap_or_else(|e| e.into_inner()), vec![1, 2]);
        })
        .await;
    }
}
