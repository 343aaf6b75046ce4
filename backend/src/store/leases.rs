//! Leases on background work shared by every process on the database
//! (migration 0006): who holds one, until when, and the epoch that fences
//! a holder that was taken over.

use crate::store::sql::{Conn, Dialect, OptionalExtension, params};

use crate::error::AppError;

/// Provisioning: every connector call (grant, remove, move the end, reset).
pub const PROVISIONING: &str = "provisioning";
/// Delivering the outbox (Slack, e-mail).
pub const OUTBOX: &str = "outbox";
/// Reconciling integrations with their targets (drift).
pub const DRIFT: &str = "drift";

/// A lease as held: what a write that depends on it checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub name: &'static str,
    pub holder: String,
    pub epoch: i64,
}

/// Take the lease for `holder` until `until_ms` when it is free, expired,
/// or already this holder's; the epoch moves on when the holder changes.
/// None when another holder has it.
pub fn acquire(
    conn: Conn<'_>,
    name: &'static str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<Fence>, AppError> {
    let epoch: Option<i64> = conn
        .prepare_cached(
            "UPDATE leases
             SET epoch = CASE WHEN holder = ?2 THEN epoch ELSE epoch + 1 END,
                 holder = ?2, until_ms = ?4
             WHERE name = ?1 AND (holder IS NULL OR holder = ?2 OR until_ms <= ?3)
             RETURNING epoch",
        )?
        .query_row(params![name, holder, now_ms, until_ms], |row| row.get(0))
        .optional()?;
    Ok(epoch.map(|epoch| Fence {
        name,
        holder: holder.to_owned(),
        epoch,
    }))
}

/// Hold the lease longer; false when it was taken over meanwhile.
pub fn renew(conn: Conn<'_>, fence: &Fence, until_ms: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(
            "UPDATE leases SET until_ms = ?4 WHERE name = ?1 AND holder = ?2 AND epoch = ?3",
        )?
        .execute(params![fence.name, fence.holder, fence.epoch, until_ms])?
        == 1)
}

/// Free the lease, if still held under this fence.
pub fn release(conn: Conn<'_>, fence: &Fence) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE leases SET holder = NULL, until_ms = 0 WHERE name = ?1 AND holder = ?2 AND epoch = ?3",
    )?
    .execute(params![fence.name, fence.holder, fence.epoch])?;
    Ok(())
}

/// Free every lease `holder` holds (a process shutting down); how many.
pub fn release_all(conn: Conn<'_>, holder: &str) -> Result<usize, AppError> {
    Ok(conn
        .prepare_cached("UPDATE leases SET holder = NULL, until_ms = 0 WHERE holder = ?1")?
        .execute([holder])?)
}

/// Inside a write transaction: whether the lease is still held under this
/// fence (nobody took it over, even if its time ran out unnoticed).
pub fn holds(conn: Conn<'_>, fence: &Fence) -> Result<bool, AppError> {
    // On PostgreSQL the row is locked for the rest of the transaction, so a
    // takeover (which needs no write turn) waits for this commit, or this
    // transaction is retried and then sees the new epoch.
    Ok(conn
        .prepare_cached(match conn.dialect() {
            Dialect::Sqlite => {
                "SELECT 1 FROM leases WHERE name = ?1 AND holder = ?2 AND epoch = ?3"
            }
            Dialect::Postgres => {
                "SELECT 1 FROM leases WHERE name = ?1 AND holder = ?2 AND epoch = ?3 FOR SHARE"
            }
        })?
        .query_row(params![fence.name, fence.holder, fence.epoch], |row| {
            row.get::<_, i64>(0)
        })
        .optional()?
        .is_some())
}

/// Who holds a lease now (`now_ms`), and its epoch: for tests and metrics.
pub fn holder_of(
    conn: Conn<'_>,
    name: &str,
    now_ms: i64,
) -> Result<(Option<String>, i64), AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT CASE WHEN until_ms > ?2 THEN holder END, epoch FROM leases WHERE name = ?1",
        )?
        .query_row(params![name, now_ms], |row| Ok((row.get(0)?, row.get(1)?)))?)
}
