//! Account-tier pages.

pub mod applications;
