//! Integration tests: the real server on a random port, real HTTP, a fresh real database per
//! test — every test runs once on SQLite and once on PostgreSQL. One binary keeps linking fast.

mod support;

mod access_journal;
mod admin_security;
mod api;
mod api_catalog;
mod applications;
mod assignments;
mod audit_log;
mod backup;
mod bulk_writes;
mod caller;
mod catalog;
mod cli;
mod directory;
mod directory_paging;
mod dry_run;
mod edges;
mod evaluation_property;
mod hierarchy;
mod idempotency;
mod identities;
mod identity_auth;
mod invites;
mod isolation;
mod list_bounds;
mod mail;
mod openapi;
mod platform;
mod routing;
mod scale_out;
mod sessions;
mod shared_limits;
mod signup;
mod team;
