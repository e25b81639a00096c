//! Revert to flat: the consequences first, then the confirmation.

use crate::components::form::{FormAlert, use_form};
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::model::EnvPath;
use crate::server::hierarchy::{preview_revert_to_flat, revert_to_flat};
use leptos::prelude::*;

/// Revert to flat, with what it would do shown before the admin confirms.
#[component]
pub(super) fn RevertDialog(
    open: RwSignal<bool>,
    version: i64,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let preview = Resource::new(move || env.get(), preview_revert_to_flat);
    let revert = use_form(move |env: EnvPath| async move {
        let done = revert_to_flat(env, version).await?;
        toasts.success(format!(
            "Reverted to flat: {} node(s) deleted",
            done.nodes_deleted
        ));
        open.set(false);
        on_done.run(());
        Ok(())
    });
    let confirm = move |_| revert.submit(env.get_untracked());
    let busy = revert.busy();
    view! {
        <Suspense fallback=|| view! { <Loading label="Working out what would change…" /> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! {
                        <ul class="consequences" data-testid="revert-preview">
                            <li>{format!("{} node(s) below the root will be deleted.", p.nodes_deleted)}</li>
                            <li>{format!("{} assignment(s) will move to the root.", p.assignments_moved)}</li>
                            <li>{format!("{} duplicate assignment(s) will be removed.", p.assignments_deduplicated)}</li>
                            <li>{format!("{} expired assignment(s) will be dropped rather than revived.", p.assignments_expired_dropped)}</li>
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <FormAlert error=revert.error() />
        <div class="dialog-actions">
            <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            <button type="button" class="btn btn-danger" on:click=confirm disabled=move || busy.get() data-testid="confirm-revert">"Revert to flat"</button>
        </div>
    }
}
