//! Failed log-ins are limited per user name and per client address, so
//! passwords cannot be guessed at speed. Counts live in memory: a restart
//! forgets them, which costs an attacker a restart per handful of guesses.

use std::{collections::HashMap, sync::Mutex};

/// Failures allowed per user name within the window.
pub const PER_USER: usize = 5;
/// Failures allowed per client address within the window (many user names).
pub const PER_ADDRESS: usize = 20;
/// The window, in seconds.
pub const WINDOW: i64 = 15 * 60;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl LoginLimiter {
    /// Seconds until the next attempt is allowed, if the user or address is locked out.
    pub fn locked_for(&self, username: &str, address: Option<&str>, now: i64) -> Option<i64> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in keys(username, address) {
            let times = failures.entry(key).or_default();
            times.retain(|t| now - t < WINDOW);
            if times.len() >= limit {
                let until = times[times.len() - limit] + WINDOW - now;
                wait = Some(wait.map_or(until, |w: i64| w.max(until)));
            }
        }
        wait
    }

    pub fn record_failure(&self, username: &str, address: Option<&str>, now: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in keys(username, address) {
            failures.entry(key).or_default().push(now);
        }
        // Keep the map from growing without bound under a spray of names.
        if failures.len() > 100_000 {
            failures.retain(|_, times| times.iter().any(|t| now - t < WINDOW));
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("user:{}", username.to_lowercase()));
    }
}

fn keys(username: &str, address: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = vec![(format!("user:{}", username.to_lowercase()), PER_USER)];
    if let Some(address) = address {
        keys.push((format!("address:{address}"), PER_ADDRESS));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_a_user_for_the_rest_of_the_window() {
        let limiter = LoginLimiter::default();
        for n in 0..5 {
            assert_eq!(limiter.locked_for("alice", None, 1_000 + n), None);
            limiter.record_failure("alice", None, 1_000 + n);
        }
        assert_eq!(limiter.locked_for("alice", None, 1_005), Some(WINDOW - 5));
        assert_eq!(
            limiter.locked_for("ALICE", None, 1_005),
            Some(WINDOW - 5),
            "names are case-insensitive"
        );
        assert_eq!(limiter.locked_for("bob", None, 1_005), None);
        assert_eq!(
            limiter.locked_for("alice", None, 1_000 + WINDOW),
            None,
            "the oldest failure left the window"
        );
    }

    #[test]
    fn an_address_spraying_names_is_locked_too() {
        let limiter = LoginLimiter::default();
        for n in 0..20 {
            limiter.record_failure(&format!("user{n}"), Some("10.0.0.9"), 100);
        }
        assert!(
            limiter
                .locked_for("someone-new", Some("10.0.0.9"), 101)
                .is_some()
        );
        assert_eq!(
            limiter.locked_for("someone-new", Some("10.0.0.8"), 101),
            None
        );
    }
}
