//! Users and groups as SCIM reads and writes them.

use serde_json::Value;

use crate::store::sql::{Conn, Dialect, OptionalExtension, params};

use crate::error::AppError;

/// A user as SCIM shows them.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub id: i64,
    /// The provider's userName, or the Gatehouse username for local users.
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub display_name: String,
    pub email: String,
    /// What SCIM wrote of name, displayName and e-mails (None: a local user).
    pub attributes: Option<Value>,
    pub created_at: i64,
    /// (group id, group name)
    pub groups: Vec<(i64, String)>,
}

const USER_COLUMNS: &str = "u.id, COALESCE(u.idp_username, u.username), u.external_id, u.active,
    u.display_name, u.email, u.scim_attributes, u.created_at";

fn user_row(row: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<ScimUser> {
    let attributes: Option<String> = row.get(6)?;
    Ok(ScimUser {
        id: row.get(0)?,
        user_name: row.get(1)?,
        external_id: row.get(2)?,
        active: row.get(3)?,
        display_name: row.get(4)?,
        email: row.get(5)?,
        attributes: attributes.and_then(|a| serde_json::from_str(&a).ok()),
        created_at: row.get(7)?,
        groups: Vec::new(),
    })
}

fn with_groups(conn: Conn<'_>, mut user: ScimUser) -> Result<ScimUser, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT g.id, g.name FROM group_members m JOIN groups g ON g.id = m.group_id
         WHERE m.user_id = ?1 ORDER BY g.id",
    )?;
    user.groups = statement
        .query_map([user.id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(user)
}

/// A user SCIM can see (not deleted by the provider).
pub fn user(conn: Conn<'_>, id: i64) -> Result<Option<ScimUser>, AppError> {
    let found = conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1 AND u.deleted_at IS NULL"),
            [id],
            user_row,
        )
        .optional()?;
    found.map(|user| with_groups(conn, user)).transpose()
}

/// A page of users, optionally where `attribute` (userName or externalId)
/// equals `value` (userName whatever its case). Returns the total too.
pub fn users(
    conn: Conn<'_>,
    filter: Option<(&str, &str)>,
    start: usize,
    count: usize,
) -> Result<(usize, Vec<ScimUser>), AppError> {
    let (condition, value) = match filter {
        Some(("userName", value)) => (
            "lower(COALESCE(u.idp_username, u.username)) = lower(?1)",
            value,
        ),
        Some((_, value)) => ("u.external_id = ?1", value),
        None => ("?1 = ?1", ""),
    };
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM users u WHERE u.deleted_at IS NULL AND {condition}"),
        [value],
        |row| row.get(0),
    )?;
    let mut statement = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.deleted_at IS NULL AND {condition}
         ORDER BY u.id LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = statement
        .query_map(
            params![value, count as i64, start.saturating_sub(1) as i64],
            user_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let users = rows
        .into_iter()
        .map(|user| with_groups(conn, user))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((usize::try_from(total).unwrap_or(0), users))
}

/// Fields SCIM writes of a user.
pub struct UserWrite<'a> {
    pub user_name: &'a str,
    pub external_id: Option<&'a str>,
    pub display_name: &'a str,
    pub email: &'a str,
    pub attributes: &'a Value,
}

/// Is this userName (whatever its case) someone else's?
pub fn user_name_taken(
    conn: Conn<'_>,
    user_name: &str,
    except: Option<i64>,
) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users WHERE lower(idp_username) = lower(?1) AND deleted_at IS NULL AND id <> ?2",
            params![user_name, except.unwrap_or(0)],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A local user (never seen by SCIM) with this e-mail, to adopt rather than
/// duplicate when the provider starts provisioning.
pub fn local_user_with_email(conn: Conn<'_>, email: &str) -> Result<Option<i64>, AppError> {
    if email.is_empty() {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT id FROM users WHERE idp_username IS NULL AND deleted_at IS NULL
             AND lower(email) = lower(?1) ORDER BY id LIMIT 1",
            [email],
            |row| row.get(0),
        )
        .optional()?)
}

/// A new user from SCIM (no password: they sign in with the provider).
pub fn create_user(
    conn: Conn<'_>,
    username: &str,
    user: &UserWrite<'_>,
    now: i64,
) -> Result<i64, AppError> {
    // A deleted user's userName is free again (a re-hire gets a new user).
    conn.execute(
        "UPDATE users SET idp_username = NULL WHERE lower(idp_username) = lower(?1) AND deleted_at IS NOT NULL",
        [user.user_name],
    )?;
    Ok(conn.insert(
        "INSERT INTO users (username, display_name, email, password_hash, is_admin, created_at,
                            idp_username, external_id, scim_attributes)
         VALUES (?1, ?2, ?3, '', 0, ?4, ?5, ?6, ?7)",
        params![
            username,
            user.display_name,
            user.email,
            now,
            user.user_name,
            user.external_id,
            user.attributes.to_string()
        ],
    )?)
}

pub fn update_user(conn: Conn<'_>, id: i64, user: &UserWrite<'_>) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET idp_username = ?1, external_id = ?2, display_name = ?3, email = ?4,
                          scim_attributes = ?5 WHERE id = ?6",
        params![
            user.user_name,
            user.external_id,
            user.display_name,
            user.email,
            user.attributes.to_string(),
            id
        ],
    )?;
    Ok(())
}

/// A group as SCIM shows it.
#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub id: i64,
    pub name: String,
    pub external_id: Option<String>,
    /// (user id, display name)
    pub members: Vec<(i64, String)>,
}

fn with_members(conn: Conn<'_>, mut group: ScimGroup) -> Result<ScimGroup, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT u.id, u.display_name FROM group_members m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = ?1 AND u.deleted_at IS NULL ORDER BY u.id",
    )?;
    group.members = statement
        .query_map([group.id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(group)
}

fn group_row(row: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<ScimGroup> {
    Ok(ScimGroup {
        id: row.get(0)?,
        name: row.get(1)?,
        external_id: row.get(2)?,
        members: Vec::new(),
    })
}

pub fn group(conn: Conn<'_>, id: i64) -> Result<Option<ScimGroup>, AppError> {
    let found = conn
        .query_row(
            "SELECT id, name, external_id FROM groups WHERE id = ?1",
            [id],
            group_row,
        )
        .optional()?;
    found.map(|group| with_members(conn, group)).transpose()
}

/// A page of groups, optionally where displayName or externalId equals `value`.
pub fn groups(
    conn: Conn<'_>,
    filter: Option<(&str, &str)>,
    start: usize,
    count: usize,
) -> Result<(usize, Vec<ScimGroup>), AppError> {
    let (condition, value) = match filter {
        Some(("displayName", value)) => ("lower(name) = lower(?1)", value),
        Some((_, value)) => ("external_id = ?1", value),
        None => ("?1 = ?1", ""),
    };
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM groups WHERE {condition}"),
        [value],
        |row| row.get(0),
    )?;
    let mut statement = conn.prepare(&format!(
        "SELECT id, name, external_id FROM groups WHERE {condition} ORDER BY id LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = statement
        .query_map(
            params![value, count as i64, start.saturating_sub(1) as i64],
            group_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let groups = rows
        .into_iter()
        .map(|group| with_members(conn, group))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((usize::try_from(total).unwrap_or(0), groups))
}

/// Mark a group as the provider's, with its external id.
pub fn mark_provider_group(
    conn: Conn<'_>,
    id: i64,
    external_id: Option<&str>,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE groups SET source = 'idp', external_id = ?1 WHERE id = ?2",
        params![external_id, id],
    )?;
    Ok(())
}

/// Which of these user ids exist and are not deleted.
pub fn existing_users(conn: Conn<'_>, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let list = serde_json::to_string(ids)?;
    let mut statement = conn.prepare(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT id FROM users WHERE deleted_at IS NULL AND id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        }
        Dialect::Postgres => {
            "SELECT id FROM users WHERE deleted_at IS NULL
               AND id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(?1 AS JSON)) AS value) ORDER BY id"
        }
    })?;
    let found = statement
        .query_map([list], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(found)
}
