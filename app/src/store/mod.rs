//! SQL, one module per table group. One dialect serves SQLite and PostgreSQL (`$n` placeholders,
//! TEXT ids, BIGINT millisecond times), so no query is ever written twice.

pub mod access;
pub mod accounts;
pub mod admins;
pub mod api_keys;
pub mod applications;
pub mod assignments;
pub mod audit;
pub mod batch;
pub mod catalog;
mod db;
pub mod directory;
pub mod hierarchy;
pub mod idempotency;
pub mod identities;
pub mod identity_sessions;
pub mod invites;
pub mod limits;
pub mod outbox;
pub mod sessions;
pub mod team;
pub mod versioned;
pub mod workspace;

pub(crate) use db::in_list;
pub use db::{Db, Engine, Flag, Tx, from_ms, insert_unique, ms, rfc3339, unless_unique_violation};
pub use db::{rows_per_insert, rows_per_statement, values_list};
