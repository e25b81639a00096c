//! Account-tier pages.

pub mod applications;
pub mod audit_log;
pub mod directory;
pub mod mailbox;
pub mod team;
