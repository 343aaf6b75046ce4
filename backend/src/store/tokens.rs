//! Personal API tokens: created (secret returned once), listed, revoked by their owner.

use crate::store::sql::{Conn, params};
use gatehouse_shared::auth::ApiToken;
use time::OffsetDateTime;

use crate::error::AppError;

pub fn create(
    conn: Conn<'_>,
    user_id: i64,
    name: &str,
    token_hash: &[u8],
    now: i64,
    expires_at: Option<i64>,
) -> Result<ApiToken, AppError> {
    let new_id = conn.insert(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, user_id, name, now, expires_at],
    )?;
    Ok(ApiToken {
        id: new_id,
        name: name.to_owned(),
        created_at: timestamp(now)?,
        expires_at: expires_at.map(timestamp).transpose()?,
    })
}

pub fn list(conn: Conn<'_>, user_id: i64) -> Result<Vec<ApiToken>, AppError> {
    let mut statement = conn.prepare(
        "SELECT id, name, created_at, expires_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC",
    )?;
    let rows = statement.query_map([user_id], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, Option<i64>>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, created_at, expires_at) = row?;
        Ok(ApiToken {
            id,
            name,
            created_at: timestamp(created_at)?,
            expires_at: expires_at.map(timestamp).transpose()?,
        })
    })
    .collect()
}

/// Delete one of the user's tokens; false when they have no such token.
pub fn delete(conn: Conn<'_>, user_id: i64, token_id: i64) -> Result<bool, AppError> {
    Ok(conn.execute(
        "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2",
        params![token_id, user_id],
    )? == 1)
}

pub fn timestamp(unix: i64) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|error| AppError::internal(format!("stored time {unix} out of range: {error}")))
}
