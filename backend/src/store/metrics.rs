//! What `GET /metrics` reads from the database at scrape time: requests by
//! status, provisioning work per connector, the outbox's depth and age, and
//! how overdue the oldest expiry and 7-day limit are. Each statement is an
//! indexed range or a partial index over rows that are still in play, so a
//! scrape stays cheap on a large database (see BENCHMARKS.md), and all of
//! them run in one snapshot. Counting the ended requests is the exception,
//! and runs only when the caller asks.

use gatehouse_shared::rules::PENDING_LIMIT;

use crate::{error::AppError, store::sql::Conn};

/// Provisioning work of one kind, for one connector kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantWork {
    /// The integration's connector kind (`demo`, `postgresql`, `webhook`, `manual`).
    pub connector: String,
    /// `grant`, `removal` or `extension`.
    pub work: String,
    /// (request, integration) pairs whose work is not done yet.
    pub waiting: i64,
    /// Of those, the ones whose last attempt failed (being retried).
    pub failing: i64,
}

/// The outbox's undelivered messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxDepth {
    pub pending: i64,
    /// Pending and due now (not waiting out a backoff).
    pub due: i64,
    /// Pending after at least one failed attempt.
    pub retrying: i64,
    /// When the oldest pending message was written.
    pub oldest_created_at: Option<i64>,
}

/// Statuses a request moves on from: few requests each, counted at every scrape.
pub const OPEN_STATUSES: &str =
    "('Pending Approval', 'Pending MFA', 'Scheduled', 'Granting', 'Active', 'Revoking')";
/// Statuses a request ends in: they grow without bound (a million requests
/// take some 100 ms to count), so the scrape counts them only when asked.
pub const ENDED_STATUSES: &str = "('Rejected', 'Revoked', 'Expired', 'Failed')";

/// Everything the scrape reads, from one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// (status label, count) of the open statuses that have requests.
    pub requests: Vec<(String, i64)>,
    /// The same for the ended statuses, when they were counted.
    pub ended: Option<Vec<(String, i64)>>,
    pub grants: Vec<GrantWork>,
    /// (connector kind, drift findings not removed).
    pub drift: Vec<(String, i64)>,
    pub outbox: OutboxDepth,
    /// The earliest expiry of access still Active at `now`: the background
    /// work is that late removing it.
    pub oldest_overdue_expiry: Option<i64>,
    /// The creation time of the oldest request still waiting past the 7-day limit.
    pub oldest_overdue_pending: Option<i64>,
}

/// Read the snapshot (call inside one read transaction); the ended
/// statuses are counted only when `count_ended`.
pub fn snapshot(conn: Conn<'_>, now: i64, count_ended: bool) -> Result<Snapshot, AppError> {
    Ok(Snapshot {
        requests: requests_by_status(conn, OPEN_STATUSES)?,
        ended: if count_ended {
            Some(requests_by_status(conn, ENDED_STATUSES)?)
        } else {
            None
        },
        grants: grant_work(conn)?,
        drift: crate::store::drift::open_by_connector(conn)?,
        outbox: outbox_depth(conn, now)?,
        oldest_overdue_expiry: conn.query_row(
            "SELECT MIN(expires_at) FROM requests WHERE status = 'Active' AND expires_at <= ?1",
            [now],
            |row| row.get(0),
        )?,
        oldest_overdue_pending: conn.query_row(
            "SELECT MIN(created_at) FROM requests
             WHERE status IN ('Pending Approval', 'Pending MFA') AND created_at <= ?1",
            [now - PENDING_LIMIT],
            |row| row.get(0),
        )?,
    })
}

/// Requests of these statuses (one of the lists above), by status: a
/// count over the ranges of the status index.
fn requests_by_status(conn: Conn<'_>, statuses: &str) -> Result<Vec<(String, i64)>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT status, CAST(COUNT(*) AS BIGINT) FROM requests
             WHERE status IN {statuses} GROUP BY status ORDER BY status"
        ))?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Work not done yet, per connector kind: grants of Granting requests (not
/// asked yet, retrying, or waiting on a person), removals (of Revoking
/// requests, leftovers of failed ones, and those waiting on a person), and
/// extensions the target system does not know yet. Each branch is an
/// indexed read: Granting and Revoking requests by status, the others by
/// the grants' partial indexes.
fn grant_work(conn: Conn<'_>) -> Result<Vec<GrantWork>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT i.connector, w.work, CAST(COUNT(*) AS BIGINT),
                    CAST(SUM(CASE WHEN w.attempts > 0 THEN 1 ELSE 0 END) AS BIGINT)
             FROM (
                 SELECT p.integration_id AS integration_id, 'grant' AS work,
                        COALESCE(g.attempts, 0) AS attempts
                 FROM (SELECT DISTINCT r.id AS request_id, res.integration_id AS integration_id
                       FROM requests r
                       JOIN request_items ri ON ri.request_id = r.id
                       JOIN resources res ON res.id = ri.resource_id
                       WHERE r.status = 'Granting') AS p
                 LEFT JOIN access_grants g
                        ON g.request_id = p.request_id AND g.integration_id = p.integration_id
                 WHERE g.state IS NULL OR g.state IN ('pending', 'waiting')
                 UNION ALL
                 SELECT integration_id, 'removal', attempts FROM access_grants
                 WHERE state IN ('waiting', 'removing') AND state = 'removing'
                 UNION ALL
                 SELECT integration_id, 'removal', attempts FROM access_grants
                 WHERE state = 'granted' AND leftover = 1
                 UNION ALL
                 SELECT g.integration_id, 'removal', g.attempts
                 FROM requests r JOIN access_grants g ON g.request_id = r.id
                 WHERE r.status = 'Revoking' AND g.state = 'granted' AND g.leftover = 0
                 UNION ALL
                 SELECT integration_id, 'extension', attempts FROM access_grants
                 WHERE state = 'granted' AND sync_due = 1
             ) AS w
             JOIN integrations i ON i.id = w.integration_id
             GROUP BY i.connector, w.work
             ORDER BY i.connector, w.work",
        )?
        .query_map([], |row| {
            Ok(GrantWork {
                connector: row.get(0)?,
                work: row.get(1)?,
                waiting: row.get(2)?,
                failing: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The pending part of the outbox, over its partial index.
fn outbox_depth(conn: Conn<'_>, now: i64) -> Result<OutboxDepth, AppError> {
    Ok(conn.query_row(
        "SELECT CAST(COUNT(*) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN next_attempt_at <= ?1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
                MIN(created_at)
         FROM outbox WHERE state = 'pending'",
        [now],
        |row| {
            Ok(OutboxDepth {
                pending: row.get(0)?,
                due: row.get(1)?,
                retrying: row.get(2)?,
                oldest_created_at: row.get(3)?,
            })
        },
    )?)
}
