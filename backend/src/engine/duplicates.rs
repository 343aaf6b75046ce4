//! No duplicate access: a new request for access the grantee already holds
//! or waits for (the same resource with the same or a stronger permission)
//! is refused, naming the request that covers it, unless the form says it
//! wants a new one anyway.

use std::collections::{HashMap, HashSet};

use gatehouse_shared::{
    ApiError,
    requests::{CoveringRequest, DuplicateError},
    rules::{self, Actor},
};

use crate::{
    error::AppError,
    store::{self, Conn, flows::CandidateItem, tokens::timestamp},
};

/// The open requests of `grantee_id` covering any of `items`, one entry per
/// covered item (its oldest covering request, an Active one first).
pub fn covering_requests(
    conn: Conn<'_>,
    submitter: Actor,
    grantee_id: i64,
    items: &[&CandidateItem],
    now: i64,
) -> Result<Vec<CoveringRequest>, AppError> {
    let resource_ids: Vec<i64> = items
        .iter()
        .map(|item| item.resource_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let held = store::coverage::open_items(conn, grantee_id, &resource_ids)?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = HashMap::new();
    for id in held.iter().map(|h| h.request_id).collect::<HashSet<_>>() {
        if let Some(row) = store::requests::get(conn, id)? {
            rows.insert(id, row);
        }
    }
    let asked_ranks = store::approvals::ranks_of(
        conn,
        &items
            .iter()
            .map(|item| item.permission_id)
            .collect::<Vec<_>>(),
    )?;
    let mut covering = Vec::new();
    for item in items {
        let Some(asked_rank) = asked_ranks.get(&item.permission_id).copied() else {
            continue;
        };
        let best = held
            .iter()
            .filter(|h| {
                h.resource_id == item.resource_id && rules::permission_covers(h.rank, asked_rank)
            })
            .filter_map(|h| rows.get(&h.request_id).map(|row| (h, row)))
            // Active access first (it may be extended), then the oldest.
            .min_by_key(|(h, row)| {
                (
                    row.status != gatehouse_shared::RequestStatus::Active,
                    h.request_id,
                )
            });
        if let Some((held, row)) = best {
            covering.push(CoveringRequest {
                request_id: row.id,
                status: row.status,
                resource_id: item.resource_id,
                resource_name: item.resource_name.clone(),
                permission: item.permission.clone(),
                covering_permission: held.permission.clone(),
                can_extend: rules::check_extend(submitter, &row.facts(), now).is_ok(),
                expires_at: row.expires_at.map(timestamp).transpose()?,
            });
        }
    }
    Ok(covering)
}

/// A sentence naming what covers the form.
pub fn duplicate_message(covering: &[CoveringRequest]) -> String {
    let named: Vec<String> = covering
        .iter()
        .map(|c| {
            let what = if c.status == gatehouse_shared::RequestStatus::Active {
                "has"
            } else {
                "already waits for"
            };
            format!(
                "request {} ({}) {what} {} ({})",
                c.request_id, c.status, c.resource_name, c.covering_permission
            )
        })
        .collect();
    let instead = if covering.iter().any(|c| c.can_extend) {
        "Extend it instead, or send"
    } else {
        "Send"
    };
    format!(
        "This access is already covered: {}. {instead} the form again with \"allow_duplicate\": true to request it anyway.",
        named.join("; ")
    )
}

/// The 409 refusal of a duplicate.
pub fn duplicate_error(covering: Vec<CoveringRequest>) -> AppError {
    AppError::Duplicate(Box::new(DuplicateError {
        error: ApiError::new("duplicate_request", duplicate_message(&covering)).with_field("items"),
        covering,
    }))
}
