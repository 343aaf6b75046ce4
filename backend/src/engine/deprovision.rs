//! Offboarding: when the identity provider deactivates or deletes someone,
//! they lose every way in at once (sessions, API tokens, sign-in), their
//! waiting requests are cancelled, and their live access starts being
//! removed through the connectors (Revoking → Revoked).

use gatehouse_shared::RequestStatus;
use serde_json::json;

use crate::{
    error::AppError,
    store::{self, Conn},
};

/// The reason on every request ended this way, and in the audit log.
pub const REASON: &str = "deprovisioned by the identity provider";

/// What deprovisioning ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub cancelled: Vec<i64>,
    pub revoking: Vec<i64>,
}

/// Deactivate a user (and mark them deleted when `deleted`), in the
/// caller's transaction, and end what they had; audited.
pub fn deprovision_in(
    tx: Conn<'_>,
    user_id: i64,
    deleted: bool,
    now: i64,
) -> Result<Swept, AppError> {
    let was_active = store::identity::deactivate(tx, user_id, deleted.then_some(now))?;
    let swept = sweep_in(tx, now)?;
    if was_active || deleted {
        super::record(
            tx,
            now,
            None,
            None,
            if deleted {
                "user_deleted_by_provider"
            } else {
                "user_deactivated_by_provider"
            },
            json!({
                "user_id": user_id,
                "reason": REASON,
                "cancelled": swept.cancelled,
                "revoking": swept.revoking,
            }),
        )?;
    }
    Ok(swept)
}

/// Cancel the waiting requests and start revoking the live access of every
/// inactive user. Idempotent; the worker runs it too, for access that went
/// live after the user was deactivated (a grant under way at that moment).
pub fn sweep_in(tx: Conn<'_>, now: i64) -> Result<Swept, AppError> {
    let (waiting, live) = store::identity::left_behind(tx)?;
    let mut swept = Swept::default();
    for (id, status) in waiting {
        let Some(from) = RequestStatus::from_label(&status) else {
            continue;
        };
        store::transitions::cancel(tx, id, from, None, REASON, now)?;
        super::record(
            tx,
            now,
            None,
            Some(id),
            "cancelled",
            json!({"reason": REASON}),
        )?;
        swept.cancelled.push(id);
    }
    for id in live {
        store::transitions::begin_revoke(tx, id, None, Some(REASON), now)?;
        super::record(
            tx,
            now,
            None,
            Some(id),
            "revoke_started",
            json!({"reason": REASON}),
        )?;
        swept.revoking.push(id);
    }
    Ok(swept)
}

/// The worker's pass: sweep when an inactive user still has something.
pub async fn sweep(ctx: &super::Engine, now: i64) -> Result<Swept, AppError> {
    if !ctx.db.call(store::identity::any_left_behind).await? {
        return Ok(Swept::default());
    }
    ctx.db.write(move |tx| sweep_in(tx, now)).await
}
