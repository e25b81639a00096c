//! The drawer's Assignments tab: role assignments in every environment.

use crate::components::identity_assignments::{short_time, status_label};
use crate::model::IdentityDetail;
use leptos::prelude::*;

#[component]
pub fn AssignmentsTab(detail: IdentityDetail) -> impl IntoView {
    if detail.assignments.is_empty() {
        return view! { <p class="empty-inline">"No role assignments in any environment."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table data-testid="drawer-assignments">
                <thead><tr><th>"Environment"</th><th>"Role"</th><th>"Node"</th><th>"Status"</th><th>"Until"</th></tr></thead>
                <tbody>
                    {detail.assignments.into_iter().map(|(environment, a)| view! {
                        <tr>
                            <td>{environment}</td>
                            <td>{a.role_name.clone()}</td>
                            <td>{a.node_name.clone()}</td>
                            <td><span class=format!("pill status-{}", status_label(a.status).to_lowercase())>{status_label(a.status)}</span></td>
                            <td>{a.effective_to.as_deref().map_or_else(|| "No end".to_owned(), short_time)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
