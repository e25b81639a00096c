//! Account-tier pages.

pub mod applications;
pub mod directory;
pub mod mailbox;
pub mod team;
