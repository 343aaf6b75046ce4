//! Time and provisioning: the 7-day limit, expiry, and the connector calls
//! that move Granting to Active and Revoking to Revoked or Expired.
//!
//! Connector calls happen outside any transaction (they may be slow), in
//! batches; their outcomes are then written in one transaction per batch.

use std::collections::HashMap;

use gatehouse_shared::RequestStatus;
use rusqlite::{Connection, params, params_from_iter, types::Value};
use serde_json::json;

use crate::{
    connector::{Grant, GrantItem},
    error::AppError,
    state::AppState,
    store::{self, placeholders},
};

/// Requests waiting longer than this fail.
pub const PENDING_LIMIT: i64 = 7 * 24 * 3600;
pub const PENDING_LIMIT_REASON: &str = "Pending approval for more than 7 days";
const BATCH: i64 = 500;

/// Whether any request matches `condition` (with `values` bound); a cheap
/// read so that idle passes never take the write lock.
async fn any_due(
    state: &AppState,
    condition: &'static str,
    values: Vec<i64>,
) -> Result<bool, AppError> {
    state
        .db
        .call(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT EXISTS (SELECT 1 FROM requests WHERE {condition})"
                ))?
                .query_row(params_from_iter(values), |row| row.get::<_, bool>(0))?)
        })
        .await
}

/// Pending Approval or Pending MFA for more than 7 days becomes Failed.
pub async fn fail_stale_pending(state: &AppState, now: i64) -> Result<usize, AppError> {
    let stale = "status IN ('Pending Approval', 'Pending MFA') AND created_at <= ?1";
    if !any_due(state, stale, vec![now - PENDING_LIMIT]).await? {
        return Ok(0);
    }
    state
        .db
        .write(move |tx| {
            let cutoff = now - PENDING_LIMIT;
            let condition = "status IN ('Pending Approval', 'Pending MFA') AND created_at <= ?1";
            let due: Vec<(i64, String)> = tx
                .prepare(&format!("SELECT id, status FROM requests WHERE {condition} ORDER BY id"))?
                .query_map([cutoff], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (id, from) in &due {
                store::audit::record(tx, now, None, Some(*id), "failed", json!({"reason": PENDING_LIMIT_REASON, "from": from}))?;
            }
            Ok(tx.execute(
                &format!(
                    "UPDATE requests SET status = 'Failed', failure_reason = ?3, ended_at = ?2, updated_at = ?2 WHERE {condition}"
                ),
                params![cutoff, now, PENDING_LIMIT_REASON],
            )?)
        })
        .await
}

/// Active access past its expiry starts being removed (Revoking, to end
/// Expired). Returns how many, and the earliest expiry among them.
pub async fn begin_due_expiries(
    state: &AppState,
    now: i64,
) -> Result<(usize, Option<i64>), AppError> {
    if !any_due(state, "status = 'Active' AND expires_at <= ?1", vec![now]).await? {
        return Ok((0, None));
    }
    state
        .db
        .write(move |tx| {
            let condition = "status = 'Active' AND expires_at <= ?1";
            let due: Vec<(i64, i64)> = tx
                .prepare(&format!("SELECT id, expires_at FROM requests WHERE {condition} ORDER BY id"))?
                .query_map([now], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let earliest = due.iter().map(|(_, expires_at)| *expires_at).min();
            for (id, expires_at) in &due {
                store::audit::record(tx, now, None, Some(*id), "expiry_started", json!({"expires_at": expires_at}))?;
            }
            let count = tx.execute(
                &format!("UPDATE requests SET status = 'Revoking', ending_as = 'Expired', updated_at = ?1 WHERE {condition}"),
                [now],
            )?;
            Ok((count, earliest))
        })
        .await
}

/// Grant everything Granting and remove everything Revoking, batch by batch.
pub async fn provision_all(state: &AppState) -> Result<(), AppError> {
    // One provisioner at a time, so no access is granted or removed twice.
    let _guard = state.provisioning.lock().await;
    if !any_due(state, "status IN ('Granting', 'Revoking')", Vec::new()).await? {
        return Ok(());
    }
    for status in [RequestStatus::Granting, RequestStatus::Revoking] {
        loop {
            let ids = state
                .db
                .call(move |conn| store::requests::ids_in_status(conn, status, BATCH))
                .await?;
            if ids.is_empty() {
                break;
            }
            let processed = provision_batch(state, status, ids).await?;
            if processed == 0 {
                // Every removal in the batch failed; try again on the next pass.
                break;
            }
        }
    }
    Ok(())
}

async fn provision_batch(
    state: &AppState,
    status: RequestStatus,
    ids: Vec<i64>,
) -> Result<usize, AppError> {
    let grants = state.db.call(move |conn| grants_of(conn, &ids)).await?;
    let connector = state.connector.clone();
    let outcomes: Vec<(Grant, Result<(), String>)> = tokio::task::spawn_blocking(move || {
        grants
            .into_iter()
            .map(|grant| {
                let outcome = if status == RequestStatus::Granting {
                    connector.grant(&grant)
                } else {
                    connector.revoke(&grant)
                };
                (grant, outcome)
            })
            .collect()
    })
    .await
    .map_err(|error| AppError::internal(format!("connector task failed: {error}")))?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let mut processed = 0;
            for (grant, outcome) in outcomes {
                let id = grant.request_id;
                match (status, outcome) {
                    (RequestStatus::Granting, Ok(())) => {
                        let duration: i64 = tx.query_row(
                            "SELECT duration FROM requests WHERE id = ?1",
                            [id],
                            |r| r.get(0),
                        )?;
                        store::requests::transition(
                            tx,
                            id,
                            RequestStatus::Granting,
                            RequestStatus::Active,
                            now,
                            &[
                                ("granted_at", Value::Integer(now)),
                                ("expires_at", Value::Integer(now + duration)),
                            ],
                        )?;
                        store::audit::record(
                            tx,
                            now,
                            None,
                            Some(id),
                            "granted",
                            json!({"expires_at": now + duration}),
                        )?;
                        processed += 1;
                    }
                    (RequestStatus::Granting, Err(reason)) => {
                        store::requests::transition(
                            tx,
                            id,
                            RequestStatus::Granting,
                            RequestStatus::Failed,
                            now,
                            &[
                                ("failure_reason", Value::Text(reason.clone())),
                                ("ended_at", Value::Integer(now)),
                            ],
                        )?;
                        store::audit::record(
                            tx,
                            now,
                            None,
                            Some(id),
                            "grant_failed",
                            json!({"reason": reason}),
                        )?;
                        processed += 1;
                    }
                    (_, Ok(())) => {
                        let ending: String = tx.query_row(
                            "SELECT COALESCE(ending_as, 'Revoked') FROM requests WHERE id = ?1",
                            [id],
                            |r| r.get(0),
                        )?;
                        let to =
                            RequestStatus::from_label(&ending).unwrap_or(RequestStatus::Revoked);
                        store::requests::transition(
                            tx,
                            id,
                            RequestStatus::Revoking,
                            to,
                            now,
                            &[("ended_at", Value::Integer(now))],
                        )?;
                        let action = if to == RequestStatus::Expired {
                            "expired"
                        } else {
                            "revoked"
                        };
                        store::audit::record(
                            tx,
                            now,
                            None,
                            Some(id),
                            action,
                            json!({"access_removed": true}),
                        )?;
                        processed += 1;
                    }
                    (_, Err(reason)) => {
                        // Access that should be gone is never dropped silently:
                        // the request stays Revoking and is retried.
                        tracing::warn!(request = id, %reason, "removing access failed; will retry");
                    }
                }
            }
            Ok(processed)
        })
        .await
}

/// What the connector needs for each request.
fn grants_of(conn: &Connection, ids: &[i64]) -> Result<Vec<Grant>, AppError> {
    let mut grants: HashMap<i64, Grant> = HashMap::new();
    let mut statement = conn.prepare(&format!(
        "SELECT r.id, u.username, COALESCE(r.expires_at, r.created_at + r.duration)
         FROM requests r JOIN users u ON u.id = r.grantee_id WHERE r.id IN ({})",
        placeholders(ids.len())
    ))?;
    for row in statement.query_map(params_from_iter(ids), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })? {
        let (id, username, expires_at) = row?;
        grants.insert(
            id,
            Grant {
                request_id: id,
                grantee_username: username,
                expires_at,
                items: Vec::new(),
            },
        );
    }
    let mut statement = conn.prepare(&format!(
        "SELECT ri.request_id, i.kind, i.name, res.path, p.name
         FROM request_items ri JOIN resources res ON res.id = ri.resource_id
         JOIN integrations i ON i.id = res.integration_id JOIN permissions p ON p.id = ri.permission_id
         WHERE ri.request_id IN ({}) ORDER BY ri.request_id, res.id, p.id",
        placeholders(ids.len())
    ))?;
    for row in statement.query_map(params_from_iter(ids), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            GrantItem {
                integration_kind: row.get(1)?,
                integration_name: row.get(2)?,
                resource_path: row.get(3)?,
                permission: row.get(4)?,
            },
        ))
    })? {
        let (id, item) = row?;
        if let Some(grant) = grants.get_mut(&id) {
            grant.items.push(item);
        }
    }
    let mut ordered: Vec<Grant> = grants.into_values().collect();
    ordered.sort_by_key(|grant| grant.request_id);
    Ok(ordered)
}
