//! Integrations › API Reference: every operation of the REST API, grouped by tag, rendered from
//! the generated OpenAPI document (the one `/api/v1/openapi.json` serves). Each operation is a
//! `<details>`, so the list stays short and opens from the keyboard.

use crate::components::states::{ErrorPanel, Loading};
use crate::model::{ApiBody, ApiField, ApiGroup, ApiOperation, ApiReference, ApiResponse, EnvPath};
use crate::server::api_reference::load_api_reference;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Where the same document is served as JSON.
const DOCUMENT_URL: &str = "/api/v1/openapi.json";

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let reference = Resource::new(|| (), |()| load_api_reference());
    let filter = RwSignal::new(String::new());
    view! {
        <Title text="API Reference" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Integrations"</p>
                <h1>"API Reference"</h1>
                <p class="muted">
                    "Every endpoint of the REST API. Each call acts on the environment of its key, sent in the "
                    <code>"X-API-Key"</code>" header. Generated from the server's code; the same document is at "
                    <a href=DOCUMENT_URL data-testid="openapi-link">{DOCUMENT_URL}</a>" (OpenAPI 3.1)."
                </p>
                <QuickStart />
            </div>
            <div class="page-actions">
                <A href=move || env.with(|e| e.href("api-keys")) attr:class="btn btn-secondary">"API Keys"</A>
            </div>
        </div>
        <div class="toolbar">
            <input class="search" type="search" placeholder="Filter by path, method, scope or text" aria-label="Filter operations"
                prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev)) data-testid="api-filter" />
        </div>
        <Transition fallback=|| view! { <Loading label="Loading the API reference…" /> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <Reference reference filter /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Reference(reference: ApiReference, filter: RwSignal<String>) -> impl IntoView {
    let groups = StoredValue::new(reference.groups);
    let visible = move || {
        let needle = filter.get();
        groups.with_value(|groups| {
            groups
                .iter()
                .filter_map(|group| {
                    let operations: Vec<ApiOperation> = group
                        .operations
                        .iter()
                        .filter(|op| op.matches(&group.tag, &needle))
                        .cloned()
                        .collect();
                    (!operations.is_empty()).then(|| ApiGroup {
                        operations,
                        ..group.clone()
                    })
                })
                .collect::<Vec<_>>()
        })
    };
    let tags = groups.with_value(|groups| groups.iter().map(|g| g.tag.clone()).collect::<Vec<_>>());
    view! {
        <nav class="api-tags" aria-label="API sections">
            <span class="pill pill-muted" data-testid="api-version">{format!("{} {}", reference.title, reference.version)}</span>
            {tags.into_iter().map(|tag| view! { <a href=format!("#tag-{tag}") class="api-tag-link">{tag.clone()}</a> }).collect_view()}
        </nav>
        {move || {
            let groups = visible();
            if groups.is_empty() {
                return view! { <div class="empty-state" data-testid="api-empty"><p>"No operation matches this filter."</p></div> }.into_any();
            }
            groups.into_iter().map(|group| view! {
                <section class="card api-group" id=format!("tag-{}", group.tag) data-testid=format!("api-group-{}", group.tag)>
                    <h2>{group.tag.clone()}</h2>
                    {(!group.description.is_empty()).then(|| view! { <p class="muted">{prose(&group.description)}</p> })}
                    {group.operations.into_iter().map(|operation| view! { <Operation operation /> }).collect_view()}
                </section>
            }).collect_view().into_any()
        }}
    }
}

#[component]
fn Operation(operation: ApiOperation) -> impl IntoView {
    let method_class = format!("method method-{}", operation.method.to_lowercase());
    let access = match (&operation.scope, operation.public) {
        (Some(scope), _) => {
            view! { <span class="pill" title="API key scope">{scope.clone()}</span> }.into_any()
        }
        (None, true) => view! { <span class="pill pill-muted">"public"</span> }.into_any(),
        (None, false) => view! { <span class="pill pill-muted">"any key"</span> }.into_any(),
    };
    let access_note = match (&operation.scope, operation.public) {
        (Some(scope), _) => view! {
            <p class="small">"Needs an API key with the "<code>{scope.clone()}</code>" scope (or a key with full access)."</p>
        }
        .into_any(),
        (None, true) => view! { <p class="small">"Public: no API key needed."</p> }.into_any(),
        (None, false) => view! { <p class="small">"Needs an API key."</p> }.into_any(),
    };
    let parameters = operation.parameters;
    view! {
        <details class="api-op" id=operation.id.clone() data-testid="api-op" data-op=format!("{} {}", operation.method, operation.path)>
            <summary>
                <span class=method_class>{operation.method.clone()}</span>
                <code class="api-path">{operation.path.clone()}</code>
                <span class="api-summary">{operation.summary.clone()}</span>
                {access}
            </summary>
            <div class="api-op-body">
                {(!operation.description.is_empty()).then(|| view! { <p>{prose(&operation.description)}</p> })}
                {access_note}
                {(!parameters.is_empty()).then(|| view! {
                    <h3>"Parameters"</h3>
                    <Fields fields=parameters />
                })}
                {operation.body.map(|body| view! { <Body body /> })}
                <h3>"Responses"</h3>
                <ul class="api-responses">
                    {operation.responses.into_iter().map(|response| view! { <Response response /> }).collect_view()}
                </ul>
            </div>
        </details>
    }
}

#[component]
fn Body(body: ApiBody) -> impl IntoView {
    view! {
        <h3>"Request body "<code class="api-type">{body.type_label}</code></h3>
        {(!body.fields.is_empty()).then(|| view! { <Fields fields=body.fields /> })}
        {body.example.map(|example| view! {
            <p class="small muted">"Example"</p>
            <pre class="api-example" data-testid="request-example" tabindex="0"><code>{example}</code></pre>
        })}
    }
}

#[component]
fn Fields(fields: Vec<ApiField>) -> impl IntoView {
    view! {
        <ul class="api-fields">
            {fields.into_iter().map(|field| view! {
                <li data-testid=format!("field-{}", field.name)>
                    <code class="api-field-name">{field.name.clone()}</code>
                    {(field.location != "body").then(|| view! { <span class="muted small">{format!("in {}", field.location)}</span> })}
                    <code class="api-type">{field.type_label.clone()}</code>
                    {if field.required {
                        view! { <span class="pill">"required"</span> }.into_any()
                    } else {
                        view! { <span class="pill pill-muted">"optional"</span> }.into_any()
                    }}
                    {(!field.description.is_empty()).then(|| view! { <p class="small">{prose(&field.description)}</p> })}
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Response(response: ApiResponse) -> impl IntoView {
    let class = format!(
        "api-status api-status-{}xx",
        response.status.chars().next().unwrap_or('x')
    );
    view! {
        <li data-testid=format!("response-{}", response.status)>
            <span class=class>{response.status.clone()}</span>
            " "{prose(&response.description)}
            {response.type_label.map(|label| view! { " "<code class="api-type">{label}</code> })}
            {response.example.map(|example| view! {
                <details class="api-response-example">
                    <summary>"Example"</summary>
                    <pre class="api-example" tabindex="0"><code>{example}</code></pre>
                </details>
            })}
        </li>
    }
}

/// The document's descriptions mark code with backticks; every other piece stays plain text.
fn prose(text: &str) -> impl IntoView + use<> {
    text.split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                view! { <code>{piece.to_owned()}</code> }.into_any()
            } else {
                piece.to_owned().into_any()
            }
        })
        .collect_view()
}

/// Ten-line integrations, the same files `docs/api.md` shows (and CI type-checks the TypeScript
/// one against the generated client), so the page and the docs cannot drift apart.
#[component]
fn QuickStart() -> impl IntoView {
    const SAMPLES: [(&str, &str); 3] = [
        (
            "TypeScript (the generated client, sdk/typescript)",
            include_str!("../../../../docs/api/quickstart.ts"),
        ),
        ("curl", include_str!("../../../../docs/api/quickstart.sh")),
        ("Python", include_str!("../../../../docs/api/quickstart.py")),
    ];
    view! {
        <details class="quick-start" data-testid="api-quick-start">
            <summary>"Quick start: TypeScript, curl, Python (docs/api.md)"</summary>
            {SAMPLES
                .into_iter()
                .map(|(label, code)| {
                    view! {
                        <h2 class="quick-start-label">{label}</h2>
                        <pre class="api-example" tabindex="0"><code>{code}</code></pre>
                    }
                })
                .collect_view()}
        </details>
    }
}
