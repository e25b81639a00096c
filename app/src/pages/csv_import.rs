//! The CSV import wizard (Access Control › Identities › Import CSV in bulk invite or bulk create
//! mode; Tenant › Identities › Import CSV in Account mode): 1 Mode · 2 Upload · 3 Map columns ·
//! 4 Review · 5 Import · 6 Results. Everything about a row — parsing, mapping, references, the
//! request it becomes and its validation — is `model::csv_import`; the Review step asks the very
//! bulk service of the mode for a dry run, and the Import step sends the same requests for real,
//! 200 at a time. Passwords are dropped from the wizard's memory when the run ends.

use crate::components::states::Loading;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::csv_import::{
    self, Field, ImportMode, ImportSummary, MAX_FILE_BYTES, MAX_ROWS, RowRequest, Table, Target,
    Targets,
};
use crate::model::{BULK_MAX, DirectoryIdentityForm, EnvPath, IdentityForm, InviteForm};
use crate::server::csv_import::{
    import_directory_identities, import_identities, import_invites, record_csv_import,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Where the wizard was opened: the environment's Identities page or the account's directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Environment,
    Account,
}

impl Tier {
    fn modes(self) -> &'static [ImportMode] {
        match self {
            Tier::Environment => &[ImportMode::Invite, ImportMode::Create],
            Tier::Account => &[ImportMode::Account],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Mode = 1,
    Upload,
    Map,
    Review,
    Import,
    Results,
}

const STEPS: [(Step, &str); 6] = [
    (Step::Mode, "Mode"),
    (Step::Upload, "Upload"),
    (Step::Map, "Map columns"),
    (Step::Review, "Review"),
    (Step::Import, "Import"),
    (Step::Results, "Results"),
];

/// Rows shown per page of the Review and Results tables (the file may hold 10,000).
const PER_PAGE: usize = 50;

/// A problem with a row: next to the cell of `field`, or about the whole row.
#[derive(Debug, Clone, PartialEq)]
struct Problem {
    field: Option<Field>,
    message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Not run yet.
    Waiting,
    Succeeded,
    Failed(String),
    Skipped,
}

/// One data row of the file and everything the wizard knows about it.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    line: u64,
    cells: Vec<String>,
    request: Option<RowRequest>,
    problems: Vec<Problem>,
    included: bool,
    outcome: Outcome,
}

impl Line {
    fn ready(&self) -> bool {
        self.included && self.request.is_some() && self.problems.is_empty()
    }
}

/// A row-level message for an error the bulk service answered: the cell it belongs to, when the
/// error names one.
fn problem_of(error: &AppError) -> Vec<Problem> {
    match error {
        AppError::Validation { errors } | AppError::PasswordTooCommon { errors }
            if !errors.is_empty() =>
        {
            errors
                .iter()
                .map(|e| Problem {
                    field: Field::of_wire(&e.field),
                    message: e.message.clone(),
                })
                .collect()
        }
        _ => {
            let code = error.code();
            let field = if error.field_message("email").is_some() || code.starts_with("memberships")
            {
                Some(Field::Email)
            } else if code.starts_with("roles.") {
                Some(Field::Role)
            } else if code.starts_with("nodes.") {
                Some(Field::Node)
            } else if code.starts_with("applications.") {
                Some(Field::Application)
            } else if error.field_message("external_id").is_some() {
                Some(Field::ExternalId)
            } else {
                None
            };
            vec![Problem {
                field,
                message: error.to_string(),
            }]
        }
    }
}

fn one_line(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| match p.field {
            Some(f) => format!("{}: {}", f.label(), p.message),
            None => p.message.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One batch through the mode's bulk service: one outcome per request, in order.
async fn run_batch(
    mode: ImportMode,
    env: EnvPath,
    requests: Vec<RowRequest>,
    dry_run: bool,
) -> Result<Vec<Result<(), AppError>>, AppError> {
    fn outcomes<T>(rows: Vec<crate::model::RowResult<T>>) -> Vec<Result<(), AppError>> {
        rows.into_iter().map(|r| r.outcome.map(|_| ())).collect()
    }
    match mode {
        ImportMode::Invite => {
            let forms: Vec<InviteForm> = requests
                .into_iter()
                .filter_map(|r| match r {
                    RowRequest::Invite(f) => Some(f),
                    _ => None,
                })
                .collect();
            import_invites(env, forms, dry_run).await.map(outcomes)
        }
        ImportMode::Create => {
            let forms: Vec<IdentityForm> = requests
                .into_iter()
                .filter_map(|r| match r {
                    RowRequest::Create(f) => Some(f),
                    _ => None,
                })
                .collect();
            import_identities(env, forms, dry_run).await.map(outcomes)
        }
        ImportMode::Account => {
            let forms: Vec<DirectoryIdentityForm> = requests
                .into_iter()
                .filter_map(|r| match r {
                    RowRequest::Account(f) => Some(f),
                    _ => None,
                })
                .collect();
            import_directory_identities(env.account, forms, dry_run)
                .await
                .map(outcomes)
        }
    }
}

/// Roles, nodes (by name, slug and slash path) and applications the file may name.
async fn load_targets(mode: ImportMode, env: EnvPath) -> Result<Targets, AppError> {
    let mut targets = Targets::default();
    if mode == ImportMode::Account {
        let workspace = crate::server::workspace::load_workspace(env.account.clone()).await?;
        targets.applications = workspace
            .applications
            .into_iter()
            .map(|a| Target {
                id: a.id,
                names: vec![a.name, a.slug],
            })
            .collect();
        return Ok(targets);
    }
    let roles = crate::server::catalog::list_roles(env.clone()).await?;
    targets.roles = roles
        .into_iter()
        .map(|r| Target {
            id: r.id,
            names: vec![r.name],
        })
        .collect();
    let view = crate::server::hierarchy::load_hierarchy(env).await?;
    // Parents come before children, so each node's path extends its parent's.
    let mut paths: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for node in view.nodes {
        let path = match node.parent_node_id.as_ref().and_then(|p| paths.get(p)) {
            Some(parent) => format!("{parent}/{}", node.slug),
            None => node.slug.clone(),
        };
        paths.insert(node.id.clone(), path.clone());
        targets.nodes.push(Target {
            id: node.id,
            names: vec![node.name, node.slug, path],
        });
    }
    Ok(targets)
}

/// Lets the browser paint and handle input between chunks of work.
async fn breathe() {
    #[cfg(feature = "hydrate")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// Milliseconds since the page loaded (for the Import step's estimate).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// A download link's `href` for `text` as a CSV file.
fn csv_href(text: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[component]
pub fn CsvImportPage(tier: Tier) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let modes = tier.modes();
    let query = leptos_router::hooks::use_query_map();
    let asked = query.with_untracked(|q| q.get("mode").and_then(|m| ImportMode::parse(&m)));
    let mode = RwSignal::new(asked.filter(|m| modes.contains(m)).unwrap_or(modes[0]));
    let step = RwSignal::new(Step::Mode);
    let file_name = RwSignal::new(String::new());
    let upload_error = RwSignal::new(None::<String>);
    let table = RwSignal::new(None::<Table>);
    let mapping = RwSignal::new(Vec::<Option<Field>>::new());
    let lines = RwSignal::new(Vec::<Line>::new());
    let review_busy = RwSignal::new(false);
    let review_error = RwSignal::new(None::<String>);
    let checked = RwSignal::new((0usize, 0usize));
    let only_problems = RwSignal::new(false);
    let page = RwSignal::new(0usize);
    let progress = RwSignal::new((0usize, 0usize));
    let started = RwSignal::new(0.0f64);
    let cancel = RwSignal::new(false);
    let back_href = move || match tier {
        Tier::Environment => env.with(|e| e.href("identities")),
        Tier::Account => env.with(|e| e.href("directory")),
    };

    let read_bytes = move |name: String, bytes: Vec<u8>| {
        file_name.set(name);
        match csv_import::parse(&bytes) {
            Ok(parsed) if parsed.rows.is_empty() => {
                upload_error.set(Some(
                    "The file has a header row but no data rows.".to_owned(),
                ));
                table.set(None);
            }
            Ok(parsed) => {
                mapping.set(csv_import::auto_map(&parsed.headers, mode.get_untracked()));
                upload_error.set(None);
                table.set(Some(parsed));
            }
            Err(e) => {
                upload_error.set(Some(e.to_string()));
                table.set(None);
            }
        }
    };

    #[cfg(feature = "hydrate")]
    let read_file = move |file: web_sys::File| {
        let name = file.name();
        let size = file.size() as usize;
        if size > MAX_FILE_BYTES {
            upload_error.set(Some(
                csv_import::CsvError::TooBig { bytes: size }.to_string(),
            ));
            table.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => read_bytes(name, js_sys::Uint8Array::new(&buffer).to_vec()),
                Err(_) => upload_error.set(Some("The file could not be read.".to_owned())),
            }
        });
    };

    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(file) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            {
                read_file(file);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|files| files.get(0))
        {
            read_file(file);
        }
    };
    let _ = read_bytes;

    // Step 4: every row to its request and its own validation, then the dry run of the mode's bulk
    // service in batches for what only the server knows (the directory, pending invites).
    let review = move || {
        let Some(parsed) = table.get_untracked() else {
            return;
        };
        let mode_now = mode.get_untracked();
        let map = mapping.get_untracked();
        let env_now = env.get_untracked();
        review_busy.set(true);
        review_error.set(None);
        page.set(0);
        leptos::task::spawn_local(async move {
            let targets = match load_targets(mode_now, env_now.clone()).await {
                Ok(t) => t,
                Err(e) => {
                    review_error.set(Some(e.to_string()));
                    review_busy.set(false);
                    return;
                }
            };
            let mut built = Vec::with_capacity(parsed.rows.len());
            for (i, row) in parsed.rows.iter().enumerate() {
                let (request, errors) =
                    csv_import::to_request(mode_now, &map, &row.cells, &targets);
                built.push(Line {
                    line: row.line,
                    cells: row.cells.clone(),
                    request,
                    problems: errors
                        .iter()
                        .map(|e| Problem {
                            field: Field::of_wire(&e.field),
                            message: e.message.clone(),
                        })
                        .collect(),
                    included: true,
                    outcome: Outcome::Waiting,
                });
                if i % 1000 == 999 {
                    breathe().await;
                }
            }
            let emails: Vec<String> = built
                .iter()
                .map(|l| l.request.as_ref().map_or("", |r| r.email()).to_owned())
                .collect();
            let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
            for (i, first) in csv_import::duplicate_emails(&refs).into_iter().enumerate() {
                if let Some(first) = first {
                    let line = built[first].line;
                    built[i].problems.push(Problem {
                        field: Some(Field::Email),
                        message: format!("This email is already on line {line} of the file."),
                    });
                }
            }
            let candidates: Vec<usize> = (0..built.len()).filter(|&i| built[i].ready()).collect();
            checked.set((0, candidates.len()));
            for chunk in candidates.chunks(BULK_MAX) {
                let requests: Vec<RowRequest> = chunk
                    .iter()
                    .filter_map(|&i| built[i].request.clone())
                    .collect();
                match run_batch(mode_now, env_now.clone(), requests, true).await {
                    Ok(outcomes) => {
                        for (&i, outcome) in chunk.iter().zip(outcomes) {
                            if let Err(e) = outcome {
                                built[i].problems.extend(problem_of(&e));
                            }
                        }
                    }
                    Err(e) => {
                        review_error.set(Some(e.to_string()));
                        break;
                    }
                }
                checked.update(|(done, _)| *done += chunk.len());
            }
            lines.set(built);
            review_busy.set(false);
        });
    };

    // Step 5: the ready rows through the bulk service, 200 at a time, until done or cancelled.
    let import = move || {
        let mode_now = mode.get_untracked();
        let env_now = env.get_untracked();
        let todo: Vec<usize> =
            lines.with_untracked(|all| (0..all.len()).filter(|&i| all[i].ready()).collect());
        progress.set((0, todo.len()));
        started.set(now_ms());
        cancel.set(false);
        step.set(Step::Import);
        leptos::task::spawn_local(async move {
            for chunk in todo.chunks(BULK_MAX) {
                if cancel.get_untracked() {
                    break;
                }
                let requests: Vec<RowRequest> = lines.with_untracked(|all| {
                    chunk
                        .iter()
                        .filter_map(|&i| all[i].request.clone())
                        .collect()
                });
                let answer = run_batch(mode_now, env_now.clone(), requests, false).await;
                lines.update(|all| match answer {
                    Ok(outcomes) => {
                        for (&i, outcome) in chunk.iter().zip(outcomes) {
                            all[i].outcome = match outcome {
                                Ok(()) => Outcome::Succeeded,
                                Err(e) => Outcome::Failed(one_line(&problem_of(&e))),
                            };
                        }
                    }
                    Err(e) => {
                        for &i in chunk {
                            all[i].outcome = Outcome::Failed(e.to_string());
                        }
                    }
                });
                progress.update(|(done, _)| *done += chunk.len());
                breathe().await;
            }
            // Passwords never outlive the run; the rows' other outcomes are settled here.
            let password_column =
                mapping.with_untracked(|m| m.iter().position(|f| *f == Some(Field::Password)));
            let mut summary = ImportSummary::default();
            lines.update(|all| {
                for line in all.iter_mut() {
                    if let Some(request) = line.request.as_mut() {
                        request.forget_password();
                    }
                    if let Some(column) = password_column
                        && let Some(cell) = line.cells.get_mut(column)
                    {
                        cell.clear();
                    }
                    if line.outcome == Outcome::Waiting {
                        line.outcome = if !line.included || cancel.get_untracked() && line.ready() {
                            Outcome::Skipped
                        } else {
                            Outcome::Failed(one_line(&line.problems))
                        };
                    }
                    summary.total += 1;
                    match line.outcome {
                        Outcome::Succeeded => summary.succeeded += 1,
                        Outcome::Skipped => summary.skipped += 1,
                        _ => summary.failed += 1,
                    }
                }
            });
            summary.cancelled = cancel.get_untracked();
            let scope = (mode_now != ImportMode::Account).then(|| env_now.clone());
            if let Err(e) =
                record_csv_import(env_now.account.clone(), scope, mode_now, summary).await
            {
                toasts.error(format!(
                    "The import finished, but its summary was not recorded: {e}"
                ));
            }
            page.set(0);
            only_problems.set(false);
            step.set(Step::Results);
        });
    };

    view! {
        <Title text="Import CSV" />
        <div class="page-header">
            <div>
                <p class="eyebrow">{match tier { Tier::Environment => "Access Control › Identities", Tier::Account => "Tenant › Identities" }}</p>
                <h1>"Import CSV"</h1>
                <p class="muted">"Invite or create many identities at once from a spreadsheet. Nothing is written until step 5."</p>
            </div>
            <div class="page-actions">
                <a class="btn btn-ghost" href=back_href data-testid="csv-back">"Back to identities"</a>
            </div>
        </div>
        <ol class="wizard-steps" aria-label="Steps">
            {STEPS.into_iter().map(|(s, label)| view! {
                <li class:current=move || step.get() == s aria-current=move || (step.get() == s).then_some("step")>{format!("{} {label}", s as u8)}</li>
            }).collect_view()}
        </ol>
        <section class="card csv-import" data-testid="csv-import">
            {move || match step.get() {
                Step::Mode => view! {
                    <fieldset class="field radio-group" data-testid="csv-step-mode">
                        <legend>"What should each row do?"</legend>
                        {modes.iter().map(|m| {
                            let m = *m;
                            let hint = match m {
                                ImportMode::Invite => "Each row gets an email with a link to accept (optionally with a role at a node).",
                                ImportMode::Create => "Each row becomes a member of this application now, with or without a starting password and a role.",
                                ImportMode::Account => "Each row becomes an identity in your account's directory, optionally admitted to one application.",
                            };
                            view! {
                                <label class="radio">
                                    <input type="radio" name="csv-mode" value=m.as_str() prop:checked=move || mode.get() == m
                                        on:change=move |_| mode.set(m) data-testid=format!("csv-mode-{}", m.as_str()) />
                                    <span><strong>{m.label()}</strong>" — "{hint}</span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <p class="muted">"The mode is fixed once you continue."</p>
                    <div class="form-actions">
                        <button class="btn btn-primary" on:click=move |_| step.set(Step::Upload) data-testid="csv-mode-continue">"Continue"</button>
                    </div>
                }.into_any(),
                Step::Upload => view! {
                    <div data-testid="csv-step-upload">
                        <p>"Mode: "<strong data-testid="csv-mode-locked">{move || mode.get().label()}</strong></p>
                        <label class="dropzone" on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop data-testid="csv-dropzone">
                            <span>"Drop a CSV file here, or "<u>"choose a file"</u></span>
                            <span class="muted">{format!("UTF-8, separated by commas, semicolons or tabs; up to {MAX_ROWS} rows and {} MB.", MAX_FILE_BYTES / 1024 / 1024)}</span>
                            <input type="file" accept=".csv,.tsv,.txt,text/csv" class="visually-hidden" on:change=on_pick data-testid="csv-file" />
                        </label>
                        <p>
                            <a href=move || csv_href(&mode.get().template()) download=move || format!("arbor-{}-template.csv", mode.get().as_str()) data-testid="csv-template">"Download the template"</a>
                            " — the columns this mode reads, with an example row."
                        </p>
                        {move || upload_error.get().map(|e| view! { <p class="alert alert-error" role="alert" data-testid="csv-upload-error">{e}</p> })}
                        {move || table.with(|t| t.as_ref().map(|t| view! {
                            <p role="status" data-testid="csv-upload-ok">{format!("{}: {} rows, {} columns.", file_name.get_untracked(), t.rows.len(), t.headers.len())}</p>
                        }))}
                        <div class="form-actions">
                            <button class="btn btn-primary" disabled=move || table.with(Option::is_none) on:click=move |_| step.set(Step::Map) data-testid="csv-upload-continue">"Continue"</button>
                        </div>
                    </div>
                }.into_any(),
                Step::Map => {
                    let problems = move || csv_import::check_mapping(&mapping.get(), mode.get());
                    view! {
                        <div data-testid="csv-step-map">
                            <p class="muted">"Each column of your file and the field it fills. Columns set to “Ignore” are not imported."</p>
                            <div class="table-wrap"><table data-testid="csv-mapping">
                                <thead><tr><th>"Column"</th><th>"First value"</th><th>"Imports as"</th></tr></thead>
                                <tbody>
                                    {move || table.with(|t| t.as_ref().map(|t| t.headers.iter().enumerate().map(|(i, header)| {
                                        let sample = t.rows.first().and_then(|r| r.cells.get(i)).cloned().unwrap_or_default();
                                        let sample = if mapping.with(|m| m.get(i).copied().flatten()) == Some(Field::Password) { "••••••".to_owned() } else { sample };
                                        let label = format!("Field for column {header}");
                                        view! {
                                            <tr>
                                                <td>{header.clone()}</td>
                                                <td class="muted">{sample}</td>
                                                <td>
                                                    <select aria-label=label data-testid=format!("csv-map-{i}")
                                                        on:change=move |ev| { let v = event_target_value(&ev); mapping.update(|m| if let Some(slot) = m.get_mut(i) { *slot = Field::parse(&v); }); }>
                                                        <option value="" selected=move || mapping.with(|m| m.get(i).copied().flatten().is_none())>"Ignore"</option>
                                                        {mode.get_untracked().fields().iter().map(|f| {
                                                            let f = *f;
                                                            view! { <option value=f.header() selected=move || mapping.with(|m| m.get(i).copied().flatten() == Some(f))>{f.label()}{if mode.get_untracked().required().contains(&f) { " (required)" } else { "" }}</option> }
                                                        }).collect_view()}
                                                    </select>
                                                    {move || mapping.with(|m| m.get(i).copied().flatten().is_none()).then(|| view! { <span class="pill pill-muted">"Ignored"</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()))}
                                </tbody>
                            </table></div>
                            {move || { let p = problems(); (!p.is_empty()).then(|| view! {
                                <ul class="alert alert-error" role="alert" data-testid="csv-map-problems">{p.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                            }) }}
                            <div class="form-actions">
                                <button class="btn btn-ghost" on:click=move |_| step.set(Step::Upload)>"Back"</button>
                                <button class="btn btn-primary" disabled=move || !problems().is_empty()
                                    on:click=move |_| { step.set(Step::Review); review(); } data-testid="csv-map-continue">"Continue"</button>
                            </div>
                        </div>
                    }.into_any()
                }
                Step::Review => view! {
                    <div data-testid="csv-step-review">
                        {move || review_busy.get().then(|| view! {
                            <div role="status">
                                <Loading label=format!("Checking rows… {} of {} checked with the server", checked.get().0, checked.get().1) />
                            </div>
                        })}
                        {move || review_error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                        {move || (!review_busy.get()).then(|| view! {
                            <ReviewTable lines=lines mapping=mapping mode=mode only_problems=only_problems page=page editable=true />
                            <div class="form-actions">
                                <button class="btn btn-ghost" on:click=move |_| step.set(Step::Map)>"Back"</button>
                                <button class="btn btn-primary" disabled=move || lines.with(|l| !l.iter().any(Line::ready))
                                    on:click=move |_| import() data-testid="csv-import-start">
                                    {move || format!("Import {} rows", lines.with(|l| l.iter().filter(|l| l.ready()).count()))}
                                </button>
                            </div>
                        })}
                    </div>
                }.into_any(),
                Step::Import => view! {
                    <div data-testid="csv-step-import">
                        <p role="status" aria-live="polite" data-testid="csv-progress-text">{move || {
                            let (done, total) = progress.get();
                            let elapsed = now_ms() - started.get_untracked();
                            let estimate = if done > 0 && done < total {
                                let left = elapsed / done as f64 * (total - done) as f64 / 1000.0;
                                format!(" · about {} s left", left.ceil())
                            } else { String::new() };
                            format!("{done} / {total} rows{estimate}")
                        }}</p>
                        <progress class="import-progress" max=move || progress.get().1.max(1) value=move || progress.get().0 aria-label="Rows imported" data-testid="csv-progress"></progress>
                        <div class="form-actions">
                            <button class="btn btn-secondary" disabled=move || cancel.get() on:click=move |_| cancel.set(true) data-testid="csv-cancel">
                                {move || if cancel.get() { "Cancelling after this batch…" } else { "Cancel" }}
                            </button>
                        </div>
                    </div>
                }.into_any(),
                Step::Results => view! {
                    <ImportResults lines=lines table=table mapping=mapping mode=mode only_problems=only_problems page=page back_href=Signal::derive(back_href) />
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ReviewTable(
    lines: RwSignal<Vec<Line>>,
    mapping: RwSignal<Vec<Option<Field>>>,
    mode: RwSignal<ImportMode>,
    only_problems: RwSignal<bool>,
    page: RwSignal<usize>,
    editable: bool,
) -> impl IntoView {
    let columns: Vec<(usize, Field)> = mapping.with_untracked(|m| {
        mode.get_untracked()
            .fields()
            .iter()
            .filter_map(|f| m.iter().position(|c| *c == Some(*f)).map(|i| (i, *f)))
            .collect()
    });
    let columns = StoredValue::new(columns);
    let shown = Memo::new(move |_| {
        let only = only_problems.get();
        lines.with(|all| {
            (0..all.len())
                .filter(|&i| {
                    !only
                        || if editable {
                            !all[i].problems.is_empty()
                        } else {
                            !matches!(all[i].outcome, Outcome::Succeeded)
                        }
                })
                .collect::<Vec<usize>>()
        })
    });
    let counts = move || {
        lines.with(|all| {
            let ready = all.iter().filter(|l| l.ready()).count();
            let problems = all.iter().filter(|l| !l.problems.is_empty()).count();
            let skipped = all.iter().filter(|l| !l.included).count();
            (all.len(), ready, problems, skipped)
        })
    };
    let pages = move || shown.with(|s| s.len().div_ceil(PER_PAGE).max(1));
    view! {
        {editable.then(|| view! {
            <p role="status" data-testid="csv-review-counts">{move || {
                let (total, ready, problems, skipped) = counts();
                format!("{total} rows: {ready} ready, {problems} with problems, {skipped} deselected.")
            }}</p>
        })}
        <div class="toolbar">
            <label class="check">
                <input type="checkbox" prop:checked=move || only_problems.get() on:change=move |ev| { only_problems.set(event_target_checked(&ev)); page.set(0); } data-testid="csv-only-problems" />
                {if editable { " Only rows with problems" } else { " Only rows that were not imported" }}
            </label>
        </div>
        <div class="table-wrap">
            <table data-testid=if editable { "csv-review-table" } else { "csv-results-table" }>
                <thead><tr>
                    {editable.then(|| view! { <th class="tick">"Import"</th> })}
                    <th>"Line"</th>
                    {columns.get_value().into_iter().map(|(_, f)| view! { <th>{f.label()}</th> }).collect_view()}
                    <th>{if editable { "Problems" } else { "Outcome" }}</th>
                </tr></thead>
                <tbody>
                    {move || {
                        let start = page.get() * PER_PAGE;
                        // Untracked: ticking a row's box must not rebuild the table (and lose
                        // the focus); `shown` changes whenever the rows it lists do.
                        shown.with(|s| s.iter().skip(start).take(PER_PAGE).copied().collect::<Vec<_>>()).into_iter().filter_map(|i| {
                            let line = lines.with_untracked(|all| all.get(i).cloned())?;
                            let cells = columns.get_value().into_iter().map(|(c, f)| {
                                let value = if f == Field::Password { line.cells.get(c).map(|v| if v.is_empty() { String::new() } else { "••••••".to_owned() }).unwrap_or_default() } else { line.cells.get(c).cloned().unwrap_or_default() };
                                let errors: Vec<String> = line.problems.iter().filter(|p| p.field == Some(f)).map(|p| p.message.clone()).collect();
                                let invalid = !errors.is_empty();
                                view! {
                                    <td class:cell-error=invalid aria-invalid=invalid.then_some("true")>
                                        <span>{value}</span>
                                        {invalid.then(|| view! { <span class="cell-message">{errors.join(" ")}</span> })}
                                    </td>
                                }
                            }).collect_view();
                            let row_problems: Vec<String> = line.problems.iter().filter(|p| p.field.is_none() || !columns.get_value().iter().any(|(_, f)| Some(*f) == p.field)).map(|p| match p.field { Some(f) => format!("{}: {}", f.label(), p.message), None => p.message.clone() }).collect();
                            let last = if editable {
                                if line.problems.is_empty() { "—".to_owned() } else { row_problems.join(" ") }
                            } else {
                                match &line.outcome {
                                    Outcome::Succeeded => "Imported".to_owned(),
                                    Outcome::Failed(e) => format!("Failed: {e}"),
                                    Outcome::Skipped => "Skipped".to_owned(),
                                    Outcome::Waiting => "—".to_owned(),
                                }
                            };
                            let line_no = line.line;
                            Some(view! {
                                <tr data-testid="csv-row" class:row-problem=!line.problems.is_empty()>
                                    {editable.then(|| view! {
                                        <td class="tick"><input type="checkbox" aria-label=format!("Import line {line_no}") prop:checked=line.included
                                            on:change=move |ev| { let on = event_target_checked(&ev); lines.update(|all| if let Some(l) = all.get_mut(i) { l.included = on; }); } /></td>
                                    })}
                                    <td>{line_no}</td>
                                    {cells}
                                    <td>{last}</td>
                                </tr>
                            })
                        }).collect_view()
                    }}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Rows">
            <button class="btn btn-ghost btn-small" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
            <span>{move || format!("Page {} of {}", page.get() + 1, pages())}</span>
            <button class="btn btn-ghost btn-small" disabled=move || page.get() + 1 >= pages() on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
        </nav>
    }
}

#[component]
fn ImportResults(
    lines: RwSignal<Vec<Line>>,
    table: RwSignal<Option<Table>>,
    mapping: RwSignal<Vec<Option<Field>>>,
    mode: RwSignal<ImportMode>,
    only_problems: RwSignal<bool>,
    page: RwSignal<usize>,
    back_href: Signal<String>,
) -> impl IntoView {
    let counts = move || {
        lines.with(|all| {
            let ok = all
                .iter()
                .filter(|l| l.outcome == Outcome::Succeeded)
                .count();
            let skipped = all.iter().filter(|l| l.outcome == Outcome::Skipped).count();
            (ok, all.len() - ok - skipped, skipped)
        })
    };
    let failed_file = move || {
        let headers = table.with(|t| t.as_ref().map(|t| t.headers.clone()).unwrap_or_default());
        let rows: Vec<(Vec<String>, String)> = lines.with(|all| {
            all.iter()
                .filter_map(|l| match &l.outcome {
                    Outcome::Failed(e) => Some((l.cells.clone(), e.clone())),
                    _ => None,
                })
                .collect()
        });
        csv_href(&csv_import::failed_rows_csv(&headers, &rows))
    };
    view! {
        <div data-testid="csv-step-results">
            <div class="stat-grid" role="status">
                <p class="stat"><strong data-testid="csv-succeeded">{move || counts().0}</strong>" succeeded"</p>
                <p class="stat"><strong data-testid="csv-failed">{move || counts().1}</strong>" failed"</p>
                <p class="stat"><strong data-testid="csv-skipped">{move || counts().2}</strong>" skipped"</p>
            </div>
            {move || (counts().1 > 0).then(|| view! {
                <p>
                    <a class="btn btn-secondary" href=failed_file download="failed-rows.csv" data-testid="csv-download-failed">"Download failed rows"</a>
                    " — your columns plus an "<code>"error"</code>" column; fix them and import the file again. Passwords are not written to it."
                </p>
            })}
            <ReviewTable lines=lines mapping=mapping mode=mode only_problems=only_problems page=page editable=false />
            <div class="form-actions">
                <a class="btn btn-primary" href=move || back_href.get() data-testid="csv-done">"Back to identities"</a>
            </div>
        </div>
    }
}
