//! Failed log-ins are limited per user name and per client address, so
//! passwords cannot be guessed at speed. Failures are kept in the database
//! ([`crate::store::login_failures`]), so every replica counts them together
//! and a restart forgets nothing.
//!
//! A failure is only recorded once its password was checked, so attempts
//! checked at the same time could all pass the count and overshoot the limit
//! (35 wrong passwords from one address got checked where 20 are allowed,
//! with 16 connections). [`admit`] closes that: in this process, no more
//! attempts per user name or address are checked at once than the failures
//! that key has left; the others wait for one to finish and count again.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::{db::Db, error::AppError, store::login_failures};

/// Failures allowed per user name within the window.
pub const PER_USER: usize = 5;
/// Failures allowed per client address within the window (many user names).
pub const PER_ADDRESS: usize = 20;
/// The window, in seconds.
pub const WINDOW: i64 = 15 * 60;

/// Record a failed log-in of `username` from `address` (inside the write
/// transaction that also audits it).
pub fn record_failure(
    tx: crate::store::Conn<'_>,
    username: &str,
    address: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    for (key, _) in keys(username, address) {
        login_failures::record(tx, &key, now, now - WINDOW)?;
    }
    Ok(())
}

/// A successful log-in forgets the user name's failures, not the address's
/// (inside the write transaction that starts the session).
pub fn record_success(tx: crate::store::Conn<'_>, username: &str) -> Result<(), AppError> {
    login_failures::clear(tx, &user_key(username))
}

/// Seconds to wait given the failure times (oldest first) inside the window.
/// Log-in attempts being checked in this process, per key.
#[derive(Default)]
pub struct InFlight {
    counts: Mutex<HashMap<String, usize>>,
    released: tokio::sync::Notify,
}

impl InFlight {
    /// Take one place under every key, if each has room below its budget.
    fn try_enter(&self, budget: &[(String, usize)]) -> bool {
        let Ok(mut counts) = self.counts.lock() else {
            return false;
        };
        if budget
            .iter()
            .any(|(key, left)| counts.get(key).copied().unwrap_or(0) >= *left)
        {
            return false;
        }
        for (key, _) in budget {
            *counts.entry(key.clone()).or_default() += 1;
        }
        true
    }

    /// Whether the attempts in flight (ours among them) fit this budget.
    fn fits(&self, budget: &[(String, usize)]) -> bool {
        self.counts.lock().is_ok_and(|counts| {
            budget
                .iter()
                .all(|(key, left)| counts.get(key).copied().unwrap_or(0) <= *left)
        })
    }

    fn leave(&self, keys: &[(String, usize)]) {
        if let Ok(mut counts) = self.counts.lock() {
            for (key, _) in keys {
                if let Some(count) = counts.get_mut(key) {
                    *count -= 1;
                    if *count == 0 {
                        counts.remove(key);
                    }
                }
            }
        }
        self.released.notify_waiters();
    }
}

/// An attempt admitted by [`admit`]: its place is given back when dropped
/// (after its failure, if any, was recorded).
pub struct Admitted {
    in_flight: Arc<InFlight>,
    keys: Vec<(String, usize)>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.in_flight.leave(&self.keys);
    }
}

/// Admit one log-in attempt: `TooManyAttempts` when the user name or the
/// address is locked out, else a place held while its password is checked.
/// Past `patience` waiting for a place, `Busy`.
pub async fn admit(
    db: &Db,
    in_flight: &Arc<InFlight>,
    username: &str,
    address: Option<&str>,
    now: i64,
    patience: Duration,
) -> Result<Admitted, AppError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut left = budget(db, username, address, now).await?;
    loop {
        let released = in_flight.released.notified();
        let mut released = std::pin::pin!(released);
        released.as_mut().enable();
        if in_flight.try_enter(&left) {
            let admitted = Admitted {
                in_flight: in_flight.clone(),
                keys: left.clone(),
            };
            // Failures recorded meanwhile (here or by another replica)
            // shrink the budget: count again with our place taken.
            left = budget(db, username, address, now).await?;
            if in_flight.fits(&left) {
                return Ok(admitted);
            }
            drop(admitted);
            continue;
        }
        if tokio::time::timeout_at(deadline, released).await.is_err() {
            let retry_after = patience.as_secs().max(1);
            return Err(AppError::Busy {
                retry_after,
                message: format!(
                    "Too many log-ins for this user name or address are being checked at once. Try again in {retry_after} second{}.",
                    if retry_after == 1 { "" } else { "s" }
                ),
            });
        }
        left = budget(db, username, address, now).await?;
    }
}

/// Failures each key has left (an `Err` when one has none left).
async fn budget(
    db: &Db,
    username: &str,
    address: Option<&str>,
    now: i64,
) -> Result<Vec<(String, usize)>, AppError> {
    let keys = keys(username, address);
    let (wait, left) = db
        .call(move |conn| {
            let mut wait = None;
            let mut left = Vec::new();
            for (key, limit) in keys {
                let times = login_failures::since(conn, &key, now - WINDOW)?;
                wait = wait.max(wait_for(&times, limit, now));
                left.push((key, limit.saturating_sub(times.len())));
            }
            Ok((wait, left))
        })
        .await?;
    match wait {
        Some(wait) => Err(locked_out(wait)),
        None => Ok(left),
    }
}

/// The 429 for a lock-out that ends in `wait` seconds.
pub fn locked_out(wait: i64) -> AppError {
    let minutes = (wait + 59) / 60;
    AppError::TooManyAttempts(format!(
        "Too many failed log-ins. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    ))
}

fn wait_for(times: &[i64], limit: usize, now: i64) -> Option<i64> {
    (times.len() >= limit).then(|| times[times.len() - limit] + WINDOW - now)
}

fn user_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

fn keys(username: &str, address: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = vec![(user_key(username), PER_USER)];
    if let Some(address) = address {
        keys.push((format!("address:{address}"), PER_ADDRESS));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_runs_from_the_failure_that_filled_the_limit() {
        assert_eq!(wait_for(&[1_000, 1_001, 1_002, 1_003], 5, 1_005), None);
        assert_eq!(
            wait_for(&[1_000, 1_001, 1_002, 1_003, 1_004], 5, 1_005),
            Some(WINDOW - 5)
        );
        assert_eq!(
            wait_for(&[1_000, 1_001, 1_002, 1_003, 1_004, 1_004], 5, 1_005),
            Some(WINDOW - 4),
            "the sixth failure moves the wait to the second one"
        );
    }

    #[test]
    fn names_are_case_insensitive_and_addresses_are_keys_of_their_own() {
        assert_eq!(
            keys("ALICE", Some("10.0.0.9")),
            vec![
                ("user:alice".to_owned(), PER_USER),
                ("address:10.0.0.9".to_owned(), PER_ADDRESS)
            ]
        );
    }
}
