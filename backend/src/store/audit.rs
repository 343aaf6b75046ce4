//! The append-only audit log: every state change with its actor and time.

use gatehouse_shared::requests::{AuditEntry, UserRef};
use rusqlite::{Connection, params};

use crate::{error::AppError, store::tokens::timestamp};

/// Append one entry. `actor` is None when Gatehouse itself acted.
pub fn record(
    conn: &Connection,
    at: i64,
    actor: Option<i64>,
    request_id: Option<i64>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_id, request_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![at, actor, request_id, action, detail.to_string()])?;
    Ok(())
}

/// The trail of one request, oldest first.
pub fn for_request(conn: &Connection, request_id: i64) -> Result<Vec<AuditEntry>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT a.id, a.at, a.actor_id, u.username, u.display_name, a.request_id, a.action, a.detail
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.request_id = ?1 ORDER BY a.id",
    )?;
    let rows = statement.query_map([request_id], |row| {
        let actor = match row.get::<_, Option<i64>>(2)? {
            Some(id) => Some(UserRef {
                id,
                username: row.get(3)?,
                display_name: row.get(4)?,
            }),
            None => None,
        };
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            actor,
            row.get::<_, Option<i64>>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
        ))
    })?;
    rows.map(|row| {
        let (id, at, actor, request_id, action, detail) = row?;
        Ok(AuditEntry {
            id,
            at: timestamp(at)?,
            actor,
            request_id,
            action,
            detail: serde_json::from_str(&detail)?,
        })
    })
    .collect()
}
