//! Reusable UI pieces.

pub mod badge;
pub mod dialog;
pub mod field;
pub mod layout;
pub mod states;
pub mod toast;
pub mod workspace_switcher;
