//! The schema editor: switch to a hierarchy, or edit the schema of one.

use crate::components::form::use_form;
use crate::components::toast::use_toasts;
use crate::model::{EnvPath, HierarchySchema};
use crate::server::hierarchy::{enable_hierarchy, update_hierarchy_schema};
use leptos::prelude::*;

/// The schema as JSON, checked with the same rules as the server before it is sent.
#[component]
pub(super) fn SchemaEditor(
    open: RwSignal<bool>,
    flat: bool,
    version: i64,
    schema: HierarchySchema,
    on_done: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let text = RwSignal::new(serde_json::to_string_pretty(&schema).unwrap_or_default());
    let parsed = move || -> Result<HierarchySchema, String> {
        let schema: HierarchySchema =
            serde_json::from_str(&text.get()).map_err(|e| format!("Not valid schema JSON: {e}"))?;
        schema.validate().map_err(|errors| {
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        Ok(schema)
    };
    let submission = use_form(
        move |(env, schema): (EnvPath, HierarchySchema)| async move {
            if flat {
                enable_hierarchy(env, version, Some(schema)).await?;
            } else {
                update_hierarchy_schema(env, version, schema).await?;
            }
            toasts.success(if flat {
                "This environment now uses a hierarchy"
            } else {
                "Schema saved"
            });
            open.set(false);
            on_done.run(());
            Ok(())
        },
    );
    let server_error = submission.error();
    let busy = submission.busy();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // An invalid schema already shows its rule's message; nothing is sent.
        if let Ok(schema) = parsed() {
            submission.submit((env.get_untracked(), schema));
        }
    };
    view! {
        <form on:submit=submit novalidate>
            <p class="muted">"Node types, which types may sit under which, the root's type, and the maximum depth (the root is depth 1). The suggested schema: organization › region › team, with teams nesting, up to 4 levels."</p>
            <div class="field">
                <label for="schema-json">"Schema"</label>
                <textarea id="schema-json" class="code" rows="14" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) data-testid="schema-json"></textarea>
            </div>
            {move || server_error.get().map(|e| e.to_string()).or_else(|| parsed().err()).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="schema-submit">{if flat { "Switch to hierarchy" } else { "Save schema" }}</button>
            </div>
        </form>
    }
}
