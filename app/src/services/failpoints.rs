//! Named fault-injection points, armed only by in-process tests, to prove that a failure half-way
//! through a write leaves nothing behind (or, paused, what a request cut off half-way leaves).
//! Nothing outside the process can arm one.

use crate::error::AppError;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct FailPoints(Arc<Mutex<HashSet<&'static str>>>);

impl FailPoints {
    pub fn arm(&self, name: &'static str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name);
    }

    pub fn disarm(&self, name: &'static str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }

    pub fn armed(&self, name: &'static str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(name)
    }

    /// Fails with an internal error when `name` is armed.
    pub fn check(&self, name: &'static str) -> Result<(), AppError> {
        if self.armed(name) {
            return Err(AppError::internal("failpoint", name));
        }
        Ok(())
    }

    /// Waits while `name` is armed: a test holds a request at this point until it disarms it.
    pub async fn pause(&self, name: &'static str) {
        while self.armed(name) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
