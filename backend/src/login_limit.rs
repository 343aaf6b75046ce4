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
//! that key has left; the others wait their turn (another replica's
//! attempts can still overshoot, by at most its own share).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
/// Log-in attempts being checked in this process: per key (user name,
/// address), a gate with as many places as the key had failures left when
/// the gate was made. A failure keeps its place (the gate shrinks); a gate
/// nobody holds or waits for is dropped, so the next one counts afresh.
/// Waiting is first come, first served.
#[derive(Default)]
pub struct InFlight {
    gates: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl InFlight {
    fn gate(&self, key: &str, left: usize) -> Option<Arc<Semaphore>> {
        let mut gates = self.gates.lock().ok()?;
        Some(
            gates
                .entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(left)))
                .clone(),
        )
    }

    /// Let go of `held`, and drop each gate nobody else holds or waits for.
    /// Our references are dropped under the lock, so two attempts letting go
    /// at once cannot each see the other and both leave the gate behind.
    fn tidy(&self, held: Vec<(String, Arc<Semaphore>)>) {
        let Ok(mut gates) = self.gates.lock() else {
            return;
        };
        for (key, gate) in held {
            let only_us = Arc::strong_count(&gate) <= 2
                && gates.get(&key).is_some_and(|kept| Arc::ptr_eq(kept, &gate));
            if only_us {
                gates.remove(&key);
            }
        }
    }
}

/// An attempt admitted by [`admit`]: holds a place under each key until
/// dropped (after its failure, if any, was recorded).
pub struct Admitted {
    in_flight: Arc<InFlight>,
    places: Vec<OwnedSemaphorePermit>,
    gates: Vec<(String, Arc<Semaphore>)>,
}

impl Admitted {
    /// The password was wrong: the failure uses up its place for good.
    pub fn failed(mut self) {
        for place in self.places.drain(..) {
            place.forget();
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.places.clear();
        self.in_flight.tidy(std::mem::take(&mut self.gates));
    }
}

/// How often a waiting attempt counts the failures again (so that it is
/// told it is locked out as soon as it is).
const RECOUNT_EVERY: Duration = Duration::from_millis(250);

/// Admit one log-in attempt: `TooManyAttempts` when the user name or the
/// address is locked out, else a place under each key, held while its
/// password is checked. Past `patience` waiting for one, `Busy`.
pub async fn admit(
    db: &Db,
    in_flight: &Arc<InFlight>,
    username: &str,
    address: Option<&str>,
    now: i64,
    patience: Duration,
) -> Result<Admitted, AppError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut admitted = Admitted {
        in_flight: in_flight.clone(),
        places: Vec::new(),
        gates: Vec::new(),
    };
    for (key, left) in budget(db, username, address, now).await? {
        let Some(gate) = in_flight.gate(&key, left) else {
            return Err(AppError::internal("log-in gate lock poisoned"));
        };
        admitted.gates.push((key, gate.clone()));
        let mut place = std::pin::pin!(gate.acquire_owned());
        loop {
            tokio::select! {
                place = &mut place => {
                    let place = place.map_err(|_| AppError::internal("log-in gate closed"))?;
                    admitted.places.push(place);
                    break;
                }
                () = tokio::time::sleep(RECOUNT_EVERY) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(AppError::busy(
                            patience.as_secs().max(1),
                            "Too many log-ins for this user name or address are being checked at once.",
                        ));
                    }
                    budget(db, username, address, now).await?;
                }
            }
        }
    }
    // Failures recorded while it waited (here or by another replica).
    budget(db, username, address, now).await?;
    Ok(admitted)
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
fn locked_out(wait: i64) -> AppError {
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
    fn a_gate_is_dropped_when_its_last_holder_lets_go_and_never_its_successor() {
        let in_flight = InFlight::default();
        let key = "user:alice".to_owned();
        let a = in_flight.gate(&key, 5).unwrap();
        let b = in_flight.gate(&key, 5).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "one gate per key");
        in_flight.tidy(vec![(key.clone(), a)]);
        assert_eq!(in_flight.gates.lock().unwrap().len(), 1, "b still holds it");
        in_flight.tidy(vec![(key.clone(), b)]);
        assert!(in_flight.gates.lock().unwrap().is_empty());
        // A holder of a gate already replaced leaves the new one alone.
        let old = Arc::new(Semaphore::new(5));
        let new = in_flight.gate(&key, 5).unwrap();
        in_flight.tidy(vec![(key.clone(), old)]);
        assert!(Arc::ptr_eq(&in_flight.gates.lock().unwrap()[&key], &new));
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
