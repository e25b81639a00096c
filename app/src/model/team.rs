//! The admin team of an Account (Tenant › Team): its members with their roles, the admin invites,
//! and the forms that change them. Invitees follow the sign-up rules (`Email`, `PersonName`,
//! `AdminPassword`), so the accept page, the server function and the service check the same way.

use crate::error::FieldError;
use crate::model::{AccountRole, AdminPassword, Email, InviteStatus, PersonName};
use serde::{Deserialize, Serialize};

/// Days an admin invite link stays valid; a resend starts them over (decisions.md › Team).
pub const ADMIN_INVITE_EXPIRY_DAYS: i64 = 7;

impl AccountRole {
    pub const ALL: [AccountRole; 3] = [AccountRole::Owner, AccountRole::Admin, AccountRole::Viewer];

    pub fn label(self) -> &'static str {
        match self {
            AccountRole::Owner => "Owner",
            AccountRole::Admin => "Admin",
            AccountRole::Viewer => "Viewer",
        }
    }

    /// What the role may do, in one line (the invite dialog and the role picker say it).
    pub fn summary(self) -> &'static str {
        match self {
            AccountRole::Owner => "Everything, including managing the team",
            AccountRole::Admin => "Everything except managing the team",
            AccountRole::Viewer => "Sees every page, changes nothing",
        }
    }

    /// Whether the role may change anything in the dashboard (viewers are read-only).
    pub fn can_write(self) -> bool {
        self != AccountRole::Viewer
    }
}

/// One admin of the Account as Tenant › Team lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub admin_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: AccountRole,
    /// `active` or `inactive` (the admin's own status, across Accounts).
    pub status: String,
    pub email_verified: bool,
    /// RFC 3339; `None` until the admin first signs in.
    pub last_sign_in_at: Option<String>,
    pub joined_at: String,
    /// The signed-in admin's own row.
    pub is_you: bool,
}

/// A pending (or run-out, not yet replaced) admin invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInvite {
    pub id: String,
    pub email: String,
    pub role: AccountRole,
    pub status: InviteStatus,
    pub invited_by: String,
    pub expires_at: String,
    pub created_at: String,
}

/// Tenant › Team: members, open invites, and whether the caller may manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<TeamMember>,
    pub invites: Vec<AdminInvite>,
    pub can_manage: bool,
}

/// Invite admin: an email and the role the invitee gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInviteForm {
    pub email: String,
    pub role: AccountRole,
}

impl Default for AdminInviteForm {
    fn default() -> Self {
        AdminInviteForm {
            email: String::new(),
            role: AccountRole::Admin,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ValidAdminInvite {
    pub email: Email,
    pub role: AccountRole,
}

impl AdminInviteForm {
    pub fn field_error(&self, field: &str) -> Option<FieldError> {
        match field {
            "email" => Email::parse(field, &self.email).err(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<ValidAdminInvite, Vec<FieldError>> {
        let email = Email::parse("email", &self.email).map_err(|e| vec![e])?;
        Ok(ValidAdminInvite {
            email,
            role: self.role,
        })
    }
}

/// What the accept page shows before anything is spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInviteInfo {
    pub email: String,
    pub role: AccountRole,
    pub account_name: String,
    pub inviter_email: String,
    /// The email already belongs to an admin (of another Account): accepting asks for that
    /// admin's password and adds the membership; otherwise it creates the admin.
    pub existing_admin: bool,
}

/// The accept page's form: names and a new password for a new admin, the current password for an
/// existing one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptAdminInviteForm {
    pub token: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub password: String,
}

impl std::fmt::Debug for AcceptAdminInviteForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptAdminInviteForm")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish_non_exhaustive()
    }
}

/// A new admin's names and password, as valid values.
pub struct NewAdminAcceptance {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub password: AdminPassword,
}

impl AcceptAdminInviteForm {
    /// The rule of one field; `existing` = the invitee is an admin already (only a password,
    /// checked against the stored one, is asked).
    pub fn field_error(&self, existing: bool, field: &str) -> Option<FieldError> {
        match (existing, field) {
            (true, "password") if self.password.is_empty() => Some(FieldError::new(
                "password",
                "required",
                "Enter your current password.",
            )),
            (true, _) => None,
            (false, "first_name") => {
                PersonName::parse(field, &self.first_name, "your first name").err()
            }
            (false, "last_name") => {
                PersonName::parse(field, &self.last_name, "your last name").err()
            }
            (false, "password") => AdminPassword::parse(field, &self.password).err(),
            _ => None,
        }
    }

    pub fn check(&self, existing: bool) -> Result<(), Vec<FieldError>> {
        let errors: Vec<FieldError> = ["first_name", "last_name", "password"]
            .into_iter()
            .filter_map(|f| self.field_error(existing, f))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    pub fn validate_new(&self) -> Result<NewAdminAcceptance, Vec<FieldError>> {
        self.check(false)?;
        match (
            PersonName::parse("first_name", &self.first_name, "your first name"),
            PersonName::parse("last_name", &self.last_name, "your last name"),
            AdminPassword::parse("password", &self.password),
        ) {
            (Ok(first_name), Ok(last_name), Ok(password)) => Ok(NewAdminAcceptance {
                first_name,
                last_name,
                password,
            }),
            (first, last, password) => Err([first.err(), last.err(), password.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Accepted: the admin is signed in; the page goes on to the Account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedAdminInvite {
    pub message: String,
    /// Where to continue: the Account's first application (`/account/app/env/overview`).
    pub next: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_admin_needs_names_and_a_strong_password_an_existing_one_only_a_password() {
        let form = AcceptAdminInviteForm {
            token: "t".into(),
            first_name: String::new(),
            last_name: "Lee".into(),
            password: "short".into(),
        };
        let fields: Vec<String> = form
            .check(false)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["first_name", "password"]);
        assert!(form.check(true).is_ok());
        let empty = AcceptAdminInviteForm {
            password: String::new(),
            ..form
        };
        assert!(empty.check(true).is_err());
    }

    #[test]
    fn only_viewers_are_read_only() {
        assert!(AccountRole::Owner.can_write());
        assert!(AccountRole::Admin.can_write());
        assert!(!AccountRole::Viewer.can_write());
    }
}
