//! The `x-request-id` of the request being served, for code far from the HTTP layer: an
//! unexpected failure quotes it as its reference (`AppError::internal`), so the answer, the
//! request's log lines and the error's log line share one id. The server's request-id layer sets
//! it around each request (`scope`); work spawned onto other tasks does not see it and falls back
//! to a fresh reference.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The current request's id, if this task serves one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Whether a client-sent `x-request-id` is kept: 1–128 characters of `A–Z a–z 0–9 - _ . :` (no
/// spaces or control characters, nothing that could forge a log line); anything else is replaced.
pub fn is_well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_seen_inside_its_scope_only() {
        assert_eq!(current(), None);
        let seen = scope("req-1".into(), async { current() }).await;
        assert_eq!(seen.as_deref(), Some("req-1"));
        assert!(is_well_formed("0192f3a4-7b1c-7def-8000-1234567890ab"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("a b"));
        assert!(!is_well_formed("x\ny"));
        assert!(!is_well_formed(&"a".repeat(129)));
    }
}
