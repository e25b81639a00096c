//! Reusable UI pieces.

pub mod badge;
pub mod browser;
pub mod deep_link;
pub mod dialog;
pub mod env_resource;
pub mod field;
pub mod form;
pub mod identity_assignments;
pub mod initial_password;
pub mod layout;
pub mod password_check;
pub mod role_node_picker;
pub mod scope;
pub mod setup_guide;
pub mod stat;
pub mod states;
pub mod toast;
pub mod workspace_switcher;
pub mod write_access;
