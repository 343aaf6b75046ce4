//! Drift (migration 0012): when each integration was reconciled with its
//! target, and what the target held that Gatehouse did not grant.

use crate::error::AppError;
use crate::store::sql::{Conn, OptionalExtension, params};

/// The connector kinds whose targets can be listed (`Connector::holdings`).
pub const LISTED_KINDS: &str = "('postgresql', 'mysql', 'ldap', 'aws_identity_center')";

/// One finding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub login: String,
    pub resource_path: String,
    pub permission: Option<String>,
    /// `ended` or `unknown`.
    pub kind: &'static str,
    pub first_seen: i64,
    pub removed_at: Option<i64>,
}

/// Integrations whose reconciliation is due at `now`: those never checked
/// and those whose next check has come.
pub fn due(conn: Conn<'_>, now: i64) -> Result<Vec<i64>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT i.id FROM integrations i
             LEFT JOIN drift_checks d ON d.integration_id = i.id
             WHERE i.connector IN {LISTED_KINDS} AND COALESCE(d.next_check_at, 0) <= ?1
             ORDER BY i.id"
        ))?
        .query_map([now], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The resource paths of the integration's catalog: what Gatehouse manages.
pub fn managed_paths(conn: Conn<'_>, integration_id: i64) -> Result<Vec<String>, AppError> {
    Ok(conn
        .prepare_cached("SELECT path FROM resources WHERE integration_id = ?1 ORDER BY path")?
        .query_map([integration_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Requests whose access in the integration may exist now: being granted,
/// granted, or being removed.
pub fn live_requests(conn: Conn<'_>, integration_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT r.id FROM requests r
             JOIN request_items ri ON ri.request_id = r.id
             JOIN resources res ON res.id = ri.resource_id
             WHERE res.integration_id = ?1 AND r.status IN ('Granting', 'Active', 'Revoking')
             UNION
             SELECT request_id FROM access_grants
             WHERE integration_id = ?1 AND state <> 'removed'",
        )?
        .query_map([integration_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Logins the integration handed out for access that has ended.
pub fn ended_logins(conn: Conn<'_>, integration_id: i64) -> Result<Vec<String>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT username FROM access_grants
             WHERE integration_id = ?1 AND state = 'removed' AND username IS NOT NULL",
        )?
        .query_map([integration_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The findings of the last check, oldest first.
pub fn findings(conn: Conn<'_>, integration_id: i64) -> Result<Vec<Finding>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT login, resource_path, permission, kind, first_seen, removed_at
             FROM drift_findings WHERE integration_id = ?1
             ORDER BY first_seen, login, resource_path",
        )?
        .query_map([integration_id], |row| {
            let kind: String = row.get(3)?;
            Ok(Finding {
                login: row.get(0)?,
                resource_path: row.get(1)?,
                permission: row.get(2)?,
                kind: if kind == "ended" { "ended" } else { "unknown" },
                first_seen: row.get(4)?,
                removed_at: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Replace the integration's findings with `found` (keeping when each was
/// first seen), and record the check.
pub fn record_check(
    conn: Conn<'_>,
    integration_id: i64,
    found: &[Finding],
    now: i64,
    next_check_at: i64,
) -> Result<(), AppError> {
    let before = findings(conn, integration_id)?;
    conn.prepare_cached("DELETE FROM drift_findings WHERE integration_id = ?1")?
        .execute([integration_id])?;
    for finding in found {
        let first_seen = before
            .iter()
            .find(|b| b.login == finding.login && b.resource_path == finding.resource_path)
            .map_or(now, |b| b.first_seen);
        conn.prepare_cached(
            "INSERT INTO drift_findings
             (integration_id, login, resource_path, permission, kind, first_seen, last_seen, removed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            integration_id,
            finding.login,
            finding.resource_path,
            finding.permission,
            finding.kind,
            first_seen,
            now,
            finding.removed_at
        ])?;
    }
    set_checked(conn, integration_id, now, next_check_at, None)
}

/// Record a check (and why it failed, if it did).
pub fn set_checked(
    conn: Conn<'_>,
    integration_id: i64,
    now: i64,
    next_check_at: i64,
    error: Option<&str>,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO drift_checks (integration_id, checked_at, next_check_at, error)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (integration_id) DO UPDATE SET checked_at = excluded.checked_at,
             next_check_at = excluded.next_check_at, error = excluded.error",
    )?
    .execute(params![integration_id, now, next_check_at, error])?;
    Ok(())
}

/// When the integration was last checked, and the error of that check.
pub fn last_check(
    conn: Conn<'_>,
    integration_id: i64,
) -> Result<Option<(i64, Option<String>)>, AppError> {
    Ok(conn
        .prepare_cached("SELECT checked_at, error FROM drift_checks WHERE integration_id = ?1")?
        .query_row([integration_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// Findings not removed, per connector kind (for `/metrics`).
pub fn open_by_connector(conn: Conn<'_>) -> Result<Vec<(String, i64)>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT i.connector, CAST(COUNT(*) AS BIGINT) FROM drift_findings f
             JOIN integrations i ON i.id = f.integration_id
             WHERE f.removed_at IS NULL GROUP BY i.connector ORDER BY i.connector",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}
