//! What approvals need beyond a status change: the decisions of a step
//! (quorum), narrowings by approvers with both versions, the permission
//! order that says what is "lower", and break-glass uses with their review.

use gatehouse_shared::requests::{
    ItemSelection, RequestChange, RequestVersion, ReviewState, UserRef,
};

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::{error::AppError, store::tokens::timestamp};

/// The decisions taken on one step of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepDecisions {
    pub approved_by: Vec<UserRef>,
    pub rejected_by: Vec<UserRef>,
}

impl StepDecisions {
    pub fn decided(&self, user_id: i64) -> bool {
        self.approved_by
            .iter()
            .chain(&self.rejected_by)
            .any(|user| user.id == user_id)
    }
}

/// Who approved and who rejected `step` of request `id`, in order.
pub fn decisions_of_step(conn: Conn<'_>, id: i64, step: i64) -> Result<StepDecisions, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT a.decision, u.id, u.username, u.display_name FROM approvals a JOIN users u ON u.id = a.approver_id
         WHERE a.request_id = ?1 AND a.step = ?2 ORDER BY a.id",
    )?;
    let rows = statement.query_map(params![id, step], |row| {
        Ok((
            row.get::<_, String>(0)?,
            UserRef {
                id: row.get(1)?,
                username: row.get(2)?,
                display_name: row.get(3)?,
            },
        ))
    })?;
    let mut decisions = StepDecisions::default();
    for row in rows {
        let (decision, user) = row?;
        if decision == "approved" {
            decisions.approved_by.push(user);
        } else {
            decisions.rejected_by.push(user);
        }
    }
    Ok(decisions)
}

/// The waiting step `step` of request `id` through `flow`: its decisions so
/// far, and the approvers it still waits on (those of the step who have not
/// decided it, never the requester or grantee in `excluded`).
pub fn waiting_step(
    conn: Conn<'_>,
    flow: &crate::store::flows::Flow,
    id: i64,
    step: i64,
    excluded: &[i64],
) -> Result<(Vec<UserRef>, StepDecisions), AppError> {
    let decisions = decisions_of_step(conn, id, step)?;
    let mut waiting = crate::store::flows::approvers_of_step(conn, flow, step, excluded)?;
    waiting.retain(|approver| !decisions.decided(approver.id));
    Ok((waiting, decisions))
}

/// One item of a request, with what an approver's narrowing is checked
/// against: the permission's rank within its resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedItem {
    pub resource_id: i64,
    pub resource_name: String,
    pub permission_id: i64,
    pub permission: String,
    /// A resource type lists its permissions weakest first (e.g. read-only,
    /// read-write, admin): the rank is the position in that list.
    pub rank: i64,
}

pub(crate) const RANK: &str = "(SELECT COUNT(*) FROM permissions p2 WHERE p2.resource_type_id = p.resource_type_id AND p2.id < p.id)";

/// The items of request `id` with their permissions' ranks.
pub fn ranked_items(conn: Conn<'_>, id: i64) -> Result<Vec<RankedItem>, AppError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT ri.resource_id, r.name, p.id, p.name, {RANK}
         FROM request_items ri JOIN resources r ON r.id = ri.resource_id JOIN permissions p ON p.id = ri.permission_id
         WHERE ri.request_id = ?1 ORDER BY r.name, ri.resource_id, p.id"
    ))?;
    Ok(statement
        .query_map([id], |row| {
            Ok(RankedItem {
                resource_id: row.get(0)?,
                resource_name: row.get(1)?,
                permission_id: row.get(2)?,
                permission: row.get(3)?,
                rank: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// The permission named `permission` of a resource's type, with its rank;
/// None when the type has no such permission.
pub fn ranked_permission(
    conn: Conn<'_>,
    resource_id: i64,
    permission: &str,
) -> Result<Option<(i64, i64)>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT p.id, {RANK} FROM resources r JOIN permissions p ON p.resource_type_id = r.resource_type_id
             WHERE r.id = ?1 AND p.name = ?2"
        ))?
        .query_row(params![resource_id, permission], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?)
}

/// The ranks of these permissions within their resource types.
pub fn ranks_of(
    conn: Conn<'_>,
    permission_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, AppError> {
    let mut ranks = std::collections::HashMap::new();
    let mut statement = conn.prepare_cached(&format!(
        "SELECT p.id, {RANK} FROM permissions p WHERE p.id = ?1"
    ))?;
    for id in permission_ids {
        if let Some((id, rank)) = statement
            .query_row([*id], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?
        {
            ranks.insert(id, rank);
        }
    }
    Ok(ranks)
}

/// Replace what request `id` asks for (while it waits): its duration and items.
pub fn narrow(
    tx: Conn<'_>,
    id: i64,
    duration: i64,
    items: &[(i64, i64)],
    now: i64,
) -> Result<(), AppError> {
    tx.execute(
        "UPDATE requests SET duration = ?1, item_count = ?2, updated_at = ?3 WHERE id = ?4 AND status = 'Pending Approval'",
        params![duration, items.len() as i64, now, id],
    )?;
    tx.execute("DELETE FROM request_items WHERE request_id = ?1", [id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO request_items (request_id, resource_id, permission_id) VALUES (?1, ?2, ?3)",
    )?;
    for (resource_id, permission_id) in items {
        insert.execute(params![id, resource_id, permission_id])?;
    }
    Ok(())
}

/// A narrowing by an approver, with both versions.
pub struct Change<'a> {
    pub request_id: i64,
    pub step: i64,
    pub approver: i64,
    pub note: &'a str,
    pub before: &'a RequestVersion,
    pub after: &'a RequestVersion,
}

/// Keep both versions of a narrowing.
pub fn record_change(tx: Conn<'_>, change: &Change<'_>, now: i64) -> Result<(), AppError> {
    let Change {
        request_id: id,
        step,
        approver,
        note,
        before,
        after,
    } = *change;
    tx.execute(
        "INSERT INTO request_changes (request_id, step, approver_id, note, before_json, after_json, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            step,
            approver,
            note,
            serde_json::to_string(before)?,
            serde_json::to_string(after)?,
            now
        ],
    )?;
    Ok(())
}

/// The narrowings of request `id`, oldest first.
pub fn changes_of(conn: Conn<'_>, id: i64) -> Result<Vec<RequestChange>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT c.step, u.id, u.username, u.display_name, c.note, c.before_json, c.after_json, c.changed_at
         FROM request_changes c JOIN users u ON u.id = c.approver_id WHERE c.request_id = ?1 ORDER BY c.id",
    )?;
    let rows = statement
        .query_map([id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                UserRef {
                    id: row.get(1)?,
                    username: row.get(2)?,
                    display_name: row.get(3)?,
                },
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, i64>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(step, approver, note, before, after, at)| {
            Ok(RequestChange {
                step,
                approver,
                note,
                before: serde_json::from_str(&before)?,
                after: serde_json::from_str(&after)?,
                changed_at: timestamp(at)?,
            })
        })
        .collect()
}

/// The items of a version, as the wire names them.
pub fn version(duration: i64, items: &[RankedItem]) -> RequestVersion {
    RequestVersion {
        duration_seconds: duration,
        items: items
            .iter()
            .map(|item| ItemSelection {
                resource_id: item.resource_id,
                permission: item.permission.clone(),
            })
            .collect(),
    }
}

/// Mark request `id` as a break-glass use, unreviewed.
pub fn mark_break_glass(tx: Conn<'_>, id: i64, reason: &str) -> Result<(), AppError> {
    tx.execute(
        "UPDATE requests SET break_glass_reason = ?1, review_state = 'unreviewed' WHERE id = ?2",
        params![reason, id],
    )?;
    Ok(())
}

/// Review an unreviewed break-glass use; false when it was not unreviewed
/// (someone reviewed it first).
pub fn review(
    tx: Conn<'_>,
    id: i64,
    state: ReviewState,
    reviewer: i64,
    note: Option<&str>,
    now: i64,
) -> Result<bool, AppError> {
    let changed = tx.execute(
        "UPDATE requests SET review_state = ?1, reviewed_by = ?2, reviewed_at = ?3, review_note = ?4, updated_at = ?3
         WHERE id = ?5 AND review_state = 'unreviewed'",
        params![state.label(), reviewer, now, note, id],
    )?;
    Ok(changed == 1)
}

/// Whether the user approves some step of the flow.
pub fn approves_flow(conn: Conn<'_>, user_id: i64, flow_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM flow_approvers fa WHERE fa.flow_id = ?2
               AND ((fa.kind = 'user' AND fa.subject_id = ?1)
                 OR (fa.kind = 'group' AND fa.subject_id IN (SELECT group_id FROM group_members WHERE user_id = ?1)))
             LIMIT 1",
        )?
        .query_row(params![user_id, flow_id], |_| Ok(()))
        .optional()?
        .is_some())
}
