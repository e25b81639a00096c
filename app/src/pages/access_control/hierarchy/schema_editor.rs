//! The schema editor: switch to a hierarchy, or edit the schema of one.

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
    let error = RwSignal::new(None::<String>);
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
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let schema = match parsed() {
            Ok(schema) => schema,
            Err(e) => return error.set(Some(e)),
        };
        let env = env.get_untracked();
        leptos::task::spawn_local(async move {
            let result = if flat {
                enable_hierarchy(env, version, Some(schema)).await
            } else {
                update_hierarchy_schema(env, version, schema).await
            };
            match result {
                Ok(_) => {
                    toasts.success(if flat {
                        "This environment now uses a hierarchy"
                    } else {
                        "Schema saved"
                    });
                    open.set(false);
                    on_done.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <p class="muted">"Node types, which types may sit under which, the root's type, and the maximum depth (the root is depth 1). The suggested schema: organization › region › team, with teams nesting, up to 4 levels."</p>
            <div class="field">
                <label for="schema-json">"Schema"</label>
                <textarea id="schema-json" class="code" rows="14" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) data-testid="schema-json"></textarea>
            </div>
            {move || error.get().or_else(|| parsed().err()).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" data-testid="schema-submit">{if flat { "Switch to hierarchy" } else { "Save schema" }}</button>
            </div>
        </form>
    }
}
