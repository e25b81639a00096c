//! The Setup Guide: a side panel that stays open while the admin works, with the two setup tracks
//! of the Overview banners. Each step shows done / to do from the environment's live counts,
//! links to the page (or opens the dialog) that does it, and says in a sentence why it matters.

use crate::components::toast::use_toasts;
use crate::model::{EnvPath, EnvironmentCounts};
use crate::server::workspace::load_overview;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuideTab {
    RolesAndPermissions,
    InviteAndAssign,
}

impl GuideTab {
    fn label(self) -> &'static str {
        match self {
            GuideTab::RolesAndPermissions => "Roles & Permissions",
            GuideTab::InviteAndAssign => "Invite & Assign Users",
        }
    }

    fn testid(self) -> &'static str {
        match self {
            GuideTab::RolesAndPermissions => "guide-tab-roles",
            GuideTab::InviteAndAssign => "guide-tab-invite",
        }
    }
}

/// Whether the guide is open, and on which tab; shared by the header, the banners and the panel.
#[derive(Clone, Copy)]
pub struct SetupGuide {
    pub open: RwSignal<bool>,
    pub tab: RwSignal<GuideTab>,
}

impl SetupGuide {
    pub fn show(&self, tab: GuideTab) {
        self.tab.set(tab);
        self.open.set(true);
    }
}

pub fn provide_setup_guide() -> SetupGuide {
    let guide = SetupGuide {
        open: RwSignal::new(false),
        tab: RwSignal::new(GuideTab::RolesAndPermissions),
    };
    provide_context(guide);
    guide
}

pub fn use_setup_guide() -> Option<SetupGuide> {
    use_context::<SetupGuide>()
}

struct Step {
    title: &'static str,
    help: &'static str,
    done: bool,
    /// Not done, but on its way (invites carrying a role: the assignment comes on acceptance).
    pending: bool,
    /// The page, with `?create=1` when the step's dialog should open there.
    page: &'static str,
    action: &'static str,
    testid: &'static str,
}

fn steps(tab: GuideTab, c: &EnvironmentCounts) -> Vec<Step> {
    match tab {
        GuideTab::RolesAndPermissions => vec![
            Step {
                title: "Create permissions",
                help: "Permissions name what can be done, as resource.action (invoice.read). The group wizard makes create, read, update and delete for a resource at once.",
                done: c.custom_permissions > 0,
                pending: false,
                page: "permissions?create=group",
                action: "Create a permission group",
                testid: "guide-step-permissions",
            },
            Step {
                title: "Create roles",
                help: "A role bundles permissions under a name people understand: Owner, Admin, Editor, Viewer.",
                done: c.custom_roles > 0,
                pending: false,
                page: "roles?create=1",
                action: "Create a role",
                testid: "guide-step-roles",
            },
            Step {
                title: "Assign permissions to roles",
                help: "Pick a role and tick what it may do. Saving replaces the role's whole set at once.",
                done: c.roles_with_permissions > 0,
                pending: false,
                page: "roles",
                action: "Open Roles",
                testid: "guide-step-grants",
            },
        ],
        GuideTab::InviteAndAssign => vec![
            Step {
                title: "Invite identities",
                help: "Invite people by email: they choose their own password. Invite & Assign also gives them a role at a node when they accept. (Create Identity adds someone at once, without email.)",
                done: c.identities > 0 || c.invites > 0,
                pending: false,
                page: "identities?create=invite-assign",
                action: "Invite & Assign",
                testid: "guide-step-identities",
            },
            Step {
                title: "Assign roles to identities",
                help: "An assignment is identity + role + node: it applies at that node and everything below it, optionally between two dates. Invites that carry a role assign it on acceptance.",
                done: c.assignments > 0,
                pending: c.assignments == 0 && c.pending_invites_with_role > 0,
                page: "identities",
                action: "Open Identities",
                testid: "guide-step-assign",
            },
        ],
    }
}

#[component]
pub fn SetupGuidePanel() -> impl IntoView {
    let Some(guide) = use_setup_guide() else {
        return ().into_any();
    };
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let location = use_location();
    // Live counts: reloaded when the guide opens, the page changes, or a change succeeds.
    let counts = LocalResource::new(move || {
        let env = env.get();
        let open = guide.open.get();
        location.pathname.track();
        toasts.changes();
        async move {
            if !open {
                return None;
            }
            load_overview(env.account, env.application, env.environment)
                .await
                .ok()
                .map(|o| o.counts)
        }
    });
    view! {
        <aside class="setup-guide" class:setup-guide-open=move || guide.open.get()
            aria-label="Setup Guide" aria-hidden=move || (!guide.open.get()).to_string()
            on:keydown=move |ev| if ev.key() == "Escape" { guide.open.set(false) }
            data-testid="setup-guide">
            <div class="setup-guide-header">
                <h2>"Setup Guide"</h2>
                <button type="button" class="btn btn-ghost btn-small" aria-label="Close the Setup Guide"
                    on:click=move |_| guide.open.set(false)>"✕"</button>
            </div>
            <div class="guide-tabs" role="tablist">
                {[GuideTab::RolesAndPermissions, GuideTab::InviteAndAssign].into_iter().map(|tab| view! {
                    <button type="button" role="tab" class="guide-tab"
                        aria-selected=move || (guide.tab.get() == tab).to_string()
                        on:click=move |_| guide.tab.set(tab)
                        data-testid=tab.testid()>{tab.label()}</button>
                }).collect_view()}
            </div>
            {move || match counts.get().flatten() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(c) => {
                    let all = steps(guide.tab.get(), &c);
                    let done = all.iter().filter(|s| s.done).count();
                    let total = all.len();
                    view! {
                        <p class="guide-progress" data-testid="guide-progress">{format!("{done} of {total} steps done")}</p>
                        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax=total aria-valuenow=done>
                            <span style=format!("width: {}%", done * 100 / total.max(1))></span>
                        </div>
                        <ol class="guide-steps">
                            {all.into_iter().enumerate().map(|(i, step)| view! {
                                <li class="guide-step" class:guide-step-done=step.done class:guide-step-pending=step.pending
                                    data-testid=step.testid data-done=step.done.to_string() data-pending=step.pending.to_string()>
                                    <span class="guide-check" aria-hidden="true">{if step.done { "✓".to_owned() } else { (i + 1).to_string() }}</span>
                                    <div>
                                        <p class="guide-step-title">
                                            {step.title}
                                            {if step.pending {
                                                view! { <span class="pill status-scheduled guide-pending">"Pending"</span><span class="visually-hidden">" (pending: invites carrying a role are not accepted yet)"</span> }.into_any()
                                            } else {
                                                view! { <span class="visually-hidden">{if step.done { " (done)" } else { " (to do)" }}</span> }.into_any()
                                            }}
                                        </p>
                                        {step.pending.then(|| view! {
                                            <p class="small" data-testid="guide-step-pending-note">"Waiting for invites that carry a role to be accepted."</p>
                                        })}
                                        <p class="muted small">{step.help}</p>
                                        <a class="btn btn-secondary btn-small" href=env.with(|e| e.href(step.page))>{step.action}</a>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ol>
                        {(guide.tab.get() == GuideTab::InviteAndAssign).then(|| view! {
                            <p class="small" data-testid="guide-csv-import">
                                <a href=env.with(|e| e.href("identities/import"))>"Onboarding many at once? Use the CSV import wizard →"</a>
                            </p>
                        })}
                    }.into_any()
                }
            }}
        </aside>
    }
    .into_any()
}
