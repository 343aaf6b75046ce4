//! What an operator runs the server with, besides the API: whether it takes
//! requests (readiness), who may read `/metrics` and where, and the metrics
//! themselves.

use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::metrics::Metrics;

pub struct Ops {
    pub metrics: Metrics,
    /// Cleared when the server starts draining (SIGTERM).
    taking_requests: AtomicBool,
    /// SHA-256 of the bearer token `/metrics` asks for, when one was given.
    metrics_token: Option<[u8; 32]>,
    /// Whether `/metrics` is served on the main address (false when it has
    /// an address of its own).
    metrics_on_main: bool,
}

impl Default for Ops {
    fn default() -> Self {
        Self {
            metrics: Metrics::new(),
            taking_requests: AtomicBool::new(true),
            metrics_token: None,
            metrics_on_main: true,
        }
    }
}

impl Ops {
    /// `/metrics` asks for this bearer token (an empty one asks for none).
    pub fn with_metrics_token(mut self, token: Option<&str>) -> Self {
        self.metrics_token = token
            .filter(|token| !token.is_empty())
            .map(|token| Sha256::digest(token.as_bytes()).into());
        self
    }

    /// `/metrics` is served on an address of its own, not the main one.
    pub fn with_metrics_elsewhere(mut self) -> Self {
        self.metrics_on_main = false;
        self
    }

    pub fn metrics_on_main(&self) -> bool {
        self.metrics_on_main
    }

    /// Whether `authorization` (the header's value) carries the metrics
    /// token; always true when none is asked for. Compares digests, so the
    /// time taken says nothing about the token.
    pub fn metrics_allowed(&self, authorization: Option<&str>) -> bool {
        let Some(expected) = &self.metrics_token else {
            return true;
        };
        let Some(given) = authorization.and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        }) else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        given
            .iter()
            .zip(expected)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
    }

    /// From now on readiness answers 503, so load balancers stop sending
    /// requests here (the server is shutting down).
    pub fn stop_taking_requests(&self) {
        self.taking_requests.store(false, Ordering::SeqCst);
    }

    pub fn taking_requests(&self) -> bool {
        self.taking_requests.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_token_is_asked_for_only_when_set() {
        let open = Ops::default();
        assert!(open.metrics_allowed(None));
        let empty = Ops::default().with_metrics_token(Some(""));
        assert!(empty.metrics_allowed(None));
        let closed = Ops::default().with_metrics_token(Some("s3cret"));
        assert!(!closed.metrics_allowed(None));
        assert!(!closed.metrics_allowed(Some("Bearer wrong")));
        assert!(!closed.metrics_allowed(Some("s3cret")));
        assert!(!closed.metrics_allowed(Some("Basic s3cret")));
        assert!(closed.metrics_allowed(Some("Bearer s3cret")));
    }

    #[test]
    fn draining_stops_readiness() {
        let ops = Ops::default();
        assert!(ops.taking_requests());
        ops.stop_taking_requests();
        assert!(!ops.taking_requests());
    }
}
