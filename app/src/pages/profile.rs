//! The signed-in admin's own account, reached from the header's admin menu: Profile (email
//! confirmation, change password) and Sessions (where the admin is signed in; sign out one or
//! every other). These act on the admin, not on the Account, so every role — viewers included —
//! may use them.

use crate::components::field::TextField;
use crate::components::form::{FormAlert, use_form, use_operation};
use crate::components::identity_assignments::short_time;
use crate::components::states::{ErrorPanel, Loading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{AdminPasswordChangeForm, AdminSession, EnvPath, Workspace};
use crate::pages::signup::focus_field;
use crate::server::admin_security::{
    admin_sessions, change_admin_password, end_admin_session, end_other_admin_sessions,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The two tabs of the profile.
#[component]
fn ProfileTabs(current: &'static str) -> impl IntoView {
    let env = expect_context::<Memo<EnvPath>>();
    let tab = move |page: &'static str, label: &'static str| {
        let here = page == current;
        view! {
            <A href=move || env.with(|e| e.href(page)) attr:class=if here { "tab active" } else { "tab" }
                attr:aria-current=here.then_some("page") attr:data-testid=format!("tab-{page}").replace('/', "-")>{label}</A>
        }
    };
    view! {
        <nav class="tabs" aria-label="Your account">
            {tab("profile", "Profile")}
            {tab("profile/sessions", "Sessions")}
        </nav>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let workspace = use_context::<Resource<Result<Workspace, AppError>>>();
    view! {
        <Title text="Your profile" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Your account"</p>
                <h1>"Profile"</h1>
                <p class="muted">"Your sign-in details. They are yours alone, whichever account you work in."</p>
            </div>
        </div>
        <ProfileTabs current="profile" />
        <section class="card" aria-labelledby="profile-details-title" data-testid="profile-details">
            <h2 id="profile-details-title">"Details"</h2>
            <Suspense fallback=|| view! { <Loading label="Loading your profile…" /> }>
            {move || Suspend::new(async move {
                let Some(workspace) = workspace else {
                    return ().into_any();
                };
                match workspace.await {
                Ok(Workspace { admin, email_verified: verified, .. }) => view! {
                    <dl class="detail-list">
                        <div><dt>"Name"</dt><dd>{format!("{} {}", admin.first_name, admin.last_name)}</dd></div>
                        <div>
                            <dt>"Email"</dt>
                            <dd>
                                {admin.email.clone()} " "
                                {if verified {
                                    view! { <span class="pill status-active" data-testid="email-verified">"Confirmed"</span> }.into_any()
                                } else {
                                    view! { <span class="pill status-scheduled" data-testid="email-unverified">"Not confirmed"</span> }.into_any()
                                }}
                            </dd>
                        </div>
                    </dl>
                }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
            </Suspense>
        </section>
        <ChangePassword />
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let toasts = use_toasts();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let submission = use_form(move |form: AdminPasswordChangeForm| async move {
        let answer = change_admin_password(form).await;
        match answer {
            Ok(message) => {
                current.set(String::new());
                new.set(String::new());
                toasts.success(message.message);
                Ok(())
            }
            Err(error) => {
                current.set(String::new());
                focus_field(Some("current_password"));
                Err(error)
            }
        }
    });
    let form = Memo::new(move |_| AdminPasswordChangeForm {
        current_password: current.get(),
        new_password: new.get(),
    });
    let error_for =
        move |field: &'static str| submission.error_for(field, move |f| form.get().field_error(f));
    let busy = submission.busy();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.touch();
        let submitted = form.get_untracked();
        if let Err(errors) = submitted.validate() {
            focus_field(errors.first().map(|e| e.field.as_str()));
            return;
        }
        submission.submit(submitted);
    };
    view! {
        <section class="card" aria-labelledby="password-title" data-testid="change-password">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted">"8 to 128 characters; a common password is refused. Your other sessions are signed out; this one stays."</p>
            <FormAlert error=submission.general_error() testid="form-error" />
            <form on:submit=on_submit novalidate class="narrow-form">
                <TextField name="current_password" label="Current password" input_type="password" value=current error=error_for("current_password") on_blur=Callback::new(move |_| submission.touch()) autocomplete="current-password" revealable=true />
                <TextField name="new_password" label="New password" input_type="password" value=new error=error_for("new_password") on_blur=Callback::new(move |_| submission.touch()) autocomplete="new-password" revealable=true />
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() data-testid="submit-password">
                    {move || if busy.get() { "Saving…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let sessions = Resource::new(move || version.get(), |_| admin_sessions());
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let ending_others = use_operation(move |()| async move {
        let ended = end_other_admin_sessions().await?;
        toasts.success(match ended {
            0 => "There were no other sessions.".to_owned(),
            1 => "1 other session was signed out.".to_owned(),
            n => format!("{n} other sessions were signed out."),
        });
        reload.run(());
        Ok(())
    });
    let busy = ending_others.busy();
    view! {
        <Title text="Your sessions" />
        <div class="page-header">
            <div>
                <p class="eyebrow">"Your account"</p>
                <h1>"Sessions"</h1>
                <p class="muted">"Where you are signed in. Sign out a device you do not recognise, then change your password."</p>
            </div>
            <div class="page-actions">
                <button class="btn btn-secondary" disabled=move || busy.get()
                    on:click=move |_| ending_others.submit(()) data-testid="end-other-sessions">"Sign out all other sessions"</button>
            </div>
        </div>
        <ProfileTabs current="profile/sessions" />
        <Transition fallback=|| view! { <Loading label="Loading your sessions…" /> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table data-testid="admin-sessions">
                                <caption class="visually-hidden">"Your active sessions"</caption>
                                <thead><tr>
                                    <th scope="col">"Device"</th>
                                    <th scope="col">"IP address"</th>
                                    <th scope="col">"Signed in"</th>
                                    <th scope="col">"Last seen"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|session| view! { <SessionLine session reload /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SessionLine(session: AdminSession, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let id = StoredValue::new(session.id.clone());
    let current = session.current;
    let ending = use_operation(move |id: String| async move {
        end_admin_session(id).await?;
        if current {
            // This browser's own session: nothing here works any more.
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href("/signin");
            }
        } else {
            toasts.success("The session was signed out.");
            reload.run(());
        }
        Ok(())
    });
    let busy = ending.busy();
    let device = session.device.clone();
    view! {
        <tr data-testid="admin-session" data-current=current.to_string()>
            <td>
                {session.device.clone()}
                {current.then(|| view! { " " <span class="pill status-active" data-testid="this-device">"This device"</span> })}
            </td>
            <td>{session.ip.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td>{short_time(&session.created_at)}</td>
            <td>{short_time(&session.last_seen_at)}</td>
            <td class="actions">
                <button class="btn btn-ghost btn-small" disabled=move || busy.get()
                    aria-label=format!("Sign out {device}{}", if current { " (this device)" } else { "" })
                    on:click=move |_| ending.submit(id.get_value()) data-testid="end-session">"Sign out"</button>
            </td>
        </tr>
    }
}
