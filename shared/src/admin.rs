//! What admins write: integrations, resource types, resources, bundles,
//! access flows, users and groups.

use serde::{Deserialize, Serialize};

/// Body of creating or updating an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Staging PostgreSQL", "kind": "postgresql", "admin_message": "Use the VPN.", "connection_options": ["terminal"]})))]
pub struct IntegrationInput {
    pub name: String,
    /// Connector kind, e.g. `postgresql`, `aws`, `github`, `demo`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_message: Option<String>,
    /// Any of `terminal`, `browser`, `app`.
    #[serde(default)]
    pub connection_options: Vec<String>,
    /// `demo` (the default on create), `postgresql`, `webhook` or `manual`;
    /// left out on update, the connector stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    /// The connector's settings. Left out on update, they stay; secret fields
    /// (a password, a signing secret) left out are kept from before.
    /// PostgreSQL: `host`, `port`, `user`, `password`, `database`, `connect_host`,
    /// `ssl_mode` (`verify-full`, the default, or `disable`), `ssl_root_cert` (PEM).
    /// Webhook: `url`, `secret`, `grant_attempts`, `timeout_seconds`.
    /// Manual: `fulfillers` (usernames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<serde_json::Value>,
}

/// Body of creating or updating a resource type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceTypeInput {
    /// Fixed once created; ignored on update.
    pub integration_id: i64,
    pub name: String,
    /// Permission names this type offers, e.g. `["read-only", "read-write"]`.
    pub permissions: Vec<String>,
}

/// A ticket type requesters choose from where a flow asks for a ticket
/// (e.g. `Jira`, `ServiceNow`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"id": 1, "name": "Jira"})))]
pub struct TicketType {
    pub id: i64,
    pub name: String,
}

/// Body of adding a ticket type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Jira"})))]
pub struct TicketTypeInput {
    pub name: String,
}

/// Body of creating or updating a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceInput {
    pub resource_type_id: i64,
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Body of creating or updating a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub items: Vec<crate::requests::ItemSelection>,
}

/// Who an access flow is for, or who approves at a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// Every user (grantees only).
    Everyone,
    User {
        id: i64,
    },
    Group {
        id: i64,
    },
}

/// What an access flow lets people request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScopeEntry {
    Integration {
        id: i64,
    },
    ResourceType {
        id: i64,
    },
    Resource {
        id: i64,
    },
    Tag {
        tag: String,
    },
    /// The bundle, when requested as a bundle.
    Bundle {
        id: i64,
    },
}

/// Extension settings of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtendSettings {
    pub enabled: bool,
    /// Seconds one extension adds.
    #[serde(default)]
    pub by_seconds: i64,
    /// How many times a request may be extended.
    #[serde(default)]
    pub max_count: i64,
    /// Extend is offered once expiry is at most this many seconds away.
    #[serde(default)]
    pub window_seconds: i64,
}

/// How one approval step decides, beside its approvers (same index as
/// `approver_steps`). A step without a rule needs one approval, and one
/// rejection rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"required_approvals": 2, "rejections_to_reject": 1})))]
pub struct StepRule {
    /// Distinct approvers of the step needed (a quorum, e.g. 2 of the DBA
    /// group). The requester and the grantee never count.
    #[serde(default = "one")]
    pub required_approvals: i64,
    /// Rejections that reject the request.
    #[serde(default = "one")]
    pub rejections_to_reject: i64,
}

impl Default for StepRule {
    fn default() -> Self {
        Self {
            required_approvals: 1,
            rejections_to_reject: 1,
        }
    }
}

fn one() -> i64 {
    1
}

/// The most a step may ask for (approvals or rejections).
pub const MAX_STEP_QUORUM: i64 = 20;

/// Longest break-glass access a flow may allow.
pub const MAX_BREAK_GLASS_DURATION: i64 = 24 * 3600;

/// The break-glass lane of a flow: its grantees may approve their own
/// request at once, giving a reason (e.g. an incident ID), for at most
/// `max_duration_seconds`; every approver of the flow is told at once and
/// reviews it afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"enabled": true, "max_duration_seconds": 3600})))]
pub struct BreakGlassSettings {
    pub enabled: bool,
    #[serde(default = "an_hour")]
    pub max_duration_seconds: i64,
}

impl Default for BreakGlassSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            max_duration_seconds: 3600,
        }
    }
}

fn an_hour() -> i64 {
    3600
}

/// An access flow as admins write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Production databases",
    "grantees": [{"kind": "group", "id": 1}],
    "scope": [{"kind": "integration", "id": 1}],
    "permissions": ["read-only"],
    "auto_approve": false,
    "approver_steps": [[{"kind": "user", "id": 2}]],
    "durations_seconds": [3600, 14400],
    "max_duration_seconds": 14400,
    "justification_required": true,
    "ticket_required": false,
    "mfa_required": false,
    "on_behalf_allowed": true,
    "extend": {"enabled": true, "by_seconds": 3600, "max_count": 2, "window_seconds": 1800},
    "assistants_allowed": true,
    "step_rules": [{"required_approvals": 1, "rejections_to_reject": 1}],
    "break_glass": {"enabled": true, "max_duration_seconds": 3600},
    "recurrence": {"weekdays": ["Tuesday"], "start_time": "22:00", "length_seconds": 14400, "time_zone": "Europe/Berlin", "max_weeks": 8}
})))]
pub struct AccessFlowInput {
    pub name: String,
    pub grantees: Vec<Subject>,
    pub scope: Vec<ScopeEntry>,
    /// Permission names allowed; empty means all.
    #[serde(default)]
    pub permissions: Vec<String>,
    pub auto_approve: bool,
    /// Ordered steps; by default any one approver of a step decides it
    /// (see `step_rules`). Empty when auto-approving.
    #[serde(default)]
    pub approver_steps: Vec<Vec<Subject>>,
    /// How each step decides (same index as `approver_steps`); missing
    /// entries need one approval and reject on one rejection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_rules: Vec<StepRule>,
    pub durations_seconds: Vec<i64>,
    pub max_duration_seconds: i64,
    #[serde(default)]
    pub justification_required: bool,
    #[serde(default)]
    pub ticket_required: bool,
    #[serde(default)]
    pub mfa_required: bool,
    #[serde(default)]
    pub on_behalf_allowed: bool,
    #[serde(default)]
    pub extend: ExtendSettings,
    /// Whether requests made through an AI assistant (MCP) are accepted.
    #[serde(default = "accepted")]
    pub assistants_allowed: bool,
    /// Recurring windows requesters may pick (e.g. Tuesdays 22:00 for 4
    /// hours, Europe/Berlin, up to 8 weeks); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<crate::schedule::RecurrenceOffer>,
    #[serde(default)]
    pub break_glass: BreakGlassSettings,
}

impl AccessFlowInput {
    /// The rule of step `step` (the default when none is written).
    pub fn step_rule(&self, step: usize) -> StepRule {
        self.step_rules.get(step).copied().unwrap_or_default()
    }
}

fn accepted() -> bool {
    true
}

/// An access flow as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessFlow {
    pub id: i64,
    #[serde(flatten)]
    pub flow: AccessFlowInput,
}

/// A user as admins see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    pub group_ids: Vec<i64>,
    /// False when the identity provider deactivated or deleted the user:
    /// they cannot sign in and hold no access.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Managed by the identity provider (signed in with it, or provisioned by SCIM).
    #[serde(default)]
    pub from_provider: bool,
}

fn active_by_default() -> bool {
    true
}

/// Body of creating or updating a user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    #[serde(default)]
    pub is_admin: bool,
    /// Required when creating; on update, absent keeps the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("is_admin", &self.is_admin)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A group of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
}

/// Body of creating or updating a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupInput {
    pub name: String,
    #[serde(default)]
    pub member_ids: Vec<i64>,
}

/// The longest duration a flow may offer: 90 days.
pub const MAX_FLOW_DURATION: i64 = 90 * 24 * 3600;

/// Check an access flow on its own terms (references are checked by the
/// server). Returns the offending field and why.
pub fn validate_flow(flow: &AccessFlowInput) -> Result<(), (String, String)> {
    let fail = |field: &str, message: &str| Err((field.to_owned(), message.to_owned()));
    let name = flow.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return fail("name", "Name the access flow (1 to 100 characters).");
    }
    if flow.grantees.is_empty() {
        return fail(
            "grantees",
            "Say who may request: everyone, users or groups.",
        );
    }
    if flow.scope.is_empty() {
        return fail(
            "scope",
            "Say what may be requested: integrations, resource types, resources, tags or bundles.",
        );
    }
    if flow
        .scope
        .iter()
        .any(|s| matches!(s, ScopeEntry::Tag { tag } if tag.trim().is_empty()))
    {
        return fail("scope", "A tag in the scope is empty.");
    }
    if flow.durations_seconds.is_empty() {
        return fail("durations_seconds", "Offer at least one duration.");
    }
    if flow.max_duration_seconds <= 0 || flow.max_duration_seconds > MAX_FLOW_DURATION {
        return fail(
            "max_duration_seconds",
            "The maximum duration is between 1 second and 90 days.",
        );
    }
    if flow
        .durations_seconds
        .iter()
        .any(|d| *d <= 0 || *d > flow.max_duration_seconds)
    {
        return fail(
            "durations_seconds",
            "Every offered duration is positive and at most the maximum duration.",
        );
    }
    if flow.auto_approve && !flow.approver_steps.is_empty() {
        return fail("approver_steps", "An auto-approving flow has no approvers.");
    }
    if !flow.auto_approve
        && (flow.approver_steps.is_empty() || flow.approver_steps.iter().any(Vec::is_empty))
    {
        return fail(
            "approver_steps",
            "Name at least one approver for every step, or make the flow auto-approve.",
        );
    }
    if flow
        .approver_steps
        .iter()
        .flatten()
        .any(|s| *s == Subject::Everyone)
    {
        return fail(
            "approver_steps",
            "Approvers are users or groups, not everyone.",
        );
    }
    if flow.step_rules.len() > flow.approver_steps.len() {
        return fail(
            "step_rules",
            "There are more step rules than approval steps.",
        );
    }
    if flow.step_rules.iter().any(|rule| {
        !(1..=MAX_STEP_QUORUM).contains(&rule.required_approvals)
            || !(1..=MAX_STEP_QUORUM).contains(&rule.rejections_to_reject)
    }) {
        return fail(
            "step_rules",
            "A step needs 1 to 20 approvals, and 1 to 20 rejections reject it.",
        );
    }
    if flow.break_glass.enabled {
        if flow.auto_approve {
            return fail(
                "break_glass",
                "An auto-approving flow needs no break-glass lane; break-glass uses are reviewed by the flow's approvers.",
            );
        }
        if flow.break_glass.max_duration_seconds <= 0
            || flow.break_glass.max_duration_seconds > MAX_BREAK_GLASS_DURATION
        {
            return fail(
                "break_glass",
                "Break-glass access lasts between 1 second and 24 hours.",
            );
        }
        if !flow
            .durations_seconds
            .iter()
            .any(|d| *d <= flow.break_glass.max_duration_seconds)
        {
            return fail(
                "break_glass",
                "Offer at least one duration within the break-glass maximum.",
            );
        }
    }
    if flow.extend.enabled
        && (flow.extend.by_seconds <= 0
            || flow.extend.by_seconds > MAX_FLOW_DURATION
            || flow.extend.max_count < 1
            || flow.extend.window_seconds < 0)
    {
        return fail(
            "extend",
            "Extending needs a positive length, at least one extension, and a window of zero or more seconds.",
        );
    }
    if flow.permissions.iter().any(|p| p.trim().is_empty()) {
        return fail("permissions", "A permission name is empty.");
    }
    if let Some(offer) = &flow.recurrence {
        crate::schedule::validate_offer(offer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> AccessFlowInput {
        AccessFlowInput {
            name: "Databases".into(),
            grantees: vec![Subject::Everyone],
            scope: vec![ScopeEntry::Integration { id: 1 }],
            permissions: vec![],
            auto_approve: false,
            approver_steps: vec![vec![Subject::User { id: 2 }]],
            durations_seconds: vec![3600],
            max_duration_seconds: 3600,
            justification_required: true,
            ticket_required: false,
            mfa_required: false,
            on_behalf_allowed: false,
            extend: ExtendSettings::default(),
            assistants_allowed: true,
            step_rules: vec![],
            break_glass: BreakGlassSettings::default(),
            recurrence: None,
        }
    }

    #[test]
    fn a_sound_flow_passes() {
        assert_eq!(validate_flow(&flow()), Ok(()));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        type Break = fn(&mut AccessFlowInput);
        let cases: Vec<(Break, &str)> = vec![
            (|f| f.name = " ".into(), "name"),
            (|f| f.grantees.clear(), "grantees"),
            (|f| f.scope.clear(), "scope"),
            (|f| f.durations_seconds = vec![7200], "durations_seconds"),
            (
                |f| f.max_duration_seconds = MAX_FLOW_DURATION + 1,
                "max_duration_seconds",
            ),
            (|f| f.approver_steps.clear(), "approver_steps"),
            (|f| f.auto_approve = true, "approver_steps"),
            (
                |f| f.approver_steps = vec![vec![Subject::Everyone]],
                "approver_steps",
            ),
            (
                |f| {
                    f.step_rules = vec![StepRule {
                        required_approvals: 0,
                        rejections_to_reject: 1,
                    }]
                },
                "step_rules",
            ),
            (
                |f| f.step_rules = vec![StepRule::default(), StepRule::default()],
                "step_rules",
            ),
            (
                |f| {
                    f.break_glass = BreakGlassSettings {
                        enabled: true,
                        max_duration_seconds: 600,
                    }
                },
                "break_glass",
            ),
            (
                |f| {
                    f.break_glass = BreakGlassSettings {
                        enabled: true,
                        max_duration_seconds: MAX_BREAK_GLASS_DURATION + 1,
                    }
                },
                "break_glass",
            ),
            (
                |f| {
                    f.extend = ExtendSettings {
                        enabled: true,
                        by_seconds: 0,
                        max_count: 1,
                        window_seconds: 0,
                    }
                },
                "extend",
            ),
        ];
        for (breaks, field) in cases {
            let mut broken = flow();
            breaks(&mut broken);
            assert_eq!(
                validate_flow(&broken).map_err(|(f, _)| f),
                Err(field.to_owned())
            );
        }
    }
}

/// One account's access in a target system that Gatehouse did not grant, or
/// that should have ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftFinding {
    /// The account in the target.
    pub login: String,
    pub resource_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// `ended`: it belonged to access that has ended; `unknown`: nobody
    /// granted it through Gatehouse (added by hand).
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: time::OffsetDateTime,
    /// Removed by Gatehouse (the integration enforces).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub removed_at: Option<time::OffsetDateTime>,
}

/// Admin → Integrations → Drift: the last reconciliation of one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftReport {
    pub integration_id: i64,
    /// `report` (the default), `enforce` (remove what is found) or `off`;
    /// set as `drift` in the integration's settings.
    pub mode: String,
    /// `drift_interval_minutes` in the settings (default 10).
    pub interval_minutes: i64,
    /// Whether this integration's connector can list what the target grants.
    pub supported: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub checked_at: Option<time::OffsetDateTime>,
    /// Why the last check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub findings: Vec<DriftFinding>,
}
