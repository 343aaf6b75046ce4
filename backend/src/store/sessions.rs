//! Portal sessions: created at log-in, looked up by the hash of the cookie, deleted at log-out.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{error::AppError, store::users::UserRecord};

pub fn create(
    conn: &Connection,
    user_id: i64,
    token_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id, now, expires_at],
    )?;
    // Expired sessions are dead weight; drop this user's while we are here.
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2",
        params![user_id, now],
    )?;
    Ok(())
}

pub fn user_for(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<UserRecord>, AppError> {
    Ok(conn
        .query_row(
            "SELECT users.id, users.username, users.display_name, users.email, users.is_admin
             FROM sessions JOIN users ON users.id = sessions.user_id
             WHERE sessions.token_hash = ?1 AND sessions.expires_at > ?2",
            params![token_hash, now],
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
        .optional()?)
}

pub fn delete(conn: &Connection, token_hash: &[u8]) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}
