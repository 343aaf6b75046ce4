//! Access grants: per request and integration, what the connector did and
//! the credentials it handed out (the secret sealed, wiped once revealed).

use crate::store::sql::{Conn, OptionalExtension, params, params_from_iter};
use gatehouse_shared::access::GrantState;

use crate::{error::AppError, store::placeholders};

/// Grant states in which access exists, may exist, or waits on someone: the
/// integration still has work to do for the request.
pub const LIVE_STATES: &str = "('pending', 'waiting', 'granted', 'removing')";

/// Revoking requests (all of them, or only `request`) whose access is gone
/// from every integration: they can end.
pub fn access_gone(conn: Conn<'_>, request: Option<i64>) -> Result<Vec<i64>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT r.id FROM requests r
             WHERE r.status = 'Revoking' AND (CAST(?1 AS BIGINT) IS NULL OR r.id = ?1) AND NOT EXISTS (
                 SELECT 1 FROM access_grants g WHERE g.request_id = r.id AND g.state IN {LIVE_STATES})"
        ))?
        .query_map([request], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// A (request, integration) pair the provisioning worker must act on.
pub type Pair = (i64, i64);

fn pairs(conn: Conn<'_>, sql: &str, now: i64, limit: i64) -> Result<Vec<Pair>, AppError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map(params![now, limit], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Granting requests' integrations not asked yet, or whose retry is due.
pub fn grants_due(conn: Conn<'_>, now: i64, limit: i64) -> Result<Vec<Pair>, AppError> {
    pairs(
        conn,
        "SELECT DISTINCT r.id, res.integration_id
         FROM requests r
         JOIN request_items ri ON ri.request_id = r.id
         JOIN resources res ON res.id = ri.resource_id
         LEFT JOIN access_grants g ON g.request_id = r.id AND g.integration_id = res.integration_id
         WHERE r.status = 'Granting'
           AND (g.state IS NULL OR (g.state = 'pending' AND g.next_attempt_at <= ?1))
         ORDER BY r.id, res.integration_id LIMIT ?2",
        now,
        limit,
    )
}

/// Granted access to remove: of Revoking requests, and leftovers of failed ones.
pub fn removals_due(conn: Conn<'_>, now: i64, limit: i64) -> Result<Vec<Pair>, AppError> {
    pairs(
        conn,
        "SELECT g.request_id, g.integration_id FROM requests r
         JOIN access_grants g ON g.request_id = r.id
         WHERE r.status = 'Revoking' AND g.state = 'granted' AND g.next_attempt_at <= ?1
         UNION
         SELECT request_id, integration_id FROM access_grants
         WHERE state = 'granted' AND leftover = 1 AND next_attempt_at <= ?1
         ORDER BY 1, 2 LIMIT ?2",
        now,
        limit,
    )
}

/// Extended access whose new end the target system does not know yet.
pub fn syncs_due(conn: Conn<'_>, now: i64, limit: i64) -> Result<Vec<Pair>, AppError> {
    pairs(
        conn,
        "SELECT g.request_id, g.integration_id FROM access_grants g
         WHERE g.state = 'granted' AND g.sync_due = 1 AND g.next_attempt_at <= ?1
           AND (SELECT status FROM requests WHERE id = g.request_id) = 'Active'
         ORDER BY 1, 2 LIMIT ?2",
        now,
        limit,
    )
}

/// Whether anything waits on a connector now: one cheap read per kind.
pub fn anything_due(conn: Conn<'_>, now: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM requests WHERE status IN ('Granting', 'Revoking'))
                 OR EXISTS (SELECT 1 FROM access_grants g
                            WHERE g.state = 'granted' AND g.sync_due = 1 AND g.next_attempt_at <= ?1
                              AND (SELECT status FROM requests WHERE id = g.request_id) = 'Active')
                 OR EXISTS (SELECT 1 FROM access_grants WHERE state = 'granted' AND leftover = 1 AND next_attempt_at <= ?1)",
        )?
        .query_row([now], |row| row.get(0))?)
}

/// The stored row of a grant.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub request_id: i64,
    pub integration_id: i64,
    pub state: GrantState,
    pub username: Option<String>,
    pub secret: Option<Vec<u8>>,
    pub instructions: Option<String>,
    pub connect: String,
    pub version: i64,
    pub seen_version: i64,
    pub synced_expires_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "request_id, integration_id, state, username, secret, instructions, connect, \
     version, seen_version, synced_expires_at, attempts, last_error";

fn row_of(row: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<GrantRow> {
    let state: String = row.get(2)?;
    Ok(GrantRow {
        request_id: row.get(0)?,
        integration_id: row.get(1)?,
        state: GrantState::from_label(&state).unwrap_or(GrantState::Removed),
        username: row.get(3)?,
        secret: row.get(4)?,
        instructions: row.get(5)?,
        connect: row.get(6)?,
        version: row.get(7)?,
        seen_version: row.get(8)?,
        synced_expires_at: row.get(9)?,
        attempts: row.get(10)?,
        last_error: row.get(11)?,
    })
}

pub fn get(
    conn: Conn<'_>,
    request_id: i64,
    integration_id: i64,
) -> Result<Option<GrantRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM access_grants WHERE request_id = ?1 AND integration_id = ?2"
        ))?
        .query_row([request_id, integration_id], row_of)
        .optional()?)
}

pub fn of_request(conn: Conn<'_>, request_id: i64) -> Result<Vec<GrantRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM access_grants WHERE request_id = ?1 ORDER BY integration_id"
        ))?
        .query_map([request_id], row_of)?
        .collect::<Result<_, _>>()?)
}

/// The integrations a request's items belong to.
pub fn integrations_of(conn: Conn<'_>, request_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT res.integration_id FROM request_items ri
             JOIN resources res ON res.id = ri.resource_id
             WHERE ri.request_id = ?1 ORDER BY 1",
        )?
        .query_map([request_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// What a connector handed out on a grant or a reset.
pub struct Handed<'a> {
    pub username: Option<&'a str>,
    pub secret: Option<Vec<u8>>,
    pub instructions: Option<&'a str>,
    pub connect: String,
}

/// The access now exists in the target system.
pub fn set_granted(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
    handed: Handed<'_>,
    expires_at: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    let version = i64::from(handed.secret.is_some());
    conn.prepare_cached(
        "INSERT INTO access_grants (request_id, integration_id, state, username, secret, instructions,
             connect, version, synced_expires_at, granted_at, attempts, next_attempt_at, last_error)
         VALUES (?1, ?2, 'granted', ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, 0, NULL)
         ON CONFLICT (request_id, integration_id) DO UPDATE SET
             state = 'granted', username = excluded.username, secret = excluded.secret,
             instructions = excluded.instructions, connect = excluded.connect,
             version = access_grants.version + excluded.version,
             synced_expires_at = excluded.synced_expires_at, granted_at = excluded.granted_at,
             attempts = 0, next_attempt_at = 0, last_error = NULL",
    )?
    .execute(params![
        request_id,
        integration_id,
        handed.username,
        handed.secret,
        handed.instructions,
        handed.connect,
        version,
        expires_at,
        now
    ])?;
    // Granted for a request that has ended meanwhile: remove it again.
    conn.prepare_cached(
        "UPDATE access_grants SET leftover = 1, next_attempt_at = 0
         WHERE request_id = ?1 AND integration_id = ?2
           AND (SELECT status FROM requests WHERE id = ?1) NOT IN ('Granting', 'Active', 'Revoking')",
    )?
    .execute([request_id, integration_id])?;
    Ok(())
}

/// Put a grant in `state` (no credentials change).
pub fn set_state(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
    state: GrantState,
    now: i64,
) -> Result<(), AppError> {
    let removed_at = (state == GrantState::Removed).then_some(now);
    conn.prepare_cached(
        "INSERT INTO access_grants (request_id, integration_id, state, removed_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (request_id, integration_id) DO UPDATE SET
             state = excluded.state, removed_at = COALESCE(excluded.removed_at, access_grants.removed_at),
             attempts = 0, next_attempt_at = 0, last_error = NULL,
             secret = CASE WHEN excluded.state = 'removed' THEN NULL ELSE access_grants.secret END,
             leftover = CASE WHEN excluded.state = 'removed' THEN 0 ELSE access_grants.leftover END",
    )?
    .execute(params![
        request_id,
        integration_id,
        state.label(),
        removed_at
    ])?;
    Ok(())
}

/// A failed attempt: count it and wait `backoff` seconds before the next.
/// `state` is the row's state afterwards (`pending` for a grant to retry).
pub fn record_failure(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
    state: GrantState,
    reason: &str,
    next_attempt_at: i64,
) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO access_grants (request_id, integration_id, state, attempts, next_attempt_at, last_error)
             VALUES (?1, ?2, ?3, 1, ?4, ?5)
             ON CONFLICT (request_id, integration_id) DO UPDATE SET
                 state = excluded.state, attempts = access_grants.attempts + 1,
                 next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error
             RETURNING attempts",
        )?
        .query_row(
            params![request_id, integration_id, state.label(), next_attempt_at, reason],
            |row| row.get(0),
        )?)
}

/// The new end reached the target system.
pub fn set_synced(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
    expires_at: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE access_grants SET sync_due = 0, synced_expires_at = ?3, attempts = 0,
             next_attempt_at = 0, last_error = NULL
         WHERE request_id = ?1 AND integration_id = ?2",
    )?
    .execute(params![request_id, integration_id, expires_at])?;
    Ok(())
}

/// After an extension: every granted integration must learn the new end.
pub fn mark_sync_due(conn: Conn<'_>, request_id: i64) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE access_grants SET sync_due = 1, next_attempt_at = 0 WHERE request_id = ?1 AND state = 'granted'",
    )?
    .execute([request_id])?;
    Ok(())
}

/// A request failed after some integrations granted: remove those, and drop
/// what was still waiting.
///
/// A grant that failed may still have half-happened (a webhook that timed
/// out, a cleanup that failed), so `pending` grants are removed too: removal
/// is idempotent, leaving access behind is not acceptable. A manual grant
/// still waiting becomes a removal to confirm, since the person may have
/// done it already.
pub fn abandon(conn: Conn<'_>, request_id: i64) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE access_grants SET state = 'granted', leftover = 1, next_attempt_at = 0,
             attempts = 0, secret = NULL
         WHERE request_id = ?1 AND state IN ('granted', 'pending')",
    )?
    .execute([request_id])?;
    conn.prepare_cached(
        "UPDATE access_grants SET state = 'removing', secret = NULL
         WHERE request_id = ?1 AND state = 'waiting'",
    )?
    .execute([request_id])?;
    Ok(())
}

/// A grant attempt whose outcome is unknown (it failed): recorded as
/// something to remove should the request not go on.
pub fn record_uncertain(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
    reason: &str,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO access_grants (request_id, integration_id, state, last_error)
         VALUES (?1, ?2, 'pending', ?3)
         ON CONFLICT (request_id, integration_id) DO UPDATE SET last_error = excluded.last_error",
    )?
    .execute(params![request_id, integration_id, reason])?;
    Ok(())
}

/// The secret was shown: wipe it and remember which version the grantee saw.
pub fn wipe_secret(conn: Conn<'_>, (request_id, integration_id): Pair) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE access_grants SET secret = NULL, seen_version = version
         WHERE request_id = ?1 AND integration_id = ?2",
    )?
    .execute([request_id, integration_id])?;
    Ok(())
}

/// New credentials from Reset Credentials.
pub fn replace_credentials(conn: Conn<'_>, pair: Pair, handed: Handed<'_>) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE access_grants SET username = COALESCE(?3, username), secret = ?4,
             instructions = COALESCE(?5, instructions), connect = ?6, version = version + 1
         WHERE request_id = ?1 AND integration_id = ?2 AND state = 'granted'",
    )?
    .execute(params![
        pair.0,
        pair.1,
        handed.username,
        handed.secret,
        handed.instructions,
        handed.connect
    ])?;
    Ok(())
}

/// Manual grants and removals waiting on a person, in the given integrations
/// (all when `None`).
pub fn waiting_on_people(
    conn: Conn<'_>,
    integrations: Option<&[i64]>,
) -> Result<Vec<GrantRow>, AppError> {
    let filter = match integrations {
        Some(ids) => format!("AND integration_id IN ({})", placeholders(ids.len())),
        None => String::new(),
    };
    let ids = integrations.unwrap_or_default();
    Ok(conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM access_grants WHERE state IN ('waiting', 'removing') {filter}
             ORDER BY request_id, integration_id LIMIT 500"
        ))?
        .query_map(params_from_iter(ids), row_of)?
        .collect::<Result<_, _>>()?)
}

/// What a connector needs to know about one request in one integration.
#[derive(Debug, Clone)]
pub struct GrantTarget {
    pub integration_name: String,
    /// The integration's connector kind.
    pub connector: String,
    /// The connector's sealed settings.
    pub settings: Option<Vec<u8>>,
    pub grantee_username: String,
    pub grantee_email: String,
    /// The request's status label.
    pub status: String,
    pub duration: i64,
    /// A later start, or the current window's start.
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// The login the connector handed out, if granted before.
    pub login: Option<String>,
    /// Attempts made so far (0 when not tried yet).
    pub attempts: i64,
    pub integration_kind: String,
}

/// The request, grantee, integration and grant of a (request, integration) pair.
pub fn target_of(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
) -> Result<GrantTarget, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT i.name, i.connector, i.settings, u.username, u.email, r.status, r.duration,
                    r.expires_at, g.username, COALESCE(g.attempts, 0), i.kind, r.starts_at
             FROM requests r JOIN users u ON u.id = r.grantee_id
             JOIN integrations i ON i.id = ?2
             LEFT JOIN access_grants g ON g.request_id = r.id AND g.integration_id = i.id
             WHERE r.id = ?1",
        )?
        .query_row([request_id, integration_id], |row| {
            Ok(GrantTarget {
                integration_name: row.get(0)?,
                connector: row.get(1)?,
                settings: row.get(2)?,
                grantee_username: row.get(3)?,
                grantee_email: row.get(4)?,
                status: row.get(5)?,
                duration: row.get(6)?,
                expires_at: row.get(7)?,
                login: row.get(8)?,
                attempts: row.get(9)?,
                integration_kind: row.get(10)?,
                starts_at: row.get(11)?,
            })
        })?)
}

/// One item of a request in one integration: what a connector grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetItem {
    pub resource_type: String,
    pub resource_path: String,
    pub permission: String,
}

/// The items of a request that belong to an integration, by resource and permission.
pub fn items_in(
    conn: Conn<'_>,
    (request_id, integration_id): Pair,
) -> Result<Vec<TargetItem>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT rt.name, res.path, p.name FROM request_items ri
             JOIN resources res ON res.id = ri.resource_id
             JOIN resource_types rt ON rt.id = res.resource_type_id
             JOIN permissions p ON p.id = ri.permission_id
             WHERE ri.request_id = ?1 AND res.integration_id = ?2
             ORDER BY res.id, p.id",
        )?
        .query_map([request_id, integration_id], |row| {
            Ok(TargetItem {
                resource_type: row.get(0)?,
                resource_path: row.get(1)?,
                permission: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
