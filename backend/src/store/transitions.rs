//! State changes of requests, as the engine makes them: decisions, steps,
//! cancelling, revoking, extending, expiring, failing and ending. Updates
//! that guard against races stay conditional (`WHERE id = ? AND status = …`);
//! the functions say whether they changed the row, or refuse with a conflict
//! when it was no longer in the status they move it from.

use gatehouse_shared::RequestStatus;

use crate::store::sql::{Conn, OptionalExtension, Value, params};

use crate::{error::AppError, store::requests::transition};

/// Pending Approval or Pending MFA, created at or before `?1`.
const STALE_PENDING: &str = "status IN ('Pending Approval', 'Pending MFA') AND created_at <= ?1";
/// Active, expiring at or before `?1`.
const EXPIRY_DUE: &str = "status = 'Active' AND expires_at <= ?1";

/// Whether any request matches `condition` with `?1` bound to `value`.
fn any(conn: Conn<'_>, condition: &str, value: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM requests WHERE {condition})"
        ))?
        .query_row([value], |row| row.get::<_, bool>(0))?)
}

/// Record `approver`'s approval of `step` of request `id`.
pub fn record_approval(
    tx: Conn<'_>,
    id: i64,
    step: i64,
    approver: i64,
    now: i64,
) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO approvals (request_id, step, approver_id, decision, decided_at) VALUES (?1, ?2, ?3, 'approved', ?4)",
        params![id, step, approver, now],
    )?;
    Ok(())
}

/// Record `approver`'s rejection of `step` of request `id`, with the reason.
pub fn record_rejection(
    tx: Conn<'_>,
    id: i64,
    step: i64,
    approver: i64,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO approvals (request_id, step, approver_id, decision, reason, decided_at) VALUES (?1, ?2, ?3, 'rejected', ?4, ?5)",
        params![id, step, approver, reason, now],
    )?;
    Ok(())
}

/// Move a Pending Approval request from `step` to `next_step`; false when it
/// was no longer Pending Approval at `step`.
pub fn approve_step(
    tx: Conn<'_>,
    id: i64,
    step: i64,
    next_step: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = tx.execute(
        "UPDATE requests SET current_step = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'Pending Approval' AND current_step = ?4",
        params![next_step, now, id, step],
    )?;
    Ok(changed == 1)
}

/// Pending Approval → Rejected, with the reason.
pub fn reject(tx: Conn<'_>, id: i64, reason: &str, now: i64) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::PendingApproval,
        RequestStatus::Rejected,
        now,
        &[
            ("rejection_reason", Value::Text(reason.to_owned())),
            ("ended_at", Value::Integer(now)),
        ],
    )
}

/// `from` → Revoked, cancelled by the requester `actor` (None: by the
/// system, e.g. the identity provider deactivated someone).
pub fn cancel(
    tx: Conn<'_>,
    id: i64,
    from: RequestStatus,
    actor: Option<i64>,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    transition(
        tx,
        id,
        from,
        RequestStatus::Revoked,
        now,
        &[
            ("revoked_by", actor.map_or(Value::Null, Value::Integer)),
            ("revoke_reason", Value::Text(reason.to_owned())),
            ("ended_at", Value::Integer(now)),
        ],
    )
}

/// Active → Revoking, to end Revoked; by `actor` (None: by the system),
/// with an optional reason.
pub fn begin_revoke(
    tx: Conn<'_>,
    id: i64,
    actor: Option<i64>,
    reason: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Active,
        RequestStatus::Revoking,
        now,
        &[
            (
                "ending_as",
                Value::Text(RequestStatus::Revoked.label().into()),
            ),
            ("revoked_by", actor.map_or(Value::Null, Value::Integer)),
            (
                "revoke_reason",
                reason.map_or(Value::Null, |r| Value::Text(r.to_owned())),
            ),
        ],
    )
}

/// Move an Active request's end to `expires_at`, counting one extension;
/// false when it was no longer Active with `extensions` extensions used.
pub fn extend(
    tx: Conn<'_>,
    id: i64,
    expires_at: i64,
    extensions: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = tx.execute(
        "UPDATE requests SET expires_at = ?1, extensions = extensions + 1, updated_at = ?2
         WHERE id = ?3 AND status = 'Active' AND extensions = ?4",
        params![expires_at, now, id, extensions],
    )?;
    Ok(changed == 1)
}

/// The requester's requests in Pending MFA, with whether their flow
/// auto-approves, oldest first.
pub fn pending_mfa_of(tx: Conn<'_>, requester_id: i64) -> Result<Vec<(i64, bool)>, AppError> {
    Ok(tx
        .prepare(
            "SELECT r.id, f.auto_approve FROM requests r JOIN access_flows f ON f.id = r.flow_id
             WHERE r.requester_id = ?1 AND r.status = 'Pending MFA' ORDER BY r.id",
        )?
        .query_map([requester_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Whether any request waits (Pending Approval or Pending MFA) since `cutoff` or before.
pub fn any_stale_pending(conn: Conn<'_>, cutoff: i64) -> Result<bool, AppError> {
    any(conn, STALE_PENDING, cutoff)
}

/// Requests waiting since `cutoff` or before, with their status, by id.
pub fn stale_pending(tx: Conn<'_>, cutoff: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(tx
        .prepare(&format!(
            "SELECT id, status FROM requests WHERE {STALE_PENDING} ORDER BY id"
        ))?
        .query_map([cutoff], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Requests waiting since `cutoff` or before become Failed with `reason`;
/// how many did.
pub fn fail_stale_pending(
    tx: Conn<'_>,
    cutoff: i64,
    reason: &str,
    now: i64,
) -> Result<usize, AppError> {
    Ok(tx.execute(
        &format!(
            "UPDATE requests SET status = 'Failed', failure_reason = ?3, ended_at = ?2, updated_at = ?2 WHERE {STALE_PENDING}"
        ),
        params![cutoff, now, reason],
    )?)
}

/// Whether any Active request expires at `now` or before.
pub fn any_expiry_due(conn: Conn<'_>, now: i64) -> Result<bool, AppError> {
    any(conn, EXPIRY_DUE, now)
}

/// Active requests expiring at `now` or before, with their expiry, by id.
pub fn expiries_due(tx: Conn<'_>, now: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(tx
        .prepare(&format!(
            "SELECT id, expires_at FROM requests WHERE {EXPIRY_DUE} ORDER BY id"
        ))?
        .query_map([now], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Active requests expiring at `now` or before become Revoking, to end
/// Expired; how many did.
pub fn begin_expiries(tx: Conn<'_>, now: i64) -> Result<usize, AppError> {
    Ok(tx.execute(
        &format!(
            "UPDATE requests SET status = 'Revoking', ending_as = 'Expired', updated_at = ?1 WHERE {EXPIRY_DUE}"
        ),
        [now],
    )?)
}

/// A request's status label, if it exists.
pub fn status_of(conn: Conn<'_>, id: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT status FROM requests WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?)
}

/// A request's status label and planned end if granted at `now`: its
/// duration counted from its start (a later start or a window's), else from
/// `now`; None when it does not exist.
pub fn status_and_planned_end(
    conn: Conn<'_>,
    id: i64,
    now: i64,
) -> Result<Option<(String, i64)>, AppError> {
    Ok(conn
        .query_row(
            "SELECT status, COALESCE(starts_at, ?2) + duration FROM requests WHERE id = ?1",
            [id, now],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

/// Scheduled, starting at or before `?1`.
const START_DUE: &str = "status = 'Scheduled' AND starts_at <= ?1";

/// Whether any Scheduled request starts at `now` or before.
pub fn any_start_due(conn: Conn<'_>, now: i64) -> Result<bool, AppError> {
    any(conn, START_DUE, now)
}

/// Ids of Scheduled requests starting at `now` or before, oldest first.
pub fn starts_due(tx: Conn<'_>, now: i64) -> Result<Vec<i64>, AppError> {
    Ok(tx
        .prepare(&format!(
            "SELECT id FROM requests WHERE {START_DUE} ORDER BY id"
        ))?
        .query_map([now], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Scheduled → Granting for the window starting at `starts_at` (`window`,
/// from 0; 0 for a one-off later start). What earlier windows granted and
/// removed is cleared, so the connector is asked afresh.
pub fn start_window(
    tx: Conn<'_>,
    id: i64,
    starts_at: i64,
    window: i64,
    now: i64,
) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Scheduled,
        RequestStatus::Granting,
        now,
        &[
            ("starts_at", Value::Integer(starts_at)),
            ("window_index", Value::Integer(window)),
        ],
    )?;
    tx.execute(
        "DELETE FROM access_grants WHERE request_id = ?1 AND state = 'removed'",
        [id],
    )?;
    Ok(())
}

/// Revoking → Scheduled: a window of a recurring request ended (its access
/// is gone) and `window` (from 0) starts at `starts_at`.
pub fn schedule_window(
    tx: Conn<'_>,
    id: i64,
    starts_at: i64,
    window: i64,
    now: i64,
) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Revoking,
        RequestStatus::Scheduled,
        now,
        &[
            ("starts_at", Value::Integer(starts_at)),
            ("window_index", Value::Integer(window)),
            ("ending_as", Value::Null),
        ],
    )
}

/// Scheduled → Expired: its whole time passed before it could start.
pub fn expire_unstarted(tx: Conn<'_>, id: i64, now: i64) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Scheduled,
        RequestStatus::Expired,
        now,
        &[("ended_at", Value::Integer(now))],
    )
}

/// Granting → Failed, with the reason.
pub fn fail_granting(tx: Conn<'_>, id: i64, reason: &str, now: i64) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Granting,
        RequestStatus::Failed,
        now,
        &[
            ("failure_reason", Value::Text(reason.to_owned())),
            ("ended_at", Value::Integer(now)),
        ],
    )
}

/// Granting → Active: granted now, ending at `expires_at`.
pub fn activate(tx: Conn<'_>, id: i64, expires_at: i64, now: i64) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Granting,
        RequestStatus::Active,
        now,
        &[
            ("granted_at", Value::Integer(now)),
            ("expires_at", Value::Integer(expires_at)),
        ],
    )
}

/// How a Revoking request ends: its `ending_as` label, Revoked when unset.
/// Fails when the request does not exist.
pub fn ending_as(conn: Conn<'_>, id: i64) -> Result<String, AppError> {
    Ok(conn.query_row(
        "SELECT COALESCE(ending_as, 'Revoked') FROM requests WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?)
}

/// Revoking → `to` (Revoked or Expired): the access is gone.
pub fn end_revoking(tx: Conn<'_>, id: i64, to: RequestStatus, now: i64) -> Result<(), AppError> {
    transition(
        tx,
        id,
        RequestStatus::Revoking,
        to,
        now,
        &[("ended_at", Value::Integer(now))],
    )
}

/// `from` → `to` with nothing else set (Pending MFA moving on, the last
/// approval making a request Granting).
pub fn advance(
    tx: Conn<'_>,
    id: i64,
    from: RequestStatus,
    to: RequestStatus,
    now: i64,
) -> Result<(), AppError> {
    transition(tx, id, from, to, now, &[])
}
