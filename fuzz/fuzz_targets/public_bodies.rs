//! What a caller with neither key nor session can send, on arbitrary input: the bodies of the
//! public identity API (`/v1/identity/auth/…`) and of the invite acceptance, and the arguments of
//! every server function open without a session (sign-up, sign-in, forgot, reset, verify, the
//! link previews, invite acceptance, for identities and admins; `team.rs`' `PUBLIC` list). The
//! first byte picks the body type, the rest is the body. Each is decoded as its handler decodes
//! it (`serde_json`, as the JSON extractor and the server functions' `Json` codec do), then
//! validated by the model's own functions, as the handler and its service do before the
//! database; every refusal becomes the `AppError` the client is answered with. Nothing may panic;
//! what validates keeps the documented limits; a form with a redacting `Debug` never shows a
//! password or token in it. (A token is only trimmed and hashed by its service; the fuzz build
//! has the browser's feature set, so the server-only common-password list is not part of it.)

#![no_main]

use app::model::{Email, InviteIntent};
use libfuzzer_sys::fuzz_target;

mod bodies;
use bodies::{decode, refuse};

/// A form that promises to keep its secrets out of logs: its `Debug` text must not depend on them
/// (`blanked` is the same form with every password and token emptied).
fn hides<T: std::fmt::Debug>(form: &T, blanked: &T) {
    assert_eq!(
        format!("{form:?}"),
        format!("{blanked:?}"),
        "a secret reaches Debug"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 29 {
        // ── The identity API and the invite acceptance (no key, no session) ──
        0 => {
            if let Some(form) = decode::<app::model::IdentityLoginForm>(body) {
                let blanked = app::model::IdentityLoginForm {
                    password: String::new(),
                    ..form.clone()
                };
                hides(&form, &blanked);
                if let Err(errors) = form.validate() {
                    refuse(errors);
                }
            }
        }
        1 => {
            if let Some(form) = decode::<app::model::SelectApplicationForm>(body) {
                let _ = form.account_id.as_deref().map(str::trim);
            }
        }
        2 => {
            if let Some(form) = decode::<app::model::ChangePasswordForm>(body) {
                hides(&form, &app::model::ChangePasswordForm::default());
                if let Err(errors) = form.validate() {
                    refuse(errors);
                }
            }
        }
        3 => {
            if let Some(form) = decode::<app::model::AccountEmailForm>(body)
                && let Err(errors) = form.validate()
            {
                refuse(errors);
            }
        }
        4 => {
            if let Some(form) = decode::<app::model::ResetPasswordForm>(body) {
                hides(&form, &app::model::ResetPasswordForm::default());
                if let Err(errors) = form.validate() {
                    refuse(errors);
                }
            }
        }
        5 => {
            if let Some(form) = decode::<app::model::TokenForm>(body) {
                hides(&form, &app::model::TokenForm::default());
            }
        }
        6 => {
            if let Some(form) = decode::<app::model::InviteToken>(body) {
                let _ = form.token.trim();
            }
        }
        7 => {
            if let Some(form) = decode::<app::model::AcceptInviteForm>(body) {
                let blanked = app::model::AcceptInviteForm {
                    token: String::new(),
                    password: String::new(),
                    ..form.clone()
                };
                hides(&form, &blanked);
                for intent in [
                    InviteIntent::Activate,
                    InviteIntent::AddToApp,
                    InviteIntent::PasswordReset,
                ] {
                    if let Err(errors) = form.validate(intent) {
                        refuse(errors);
                    }
                }
            }
        }
        // ── Server functions open without a session (their argument structs) ──
        8 => {
            if let Some(args) = decode::<app::server::auth::SignUp>(body) {
                match args.form.validate() {
                    Ok(valid) => {
                        assert!(valid.email.as_str().chars().count() <= Email::MAX_LEN);
                    }
                    Err(errors) => refuse(errors),
                }
            }
        }
        9 => {
            if let Some(args) = decode::<app::server::auth::SignIn>(body)
                && let Err(errors) = args.form.validate()
            {
                refuse(errors);
            }
        }
        10 => {
            // The list is server only; the argument is a plain string.
            if let Some(args) = decode::<app::server::passwords::PasswordTooCommon>(body) {
                let _ = args.password.len();
            }
        }
        11 => {
            if let Some(args) = decode::<app::server::identity_auth::IdentitySignIn>(body)
                && let Err(errors) = args.form.validate()
            {
                refuse(errors);
            }
        }
        12 => {
            if let Some(args) =
                decode::<app::server::identity_auth::IdentitySelectApplication>(body)
            {
                let _ = args.selection_token.trim();
            }
        }
        13 => {
            if let Some(args) = decode::<app::server::identity_auth::IdentitySignOut>(body) {
                let _ = args.access_token.trim();
            }
        }
        14 => {
            if let Some(args) = decode::<app::server::identity_auth::IdentityForgotPassword>(body)
                && let Err(errors) = args.form.validate()
            {
                refuse(errors);
            }
        }
        15 => {
            if let Some(args) = decode::<app::server::identity_auth::ResetLinkPreview>(body) {
                let _ = args.token.trim();
            }
        }
        16 => {
            if let Some(args) = decode::<app::server::identity_auth::VerificationLinkPreview>(body)
            {
                let _ = args.token.trim();
            }
        }
        17 => {
            if let Some(args) = decode::<app::server::identity_auth::IdentityResetPassword>(body) {
                let _ = args.form.token.trim();
                if let Err(errors) = args.form.validate() {
                    refuse(errors);
                }
            }
        }
        18 => {
            if let Some(args) = decode::<app::server::identity_auth::IdentityVerifyEmail>(body) {
                let _ = args.token.trim();
            }
        }
        19 => {
            if let Some(args) = decode::<app::server::invites::LoadInviteInfo>(body) {
                let _ = args.token.trim();
            }
        }
        20 => {
            if let Some(args) = decode::<app::server::invites::AcceptInvite>(body) {
                let _ = args.form.token.trim();
                if let Err(errors) = args.form.validate(InviteIntent::Activate) {
                    refuse(errors);
                }
            }
        }
        21 => {
            if let Some(args) = decode::<app::server::team::LoadAdminInviteInfo>(body) {
                let _ = args.token.trim();
            }
        }
        22 => {
            if let Some(args) = decode::<app::server::team::AcceptAdminInvite>(body) {
                let blanked = app::model::AcceptAdminInviteForm {
                    token: String::new(),
                    password: String::new(),
                    ..args.form.clone()
                };
                hides(&args.form, &blanked);
                for existing in [true, false] {
                    if let Err(errors) = args.form.check(existing) {
                        refuse(errors);
                    }
                }
                if let Err(errors) = args.form.validate_new() {
                    refuse(errors);
                }
            }
        }
        23 => {
            if let Some(args) = decode::<app::server::admin_security::AdminForgotPassword>(body)
                && let Err(errors) = args.form.validate()
            {
                refuse(errors);
            }
        }
        24 => {
            if let Some(args) = decode::<app::server::admin_security::AdminResetLinkPreview>(body) {
                let _ = args.token.trim();
            }
        }
        25 => {
            if let Some(args) =
                decode::<app::server::admin_security::AdminVerificationLinkPreview>(body)
            {
                let _ = args.token.trim();
            }
        }
        26 => {
            if let Some(args) = decode::<app::server::admin_security::AdminResetPassword>(body) {
                hides(&args.form, &app::model::AdminResetForm::default());
                if let Err(errors) = args.form.validate() {
                    refuse(errors);
                }
            }
        }
        27 => {
            if let Some(args) = decode::<app::server::admin_security::VerifyAdminEmail>(body) {
                let _ = args.token.trim();
            }
        }
        _ => {
            // The sign-up's account and application names become slugs.
            if let Some(args) = decode::<app::server::auth::SignUp>(body)
                && let Ok(valid) = args.form.validate()
            {
                for name in [valid.account_name.as_str(), valid.application_name.as_str()] {
                    let slug = app::model::Slug::derive(name, "account");
                    assert!(app::model::Slug::parse(slug.as_str()).is_some(), "{slug}");
                }
            }
        }
    }
});
