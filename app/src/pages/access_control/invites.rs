//! Access Control › Identities: the **Invite** and **Invite & Assign** dialogs and the
//! environment's invite list (status badges, resend, revoke, a new link for self-delivered
//! invites). The dialogs run `InviteForm`'s rules inline — the rules the server runs again.
//!
//! Links: only the SHA-256 of a token is stored, so a link cannot be shown twice. An emailed
//! invite's link is only in the email; for a self-delivered one (`send_email: false`) "Copy new
//! link" resends it — the previous link stops working — and copies the new one.

use crate::components::browser::copy_to_clipboard;
use crate::components::env_resource::env_resource_by;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::role_node_picker::RoleNodePicker;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{read_only_title, viewer_disabled};
use crate::error::AppError;
use crate::model::{CreatedInvite, EnvPath, Invite, InviteForm, InviteStatus};
use crate::server::invites::{invite_identity, list_invites, resend_invite, revoke_invite};
use leptos::prelude::*;

/// The Invite dialog's body; `with_role` makes it Invite & Assign (Role + Node, both required).
#[component]
pub fn InviteIdentity(
    open: RwSignal<bool>,
    with_role: bool,
    on_sent: Callback<()>,
    /// The dialog's element ids and test ids start with this.
    #[prop(into)]
    prefix: String,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let node = RwSignal::new(String::new());
    let form = move || InviteForm {
        email: email.get(),
        first_name: first_name.get(),
        last_name: last_name.get(),
        role_id: with_role.then(|| role.get()),
        node_id: with_role.then(|| node.get()),
        ..InviteForm::default()
    };
    // Invite & Assign needs the pair; an empty pair is the dialog's rule, not the model's (the
    // model allows neither).
    let pair_missing = move |field: &'static str| {
        let value = if field == "role_id" {
            role.get()
        } else {
            node.get()
        };
        (with_role && value.trim().is_empty()).then(|| {
            crate::error::FieldError::new(
                field,
                "required",
                if field == "role_id" {
                    "Choose a role."
                } else {
                    "Choose a node."
                },
            )
        })
    };
    let resend_offer = RwSignal::new(None::<String>);
    let submission = use_form(move |(env, form): (EnvPath, InviteForm)| async move {
        match invite_identity(env, form).await {
            Ok(CreatedInvite { invite, .. }) => {
                toasts.success(format!("Invite sent to {}.", invite.email));
                // Closing drops the dialog's state: the next open starts blank.
                open.set(false);
                on_sent.run(());
                Ok(())
            }
            Err(AppError::InvitePendingExists { invite_id }) => {
                resend_offer.set(Some(invite_id.clone()));
                Err(AppError::InvitePendingExists { invite_id })
            }
            Err(other) => Err(other),
        }
    });
    let error_for = move |field: &'static str| {
        // Invite & Assign's own words first ("Choose a role."), then the shared rules.
        submission.error_for(field, move |f| {
            pair_missing(f).or_else(|| form().field_error(f))
        })
    };
    let resending = use_operation(move |(env, id): (EnvPath, String)| async move {
        let answer = resend_invite(env, id).await?;
        toasts.success(answer.message);
        resend_offer.set(None);
        open.set(false);
        on_sent.run(());
        Ok(())
    });
    let busy = submission.busy();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        resend_offer.set(None);
        if form().validate().is_err()
            || pair_missing("role_id").is_some()
            || pair_missing("node_id").is_some()
        {
            return;
        }
        submission.submit((env.get_untracked(), form()));
    };
    let resend = move |_| {
        if let Some(id) = resend_offer.get_untracked() {
            resending.submit((env.get_untracked(), id));
        }
    };
    let blur = Callback::new(move |_| submission.touch());
    view! {
        <form on:submit=submit novalidate data-testid=format!("{prefix}-form")>
            <FormAlert error=submission.general_error() />
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email error=error_for("email") on_blur=blur autofocus=true />
            {move || resend_offer.get().map(|_| view! {
                <div class="alert alert-info" data-testid="pending-exists">
                    <p>"This person already has a pending invite here. Resending gives them a fresh link (the old one stops working)."</p>
                    <button type="button" class="btn btn-secondary btn-small" on:click=resend data-testid="resend-instead">"Resend invite"</button>
                </div>
            })}
            <div class="field-pair">
                <TextField name="first_name" label="First name" autocomplete="off" value=first_name error=error_for("first_name") on_blur=blur />
                <TextField name="last_name" label="Last name" autocomplete="off" value=last_name error=error_for("last_name") on_blur=blur />
            </div>
            {with_role.then(|| view! {
                <RoleNodePicker role node id_prefix=prefix.clone() role_error=error_for("role_id") node_error=error_for("node_id") />
            })}
            <p class="muted small">
                {if with_role {
                    "They get an email with a link to choose a password. The role is assigned at the node when they accept. The link works for 7 days."
                } else {
                    "They get an email with a link to choose a password. The link works for 7 days."
                }}
            </p>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="send-invite">
                    {move || if busy.get() { "Sending…" } else { "Send Invite" }}
                </button>
            </div>
        </form>
    }
}

fn status_class(status: InviteStatus) -> &'static str {
    match status {
        InviteStatus::Pending => "pill status-scheduled",
        InviteStatus::Accepted => "pill status-active",
        InviteStatus::Expired | InviteStatus::Revoked => "pill status-expired",
    }
}

/// The environment's invites: newest first, a status filter, pages.
#[component]
pub fn InvitesList(
    /// Bumped by the page when an invite was sent.
    version: RwSignal<u32>,
    on_invite: Callback<()>,
) -> impl IntoView {
    let status = RwSignal::new(None::<InviteStatus>);
    let page = RwSignal::new(1i64);
    let (invites, reload) = env_resource_by(
        move || (status.get(), page.get(), version.get()),
        |env, (status, page, _)| list_invites(env, status, page),
    );
    view! {
        <section class="invites-section" aria-labelledby="invites-heading" data-testid="invites-section">
            <div class="section-header">
                <h2 id="invites-heading">"Invites"</h2>
                <label class="inline-select">"Status "
                    <select on:change=move |ev| { status.set(InviteStatus::parse(&event_target_value(&ev))); page.set(1); }
                        data-testid="filter-invites">
                        <option value="">"Any"</option>
                        {InviteStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading invites…" /> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Ok(list) if list.total == 0 && status.get_untracked().is_none() => view! {
                            <div class="empty-state" data-testid="invites-empty">
                                <p><strong>"No invites yet."</strong></p>
                                <p class="muted">"Invite someone by email: they choose their own password, and can land with a role ready."</p>
                                <button type="button" class="btn btn-secondary" disabled=viewer_disabled() title=read_only_title() on:click=move |_| on_invite.run(())>"Invite"</button>
                            </div>
                        }.into_any(),
                        Ok(list) if list.total == 0 => view! {
                            <div class="empty-inline" data-testid="invites-no-match">"No invite has this status."</div>
                        }.into_any(),
                        Ok(list) => {
                            let (pages, current, total) = (list.pages(), list.page, list.total);
                            view! {
                                <div class="table-wrap">
                                    <table data-testid="invites-table">
                                        <thead><tr>
                                            <th>"Invitee"</th><th>"Status"</th><th>"Role"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {list.items.into_iter().map(|invite| view! { <InviteLine invite changed=reload /> }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <nav class="pager" aria-label="Invite pages">
                                    <span class="muted">{format!("{total} invite{} · page {current} of {pages}", if total == 1 { "" } else { "s" })}</span>
                                    {(pages > 1).then(|| view! {
                                        <button class="btn btn-secondary btn-small" disabled={current <= 1} on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                        <button class="btn btn-secondary btn-small" disabled={current >= pages} on:click=move |_| page.update(|p| *p += 1) data-testid="invites-next-page">"Next"</button>
                                    })}
                                </nav>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn InviteLine(invite: Invite, changed: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let confirming = RwSignal::new(false);
    let id = StoredValue::new(invite.id.clone());
    let email = StoredValue::new(invite.email.clone());
    let self_delivered = !invite.send_email;
    let resending = use_operation(move |env: EnvPath| async move {
        let answer = resend_invite(env, id.get_value()).await?;
        match answer.accept_url {
            Some(url) => {
                copy_to_clipboard(&url);
                toasts.success(format!(
                    "A new link for {} was copied. The previous link no longer works.",
                    email.get_value()
                ));
            }
            None => toasts.success(answer.message),
        }
        changed.run(());
        Ok(())
    });
    let revoking = use_operation(move |env: EnvPath| async move {
        revoke_invite(env, id.get_value()).await?;
        toasts.success(format!("Revoked the invite for {}.", email.get_value()));
        changed.run(());
        Ok(())
    });
    let busy = Signal::derive(move || resending.busy().get() || revoking.busy().get());
    let pending = invite.status == InviteStatus::Pending;
    view! {
        <tr data-testid="invite-row" data-status=invite.status.as_str()>
            <td><strong>{invite.name.clone()}</strong><div class="muted small">{invite.email.clone()}</div></td>
            <td>
                <span class=status_class(invite.status) data-testid="invite-status">{invite.status.label()}</span>
                {(invite.intent != crate::model::InviteIntent::Activate).then(|| view! {
                    <span class="pill pill-muted">{invite.intent.as_str().replace('_', " ")}</span>
                })}
            </td>
            <td>{if invite.has_initial_assignment { "On acceptance" } else { "—" }}</td>
            <td>{invite.expires_at.get(..10).unwrap_or_default().to_owned()}</td>
            <td class="row-actions">
                {pending.then(|| view! {
                    <button type="button" class="btn btn-ghost btn-small" disabled={let ro = viewer_disabled(); move || ro.get() || busy.get()} title=read_only_title()
                        on:click=move |_| resending.submit(env.get_untracked()) data-testid="resend-invite">
                        {if self_delivered { "Copy new link" } else { "Resend" }}
                    </button>
                    <Show when=move || confirming.get() fallback=move || view! {
                        <button type="button" class="btn btn-ghost btn-small danger" disabled=viewer_disabled() title=read_only_title() on:click=move |_| confirming.set(true) data-testid="revoke-invite">"Revoke…"</button>
                    }>
                        <span class="confirm-inline-row">
                            "Revoke? The link stops working. "
                            <button type="button" class="btn btn-danger btn-small" disabled=move || busy.get()
                                on:click=move |_| revoking.submit(env.get_untracked()) data-testid="confirm-revoke-invite">"Revoke"</button>
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    </Show>
                })}
            </td>
        </tr>
    }
}
