//! MFA enrolment and confirmations.

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::error::AppError;

pub struct MfaRow {
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
    pub confirmed_until: i64,
    pub failures: i64,
    pub failures_since: i64,
}

pub fn get(conn: Conn<'_>, user_id: i64) -> Result<Option<MfaRow>, AppError> {
    Ok(conn
        .prepare_cached("SELECT sealed_secret, enabled, confirmed_until, failures, failures_since FROM mfa WHERE user_id = ?1")?
        .query_row([user_id], |row| {
            Ok(MfaRow {
                sealed_secret: row.get(0)?,
                enabled: row.get(1)?,
                confirmed_until: row.get(2)?,
                failures: row.get(3)?,
                failures_since: row.get(4)?,
            })
        })
        .optional()?)
}

/// Start (or restart) enrolment with a new sealed seed; MFA is off until a code confirms it.
pub fn begin_enrolment(conn: Conn<'_>, user_id: i64, sealed: &[u8]) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO mfa (user_id, sealed_secret) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, enabled = 0, confirmed_until = 0",
        params![user_id, sealed],
    )?;
    Ok(())
}

/// A right code: enabled, confirmed for the next hour, failures forgotten.
pub fn confirmed(conn: Conn<'_>, user_id: i64, until: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE mfa SET enabled = 1, confirmed_until = ?2, failures = 0 WHERE user_id = ?1",
        params![user_id, until],
    )?;
    Ok(())
}

/// A wrong code: counted within the current window.
pub fn failed(conn: Conn<'_>, user_id: i64, now: i64, window: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE mfa SET failures = CASE WHEN failures_since <= ?2 - ?3 THEN 1 ELSE failures + 1 END,
                        failures_since = CASE WHEN failures_since <= ?2 - ?3 THEN ?2 ELSE failures_since END
         WHERE user_id = ?1",
        params![user_id, now, window],
    )?;
    Ok(())
}

/// Whether the user confirmed a code within the last hour.
pub fn is_confirmed(conn: Conn<'_>, user_id: i64, now: i64) -> Result<bool, AppError> {
    Ok(get(conn, user_id)?.is_some_and(|row| row.enabled && row.confirmed_until > now))
}
