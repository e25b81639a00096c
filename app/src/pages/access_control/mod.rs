//! Environment-scoped pages: they re-scope when the workspace switcher changes.

pub mod hierarchy;
pub mod identities;
pub mod identities_bulk;
pub mod invites;
pub mod node_detail;
pub mod overview;
pub mod permissions;
pub mod roles;
