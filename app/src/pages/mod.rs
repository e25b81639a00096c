//! One module per page.

pub mod accept_admin_invite;
pub mod accept_invite;
pub mod access_control;
pub mod admin_account;
pub mod csv_import;
pub mod home;
pub mod identity;
pub mod integrations;
pub mod not_found;
pub mod profile;
pub mod signin;
pub mod signup;
pub mod tenant;
