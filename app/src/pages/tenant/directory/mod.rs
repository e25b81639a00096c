//! Tenant › Identities: the Account directory. Stat cards (each one a filter), search, status and
//! assignment filters, sortable columns, pages, the Account-tier Create Identity dialog, and the
//! identity drawer (`?identity=<id>`): profile, Account-wide status, memberships, assignments in
//! every environment, history.

mod assignments;
mod create;
mod drawer;
mod history;
mod invite;
mod memberships;
mod page;
mod profile;

pub use page::DirectoryPage;
