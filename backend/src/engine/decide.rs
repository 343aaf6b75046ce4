//! What approvers do beyond yes and no: narrow a request before approving
//! it, follow a quorum step's count, and review break-glass uses after the
//! fact.

use std::collections::HashMap;

use gatehouse_shared::{
    duration::format_duration,
    requests::{ApproveWithChanges, ReviewBreakGlass, ReviewState, StepProgress, UserRef},
    rules::Actor,
};
use serde_json::json;

use crate::{
    error::AppError,
    store::{self, Conn, requests::RequestRow},
};

use super::{checked_reason, flow_of, load_visible};

/// Longest break-glass reason (an incident ID and a line about it).
pub const MAX_BREAK_GLASS_REASON: usize = 500;

/// Narrow a waiting request as `changes` says, keeping both versions and
/// auditing them: a shorter duration, fewer items, a lower permission of
/// the same resource. Anything wider is refused with the field it is in.
pub(super) fn narrow_in(
    tx: Conn<'_>,
    actor: Actor,
    row: &RequestRow,
    changes: &ApproveWithChanges,
    now: i64,
) -> Result<(), AppError> {
    let note = checked_reason(&changes.note, true).map_err(|_| {
        AppError::invalid(
            "note",
            "Say why you changed the request; the requester sees it (at most 1,000 characters).",
        )
    })?;
    let asked = store::approvals::ranked_items(tx, row.id)?;
    let duration = match changes.duration_seconds {
        None => row.duration,
        Some(d) if d <= 0 => {
            return Err(AppError::invalid(
                "duration_seconds",
                "A duration is positive.",
            ));
        }
        Some(d) if d > row.duration => {
            return Err(AppError::invalid(
                "duration_seconds",
                format!(
                    "You can shorten the request, not lengthen it: it asks for {}.",
                    format_duration(row.duration)
                ),
            ));
        }
        Some(d) => d,
    };
    let kept: Vec<(i64, i64)> = match &changes.items {
        None => asked
            .iter()
            .map(|item| (item.resource_id, item.permission_id))
            .collect(),
        Some(items) => {
            if items.is_empty() {
                return Err(AppError::invalid(
                    "items",
                    "Keep at least one item, or reject the request.",
                ));
            }
            // The strongest permission asked for on each resource.
            let mut strongest: HashMap<i64, (i64, &str)> = HashMap::new();
            for item in &asked {
                let entry = strongest
                    .entry(item.resource_id)
                    .or_insert((item.rank, &item.resource_name));
                entry.0 = entry.0.max(item.rank);
            }
            let mut kept = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let field = format!("items[{index}]");
                let Some((asked_rank, name)) = strongest.get(&item.resource_id) else {
                    return Err(AppError::invalid(
                        field,
                        format!(
                            "Resource {} is not part of this request: changes can only remove or lower what was asked.",
                            item.resource_id
                        ),
                    ));
                };
                let Some((permission_id, rank)) =
                    store::approvals::ranked_permission(tx, item.resource_id, &item.permission)?
                else {
                    return Err(AppError::invalid(
                        field,
                        format!(
                            "{name} does not offer the permission \"{}\".",
                            item.permission
                        ),
                    ));
                };
                if rank > *asked_rank {
                    return Err(AppError::invalid(
                        field,
                        format!(
                            "\"{}\" on {name} is more than was asked: changes can only lower a permission.",
                            item.permission
                        ),
                    ));
                }
                if !kept.contains(&(item.resource_id, permission_id)) {
                    kept.push((item.resource_id, permission_id));
                }
            }
            kept
        }
    };
    let mut before_pairs: Vec<(i64, i64)> = asked
        .iter()
        .map(|item| (item.resource_id, item.permission_id))
        .collect();
    before_pairs.sort_unstable();
    let mut after_pairs = kept.clone();
    after_pairs.sort_unstable();
    if duration == row.duration && before_pairs == after_pairs {
        return Err(AppError::invalid(
            "items",
            "Nothing changed: approve the request as it is, or narrow its duration, items or permissions.",
        ));
    }
    store::approvals::narrow(tx, row.id, duration, &kept, now)?;
    let before = store::approvals::version(row.duration, &asked);
    let after = store::approvals::version(duration, &store::approvals::ranked_items(tx, row.id)?);
    store::approvals::record_change(
        tx,
        &store::approvals::Change {
            request_id: row.id,
            step: row.current_step,
            approver: actor.id,
            note: &note,
            before: &before,
            after: &after,
        },
        now,
    )?;
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(row.id),
        "changed_by_approver",
        json!({"step": row.current_step, "note": note, "before": before, "after": after}),
    )
}

/// Who the waiting step of `row` still waits on, and how far it is.
pub fn waiting_step(
    conn: Conn<'_>,
    row: &RequestRow,
) -> Result<(Vec<UserRef>, StepProgress), AppError> {
    let flow = flow_of(conn, row)?;
    let rule = flow.step_rule(row.current_step);
    let (waiting, decisions) = store::approvals::waiting_step(
        conn,
        &flow,
        row.id,
        row.current_step,
        &[row.requester.id, row.grantee.id],
    )?;
    let approved = decisions.approved_by.len() as i64;
    let progress = StepProgress {
        step: row.current_step,
        step_count: flow.step_count(),
        required_approvals: rule.required_approvals,
        approvals_needed: (rule.required_approvals - approved).max(0),
        approved_by: decisions.approved_by,
        rejected_by: decisions.rejected_by,
        rejections_to_reject: rule.rejections_to_reject,
    };
    Ok((waiting, progress))
}

/// Whether `actor` may review `row`'s break-glass use now: it waits for
/// review, it is not theirs, and they approve its flow (or are an admin).
pub fn may_review(conn: Conn<'_>, actor: Actor, row: &RequestRow) -> Result<bool, AppError> {
    let Some(break_glass) = &row.break_glass else {
        return Ok(false);
    };
    if break_glass.review_state != ReviewState::Unreviewed
        || actor.id == row.grantee.id
        || actor.id == row.requester.id
    {
        return Ok(false);
    }
    Ok(actor.is_admin || store::approvals::approves_flow(conn, actor.id, row.flow_id)?)
}

/// Mark a break-glass use reviewed, or flag it.
pub fn review_in(
    tx: Conn<'_>,
    actor: Actor,
    id: i64,
    review: &ReviewBreakGlass,
    now: i64,
) -> Result<(), AppError> {
    let row = load_visible(tx, actor, id)?;
    let Some(break_glass) = &row.break_glass else {
        return Err(AppError::Conflict(format!(
            "Request {id} was not made through break-glass; there is nothing to review."
        )));
    };
    if review.outcome == ReviewState::Unreviewed {
        return Err(AppError::invalid(
            "outcome",
            "Mark the use reviewed, or flag it.",
        ));
    }
    let note = checked_reason(
        review.note.as_deref().unwrap_or_default(),
        review.outcome == ReviewState::Flagged,
    )
    .map_err(|error| match error {
        AppError::Invalid { message, .. } => AppError::invalid(
            "note",
            if review.outcome == ReviewState::Flagged {
                format!("{message} Say what is wrong with this use.")
            } else {
                message
            },
        ),
        other => other,
    })?;
    if actor.id == row.grantee.id || actor.id == row.requester.id {
        return Err(AppError::Forbidden(
            "You cannot review your own break-glass use.".into(),
        ));
    }
    if !actor.is_admin && !store::approvals::approves_flow(tx, actor.id, row.flow_id)? {
        return Err(AppError::Forbidden(
            "Only the access flow's approvers review its break-glass uses.".into(),
        ));
    }
    if break_glass.review_state != ReviewState::Unreviewed {
        return Err(already_reviewed(&row));
    }
    let note = (!note.is_empty()).then_some(note);
    if !store::approvals::review(tx, id, review.outcome, actor.id, note.as_deref(), now)? {
        return Err(already_reviewed(&row));
    }
    super::record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        match review.outcome {
            ReviewState::Flagged => "break_glass_flagged",
            _ => "break_glass_reviewed",
        },
        json!({"note": note, "reason": break_glass.reason}),
    )
}

fn already_reviewed(row: &RequestRow) -> AppError {
    let by = row
        .break_glass
        .as_ref()
        .and_then(|b| b.reviewed_by.as_ref())
        .map(|user| format!(" by {}", user.display_name))
        .unwrap_or_default();
    AppError::Conflict(format!(
        "Request {}'s break-glass use was already reviewed{by}.",
        row.id
    ))
}
