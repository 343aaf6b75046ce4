//! Failed log-ins by key (`user:<name>` or `address:<ip>`), shared by every
//! process on the database (migration 0006).

use crate::store::sql::{Conn, params};

use crate::error::AppError;

/// When each failure of `key` inside the window (after `since`) happened, oldest first.
pub fn since(conn: Conn<'_>, key: &str, since: i64) -> Result<Vec<i64>, AppError> {
    let mut statement = conn
        .prepare_cached("SELECT at FROM login_failures WHERE key = ?1 AND at > ?2 ORDER BY at")?;
    let times = statement
        .query_map(params![key, since], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(times)
}

/// Record a failure of `key`, dropping its failures from before the window.
pub fn record(conn: Conn<'_>, key: &str, at: i64, window_start: i64) -> Result<(), AppError> {
    conn.prepare_cached("DELETE FROM login_failures WHERE key = ?1 AND at <= ?2")?
        .execute(params![key, window_start])?;
    conn.prepare_cached("INSERT INTO login_failures (key, at) VALUES (?1, ?2)")?
        .execute(params![key, at])?;
    Ok(())
}

/// Forget the failures of `key` (a successful log-in).
pub fn clear(conn: Conn<'_>, key: &str) -> Result<(), AppError> {
    conn.prepare_cached("DELETE FROM login_failures WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// Drop every failure from before the window (keys nobody retried).
pub fn prune(conn: Conn<'_>, window_start: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM login_failures WHERE at <= ?1", [window_start])?)
}
