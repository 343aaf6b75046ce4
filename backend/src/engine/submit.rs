//! Submission: resolve the form into (resource, permission) items, find the
//! access flow of the requester that covers each, split the form into one
//! request per flow, and write them all or none.

use std::collections::{BTreeMap, HashSet};

use gatehouse_shared::{
    ApiError, RequestStatus,
    duration::format_duration,
    justification,
    limits::MAX_RESOURCES_PER_FORM,
    requests::{CoveringRequest, PreviewGroup, PreviewResponse, SubmitRequest},
    rules::Actor,
};
use serde_json::json;

use crate::{
    error::AppError,
    store::{
        self, Conn,
        flows::{CandidateItem, Flow},
        requests::NewRequest,
    },
};

pub const MAX_JUSTIFICATION_LENGTH: usize = 2_000;
pub const MAX_TICKET_LENGTH: usize = 100;

/// The form, resolved against the catalog and the requester's flows.
pub struct Resolved {
    pub grantee_id: i64,
    pub items: Vec<CandidateItem>,
    /// For each item (same index), the flows that cover it.
    pub covering: Vec<Vec<usize>>,
    pub flows: Vec<Flow>,
}

/// The part of a form that goes to one access flow.
pub struct Group<'a> {
    pub flow: &'a Flow,
    pub items: Vec<&'a CandidateItem>,
}

fn resolve_items(conn: Conn<'_>, form: &SubmitRequest) -> Result<Vec<CandidateItem>, AppError> {
    let mut items: Vec<CandidateItem> = Vec::new();
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    for (index, selection) in form.items.iter().enumerate() {
        let found = store::flows::resource_with_permission(
            conn,
            selection.resource_id,
            &selection.permission,
        )?;
        let field = format!("items[{index}]");
        let Some(store::flows::ResourcePermission {
            resource_id,
            name,
            integration_id,
            resource_type_id,
            permission_id,
        }) = found
        else {
            return Err(AppError::invalid(
                field,
                format!("Resource {} does not exist.", selection.resource_id),
            ));
        };
        let Some(permission_id) = permission_id else {
            return Err(AppError::invalid(
                field,
                format!(
                    "{name} does not offer the permission \"{}\".",
                    selection.permission
                ),
            ));
        };
        if seen.insert((resource_id, permission_id)) {
            items.push(CandidateItem {
                resource_id,
                resource_name: name,
                integration_id,
                resource_type_id,
                permission_id,
                permission: selection.permission.clone(),
                via_bundle: None,
            });
        }
    }
    if let Some(bundle) = &form.bundle {
        if !store::flows::bundle_exists(conn, bundle.bundle_id)? {
            return Err(AppError::invalid(
                "bundle.bundle_id",
                format!("Bundle {} does not exist.", bundle.bundle_id),
            ));
        }
        let bundle_items = store::flows::bundle_candidates(conn, bundle.bundle_id)?;
        let wanted: Option<HashSet<i64>> = bundle
            .resource_ids
            .as_ref()
            .map(|ids| ids.iter().copied().collect());
        if let Some(wanted) = &wanted {
            let in_bundle: HashSet<i64> = bundle_items.iter().map(|i| i.resource_id).collect();
            if let Some(stranger) = wanted.iter().find(|id| !in_bundle.contains(id)) {
                return Err(AppError::invalid(
                    "bundle.resource_ids",
                    format!("Resource {stranger} is not part of this bundle."),
                ));
            }
        }
        for item in bundle_items {
            let keep = wanted
                .as_ref()
                .is_none_or(|w| w.contains(&item.resource_id));
            if keep && seen.insert((item.resource_id, item.permission_id)) {
                items.push(item);
            }
        }
    }
    Ok(items)
}

/// Resolve the grantee, the items, and which of the requester's flows cover each item.
pub fn resolve(
    conn: Conn<'_>,
    requester_id: i64,
    form: &SubmitRequest,
) -> Result<Resolved, AppError> {
    let grantee_id = form.grantee_id.unwrap_or(requester_id);
    if grantee_id != requester_id && !store::users::exists_id(conn, grantee_id)? {
        return Err(AppError::invalid(
            "grantee_id",
            format!("User {grantee_id} does not exist."),
        ));
    }
    let mut asked: HashSet<i64> = form.items.iter().map(|i| i.resource_id).collect();
    if let Some(subset) = form.bundle.as_ref().and_then(|b| b.resource_ids.as_ref()) {
        asked.extend(subset.iter().copied());
    }
    if asked.len() > MAX_RESOURCES_PER_FORM {
        return Err(too_many());
    }
    let items = resolve_items(conn, form)?;
    if items.is_empty() {
        return Err(AppError::invalid("items", "Select at least one resource."));
    }
    let distinct_resources: HashSet<i64> = items.iter().map(|i| i.resource_id).collect();
    if distinct_resources.len() > MAX_RESOURCES_PER_FORM {
        return Err(too_many());
    }
    let mut flows = store::flows::flows_for_grantee(conn, requester_id)?;
    if grantee_id != requester_id {
        // Requesting for someone else needs a flow that allows it.
        flows.retain(|flow| flow.on_behalf_allowed);
    }
    let resource_ids: Vec<i64> = distinct_resources.into_iter().collect();
    let tags = store::flows::tags_of(conn, &resource_ids)?;
    let bundle_items = store::flows::bundle_items_of(conn, &flows)?;
    let covering = items
        .iter()
        .map(|item| {
            flows
                .iter()
                .enumerate()
                .filter(|(_, flow)| flow.covers(item, &tags, &bundle_items))
                .map(|(index, _)| index)
                .collect()
        })
        .collect();
    Ok(Resolved {
        grantee_id,
        items,
        covering,
        flows,
    })
}

fn too_many() -> AppError {
    AppError::invalid(
        "items",
        format!("A request can hold at most {MAX_RESOURCES_PER_FORM} resources."),
    )
}

/// Pick one flow per item and group the items by flow. With a duration, only
/// flows offering it qualify. Among several, auto-approving flows win, then
/// the oldest flow.
pub fn assign(
    resolved: &Resolved,
    duration: Option<i64>,
    on_behalf: bool,
) -> Result<Vec<Group<'_>>, AppError> {
    let mut groups: BTreeMap<usize, Vec<&CandidateItem>> = BTreeMap::new();
    for (item, covering) in resolved.items.iter().zip(&resolved.covering) {
        if covering.is_empty() {
            let message = if on_behalf {
                format!(
                    "No access flow lets you request {} ({}) on behalf of someone else.",
                    item.resource_name, item.permission
                )
            } else {
                format!(
                    "No access flow of yours covers {} ({}).",
                    item.resource_name, item.permission
                )
            };
            return Err(AppError::invalid("items", message));
        }
        let offering: Vec<usize> = covering
            .iter()
            .copied()
            .filter(|index| {
                duration.is_none_or(|d| {
                    let flow = &resolved.flows[*index];
                    flow.durations.contains(&d) && d <= flow.max_duration
                })
            })
            .collect();
        let Some(chosen) = offering.iter().copied().min_by_key(|index| {
            (
                !resolved.flows[*index].auto_approve,
                resolved.flows[*index].id,
            )
        }) else {
            let offered: Vec<String> = covering
                .iter()
                .flat_map(|index| resolved.flows[*index].durations.iter().copied())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(format_duration)
                .collect();
            return Err(AppError::invalid(
                "duration_seconds",
                format!(
                    "{} cannot be requested for {}. Offered: {}.",
                    item.resource_name,
                    format_duration(duration.unwrap_or_default()),
                    offered.join(", ")
                ),
            ));
        };
        groups.entry(chosen).or_default().push(item);
    }
    Ok(groups
        .into_iter()
        .map(|(index, items)| Group {
            flow: &resolved.flows[index],
            items,
        })
        .collect())
}

/// Justification and ticket rules of every flow involved, and length limits.
pub fn check_details(
    groups: &[Group<'_>],
    form: &SubmitRequest,
    ticket_types: &[String],
) -> Result<(), AppError> {
    let justification = form.justification.trim();
    if justification.chars().count() > MAX_JUSTIFICATION_LENGTH {
        return Err(AppError::invalid(
            "justification",
            format!("The justification is at most {MAX_JUSTIFICATION_LENGTH} characters."),
        ));
    }
    let ticket_id = form
        .ticket_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if ticket_id.is_some_and(|t| t.chars().count() > MAX_TICKET_LENGTH) {
        return Err(AppError::invalid(
            "ticket_id",
            format!("The ticket ID is at most {MAX_TICKET_LENGTH} characters."),
        ));
    }
    if let Some(ticket_type) = form.ticket_type.as_deref().filter(|t| !t.is_empty())
        && !ticket_types.iter().any(|known| known == ticket_type)
    {
        return Err(AppError::invalid(
            "ticket_type",
            format!(
                "Unknown ticket type \"{ticket_type}\". Known: {}.",
                ticket_types.join(", ")
            ),
        ));
    }
    for group in groups {
        if group.flow.justification_required && justification.is_empty() {
            return Err(AppError::invalid(
                "justification",
                format!(
                    "The access flow \"{}\" requires a justification: why do you need this access?",
                    group.flow.name
                ),
            ));
        }
        if group.flow.ticket_required && ticket_id.is_none() {
            return Err(AppError::invalid(
                "ticket_id",
                format!(
                    "The access flow \"{}\" requires a ticket ID.",
                    group.flow.name
                ),
            ));
        }
        if group.flow.ticket_required
            && !ticket_types.is_empty()
            && form.ticket_type.as_deref().is_none_or(str::is_empty)
        {
            return Err(AppError::invalid(
                "ticket_type",
                format!(
                    "The access flow \"{}\" requires a ticket type.",
                    group.flow.name
                ),
            ));
        }
    }
    Ok(())
}

/// Validate and write the form as one request per access flow, in the
/// caller's transaction. Returns the new ids and which went straight to Granting.
pub fn submit_in(
    tx: Conn<'_>,
    requester_id: i64,
    form: &SubmitRequest,
    requested_again_from: Option<i64>,
    now: i64,
) -> Result<Vec<i64>, AppError> {
    let recurring = form.recurring_weeks.is_some();
    if form.duration_seconds <= 0 && !recurring {
        return Err(AppError::invalid("duration_seconds", "Choose a duration."));
    }
    let starts_at = form.starts_at.map(time::OffsetDateTime::unix_timestamp);
    if let Some(starts_at) = starts_at {
        if recurring {
            return Err(AppError::invalid(
                "starts_at",
                "Recurring access starts with its first window: leave the start out.",
            ));
        }
        super::schedule::check_start(starts_at, now)?;
    }
    let resolved = resolve(tx, requester_id, form)?;
    let on_behalf = resolved.grantee_id != requester_id;
    // Recurring access lasts the window the flow offers, whatever the form says.
    let duration = (!recurring).then_some(form.duration_seconds);
    let groups = assign(&resolved, duration, on_behalf)?;
    let recurrences = groups
        .iter()
        .map(|group| recurrence_of(group.flow, form.recurring_weeks))
        .collect::<Result<Vec<_>, _>>()?;
    if form.via_assistant.is_some() {
        refuse_assistants(&groups)?;
    }
    let ticket_types = store::flows::ticket_types(tx)?;
    check_details(&groups, form, &ticket_types)?;
    let break_glass = break_glass_reason(&groups, form, on_behalf)?;
    let justification = form.justification.trim();
    let feedback = justification::evaluate(justification);
    let ticket_id = form
        .ticket_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let ticket_type = form.ticket_type.as_deref().filter(|t| !t.is_empty());
    let all_items: Vec<&CandidateItem> = groups.iter().flat_map(|g| g.items.clone()).collect();
    let submitter = Actor {
        id: requester_id,
        is_admin: false,
    };
    let covering = super::covering_requests(tx, submitter, resolved.grantee_id, &all_items, now)?;
    if !covering.is_empty() && !form.allow_duplicate {
        return Err(super::duplicate_error(covering));
    }
    // A confirmation lasts an hour: within it, MFA flows do not ask again.
    let mfa_confirmed = store::mfa::is_confirmed(tx, requester_id, now)?;
    let mut ids = Vec::with_capacity(groups.len());
    if break_glass.is_some()
        && !mfa_confirmed
        && let Some(group) = groups.iter().find(|group| group.flow.mfa_required)
    {
        return Err(AppError::Forbidden(format!(
            "The access flow \"{}\" requires MFA: confirm a code from your authenticator app, then use break-glass.",
            group.flow.name
        )));
    }
    for (group, recurrence) in groups.iter().zip(&recurrences) {
        let (duration, starts_at) = match recurrence {
            Some(recurrence) => (
                recurrence.length_seconds,
                Some(super::schedule::first_start(recurrence, now)?),
            ),
            None => (form.duration_seconds, starts_at),
        };
        let status = if group.flow.mfa_required && !mfa_confirmed {
            RequestStatus::PendingMfa
        } else if group.flow.auto_approve || break_glass.is_some() {
            super::schedule::status_once_approved(starts_at, duration, recurrence.is_some(), now)
        } else {
            RequestStatus::PendingApproval
        };
        let pairs: Vec<(i64, i64)> = group
            .items
            .iter()
            .map(|i| (i.resource_id, i.permission_id))
            .collect();
        let id = store::requests::insert(
            tx,
            &NewRequest {
                flow_id: group.flow.id,
                requester_id,
                grantee_id: resolved.grantee_id,
                status,
                duration,
                ticket_type,
                ticket_id,
                justification,
                feedback,
                bundle_id: form.bundle.as_ref().map(|b| b.bundle_id),
                requested_again_from,
                items: &pairs,
                via_assistant: form.via_assistant.as_deref(),
                starts_at,
                recurrence: recurrence.as_ref(),
            },
            now,
        )?;
        super::record(
            tx,
            now,
            Some(requester_id),
            Some(id),
            "submitted",
            json!({
                "flow": group.flow.name,
                "status": status.label(),
                "grantee_id": resolved.grantee_id,
                "items": pairs.len(),
                "duration_seconds": duration,
                "starts_at": starts_at,
                "recurring_weeks": recurrence.as_ref().map(|r| r.weeks),
                "requested_again_from": requested_again_from,
                "via_assistant": form.via_assistant,
            }),
        )?;
        if let Some(reason) = &break_glass {
            store::approvals::mark_break_glass(tx, id, reason)?;
            super::record(
                tx,
                now,
                Some(requester_id),
                Some(id),
                "break_glass_approved",
                json!({"reason": reason, "duration_seconds": form.duration_seconds}),
            )?;
        }
        let duplicated: Vec<&CoveringRequest> = covering
            .iter()
            .filter(|c| {
                group
                    .items
                    .iter()
                    .any(|i| i.resource_id == c.resource_id && i.permission == c.permission)
            })
            .collect();
        if !duplicated.is_empty() {
            // The requester was told and chose a second request anyway.
            super::record(
                tx,
                now,
                Some(requester_id),
                Some(id),
                "duplicate_forced",
                json!({
                    "covered_by": duplicated.iter().map(|c| json!({
                        "request_id": c.request_id,
                        "status": c.status.label(),
                        "resource_id": c.resource_id,
                        "resource": c.resource_name,
                        "permission": c.permission,
                        "covering_permission": c.covering_permission,
                    })).collect::<Vec<_>>(),
                }),
            )?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The break-glass reason of a form that uses the lane, once every flow of
/// the form offers it for this duration and the grantee asks for themselves.
fn break_glass_reason(
    groups: &[Group<'_>],
    form: &SubmitRequest,
    on_behalf: bool,
) -> Result<Option<String>, AppError> {
    let Some(reason) = form.break_glass_reason.as_deref() else {
        return Ok(None);
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "break_glass_reason",
            "Break-glass needs a reason, e.g. the incident ID: every approver of the flow sees it.",
        ));
    }
    if reason.chars().count() > super::decide::MAX_BREAK_GLASS_REASON {
        return Err(AppError::invalid(
            "break_glass_reason",
            format!(
                "The break-glass reason is at most {} characters.",
                super::decide::MAX_BREAK_GLASS_REASON
            ),
        ));
    }
    if on_behalf {
        return Err(AppError::invalid(
            "break_glass_reason",
            "Break-glass approves your own access only; request for someone else the usual way.",
        ));
    }
    if form.via_assistant.is_some() {
        return Err(AppError::invalid(
            "break_glass_reason",
            "Break-glass cannot be used through an AI assistant: use the portal.",
        ));
    }
    if form.starts_at.is_some() || form.recurring_weeks.is_some() {
        return Err(AppError::invalid(
            "break_glass_reason",
            "Break-glass is for access now: it cannot start later or recur.",
        ));
    }
    for group in groups {
        if !group.flow.break_glass.enabled {
            return Err(AppError::invalid(
                "break_glass_reason",
                format!(
                    "The access flow \"{}\" has no break-glass lane.",
                    group.flow.name
                ),
            ));
        }
        if form.duration_seconds > group.flow.break_glass.max_duration_seconds {
            return Err(AppError::invalid(
                "duration_seconds",
                format!(
                    "Break-glass access through \"{}\" lasts at most {}.",
                    group.flow.name,
                    format_duration(group.flow.break_glass.max_duration_seconds)
                ),
            ));
        }
    }
    Ok(Some(reason.to_owned()))
}

/// The recurrence a request through `flow` follows when the form asks for
/// `weeks` of its recurring windows.
fn recurrence_of(
    flow: &Flow,
    weeks: Option<i64>,
) -> Result<Option<store::requests::Recurrence>, AppError> {
    let Some(weeks) = weeks else {
        return Ok(None);
    };
    let Some(offer) = &flow.recurrence else {
        return Err(AppError::invalid(
            "recurring_weeks",
            format!(
                "The access flow \"{}\" offers no recurring windows.",
                flow.name
            ),
        ));
    };
    if weeks < 1 || weeks > offer.max_weeks {
        return Err(AppError::invalid(
            "recurring_weeks",
            format!(
                "Ask for 1 to {} weeks of recurring windows.",
                offer.max_weeks
            ),
        ));
    }
    let mut weekdays = offer.weekdays.clone();
    weekdays.sort();
    weekdays.dedup();
    Ok(Some(store::requests::Recurrence {
        weekdays,
        start_time: offer.start_time.clone(),
        length_seconds: offer.length_seconds,
        time_zone: offer.time_zone.clone(),
        weeks,
    }))
}

/// Refuse a form an AI assistant submits to a flow that takes none.
fn refuse_assistants(groups: &[Group<'_>]) -> Result<(), AppError> {
    match groups.iter().find(|group| !group.flow.assistants_allowed) {
        Some(group) => Err(AppError::invalid(
            "items",
            format!(
                "The access flow \"{}\" does not take requests made through an AI assistant: request it in the portal.",
                group.flow.name
            ),
        )),
        None => Ok(()),
    }
}

/// What a draft would get, without writing anything. Problems that would
/// refuse a submission are listed rather than returned as errors.
pub fn preview(
    conn: Conn<'_>,
    requester_id: i64,
    form: &SubmitRequest,
    now: i64,
) -> Result<PreviewResponse, AppError> {
    let feedback = justification::evaluate(&form.justification);
    let ticket_types = store::flows::ticket_types(conn)?;
    let mut problems = Vec::new();
    let mut groups_out = Vec::new();
    let mut durations: Option<Vec<i64>> = None;
    let mut covered_by = Vec::new();
    match resolve(conn, requester_id, form) {
        Err(error) => problems.push(problem(error)?),
        Ok(resolved) => {
            let on_behalf = resolved.grantee_id != requester_id;
            let duration = (form.duration_seconds > 0).then_some(form.duration_seconds);
            let groups = match assign(&resolved, duration, on_behalf) {
                Ok(groups) => Ok(groups),
                Err(error) => {
                    problems.push(problem(error)?);
                    assign(&resolved, None, on_behalf)
                }
            };
            if let Ok(groups) = groups {
                if form.via_assistant.is_some()
                    && let Err(error) = refuse_assistants(&groups)
                {
                    problems.push(problem(error)?);
                }
                if let Err(error) = check_details(&groups, form, &ticket_types) {
                    problems.push(problem(error)?);
                }
                if let Err(error) = break_glass_reason(&groups, form, on_behalf) {
                    problems.push(problem(error)?);
                }
                let all_items: Vec<&CandidateItem> =
                    groups.iter().flat_map(|g| g.items.clone()).collect();
                let submitter = Actor {
                    id: requester_id,
                    is_admin: false,
                };
                covered_by = super::covering_requests(
                    conn,
                    submitter,
                    resolved.grantee_id,
                    &all_items,
                    now,
                )?;
                for group in &groups {
                    let flow = group.flow;
                    let excluded = [requester_id, resolved.grantee_id];
                    let mut approver_steps = Vec::new();
                    for step in 0..flow.step_count() {
                        approver_steps.push(store::flows::approvers_of_step(
                            conn, flow, step, &excluded,
                        )?);
                    }
                    let offered: Vec<i64> = flow
                        .durations
                        .iter()
                        .copied()
                        .filter(|d| *d <= flow.max_duration)
                        .collect();
                    durations = Some(match durations {
                        None => offered.clone(),
                        Some(common) => {
                            common.into_iter().filter(|d| offered.contains(d)).collect()
                        }
                    });
                    groups_out.push(PreviewGroup {
                        flow_id: flow.id,
                        flow_name: flow.name.clone(),
                        item_count: group.items.len(),
                        auto_approve: flow.auto_approve,
                        required_approvals: (0..flow.step_count())
                            .map(|step| flow.step_rule(step).required_approvals)
                            .collect(),
                        break_glass_max_seconds: flow
                            .break_glass
                            .enabled
                            .then_some(flow.break_glass.max_duration_seconds),
                        approver_steps,
                        durations_seconds: offered,
                        max_duration_seconds: flow.max_duration,
                        justification_required: flow.justification_required,
                        ticket_required: flow.ticket_required,
                        mfa_required: flow.mfa_required,
                        recurrence: flow.recurrence.clone(),
                    });
                }
            }
        }
    }
    Ok(PreviewResponse {
        groups: groups_out,
        durations_seconds: durations.unwrap_or_default(),
        ticket_types,
        justification_feedback: feedback,
        problems,
        covered_by,
    })
}

/// A refusal as a preview problem; internal faults still fail the call.
fn problem(error: AppError) -> Result<ApiError, AppError> {
    match error {
        AppError::Internal(_) => Err(error),
        other => Ok(other.body()),
    }
}
