//! The demo seeding's lookups (`--demo`): ids of what it created by name, so
//! running it again adds only what is missing.

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::error::AppError;

fn id_of(conn: Conn<'_>, sql: &str, key: &str) -> Result<i64, AppError> {
    Ok(conn.query_row(sql, [key], |row| row.get(0))?)
}

fn id_if_any(conn: Conn<'_>, sql: &str, key: &str) -> Result<Option<i64>, AppError> {
    Ok(conn.query_row(sql, [key], |row| row.get(0)).optional()?)
}

/// The id of the user with this username (which must exist).
pub fn user_id(conn: Conn<'_>, username: &str) -> Result<i64, AppError> {
    id_of(conn, "SELECT id FROM users WHERE username = ?1", username)
}

/// The id of the integration with this name (which must exist).
pub fn integration_id(conn: Conn<'_>, name: &str) -> Result<i64, AppError> {
    id_of(conn, "SELECT id FROM integrations WHERE name = ?1", name)
}

/// The id of the group with this name, if there is one.
pub fn group_id(conn: Conn<'_>, name: &str) -> Result<Option<i64>, AppError> {
    id_if_any(conn, "SELECT id FROM groups WHERE name = ?1", name)
}

/// The id of the access flow with this name, if there is one.
pub fn flow_id(conn: Conn<'_>, name: &str) -> Result<Option<i64>, AppError> {
    id_if_any(conn, "SELECT id FROM access_flows WHERE name = ?1", name)
}

/// (resource path, permission) → (resource id, permission id); the resource
/// and its permission must exist.
pub fn item(conn: Conn<'_>, path: &str, permission: &str) -> Result<(i64, i64), AppError> {
    Ok(conn.query_row(
        "SELECT r.id, p.id FROM resources r JOIN permissions p ON p.resource_type_id = r.resource_type_id
         WHERE r.path = ?1 AND p.name = ?2",
        params![path, permission],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}
