//! Notices: rendered in the transaction of the change they tell about, and
//! written to the outbox for each recipient and channel they chose.

use gatehouse_shared::{
    RequestStatus,
    duration::format_duration,
    requests::UserRef,
    rules::{self, Actor},
};
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    store::{
        self, Conn,
        notifications::{Channel, NewMessage},
        requests::RequestRow,
    },
};

/// Resources listed in a notice; the rest are counted.
const LISTED_ITEMS: i64 = 10;

/// Kinds of outbox rows.
pub const STATUS: &str = "status";
pub const APPROVAL: &str = "approval";
pub const APPROVAL_CLOSED: &str = "approval_closed";
pub const EXPIRING: &str = "expiring";
pub const FULFIL: &str = "fulfil";

/// What to tell one person about one request, as it was when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub request_id: i64,
    /// The audit action (or `expiring`) this tells about.
    pub event: String,
    pub headline: String,
    /// The request's status after the change.
    pub status: String,
    pub requester: String,
    pub grantee: String,
    pub flow: String,
    pub integrations: Vec<String>,
    pub resource_types: Vec<String>,
    /// "name (permission)", the first few.
    pub resources: Vec<String>,
    pub item_count: i64,
    pub duration: String,
    pub justification: String,
    #[serde(default)]
    pub ticket: Option<String>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Rejection, failure or revoke reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// For approvers: why this request waits on them.
    #[serde(default)]
    pub why_you: Option<String>,
    pub mfa_required: bool,
    pub actions: NoticeActions,
}

/// What the recipient can do from the message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeActions {
    pub extend: bool,
    pub revoke: bool,
    pub request_again: bool,
    pub access_details: bool,
    /// Approve or reject (approvers).
    pub decide: bool,
}

/// What an audit action means for notifications.
struct Event {
    /// The status after the change; None: read it from the request.
    status: Option<RequestStatus>,
    /// Tell the requester and grantee.
    tell_requester: bool,
    /// Tell the approvers of the current step, when it waits on them.
    tell_approvers: bool,
    /// Approval messages sent earlier no longer wait on their readers.
    closes_approvals: bool,
    /// Tell every approver of every step of the flow (a break-glass use).
    tell_flow_approvers: bool,
}

fn event(action: &str) -> Option<Event> {
    use RequestStatus::*;
    let (status, tell_requester, tell_approvers, closes_approvals) = match action {
        "submitted" | "mfa_confirmed" => (None, true, true, false),
        "step_approved" => (Some(PendingApproval), false, true, true),
        // Granting, or Scheduled when the access starts later.
        "approved" => (None, true, false, true),
        "rejected" => (Some(Rejected), true, false, true),
        "cancelled" => (Some(Revoked), true, false, true),
        "failed" => (Some(Failed), true, false, true),
        "revoke_started" | "expiry_started" => (Some(Revoking), true, false, false),
        "granted" | "extended" => (Some(Active), true, false, false),
        "grant_failed" => (Some(Failed), true, false, false),
        "revoked" => (Some(Revoked), true, false, false),
        "expired" => (Some(Expired), true, false, false),
        // A quorum step counted a decision: the decider's message is done.
        "approval_counted" | "rejection_counted" => (Some(PendingApproval), false, false, true),
        "changed_by_approver" => (None, true, false, false),
        "break_glass_reviewed" | "break_glass_flagged" => (None, true, false, false),
        "break_glass_approved" => {
            return Some(Event {
                status: None,
                tell_requester: false,
                tell_approvers: false,
                closes_approvals: false,
                tell_flow_approvers: true,
            });
        }
        _ => return None,
    };
    Some(Event {
        status,
        tell_requester,
        tell_approvers,
        closes_approvals,
        tell_flow_approvers: false,
    })
}

/// Called by the engine for every audit entry about a request, in the
/// transaction of the change: writes the notices it calls for to the outbox.
pub fn on_audit(conn: Conn<'_>, now: i64, request_id: i64, action: &str) -> Result<(), AppError> {
    let Some(event) = event(action) else {
        return Ok(());
    };
    let Some(row) = store::requests::get(conn, request_id)? else {
        return Ok(());
    };
    let status = event.status.unwrap_or(row.status);
    let flow = store::flows::flow_by_id(conn, row.flow_id)?;
    let mfa_required = flow.as_ref().is_some_and(|flow| flow.mfa_required);
    let mut base = base_notice(conn, &row, action, status, mfa_required)?;
    if action == "changed_by_approver" {
        base.reason = store::approvals::changes_of(conn, row.id)?
            .pop()
            .map(|change| change.note);
    }
    if event.tell_requester {
        let headline = status_headline(&row, action, status, now);
        for recipient in people_of(&row) {
            let mut notice = base.clone();
            notice.headline = headline.clone();
            notice.actions = requester_actions(&row, recipient, status, now);
            write(conn, now, recipient, STATUS, &notice)?;
        }
    }
    // A quorum step waits only on those who have not decided it yet.
    let (waiting_now, decided) = match &flow {
        Some(flow) if status == RequestStatus::PendingApproval => store::approvals::waiting_step(
            conn,
            flow,
            row.id,
            row.current_step,
            &[row.requester.id, row.grantee.id],
        )?,
        _ => (Vec::new(), Default::default()),
    };
    if event.closes_approvals {
        let outcome = match (action, status) {
            ("approval_counted", _) => format!(
                "Request #{} has {} approval(s); it waits on other approvers.",
                row.id,
                decided.approved_by.len()
            ),
            ("rejection_counted", _) => format!(
                "Request #{} has {} rejection(s); it waits on other approvers.",
                row.id,
                decided.rejected_by.len()
            ),
            (_, RequestStatus::PendingApproval) => {
                format!("Request #{} went on to its next approval step.", row.id)
            }
            (_, other) => format!("Request #{} is now {other}.", row.id),
        };
        for user_id in store::notifications::slack_deciders(conn, row.id)? {
            if waiting_now.iter().any(|approver| approver.id == user_id) {
                continue;
            }
            let mut notice = base.clone();
            notice.headline = outcome.clone();
            store::notifications::enqueue(
                conn,
                &NewMessage {
                    user_id,
                    channel: Channel::Slack,
                    kind: APPROVAL_CLOSED,
                    request_id: Some(row.id),
                    payload: &serde_json::to_string(&notice)?,
                },
                now,
            )?;
        }
    }
    if event.tell_approvers
        && let Some(flow) = &flow
    {
        for approver in &waiting_now {
            let mut notice = base.clone();
            notice.headline = format!(
                "{} asks for access: request #{} waits on your approval",
                row.requester.display_name, row.id
            );
            notice.why_you = Some(why_approver(conn, flow, row.current_step, approver)?);
            notice.actions = NoticeActions {
                decide: true,
                ..NoticeActions::default()
            };
            write(conn, now, approver.id, APPROVAL, &notice)?;
        }
    }
    if event.tell_flow_approvers
        && let Some(flow) = &flow
    {
        let mut told: Vec<i64> = Vec::new();
        let reason = row
            .break_glass
            .as_ref()
            .map(|b| b.reason.clone())
            .unwrap_or_default();
        for step in 0..flow.step_count() {
            for approver in store::flows::approvers_of_step(
                conn,
                flow,
                step,
                &[row.requester.id, row.grantee.id],
            )? {
                if told.contains(&approver.id) {
                    continue;
                }
                told.push(approver.id);
                let mut notice = base.clone();
                notice.headline = format!(
                    "Break-glass: {} approved their own access (request #{}): {reason}. Review it on Approvals.",
                    row.grantee.display_name, row.id
                );
                notice.reason = Some(reason.clone());
                write(conn, now, approver.id, STATUS, &notice)?;
            }
        }
    }
    Ok(())
}

/// Warn grantees (and requesters) whose access ends soon; each expiry once.
/// Returns how many requests were warned.
pub fn warn_expiring(conn: Conn<'_>, now: i64, default_window: i64) -> Result<usize, AppError> {
    let due = store::notifications::unwarned_expiring(conn, now, default_window)?;
    for (id, expires_at) in &due {
        store::notifications::mark_warned(conn, *id, *expires_at, now)?;
        let Some(row) = store::requests::get(conn, *id)? else {
            continue;
        };
        let mut notice = base_notice(
            conn,
            &row,
            EXPIRING,
            RequestStatus::Active,
            flow_needs_mfa(conn, &row)?,
        )?;
        let left = (expires_at - now).max(0);
        notice.headline = format!(
            "Your access from request #{} ends in {}",
            row.id,
            if left < 60 {
                "less than a minute".to_owned()
            } else {
                format_duration(left - left % 60)
            }
        );
        for recipient in people_of(&row) {
            let mut notice = notice.clone();
            notice.actions = requester_actions(&row, recipient, RequestStatus::Active, now);
            write(conn, now, recipient, EXPIRING, &notice)?;
        }
    }
    Ok(due.len())
}

/// Tell the admins and the integration's `fulfillers` (usernames) that the
/// access request `request_id` gives in `integration` must be granted (or,
/// with `removal`, removed) by hand and then marked done.
pub fn fulfilment_needed(
    conn: Conn<'_>,
    now: i64,
    request_id: i64,
    integration: &str,
    removal: bool,
    fulfillers: &[String],
) -> Result<(), AppError> {
    let Some(row) = store::requests::get(conn, request_id)? else {
        return Ok(());
    };
    let event = if removal {
        "removal_waiting"
    } else {
        "grant_waiting"
    };
    let mut notice = base_notice(conn, &row, event, row.status, flow_needs_mfa(conn, &row)?)?;
    notice.headline = format!(
        "{} {}'s access in {integration} by hand, then mark request #{} done",
        if removal { "Remove" } else { "Grant" },
        row.grantee.display_name,
        row.id
    );
    for recipient in store::users::admins_and_named(conn, fulfillers)? {
        write(conn, now, recipient, FULFIL, &notice)?;
    }
    Ok(())
}

/// Whether the request's access flow asks for MFA.
fn flow_needs_mfa(conn: Conn<'_>, row: &RequestRow) -> Result<bool, AppError> {
    Ok(store::flows::flow_by_id(conn, row.flow_id)?.is_some_and(|flow| flow.mfa_required))
}

/// The grantee, and the requester when someone else.
fn people_of(row: &RequestRow) -> Vec<i64> {
    if row.requester.id == row.grantee.id {
        vec![row.grantee.id]
    } else {
        vec![row.grantee.id, row.requester.id]
    }
}

/// One outbox row per channel the user chose.
fn write(
    conn: Conn<'_>,
    now: i64,
    user_id: i64,
    kind: &str,
    notice: &Notice,
) -> Result<(), AppError> {
    let (slack, email) = store::notifications::preferences(conn, user_id)?;
    let payload = serde_json::to_string(notice)?;
    for (wanted, channel) in [(slack, Channel::Slack), (email, Channel::Email)] {
        if wanted {
            store::notifications::enqueue(
                conn,
                &NewMessage {
                    user_id,
                    channel,
                    kind,
                    request_id: Some(notice.request_id),
                    payload: &payload,
                },
                now,
            )?;
        }
    }
    Ok(())
}

fn requester_actions(
    row: &RequestRow,
    recipient: i64,
    status: RequestStatus,
    now: i64,
) -> NoticeActions {
    let actor = Actor {
        id: recipient,
        is_admin: false,
    };
    let facts = rules::RequestFacts {
        status,
        ..row.facts()
    };
    NoticeActions {
        extend: rules::check_extend(actor, &facts, now).is_ok(),
        revoke: rules::may_revoke(actor, &facts),
        request_again: rules::may_request_again(actor, &facts),
        access_details: status == RequestStatus::Active && recipient == row.grantee.id,
        decide: false,
    }
}

fn status_headline(row: &RequestRow, action: &str, status: RequestStatus, now: i64) -> String {
    let id = row.id;
    match (action, status) {
        ("changed_by_approver", _) => {
            format!("Request #{id} was changed by an approver before approving: see what changed")
        }
        ("break_glass_reviewed", _) => format!("Your break-glass use (request #{id}) was reviewed"),
        ("break_glass_flagged", _) => {
            format!("Your break-glass use (request #{id}) was flagged for follow-up")
        }
        ("extended", _) => format!(
            "Request #{id} was extended{}",
            row.expires_at
                .map(|at| format!(
                    ": access now ends in {}",
                    format_duration((at - now).max(60))
                ))
                .unwrap_or_default()
        ),
        (_, RequestStatus::PendingApproval) => format!("Request #{id} is Pending Approval"),
        (_, RequestStatus::PendingMfa) => {
            format!(
                "Request #{id} is Pending MFA: confirm with your authenticator app in the portal"
            )
        }
        (_, RequestStatus::Scheduled) => format!(
            "Request #{id} was approved and is Scheduled{}",
            row.starts_at
                .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
                .map(|at| format!(
                    ": access starts {} {:02}:{:02} UTC",
                    at.date(),
                    at.hour(),
                    at.minute()
                ))
                .unwrap_or_default()
        ),
        (_, RequestStatus::Granting) => format!("Request #{id} was approved and is Granting"),
        (_, RequestStatus::Active) => format!("Request #{id} is Active: your access is ready"),
        (_, RequestStatus::Rejected) => format!("Request #{id} was Rejected"),
        (_, RequestStatus::Revoking) => {
            format!("Request #{id} is Revoking: access is being removed")
        }
        (_, RequestStatus::Revoked) => format!("Request #{id} is Revoked"),
        (_, RequestStatus::Expired) => format!("Request #{id} has Expired"),
        (_, RequestStatus::Failed) => format!("Request #{id} Failed"),
    }
}

fn base_notice(
    conn: Conn<'_>,
    row: &RequestRow,
    event: &str,
    status: RequestStatus,
    mfa_required: bool,
) -> Result<Notice, AppError> {
    let items = store::requests::items_of(conn, &[row.id], Some(LISTED_ITEMS))?
        .remove(&row.id)
        .unwrap_or_default();
    let mut integrations: Vec<String> = Vec::new();
    let mut resource_types: Vec<String> = Vec::new();
    for item in &items {
        if !integrations.contains(&item.integration_name) {
            integrations.push(item.integration_name.clone());
        }
        if !resource_types.contains(&item.resource_type_name) {
            resource_types.push(item.resource_type_name.clone());
        }
    }
    let reason = match status {
        RequestStatus::Rejected => row.rejection_reason.clone(),
        RequestStatus::Failed => row
            .failure_reason
            .clone()
            .or_else(|| (event == "failed").then(|| rules::PENDING_LIMIT_REASON.to_owned())),
        RequestStatus::Revoked | RequestStatus::Revoking => row.revoke_reason.clone(),
        _ => None,
    };
    Ok(Notice {
        request_id: row.id,
        event: event.to_owned(),
        headline: String::new(),
        status: status.label().to_owned(),
        requester: row.requester.display_name.clone(),
        grantee: row.grantee.display_name.clone(),
        flow: row.flow_name.clone(),
        integrations,
        resource_types,
        resources: items
            .iter()
            .map(|item| format!("{} ({})", item.resource_name, item.permission))
            .collect(),
        item_count: row.item_count,
        duration: format_duration(row.duration),
        justification: row.justification.clone(),
        ticket: match (&row.ticket_type, &row.ticket_id) {
            (Some(kind), Some(id)) => Some(format!("{kind} {id}")),
            (None, Some(id)) => Some(id.clone()),
            _ => None,
        },
        expires_at: row.expires_at,
        reason,
        why_you: None,
        mfa_required,
        actions: NoticeActions::default(),
    })
}

/// "You approve step 1 of the access flow "X" (as a member of the group "G")."
fn why_approver(
    conn: Conn<'_>,
    flow: &store::flows::Flow,
    step: i64,
    approver: &UserRef,
) -> Result<String, AppError> {
    let mut groups = Vec::new();
    let mut direct = false;
    for (approver_step, kind, subject) in &flow.approvers {
        if *approver_step != step {
            continue;
        }
        if kind == "user" && *subject == approver.id {
            direct = true;
        } else if kind == "group"
            && let Some(name) =
                store::notifications::group_name_if_member(conn, *subject, approver.id)?
        {
            groups.push(format!("\"{name}\""));
        }
    }
    let steps = flow.step_count();
    let step_text = if steps > 1 {
        format!("step {} of {steps} of ", step + 1)
    } else {
        String::new()
    };
    let via = if direct || groups.is_empty() {
        "you are named as an approver".to_owned()
    } else {
        format!("you are a member of the group {}", groups.join(", "))
    };
    Ok(format!(
        "You approve {step_text}the access flow \"{}\": {via}.",
        flow.name
    ))
}
