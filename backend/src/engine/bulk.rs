//! The bulk review console's use case: one decision on many requests, each
//! request in its own transaction through [`approve_in`] / [`reject_in`], so
//! a request is either fully decided or untouched, and one that fails (e.g.
//! already decided by someone else) does not stop the others.

use std::collections::HashSet;

use gatehouse_shared::{
    RequestStatus,
    bulk::{BulkAction, BulkDecision, BulkDecisionResponse, BulkItemResult, MAX_BULK_DECISIONS},
    rules::Actor,
};

use crate::{engine::Engine, error::AppError, store};

use super::{ApprovalOutcome, RejectionOutcome, approve_in, provision_now, reject_in};

/// The wire name of what an approval did.
fn outcome_name(outcome: ApprovalOutcome) -> &'static str {
    match outcome {
        ApprovalOutcome::Counted { .. } => "approval_counted",
        ApprovalOutcome::NextStep => "next_step",
        ApprovalOutcome::Approved => "approved",
    }
}

/// The wire name of what a rejection did.
fn rejection_name(outcome: RejectionOutcome) -> &'static str {
    match outcome {
        RejectionOutcome::Counted { .. } => "rejection_counted",
        RejectionOutcome::Rejected => "rejected",
    }
}

/// Refuse a batch that cannot be decided at all: no ids, too many, or a
/// rejection without a reason or with one too long.
fn check(decision: &BulkDecision) -> Result<Vec<i64>, AppError> {
    let mut seen = HashSet::new();
    let ids: Vec<i64> = decision
        .ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "Select at least one request."));
    }
    if ids.len() > MAX_BULK_DECISIONS {
        return Err(AppError::invalid(
            "ids",
            format!(
                "At most {MAX_BULK_DECISIONS} requests can be decided at once; {} were sent.",
                ids.len()
            ),
        ));
    }
    if decision.action == BulkAction::Reject
        && decision
            .reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        return Err(AppError::invalid(
            "reason",
            "Give a reason; the requesters will see it.",
        ));
    }
    // Refused once here, not once per request in its own transaction.
    if decision.action == BulkAction::Reject {
        super::checked_reason(decision.reason.as_deref().unwrap_or_default(), true)?;
    }
    Ok(ids)
}

/// A request the approver no longer sees: if they approve for its flow, it
/// was decided by someone else after it was listed to them (409, naming its
/// status now); otherwise it stays "not found".
async fn decided_meanwhile(
    ctx: &Engine,
    actor: Actor,
    id: i64,
    what: String,
) -> Result<AppError, AppError> {
    let status = ctx
        .db
        .call(move |conn| store::requests::status_for_flow_approver(conn, actor.id, id))
        .await?;
    Ok(match status {
        Some(status) if status != RequestStatus::PendingApproval => AppError::Conflict(format!(
            "Request {id} was already decided by someone else: it is {status}."
        )),
        _ => AppError::NotFound(what),
    })
}

/// Decide each request in turn, one transaction each, and say per request
/// what happened, in the order sent (repeated ids once).
pub async fn decide_each(
    ctx: &Engine,
    actor: Actor,
    decision: BulkDecision,
) -> Result<BulkDecisionResponse, AppError> {
    let ids = check(&decision)?;
    let reason = decision.reason.unwrap_or_default();
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let now = ctx.now().unix_timestamp();
        let reason = reason.clone();
        let done = match decision.action {
            BulkAction::Approve => ctx
                .db
                .write(move |tx| approve_in(tx, actor, id, now))
                .await
                .map(outcome_name),
            BulkAction::Reject => ctx
                .db
                .write(move |tx| reject_in(tx, actor, id, &reason, now))
                .await
                .map(rejection_name),
        };
        let done = match done {
            Err(AppError::NotFound(what)) => Err(decided_meanwhile(ctx, actor, id, what).await?),
            other => other,
        };
        results.push(match done {
            Ok(outcome) => BulkItemResult {
                id,
                ok: true,
                outcome: Some(outcome.to_owned()),
                http_status: None,
                error: None,
                status: None,
            },
            Err(error) => {
                if matches!(
                    error,
                    AppError::Internal(_) | AppError::Unavailable(_) | AppError::Contended(_)
                ) {
                    tracing::error!(request = id, %error, "bulk decision failed");
                }
                BulkItemResult {
                    id,
                    ok: false,
                    outcome: None,
                    http_status: Some(error.status().as_u16()),
                    error: Some(error.body()),
                    status: None,
                }
            }
        });
    }
    provision_now(ctx).await;
    // The status each request has now, where the approver may see it.
    let ids: Vec<i64> = results.iter().map(|r| r.id).collect();
    let statuses = ctx
        .db
        .call(move |conn| {
            let mut statuses = Vec::with_capacity(ids.len());
            for id in ids {
                let visible = match super::load_visible(conn, actor, id) {
                    Ok(row) => Some(row.status),
                    Err(AppError::NotFound(_) | AppError::Forbidden(_)) => None,
                    Err(error) => return Err(error),
                };
                statuses.push(visible);
            }
            Ok(statuses)
        })
        .await?;
    for (result, status) in results.iter_mut().zip(statuses) {
        result.status = status;
    }
    let succeeded = results.iter().filter(|r| r.ok).count();
    let failed = results.len() - succeeded;
    Ok(BulkDecisionResponse {
        results,
        succeeded,
        failed,
    })
}
