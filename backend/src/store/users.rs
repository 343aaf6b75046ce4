//! Users: lookup for log-in and for the auth extractor, creation for demo and admin.

use gatehouse_shared::requests::UserRef;

use crate::store::sql::{Conn, Dialect, OptionalExtension, Row, params};

use crate::error::AppError;

/// A user row without its password hash.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
}

const COLUMNS: &str = "users.id, users.username, users.display_name, users.email, users.is_admin";

fn from_row(row: &Row<'_>) -> crate::store::sql::Result<UserRecord> {
    Ok(UserRecord {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        email: row.get(3)?,
        is_admin: row.get(4)?,
    })
}

/// The user and stored password hash for a log-in attempt.
pub fn for_login(conn: Conn<'_>, username: &str) -> Result<Option<(UserRecord, String)>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS}, users.password_hash FROM users WHERE username = ?1 AND users.active = 1"),
            [username],
            |row| Ok((from_row(row)?, row.get::<_, String>(5)?)),
        )
        .optional()?)
}

/// The owner of an API token that has not expired.
pub fn by_api_token(
    conn: Conn<'_>,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<UserRecord>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_tokens JOIN users ON users.id = api_tokens.user_id
             WHERE api_tokens.token_hash = ?1 AND users.active = 1
               AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > ?2)"
        ))?
        .query_row(params![token_hash, now], from_row)
        .optional()?)
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

/// Insert a user unless one with that name exists; returns its id either way.
pub fn ensure(conn: Conn<'_>, user: &NewUser<'_>, now: i64) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO users (username, display_name, email, password_hash, is_admin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO NOTHING",
        params![
            user.username,
            user.display_name,
            user.email,
            user.password_hash,
            user.is_admin,
            now
        ],
    )?;
    Ok(conn.query_row(
        "SELECT id FROM users WHERE username = ?1",
        [user.username],
        |row| row.get(0),
    )?)
}

pub fn exists(conn: Conn<'_>, username: &str) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users WHERE username = ?1",
            [username],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn exists_id(conn: Conn<'_>, id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row("SELECT 1 FROM users WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The ids of every admin and of the users with these usernames, once each.
pub fn admins_and_named(conn: Conn<'_>, usernames: &[String]) -> Result<Vec<i64>, AppError> {
    let names = serde_json::to_string(usernames)?;
    let mut statement = conn.prepare_cached(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT id FROM users WHERE is_admin = 1 OR username IN (SELECT value FROM json_each(?1))
             ORDER BY id"
        }
        Dialect::Postgres => {
            "SELECT id FROM users WHERE is_admin = 1
                OR username IN (SELECT value FROM json_array_elements_text(CAST(?1 AS JSON)) AS value)
             ORDER BY id"
        }
    })?;
    let ids = statement
        .query_map([names], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// A user by id, as lists name them; None when there is no such user.
pub fn user_ref(conn: Conn<'_>, id: i64) -> Result<Option<UserRef>, AppError> {
    Ok(conn
        .prepare_cached("SELECT display_name, username FROM users WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(UserRef {
                id,
                display_name: row.get(0)?,
                username: row.get(1)?,
            })
        })
        .optional()?)
}

/// The user directory: at most `limit` users whose username or display name
/// contains `text` (already lower-case), by username.
pub fn search(conn: Conn<'_>, text: &str, limit: u32) -> Result<Vec<UserRef>, AppError> {
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut statement = conn.prepare_cached(
        "SELECT id, username, display_name FROM users
                 WHERE lower(username) LIKE ?1 ESCAPE '\\' OR lower(display_name) LIKE ?1 ESCAPE '\\'
                 ORDER BY username LIMIT ?2",
    )?;
    let users = statement
        .query_map(params![pattern, limit], |row| {
            Ok(UserRef {
                id: row.get(0)?,
                username: row.get(1)?,
                display_name: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}
