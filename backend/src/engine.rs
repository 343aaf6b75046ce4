//! The access-request engine: submission, approvals, the lifecycle,
//! provisioning, access details and the requestable catalog. Rules come from
//! the shared crate; SQL from the store; this layer puts them together inside
//! transactions and writes the audit trail with the notices it calls for.
//!
//! Handlers (the REST routes, the Slack app, the workers) call down into it
//! with its context ([`Engine`]: the store, the clock, the connectors, the
//! key) and tell it who acts with an [`Actor`]; it never calls back up.

pub mod access;
pub mod assist;
pub mod bulk;
pub mod catalog;
mod context;
pub mod decide;
pub mod deprovision;
pub mod drift;
pub mod duplicates;
pub mod lifecycle;
pub mod provision;
pub mod schedule;
pub mod ssh;
pub mod submit;

pub use access::*;
pub use catalog::*;
pub use context::{Engine, Provisioning};
pub use decide::{review_in, waiting_step};
pub use duplicates::*;
pub use lifecycle::*;
pub use provision::*;
pub use submit::*;

use gatehouse_shared::{
    requests::{AccessRequest, BreakGlass, RequestActions},
    rules::{self, Actor},
};

use crate::{
    error::AppError,
    notify,
    store::{
        self, Conn,
        flows::Flow,
        requests::{RequestRow, ViewerFlags},
        tokens::timestamp,
    },
};

/// The longest reason a decider may give (rejections, approvals with changes, revocations).
pub const MAX_REASON_LENGTH: usize = 1_000;

/// Items shown per request in lists; the detail view shows all.
pub const ITEMS_IN_LISTS: i64 = 5;

/// Append an audit entry and, in the same transaction, the notices it calls
/// for (an entry about a request may tell its people and approvers): a change
/// is never told without being recorded, nor recorded without being told.
pub fn record(
    conn: Conn<'_>,
    at: i64,
    actor: Option<i64>,
    request_id: Option<i64>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    store::audit::record(conn, at, actor, request_id, action, detail)?;
    if let Some(request_id) = request_id {
        notify::notice::on_audit(conn, at, request_id, action)?;
    }
    Ok(())
}

/// Read requests back in the wire shape, in the given order (the portal and
/// Slack answer an action with the request as it now is).
pub async fn load_views(
    ctx: &Engine,
    actor: Actor,
    ids: Vec<i64>,
) -> Result<Vec<AccessRequest>, AppError> {
    let now = ctx.now().unix_timestamp();
    ctx.db
        .call(move |conn| {
            let mut rows = Vec::with_capacity(ids.len());
            for id in ids {
                rows.push(load_visible(conn, actor, id)?);
            }
            views(conn, rows, actor, Some(ITEMS_IN_LISTS), now)
        })
        .await
}

/// Turn rows into the wire shape, with what `actor` may do with each.
pub fn views(
    conn: Conn<'_>,
    rows: Vec<RequestRow>,
    actor: Actor,
    items_per_request: Option<i64>,
    now: i64,
) -> Result<Vec<AccessRequest>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let favorites = store::requests::favorites_among(conn, actor.id, &ids)?;
    let waiting = store::requests::waiting_on(conn, actor.id, &ids)?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let flags = ViewerFlags {
                is_favorite: favorites.contains(&row.id),
                waiting_on_viewer: waiting.contains(&row.id),
            };
            (row, flags)
        })
        .collect();
    flagged_views(conn, rows, actor, items_per_request, now)
}

/// [`views`] of rows that already say what they are to `actor`
/// ([`store::requests::page_flagged`]): one statement fewer per flag.
pub fn flagged_views(
    conn: Conn<'_>,
    rows: Vec<(RequestRow, ViewerFlags)>,
    actor: Actor,
    items_per_request: Option<i64>,
    now: i64,
) -> Result<Vec<AccessRequest>, AppError> {
    let counted: Vec<(i64, i64)> = rows
        .iter()
        .map(|(row, _)| (row.id, row.item_count))
        .collect();
    let mut items = store::requests::items_of_counted(conn, &counted, items_per_request)?;
    rows.into_iter()
        .map(|(row, flags)| {
            let review = decide::may_review(conn, actor, &row)?;
            let facts = row.facts();
            let decides = flags.waiting_on_viewer;
            let actions = RequestActions {
                approve: decides,
                reject: decides,
                cancel: rules::may_cancel(actor, &facts),
                revoke: rules::may_revoke(actor, &facts),
                // A recurring window ends when it ends: the next one follows.
                extend: rules::check_extend(actor, &facts, now).is_ok() && row.recurrence.is_none(),
                request_again: rules::may_request_again(actor, &facts),
                favorite: rules::may_favorite(actor, &facts),
                review,
            };
            let break_glass = match row.break_glass {
                Some(b) => Some(BreakGlass {
                    reason: b.reason,
                    review_state: b.review_state,
                    reviewed_by: b.reviewed_by,
                    reviewed_at: b.reviewed_at.map(timestamp).transpose()?,
                    review_note: b.review_note,
                }),
                None => None,
            };
            Ok(AccessRequest {
                id: row.id,
                status: row.status,
                flow_id: row.flow_id,
                flow_name: row.flow_name,
                requester: row.requester,
                grantee: row.grantee,
                duration_seconds: row.duration,
                ticket_type: row.ticket_type,
                ticket_id: row.ticket_id,
                justification: row.justification,
                justification_feedback: row.feedback,
                items: items.remove(&row.id).unwrap_or_default(),
                item_count: row.item_count,
                bundle_id: row.bundle_id,
                created_at: timestamp(row.created_at)?,
                granted_at: row.granted_at.map(timestamp).transpose()?,
                expires_at: row.expires_at.map(timestamp).transpose()?,
                ended_at: row.ended_at.map(timestamp).transpose()?,
                extensions_used: row.extensions,
                rejection_reason: row.rejection_reason,
                failure_reason: row.failure_reason,
                revoked_by: row.revoked_by,
                revoke_reason: row.revoke_reason,
                is_favorite: flags.is_favorite,
                actions,
                via_assistant: row.via_assistant,
                break_glass,
                changed_by_approver: row.changed_by_approver,
                starts_at: row.starts_at.map(timestamp).transpose()?,
                recurrence: row
                    .recurrence
                    .as_ref()
                    .map(|r| schedule::recurrence_view(r, row.window_index)),
            })
        })
        .collect()
}

/// A user sees a request when they asked for it, receive it, decide (or
/// decided) it, review it (a break-glass use of a flow they approve), or
/// are an admin. Anyone else is told it does not exist.
pub fn load_visible(conn: Conn<'_>, actor: Actor, id: i64) -> Result<RequestRow, AppError> {
    let not_found = || AppError::NotFound(format!("Request {id}"));
    let row = store::requests::get(conn, id)?.ok_or_else(not_found)?;
    let visible = actor.is_admin
        || row.requester.id == actor.id
        || row.grantee.id == actor.id
        || store::requests::waiting_on(conn, actor.id, &[id])?.contains(&id)
        || store::requests::has_decided(conn, actor.id, id)?
        || (row.break_glass.is_some()
            && store::approvals::approves_flow(conn, actor.id, row.flow_id)?);
    if visible {
        Ok(row)
    } else {
        tracing::info!(
            user = actor.id,
            request = id,
            "refused: request not visible to user"
        );
        Err(not_found())
    }
}

/// The access flow a request was made under.
pub(crate) fn flow_of(conn: Conn<'_>, row: &RequestRow) -> Result<Flow, AppError> {
    store::flows::flow_by_id(conn, row.flow_id)?.ok_or_else(|| {
        AppError::internal(format!("request {} has no flow {}", row.id, row.flow_id))
    })
}

/// A decider's reason, trimmed: required or not, and not too long.
pub(crate) fn checked_reason(reason: &str, required: bool) -> Result<String, AppError> {
    let reason = reason.trim();
    if required && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "Give a reason; the requester will see it.",
        ));
    }
    if reason.chars().count() > MAX_REASON_LENGTH {
        return Err(AppError::invalid(
            "reason",
            format!("The reason is at most {MAX_REASON_LENGTH} characters."),
        ));
    }
    Ok(reason.to_owned())
}
