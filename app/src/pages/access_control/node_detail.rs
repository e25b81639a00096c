//! Node detail on the Hierarchy page: who has access at the selected node, through an assignment
//! on the node itself (direct) or on a node above it (inherited), with counts by lifecycle state
//! and "expiring soon". Choosing an identity opens its assignments.

use crate::components::dialog::Dialog;
use crate::components::identity_assignments::{IdentityAssignments, short_time, status_label};
use crate::components::stat::Stat;
use crate::model::{AssignmentStatus, EXPIRING_SOON_DAYS, EnvPath, NodeAccessEntry};
use crate::server::assignments::load_node_access;
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    All,
    Active,
    Scheduled,
    Expired,
    ExpiringSoon,
}

impl StatusFilter {
    const ALL: [StatusFilter; 5] = [
        StatusFilter::All,
        StatusFilter::Active,
        StatusFilter::Scheduled,
        StatusFilter::Expired,
        StatusFilter::ExpiringSoon,
    ];

    fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "All",
            StatusFilter::Active => "Active",
            StatusFilter::Scheduled => "Scheduled",
            StatusFilter::Expired => "Expired",
            StatusFilter::ExpiringSoon => "Expiring soon",
        }
    }

    fn keeps(self, entry: &NodeAccessEntry) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Active => entry.assignment.status == AssignmentStatus::Active,
            StatusFilter::Scheduled => entry.assignment.status == AssignmentStatus::Scheduled,
            StatusFilter::Expired => entry.assignment.status == AssignmentStatus::Expired,
            StatusFilter::ExpiringSoon => entry.expiring_soon,
        }
    }
}

#[component]
pub fn NodeDetail(
    /// The selected node; `None` hides the panel.
    node_id: RwSignal<Option<String>>,
    /// Bumped by the page when assignments change elsewhere.
    #[prop(into)]
    refresh: Signal<u32>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let reload = RwSignal::new(0u32);
    let access = LocalResource::new(move || {
        // The node belongs to this environment: a switch replaces the whole page, not the node.
        let env = env.get_untracked();
        let node = node_id.get();
        refresh.track();
        reload.track();
        async move {
            match node {
                Some(node) => load_node_access(env, node).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let filter = RwSignal::new(StatusFilter::All);
    let chosen = RwSignal::new(None::<(String, String)>);
    let chosen_open = RwSignal::new(false);
    Effect::new(move |_| {
        // Closing the identity's assignments may have changed who has access here.
        if !chosen_open.get() && chosen.get_untracked().is_some() {
            chosen.set(None);
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <Show when=move || node_id.get().is_some()>
            <section class="card node-detail" aria-labelledby="node-detail-title" data-testid="node-detail">
                {move || match access.get() {
                    None => view! { <p class="muted">"Loading who has access…"</p> }.into_any(),
                    Some(Err(e)) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Some(Ok(None)) => ().into_any(),
                    Some(Ok(Some(detail))) => {
                        let s = detail.summary.clone();
                        let entries = detail.entries.clone();
                        let empty = entries.is_empty();
                        view! {
                            <div class="node-detail-header">
                                <div>
                                    <p class="eyebrow">"Node detail"</p>
                                    <h2 id="node-detail-title" data-testid="node-detail-path">{detail.path.join(" › ")}</h2>
                                </div>
                                <button type="button" class="btn btn-ghost btn-small" aria-label="Close node detail"
                                    on:click=move |_| node_id.set(None)>"✕"</button>
                            </div>
                            <div class="stat-grid" data-testid="node-summary">
                                <Stat label="With access" value=s.identities_with_access as i64 hint="identities, right now" testid="node-stat-identities" />
                                <Stat label="Active" value=s.active as i64 hint="assignments in force" testid="node-stat-active" />
                                <Stat label="Scheduled" value=s.scheduled as i64 hint="not started yet" testid="node-stat-scheduled" />
                                <Stat label="Expired" value=s.expired as i64 hint="ended" testid="node-stat-expired" />
                                <Stat label="Expiring soon" value=s.expiring_soon as i64 hint=format!("active, ending within {EXPIRING_SOON_DAYS} days") testid="node-stat-expiring" />
                            </div>
                            <div class="chips" role="group" aria-label="Filter by status">
                                {StatusFilter::ALL.into_iter().map(|f| view! {
                                    <button type="button" class="chip" class:chip-on=move || filter.get() == f
                                        aria-pressed=move || (filter.get() == f).to_string()
                                        on:click=move |_| filter.set(f)
                                        data-testid=format!("filter-{}", f.label().to_lowercase().replace(' ', "-"))>{f.label()}</button>
                                }).collect_view()}
                            </div>
                            {if empty {
                                view! {
                                    <div class="empty-inline" data-testid="node-detail-empty">
                                        "No one is assigned here or above. Assign a role to an identity at this node and it applies here and to everything below."
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                    <table data-testid="node-access-table">
                                        <thead><tr><th>"Identity"</th><th>"Role"</th><th>"Granted"</th><th>"Status"</th><th>"Until"</th></tr></thead>
                                        <tbody>
                                            {move || {
                                                let rows: Vec<NodeAccessEntry> = entries.iter().filter(|e| filter.get().keeps(e)).cloned().collect();
                                                if rows.is_empty() {
                                                    return view! { <tr><td colspan="5" class="muted">"Nothing matches this filter."</td></tr> }.into_any();
                                                }
                                                rows.into_iter().map(|e| {
                                                    let a = e.assignment.clone();
                                                    let who = (a.identity_id.clone(), e.identity_name.clone());
                                                    let granted = if e.inherited { format!("Inherited from {}", a.node_name) } else { "Direct".to_owned() };
                                                    view! {
                                                        <tr data-testid="node-access-row">
                                                            <td>
                                                                <button type="button" class="link-button" on:click=move |_| { chosen.set(Some(who.clone())); chosen_open.set(true); }>
                                                                    {e.identity_name.clone()}
                                                                </button>
                                                                <div class="muted small">{e.identity_email.clone()}</div>
                                                            </td>
                                                            <td>{a.role_name.clone()}</td>
                                                            <td>{granted}</td>
                                                            <td>
                                                                <span class=format!("pill status-{}", status_label(a.status).to_lowercase())>{status_label(a.status)}</span>
                                                                {e.expiring_soon.then(|| view! { <span class="pill pill-warn">"Expiring soon"</span> })}
                                                            </td>
                                                            <td>{a.effective_to.as_deref().map_or_else(|| "No end".to_owned(), short_time)}</td>
                                                        </tr>
                                                    }
                                                }).collect_view().into_any()
                                            }}
                                        </tbody>
                                    </table>
                                    </div>
                                    {detail.truncated.then(|| view! { <p class="muted small">{format!("Showing the first {} assignments; the counts above cover them all.", crate::model::NodeAccess::LIMIT)}</p> })}
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }}
            </section>
        </Show>
        <Dialog open=chosen_open title=Signal::derive(move || chosen.get().map(|(_, name)| format!("{name}: role assignments")).unwrap_or_default()) testid="identity-assignments-dialog" wide=true>
            {move || chosen.get().map(|(id, _)| view! { <IdentityAssignments identity_id=id /> })}
        </Dialog>
    }
}
