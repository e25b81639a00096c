//! Tenant › Team: the Account's admins (role, status, last sign-in) and pending admin invites.
//! Owners invite admins (email + role), resend or revoke invites, change roles and remove members;
//! everyone else sees the page read-only. The last owner can be neither demoted nor removed (the
//! server says so: `admins.last_owner`).

use crate::components::dialog::Dialog;
use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::identity_assignments::short_time;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::components::write_access::{READ_ONLY_HINT, use_can_write};
use crate::model::{AccountRole, AdminInvite, AdminInviteForm, EnvPath, InviteStatus, TeamMember};
use crate::server::team::{
    change_admin_role, invite_admin, load_team, remove_admin, resend_admin_invite,
    revoke_admin_invite,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Who may manage the team, as the page says it to those who may not.
const OWNERS_ONLY: &str =
    "Only owners of this account can invite admins, change roles and remove members.";

#[component]
pub fn TeamPage() -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let refresh = RwSignal::new(0u32);
    let team = Resource::new(
        move || (env.with(|e| e.account.clone()), refresh.get()),
        |(account, _)| load_team(account),
    );
    let can_write = use_can_write();
    let invite_open = RwSignal::new(false);
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    // Managing needs an owner; the list says whether the caller is one. Followed in an effect
    // (browser only, after hydration) so the server's HTML and the hydrating page agree.
    let owner = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(t)) = team.get() {
            owner.set(t.can_manage);
        }
    });
    let can_manage = move || can_write.get() && owner.get();
    view! {
        <Title text="Team" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Tenant"</p>
                <h1>"Team"</h1>
                <p class="muted">"The admins of this account. Owners manage the team; admins change everything else; viewers see every page and change nothing."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-primary" on:click=move |_| invite_open.set(true)
                    disabled=move || !can_manage()
                    title=move || (!can_manage()).then_some(if can_write.get() { OWNERS_ONLY } else { READ_ONLY_HINT })
                    data-testid="open-invite-admin">"Invite admin"</button>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading the team…" /> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(team) => {
                        let manage = team.can_manage;
                        let owners = team.members.iter().filter(|m| m.role == AccountRole::Owner).count();
                        let invites = team.invites.clone();
                        view! {
                            <section aria-labelledby="members-title">
                                <h2 id="members-title">"Members"</h2>
                                <div class="table-wrap">
                                    <table data-testid="team-members">
                                        <caption class="visually-hidden">"Admins of this account"</caption>
                                        <thead><tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Email"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Last sign-in"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {team.members.into_iter().map(|member| view! {
                                                <MemberLine member manage last_owner=owners <= 1 reload />
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            </section>
                            <section aria-labelledby="invites-title">
                                <h2 id="invites-title">"Pending invites"</h2>
                                {if invites.is_empty() {
                                    view! {
                                        <div class="empty-state" data-testid="admin-invites-empty">
                                            <p class="muted">"No pending invites. Invite an admin to share the work: they get an email with a link that works for 7 days."</p>
                                        </div>
                                    }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap">
                                            <table data-testid="admin-invites">
                                                <caption class="visually-hidden">"Pending admin invites"</caption>
                                                <thead><tr>
                                                    <th scope="col">"Email"</th>
                                                    <th scope="col">"Role"</th>
                                                    <th scope="col">"Invited by"</th>
                                                    <th scope="col">"Expires"</th>
                                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                                </tr></thead>
                                                <tbody>
                                                    {invites.into_iter().map(|invite| view! { <InviteLine invite manage reload /> }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Dialog open=invite_open title="Invite admin" testid="invite-admin">
            {move || invite_open.get().then(|| view! { <InviteAdmin open=invite_open reload /> })}
        </Dialog>
    }
    .into_any()
}

#[component]
fn MemberLine(
    member: TeamMember,
    manage: bool,
    last_owner: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let can_write = use_can_write();
    let is_owner = manage;
    let manage = move || is_owner && can_write.get();
    let role = member.role;
    let admin_id = StoredValue::new(member.admin_id.clone());
    let email = StoredValue::new(member.email.clone());
    let confirming = RwSignal::new(false);
    let changing = use_operation(
        move |(account, id, role): (String, String, AccountRole)| async move {
            change_admin_role(account, id, role).await?;
            toasts.success(format!(
                "{} is now {}.",
                email.get_value(),
                role.label().to_lowercase()
            ));
            reload.run(());
            Ok(())
        },
    );
    let removing = use_operation(move |(account, id): (String, String)| async move {
        remove_admin(account, id).await?;
        toasts.success(format!("{} was removed from the team.", email.get_value()));
        reload.run(());
        Ok(())
    });
    // The last owner's role and removal are locked; the server refuses them too.
    let locked = role == AccountRole::Owner && last_owner;
    let on_role = move |ev: leptos::ev::Event| {
        if let Some(new_role) = AccountRole::parse(&event_target_value(&ev)) {
            changing.submit((
                env.with_untracked(|e| e.account.clone()),
                admin_id.get_value(),
                new_role,
            ));
        }
    };
    let remove = move |_| {
        removing.submit((
            env.with_untracked(|e| e.account.clone()),
            admin_id.get_value(),
        ));
    };
    let name = format!("{} {}", member.first_name, member.last_name);
    let select_id = format!("role-{}", member.admin_id);
    let label = format!("Role of {}", member.email);
    let lock_hint = move || {
        if !can_write.get() {
            Some(READ_ONLY_HINT)
        } else if !is_owner {
            Some(OWNERS_ONLY)
        } else if locked {
            Some("An account needs at least one owner. Make another admin an owner first.")
        } else {
            None
        }
    };
    view! {
        <tr data-testid="team-member" data-email=member.email.clone()>
            <td>{name}{member.is_you.then(|| view! { " " <span class="pill">"You"</span> })}</td>
            <td>{member.email.clone()}</td>
            <td>
                <label for=select_id.clone() class="visually-hidden">{label}</label>
                <select id=select_id on:change=on_role data-testid="member-role"
                    disabled=move || !manage() || locked || changing.busy().get()
                    title=lock_hint>
                    {AccountRole::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=r == role>{r.label()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td>
                <span class=if member.status == "active" { "pill status-active" } else { "pill status-expired" }>
                    {if member.status == "active" { "Active" } else { "Inactive" }}
                </span>
                {(!member.email_verified).then(|| view! { " " <span class="pill status-scheduled">"Email unverified"</span> })}
            </td>
            <td>{member.last_sign_in_at.as_deref().map(short_time).unwrap_or_else(|| "Never".to_owned())}</td>
            <td class="row-actions">
                {move || if confirming.get() {
                    view! {
                        <span role="group" aria-label="Confirm removal">
                            <button type="button" class="btn btn-danger btn-small" on:click=remove disabled=move || removing.busy().get() data-testid="confirm-remove-member">"Remove"</button>
                            " "
                            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-secondary btn-small danger" on:click=move |_| confirming.set(true)
                            disabled=move || !manage() || locked title=lock_hint data-testid="remove-member">"Remove…"</button>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

#[component]
fn InviteLine(invite: AdminInvite, manage: bool, reload: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let can_write = use_can_write();
    let manage = move || manage && can_write.get();
    let id = StoredValue::new(invite.id.clone());
    let resending = use_operation(move |(account, id): (String, String)| async move {
        let message = resend_admin_invite(account, id).await?;
        toasts.success(message);
        reload.run(());
        Ok(())
    });
    let revoking = use_operation(move |(account, id): (String, String)| async move {
        revoke_admin_invite(account, id).await?;
        toasts.success("Invite revoked. Its link no longer works.");
        reload.run(());
        Ok(())
    });
    let hint = move || {
        (!manage()).then_some(if can_write.get() {
            OWNERS_ONLY
        } else {
            READ_ONLY_HINT
        })
    };
    let account = move || env.with_untracked(|e| e.account.clone());
    let expired = invite.status == InviteStatus::Expired;
    view! {
        <tr data-testid="admin-invite" data-email=invite.email.clone()>
            <td>{invite.email.clone()}</td>
            <td>{invite.role.label()}</td>
            <td>{invite.invited_by.clone()}</td>
            <td>
                {if expired {
                    view! { <span class="pill status-expired">"Expired"</span> }.into_any()
                } else {
                    short_time(&invite.expires_at).into_any()
                }}
            </td>
            <td class="row-actions">
                <button type="button" class="btn btn-secondary btn-small" title=hint
                    disabled=move || !manage() || resending.busy().get()
                    on:click=move |_| resending.submit((account(), id.get_value()))
                    data-testid="resend-admin-invite">"Resend"</button>
                " "
                <button type="button" class="btn btn-secondary btn-small danger" title=hint
                    disabled=move || !manage() || revoking.busy().get()
                    on:click=move |_| revoking.submit((account(), id.get_value()))
                    data-testid="revoke-admin-invite">"Revoke"</button>
            </td>
        </tr>
    }
}

#[component]
fn InviteAdmin(open: RwSignal<bool>, reload: Callback<()>) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let toasts = use_toasts();
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(AccountRole::Admin);
    let form = move || AdminInviteForm {
        email: email.get(),
        role: role.get(),
    };
    let submission = use_form(
        move |(account, form): (String, AdminInviteForm)| async move {
            let invite = invite_admin(account, form).await?;
            toasts.success(format!("Invite sent to {}.", invite.email));
            open.set(false);
            reload.run(());
            Ok(())
        },
    );
    let busy = submission.busy();
    let blur = Callback::new(move |_| submission.touch());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        if form().validate().is_err() {
            return;
        }
        submission.submit((env.with_untracked(|e| e.account.clone()), form()));
    };
    view! {
        <form on:submit=submit novalidate data-testid="invite-admin-form">
            <FormAlert error=submission.general_error() />
            <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email
                error=submission.error_for("email", move |f| form().field_error(f)) on_blur=blur autofocus=true />
            <fieldset class="field">
                <legend>"Role"</legend>
                {AccountRole::ALL.into_iter().map(|r| view! {
                    <label class="radio">
                        <input type="radio" name="role" value=r.as_str() checked=move || role.get() == r
                            on:change=move |_| role.set(r) data-testid=format!("invite-role-{}", r.as_str()) />
                        " " <strong>{r.label()}</strong> " — " {r.summary()}
                    </label>
                }).collect_view()}
            </fieldset>
            <p class="field-hint">"They get an email with a link that works once, for 7 days."</p>
            <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="send-admin-invite">
                    {move || if busy.get() { "Sending…" } else { "Send invite" }}
                </button>
            </div>
        </form>
    }
}
