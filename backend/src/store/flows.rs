//! Access flows as the engine reads them: who they cover, what they scope,
//! who approves, and their durations and extension settings.

use std::collections::{HashMap, HashSet};

use crate::store::sql::{Conn, params, params_from_iter};
use gatehouse_shared::{
    admin::{BreakGlassSettings, StepRule},
    requests::UserRef,
    rules::ExtendPolicy,
    schedule::RecurrenceOffer,
};

use crate::{error::AppError, store::placeholders};

/// One scope entry of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Integration(i64),
    ResourceType(i64),
    Resource(i64),
    Tag(String),
    Bundle(i64),
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub id: i64,
    pub name: String,
    pub auto_approve: bool,
    pub durations: Vec<i64>,
    pub max_duration: i64,
    pub justification_required: bool,
    pub ticket_required: bool,
    pub mfa_required: bool,
    pub on_behalf_allowed: bool,
    /// Whether requests made through an AI assistant (MCP) are accepted.
    pub assistants_allowed: bool,
    pub extend: ExtendPolicy,
    pub scope: Vec<Scope>,
    /// Empty means every permission.
    pub permissions: HashSet<String>,
    /// (step, kind, subject id)
    pub approvers: Vec<(i64, String, i64)>,
    /// How each step decides, by step index; missing steps use the default
    /// (one approval, one rejection).
    pub step_rules: Vec<StepRule>,
    pub break_glass: BreakGlassSettings,
    /// Recurring windows requesters may pick.
    pub recurrence: Option<RecurrenceOffer>,
}

/// A resource and permission resolved for coverage checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CandidateItem {
    pub resource_id: i64,
    pub resource_name: String,
    pub integration_id: i64,
    pub resource_type_id: i64,
    pub permission_id: i64,
    pub permission: String,
    /// The bundle this item was asked for through, if any.
    pub via_bundle: Option<i64>,
}

impl Flow {
    /// Whether this flow's scope and permissions cover the item.
    pub fn covers(
        &self,
        item: &CandidateItem,
        tags: &HashMap<i64, Vec<String>>,
        bundle_items: &HashSet<(i64, i64, i64)>,
    ) -> bool {
        if !self.permissions.is_empty() && !self.permissions.contains(&item.permission) {
            return false;
        }
        self.scope.iter().any(|scope| match scope {
            Scope::Integration(id) => *id == item.integration_id,
            Scope::ResourceType(id) => *id == item.resource_type_id,
            Scope::Resource(id) => *id == item.resource_id,
            Scope::Tag(tag) => tags
                .get(&item.resource_id)
                .is_some_and(|resource_tags| resource_tags.contains(tag)),
            // A bundle-scoped flow covers its bundle when requested as a bundle.
            Scope::Bundle(id) => {
                item.via_bundle == Some(*id)
                    && bundle_items.contains(&(*id, item.resource_id, item.permission_id))
            }
        })
    }

    /// How step `step` decides.
    pub fn step_rule(&self, step: i64) -> StepRule {
        usize::try_from(step)
            .ok()
            .and_then(|step| self.step_rules.get(step))
            .copied()
            .unwrap_or_default()
    }

    /// Number of approval steps (0 for auto-approving flows).
    pub fn step_count(&self) -> i64 {
        self.approvers
            .iter()
            .map(|(step, _, _)| step + 1)
            .max()
            .unwrap_or(0)
    }
}

const FLOW_COLUMNS: &str = "id, name, auto_approve, durations, max_duration, justification_required, \
    ticket_required, mfa_required, on_behalf_allowed, extend_enabled, extend_by, extend_max_count, extend_window, assistants_allowed, break_glass, break_glass_max_duration, recurrence";

fn flow_from_row(row: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<(Flow, String)> {
    Ok((
        Flow {
            id: row.get(0)?,
            name: row.get(1)?,
            auto_approve: row.get(2)?,
            durations: Vec::new(),
            max_duration: row.get(4)?,
            justification_required: row.get(5)?,
            ticket_required: row.get(6)?,
            mfa_required: row.get(7)?,
            on_behalf_allowed: row.get(8)?,
            assistants_allowed: row.get(13)?,
            extend: ExtendPolicy {
                enabled: row.get(9)?,
                by: row.get(10)?,
                max_count: row.get(11)?,
                window: row.get(12)?,
            },
            scope: Vec::new(),
            permissions: HashSet::new(),
            approvers: Vec::new(),
            step_rules: Vec::new(),
            break_glass: BreakGlassSettings {
                enabled: row.get(14)?,
                max_duration_seconds: row.get(15)?,
            },
            recurrence: json_column(row, 16)?,
        },
        row.get::<_, String>(3)?,
    ))
}

/// The flows whose grantees include the user (directly, by group, or everyone).
pub fn flows_for_grantee(conn: Conn<'_>, user_id: i64) -> Result<Vec<Flow>, AppError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {FLOW_COLUMNS} FROM access_flows WHERE id IN (
            SELECT flow_id FROM flow_grantees WHERE kind = 'everyone'
                OR (kind = 'user' AND subject_id = ?1)
                OR (kind = 'group' AND subject_id IN (SELECT group_id FROM group_members WHERE user_id = ?1))
         ) ORDER BY id"
    ))?;
    let flows = statement
        .query_map([user_id], flow_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    complete(conn, flows)
}

pub fn flow_by_id(conn: Conn<'_>, flow_id: i64) -> Result<Option<Flow>, AppError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {FLOW_COLUMNS} FROM access_flows WHERE id = ?1"
    ))?;
    let flows = statement
        .query_map([flow_id], flow_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(complete(conn, flows)?.into_iter().next())
}

pub fn all_flows(conn: Conn<'_>) -> Result<Vec<Flow>, AppError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {FLOW_COLUMNS} FROM access_flows ORDER BY id"
    ))?;
    let flows = statement
        .query_map([], flow_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    complete(conn, flows)
}

/// A nullable JSON column, decoded.
pub fn json_column<T: serde::de::DeserializeOwned>(
    row: &crate::store::sql::Row<'_>,
    index: usize,
) -> crate::store::sql::Result<Option<T>> {
    row.get::<_, Option<String>>(index)?
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| crate::store::sql::Error::conversion(index, e.to_string()))
        })
        .transpose()
}

fn complete(conn: Conn<'_>, rows: Vec<(Flow, String)>) -> Result<Vec<Flow>, AppError> {
    let mut flows = Vec::with_capacity(rows.len());
    for (mut flow, durations) in rows {
        flow.durations = serde_json::from_str(&durations)?;
        let mut scope = conn.prepare_cached(
            "SELECT kind, ref_id, tag FROM flow_scope WHERE flow_id = ?1 ORDER BY rowid",
        )?;
        flow.scope = scope
            .query_map([flow.id], |row| {
                let kind: String = row.get(0)?;
                let id: i64 = row.get(1)?;
                let tag: String = row.get(2)?;
                Ok(match kind.as_str() {
                    "integration" => Some(Scope::Integration(id)),
                    "resource_type" => Some(Scope::ResourceType(id)),
                    "resource" => Some(Scope::Resource(id)),
                    "tag" => Some(Scope::Tag(tag)),
                    "bundle" => Some(Scope::Bundle(id)),
                    _ => None,
                })
            })?
            .filter_map(|row| row.transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let mut permissions =
            conn.prepare_cached("SELECT permission_name FROM flow_permissions WHERE flow_id = ?1")?;
        flow.permissions = permissions
            .query_map([flow.id], |row| row.get(0))?
            .collect::<Result<HashSet<String>, _>>()?;
        let mut approvers = conn.prepare_cached(
            "SELECT step, kind, subject_id FROM flow_approvers WHERE flow_id = ?1 ORDER BY step, rowid",
        )?;
        flow.approvers = approvers
            .query_map([flow.id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules = conn.prepare_cached(
            "SELECT step, required_approvals, rejections_to_reject FROM flow_steps WHERE flow_id = ?1 ORDER BY step",
        )?;
        for rule in rules.query_map([flow.id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                StepRule {
                    required_approvals: row.get(1)?,
                    rejections_to_reject: row.get(2)?,
                },
            ))
        })? {
            let (step, rule) = rule?;
            let step = usize::try_from(step).unwrap_or_default();
            if flow.step_rules.len() <= step {
                flow.step_rules.resize(step + 1, StepRule::default());
            }
            flow.step_rules[step] = rule;
        }
        flows.push(flow);
    }
    Ok(flows)
}

/// Tags of the given resources.
pub fn tags_of(
    conn: Conn<'_>,
    resource_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in resource_ids.chunks(500) {
        let mut statement = conn.prepare(&format!(
            "SELECT resource_id, tag FROM resource_tags WHERE resource_id IN ({})",
            placeholders(chunk.len())
        ))?;
        let rows = statement.query_map(params_from_iter(chunk), |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, tag) = row?;
            tags.entry(id).or_default().push(tag);
        }
    }
    Ok(tags)
}

/// (bundle, resource, permission) for the bundles the flows scope.
pub fn bundle_items_of(
    conn: Conn<'_>,
    flows: &[Flow],
) -> Result<HashSet<(i64, i64, i64)>, AppError> {
    let bundle_ids: HashSet<i64> = flows
        .iter()
        .flat_map(|flow| flow.scope.iter())
        .filter_map(|scope| match scope {
            Scope::Bundle(id) => Some(*id),
            _ => None,
        })
        .collect();
    let mut items = HashSet::new();
    let mut statement = conn.prepare_cached(
        "SELECT bundle_id, resource_id, permission_id FROM bundle_items WHERE bundle_id = ?1",
    )?;
    for bundle_id in bundle_ids {
        let rows = statement.query_map([bundle_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        for row in rows {
            items.insert(row?);
        }
    }
    Ok(items)
}

/// Approvers of one step, without the excluded users (requester and grantee).
pub fn approvers_of_step(
    conn: Conn<'_>,
    flow: &Flow,
    step: i64,
    excluded: &[i64],
) -> Result<Vec<UserRef>, AppError> {
    let mut ids: Vec<i64> = Vec::new();
    let mut members = conn
        .prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?;
    for (approver_step, kind, subject) in &flow.approvers {
        if *approver_step != step {
            continue;
        }
        if kind == "group" {
            for member in members.query_map([subject], |row| row.get::<_, i64>(0))? {
                ids.push(member?);
            }
        } else {
            ids.push(*subject);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids.retain(|id| !excluded.contains(id));
    let mut users = Vec::with_capacity(ids.len());
    let mut statement =
        conn.prepare_cached("SELECT id, username, display_name FROM users WHERE id = ?1")?;
    for id in ids {
        users.push(statement.query_row(params![id], |row| {
            Ok(UserRef {
                id: row.get(0)?,
                username: row.get(1)?,
                display_name: row.get(2)?,
            })
        })?);
    }
    Ok(users)
}

pub fn ticket_types(conn: Conn<'_>) -> Result<Vec<String>, AppError> {
    let mut statement = conn.prepare_cached("SELECT name FROM ticket_types ORDER BY name")?;
    let names = statement
        .query_map([], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(names)
}

/// A resource as a submission names it, with its type's permission of the
/// name asked for.
pub struct ResourcePermission {
    pub resource_id: i64,
    pub name: String,
    pub integration_id: i64,
    pub resource_type_id: i64,
    /// None when the resource's type has no permission of that name.
    pub permission_id: Option<i64>,
}

/// A resource and the id of its type's permission named `permission`
/// (None when the type has no such permission); None when no such resource.
pub fn resource_with_permission(
    conn: Conn<'_>,
    resource_id: i64,
    permission: &str,
) -> Result<Option<ResourcePermission>, AppError> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT r.id, r.name, r.integration_id, r.resource_type_id, p.id
         FROM resources r LEFT JOIN permissions p ON p.resource_type_id = r.resource_type_id AND p.name = ?2
         WHERE r.id = ?1",
        )?
        .query_row(params![resource_id, permission], |row| {
            Ok(ResourcePermission {
                resource_id: row.get(0)?,
                name: row.get(1)?,
                integration_id: row.get(2)?,
                resource_type_id: row.get(3)?,
                permission_id: row.get(4)?,
            })
        })
        .optional()?)
}

/// Whether a bundle exists.
pub fn bundle_exists(conn: Conn<'_>, bundle_id: i64) -> Result<bool, AppError> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .query_row("SELECT 1 FROM bundles WHERE id = ?1", [bundle_id], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

/// A bundle's items as candidates asked for through it, by resource name.
pub fn bundle_candidates(conn: Conn<'_>, bundle_id: i64) -> Result<Vec<CandidateItem>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT r.id, r.name, r.integration_id, r.resource_type_id, p.id, p.name
             FROM bundle_items b JOIN resources r ON r.id = b.resource_id JOIN permissions p ON p.id = b.permission_id
             WHERE b.bundle_id = ?1 ORDER BY r.name, r.id, p.id",
    )?;
    Ok(statement
        .query_map([bundle_id], |row| {
            Ok(CandidateItem {
                resource_id: row.get(0)?,
                resource_name: row.get(1)?,
                integration_id: row.get(2)?,
                resource_type_id: row.get(3)?,
                permission_id: row.get(4)?,
                permission: row.get(5)?,
                via_bundle: Some(bundle_id),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}
