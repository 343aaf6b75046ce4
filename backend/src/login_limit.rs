//! Failed log-ins are limited per user name and per client address, so
//! passwords cannot be guessed at speed. Failures are kept in the database
//! ([`crate::store::login_failures`]), so every replica counts them together
//! and a restart forgets nothing.

use crate::{db::Db, error::AppError, store::login_failures};

/// Failures allowed per user name within the window.
pub const PER_USER: usize = 5;
/// Failures allowed per client address within the window (many user names).
pub const PER_ADDRESS: usize = 20;
/// The window, in seconds.
pub const WINDOW: i64 = 15 * 60;

/// Seconds until the next attempt is allowed, if the user or address is locked out.
pub async fn locked_for(
    db: &Db,
    username: &str,
    address: Option<&str>,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let keys = keys(username, address);
    db.call(move |conn| {
        let mut wait = None;
        for (key, limit) in &keys {
            let times = login_failures::since(conn, key, now - WINDOW)?;
            wait = wait.max(wait_for(&times, *limit, now));
        }
        Ok(wait)
    })
    .await
}

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
