//! Portal sessions: created at log-in, looked up by the hash of the cookie, deleted at log-out.

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::{error::AppError, store::users::UserRecord};

pub fn create(
    conn: Conn<'_>,
    user_id: i64,
    token_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?3)",
        params![token_hash, user_id, now, expires_at],
    )?;
    // Expired sessions are dead weight; drop this user's while we are here.
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2",
        params![user_id, now],
    )?;
    Ok(())
}

/// A session unused for this long ends, whatever its absolute expiry.
pub const IDLE_LIMIT: i64 = 2 * 3600;
/// `last_seen_at` is refreshed at most this often, so reads rarely write.
const SEEN_RESOLUTION: i64 = 60;

/// The user of a live session, refreshing its last use.
pub fn user_for(
    conn: Conn<'_>,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<UserRecord>, AppError> {
    let user = conn
        .prepare_cached(
            "SELECT users.id, users.username, users.display_name, users.email, users.is_admin
             FROM sessions JOIN users ON users.id = sessions.user_id
             WHERE sessions.token_hash = ?1 AND users.active = 1 AND sessions.expires_at > ?2 AND sessions.last_seen_at > ?2 - ?3",
        )?
        .query_row(
            params![token_hash, now, IDLE_LIMIT],
            |row| {
                Ok(UserRecord {
                    id: row.get(0)?,
                    username: row.get(1)?,
                    display_name: row.get(2)?,
                    email: row.get(3)?,
                    is_admin: row.get(4)?,
                })
            },
        )
        .optional()?;
    if user.is_some() {
        conn.prepare_cached(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND last_seen_at < ?2 - ?3",
        )?
        .execute(params![token_hash, now, SEEN_RESOLUTION])?;
    }
    Ok(user)
}

/// End every session of a user (log out everywhere); returns how many.
pub fn delete_all_of(conn: Conn<'_>, user_id: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
}

pub fn delete(conn: Conn<'_>, token_hash: &[u8]) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}
