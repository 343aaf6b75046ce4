//! What people do with a request after submitting it: approve, reject,
//! cancel, revoke, extend, request again, star. Each runs in one transaction
//! that re-reads the request, checks the rule, moves the status and audits.

use gatehouse_shared::{
    RequestStatus,
    requests::{ApproveWithChanges, ItemSelection, SubmitRequest},
    rules::{self, Actor},
};
use serde_json::json;

use crate::{
    error::AppError,
    store::{self, Conn, requests::RequestRow},
};

use super::{checked_reason, flow_of, load_visible, submit_in};

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// The approval counts towards the step's quorum; the step still waits
    /// on other approvers.
    Counted { approvals: i64, required: i64 },
    /// The next ordered step now waits.
    NextStep,
    /// All steps approved: the request is Granting.
    Approved,
}

/// What a rejection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionOutcome {
    /// Counted; the step rejects only after more rejections.
    Counted { rejections: i64, required: i64 },
    /// The request is Rejected.
    Rejected,
}

/// Refuse with the reason a user cannot decide this request.
fn check_decider(conn: Conn<'_>, actor: Actor, row: &RequestRow) -> Result<(), AppError> {
    if row.status != RequestStatus::PendingApproval {
        return Err(AppError::Conflict(format!(
            "Request {} is {}, not Pending Approval.",
            row.id, row.status
        )));
    }
    if actor.id == row.requester.id {
        return Err(AppError::Forbidden(
            "You cannot approve or reject your own request.".into(),
        ));
    }
    if actor.id == row.grantee.id {
        return Err(AppError::Forbidden(
            "You cannot approve or reject a request that grants you access.".into(),
        ));
    }
    if store::approvals::decisions_of_step(conn, row.id, row.current_step)?.decided(actor.id) {
        return Err(AppError::Conflict(format!(
            "You already decided step {} of request {}; it waits on other approvers.",
            row.current_step + 1,
            row.id
        )));
    }
    if !store::requests::waiting_on(conn, actor.id, &[row.id])?.contains(&row.id) {
        return Err(AppError::Forbidden(
            "You are not an approver of this request's current step.".into(),
        ));
    }
    Ok(())
}

/// A decision a quorum step counted without deciding the step: the request
/// stays at its step, touched so that a concurrent decision on the same step
/// conflicts instead of counting against a stale read, and audited.
fn count_decision(
    tx: Conn<'_>,
    actor: Actor,
    row: &RequestRow,
    action: &str,
    detail: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    if !store::transitions::approve_step(tx, row.id, row.current_step, row.current_step, now)? {
        return Err(AppError::Conflict(format!(
            "Request {} changed meanwhile; reload it.",
            row.id
        )));
    }
    super::record(tx, now, Some(actor.id), Some(row.id), action, detail)
}

/// Approve the current step as it was asked.
pub fn approve_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    now: i64,
) -> Result<ApprovalOutcome, AppError> {
    approve(tx, actor, id, None, now)
}

/// Narrow the request (never widen it), then approve the current step.
pub fn approve_with_changes_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    changes: &ApproveWithChanges,
    now: i64,
) -> Result<ApprovalOutcome, AppError> {
    approve(tx, actor, id, Some(changes), now)
}

fn approve(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    changes: Option<&ApproveWithChanges>,
    now: i64,
) -> Result<ApprovalOutcome, AppError> {
    let row = load_visible(tx, actor, id)?;
    check_decider(tx, actor, &row)?;
    let flow = flow_of(tx, &row)?;
    if flow.mfa_required && !store::mfa::is_confirmed(tx, actor.id, now)? {
        return Err(AppError::Forbidden(
            "This access flow requires MFA: confirm a code from your authenticator app before approving.".into(),
        ));
    }
    if let Some(changes) = changes {
        super::decide::narrow_in(tx, actor, &row, changes, now)?;
    }
    store::transitions::record_approval(tx, id, row.current_step, actor.id, now)?;
    let rule = flow.step_rule(row.current_step);
    let approvals = store::approvals::decisions_of_step(tx, id, row.current_step)?
        .approved_by
        .len() as i64;
    if approvals < rule.required_approvals {
        count_decision(
            tx,
            actor,
            &row,
            "approval_counted",
            json!({"step": row.current_step, "approvals": approvals, "required": rule.required_approvals}),
            now,
        )?;
        return Ok(ApprovalOutcome::Counted {
            approvals,
            required: rule.required_approvals,
        });
    }
    let next_step = row.current_step + 1;
    if next_step < flow.step_count() {
        if !store::transitions::approve_step(tx, id, row.current_step, next_step, now)? {
            return Err(AppError::Conflict(format!(
                "Request {id} changed meanwhile; reload it."
            )));
        }
        super::record(
            tx,
            now,
            Some(actor.id),
            Some(id),
            "step_approved",
            json!({"step": row.current_step, "approvals": approvals}),
        )?;
        Ok(ApprovalOutcome::NextStep)
    } else {
        store::transitions::advance(
            tx,
            id,
            RequestStatus::PendingApproval,
            super::schedule::approved_status(&row, now),
            now,
        )?;
        super::record(
            tx,
            now,
            Some(actor.id),
            Some(id),
            "approved",
            json!({"step": row.current_step, "approvals": approvals}),
        )?;
        Ok(ApprovalOutcome::Approved)
    }
}

pub fn reject_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<RejectionOutcome, AppError> {
    let reason = checked_reason(reason, true)?;
    let row = load_visible(tx, actor, id)?;
    check_decider(tx, actor, &row)?;
    store::transitions::record_rejection(tx, id, row.current_step, actor.id, &reason, now)?;
    let rule = flow_of(tx, &row)?.step_rule(row.current_step);
    let rejections = store::approvals::decisions_of_step(tx, id, row.current_step)?
        .rejected_by
        .len() as i64;
    if rejections < rule.rejections_to_reject {
        count_decision(
            tx,
            actor,
            &row,
            "rejection_counted",
            json!({"step": row.current_step, "reason": reason, "rejections": rejections, "required": rule.rejections_to_reject}),
            now,
        )?;
        return Ok(RejectionOutcome::Counted {
            rejections,
            required: rule.rejections_to_reject,
        });
    }
    store::transitions::reject(tx, id, &reason, now)?;
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "rejected",
        json!({"reason": reason}),
    )?;
    Ok(RejectionOutcome::Rejected)
}

pub fn cancel_in(tx: Conn<'_>, actor: Actor, id: i64, now: i64) -> Result<(), AppError> {
    let row = load_visible(tx, actor, id)?;
    if !rules::may_cancel(actor, &row.facts()) {
        return Err(if actor.id != row.requester.id {
            AppError::Forbidden("Only the requester can cancel a request.".into())
        } else {
            AppError::Conflict(format!(
                "Request {id} is {}; only requests waiting for approval or for their start can be cancelled.",
                row.status
            ))
        });
    }
    store::transitions::cancel(
        tx,
        id,
        row.status,
        Some(actor.id),
        "cancelled by requester",
        now,
    )?;
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "cancelled",
        json!({"reason": "cancelled by requester"}),
    )
}

/// Start removing access: Active → Revoking; provisioning finishes it.
pub fn revoke_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    reason: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    let reason = checked_reason(reason.unwrap_or_default(), false)?;
    let row = load_visible(tx, actor, id)?;
    if !rules::may_revoke(actor, &row.facts()) {
        return Err(if row.status == RequestStatus::Scheduled {
            AppError::Forbidden(
                "Only an admin can revoke a Scheduled request; its requester cancels it.".into(),
            )
        } else if row.status != RequestStatus::Active {
            AppError::Conflict(format!(
                "Request {id} is {}; only active access can be revoked.",
                row.status
            ))
        } else if row.facts().is_delegated() {
            AppError::Forbidden("Someone else requested this access on your behalf: only the requester can revoke it.".into())
        } else {
            AppError::Forbidden("Only the grantee or an admin can revoke this access.".into())
        });
    }
    let reason = if reason.is_empty() {
        None
    } else {
        Some(reason)
    };
    if row.status == RequestStatus::Scheduled {
        // Nothing granted yet (or between windows): it ends at once.
        let reason = reason.as_deref().unwrap_or("revoked before its start");
        store::transitions::cancel(tx, id, row.status, Some(actor.id), reason, now)?;
        return super::record(
            tx,
            now,
            Some(actor.id),
            Some(id),
            "revoked",
            json!({"reason": reason, "before_start": true}),
        );
    }
    store::transitions::begin_revoke(tx, id, Some(actor.id), reason.as_deref(), now)?;
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "revoke_started",
        json!({"reason": reason}),
    )
}

pub fn extend_in(tx: Conn<'_>, actor: Actor, id: i64, now: i64) -> Result<i64, AppError> {
    let row = load_visible(tx, actor, id)?;
    if row.recurrence.is_some() && row.status == RequestStatus::Active {
        return Err(AppError::Conflict(
            "A window of recurring access cannot be extended; the next window follows on schedule."
                .into(),
        ));
    }
    if let Err(refusal) = rules::check_extend(actor, &row.facts(), now) {
        return Err(match refusal {
            rules::ExtendRefusal::NotYours => AppError::Forbidden(refusal.message().into()),
            _ => AppError::Conflict(refusal.message().into()),
        });
    }
    let expires_at = row.expires_at.unwrap_or(now) + row.extend.by;
    if !store::transitions::extend(tx, id, expires_at, row.extensions, now)? {
        return Err(AppError::Conflict(format!(
            "Request {id} changed meanwhile; reload it."
        )));
    }
    // The target systems learn the new end from the provisioning worker.
    store::access::mark_sync_due(tx, id)?;
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "extended",
        json!({"by_seconds": row.extend.by, "expires_at": expires_at, "extension": row.extensions + 1}),
    )?;
    Ok(expires_at)
}

/// Submit the same access again with a new justification.
pub fn request_again_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    justification: &str,
    via_assistant: Option<&str>,
    now: i64,
) -> Result<Vec<i64>, AppError> {
    let row = load_visible(tx, actor, id)?;
    if !rules::may_request_again(actor, &row.facts()) {
        return Err(
            if matches!(
                row.status,
                RequestStatus::Expired | RequestStatus::Revoked | RequestStatus::Rejected
            ) {
                AppError::Forbidden(
                    "Only the requester or the grantee can request this access again.".into(),
                )
            } else {
                AppError::Conflict(format!(
                    "Request {id} is {}; only expired, revoked or rejected requests can be requested again.",
                    row.status
                ))
            },
        );
    }
    let items = store::requests::selections_of(tx, id)?
        .into_iter()
        .map(|(resource_id, permission)| ItemSelection {
            resource_id,
            permission,
        })
        .collect();
    let form = SubmitRequest {
        grantee_id: Some(row.grantee.id),
        items,
        bundle: None,
        duration_seconds: row.duration,
        ticket_type: row.ticket_type.clone(),
        ticket_id: row.ticket_id.clone(),
        justification: justification.to_owned(),
        allow_duplicate: false,
        via_assistant: via_assistant.map(str::to_owned),
        break_glass_reason: None,
        starts_at: None,
        recurring_weeks: None,
    };
    submit_in(tx, actor.id, &form, Some(id), now)
}

pub fn set_favorite_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    starred: bool,
    now: i64,
) -> Result<(), AppError> {
    let row = load_visible(tx, actor, id)?;
    if !starred {
        return store::requests::unset_favorite(tx, actor.id, id);
    }
    if !rules::may_favorite(actor, &row.facts()) {
        return Err(
            if row.requester.id != actor.id || row.grantee.id != actor.id {
                AppError::Forbidden(
                    "You can only favorite requests you submitted for yourself.".into(),
                )
            } else {
                AppError::Conflict(
                    "A request can be a favorite once it has expired or been revoked.".into(),
                )
            },
        );
    }
    store::requests::set_favorite(tx, actor.id, id, now)
}

/// After the requester confirmed MFA: their requests waiting in Pending MFA
/// move on, to Granting (or Scheduled) when their flow auto-approves, else
/// Pending Approval.
pub fn release_pending_mfa(tx: Conn<'_>, requester_id: i64, now: i64) -> Result<usize, AppError> {
    let waiting = store::transitions::pending_mfa_of(tx, requester_id)?;
    for (id, auto_approve) in &waiting {
        let next = if *auto_approve {
            match store::requests::get(tx, *id)? {
                Some(row) => super::schedule::approved_status(&row, now),
                None => RequestStatus::Granting,
            }
        } else {
            RequestStatus::PendingApproval
        };
        store::transitions::advance(tx, *id, RequestStatus::PendingMfa, next, now)?;
        super::record(
            tx,
            now,
            Some(requester_id),
            Some(*id),
            "mfa_confirmed",
            json!({"status": next.label()}),
        )?;
    }
    Ok(waiting.len())
}
