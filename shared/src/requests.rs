//! Access requests on the wire: the submission form, the request as read
//! back, approvals, and the lists behind My Requests, Delegated Requests,
//! Favorites, My Access and Approvals.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{justification::JustificationFeedback, status::RequestStatus};

/// One (resource, permission) pair asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemSelection {
    pub resource_id: i64,
    /// A permission the resource's type offers, by name (e.g. `read-only`).
    pub permission: String,
}

/// A bundle taken whole, or a subset of its resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleSelection {
    pub bundle_id: i64,
    /// Only these resources of the bundle; absent means all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_ids: Option<Vec<i64>>,
}

/// The New Request form: `POST /api/v1/requests` (and `/preview`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "items": [{"resource_id": 12, "permission": "read-only"}],
    "duration_seconds": 3600,
    "justification": "Investigating failed invoice exports for OPS-1423; I need read access because the job logs point at this table"
})))]
pub struct SubmitRequest {
    /// Who gets the access; absent means the requester. Someone else only
    /// where an access flow allows requesting on behalf of others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_id: Option<i64>,
    /// Resources with permissions (By Resource and By App).
    #[serde(default)]
    pub items: Vec<ItemSelection>,
    /// A bundle, whole or in part (Bundles tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleSelection>,
    /// One of the durations the covering access flows offer.
    pub duration_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    #[serde(default)]
    pub justification: String,
    /// Start later (Scheduled until then): in the future, at most 90 days
    /// ahead. The duration counts from this start. Absent: at once.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub starts_at: Option<OffsetDateTime>,
    /// Take the recurring windows the access flow offers, for this many
    /// weeks (at most the flow's maximum); the duration is then the window's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_weeks: Option<i64>,
    /// Submit even though a request of the grantee already holds or waits
    /// for this access (otherwise that is refused with 409, naming it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_duplicate: bool,
    /// Set by the server, never read from the wire: the AI assistant (MCP
    /// client name) submitting this form on the requester's behalf.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub via_assistant: Option<String>,
    /// Use the flow's break-glass lane: the grantee (who must be the
    /// requester) approves their own request at once, for at most the
    /// flow's break-glass duration. The reason (e.g. an incident ID) is
    /// required and every approver of the flow sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
}

/// A user as other users see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// One resource and permission of a request, named for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestItem {
    pub resource_id: i64,
    pub resource_name: String,
    pub resource_path: String,
    pub integration_name: String,
    pub resource_type_name: String,
    pub permission: String,
}

/// What the caller may do with a request right now (the UI shows only these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestActions {
    /// Approve (also with changes: narrowed before approving).
    pub approve: bool,
    pub reject: bool,
    pub cancel: bool,
    pub revoke: bool,
    pub extend: bool,
    pub request_again: bool,
    pub favorite: bool,
    /// Mark a break-glass use reviewed or flag it.
    #[serde(default)]
    pub review: bool,
}

/// Where a break-glass use stands in its after-the-fact review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Unreviewed,
    Reviewed,
    Flagged,
}

impl ReviewState {
    pub const fn label(self) -> &'static str {
        match self {
            ReviewState::Unreviewed => "unreviewed",
            ReviewState::Reviewed => "reviewed",
            ReviewState::Flagged => "flagged",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        [Self::Unreviewed, Self::Reviewed, Self::Flagged]
            .into_iter()
            .find(|state| state.label() == label)
    }
}

/// A request made through a flow's break-glass lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreakGlass {
    /// The grantee's reason, e.g. an incident ID.
    pub reason: String,
    pub review_state: ReviewState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<UserRef>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reviewed_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_note: Option<String>,
}

/// An access request as its requester, grantee, approvers and admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    pub id: i64,
    pub status: RequestStatus,
    pub flow_id: i64,
    pub flow_name: String,
    pub requester: UserRef,
    pub grantee: UserRef,
    pub duration_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    pub justification: String,
    pub justification_feedback: JustificationFeedback,
    /// The first items (all of them on `GET /api/v1/requests/{id}`).
    pub items: Vec<RequestItem>,
    pub item_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub granted_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<OffsetDateTime>,
    pub extensions_used: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_reason: Option<String>,
    pub is_favorite: bool,
    pub actions: RequestActions,
    /// The AI assistant (MCP client) the requester made this request
    /// through, if any: the portal shows "via assistant".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_assistant: Option<String>,
    /// Set when the grantee approved it themselves through break-glass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<BreakGlass>,
    /// Whether an approver narrowed the request before approving (the
    /// details list what changed).
    #[serde(default)]
    pub changed_by_approver: bool,
    /// When the access starts (Scheduled) or started: a later start, or the
    /// current or next window of a recurring request.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub starts_at: Option<OffsetDateTime>,
    /// The recurring windows this request follows, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<crate::schedule::RequestRecurrence>,
}

/// One approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub step: i64,
    pub approver: UserRef,
    /// `approved` or `rejected`.
    pub decision: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub decided_at: OffsetDateTime,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// Absent when Gatehouse itself acted (expiry, the 7-day limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    pub action: String,
    pub detail: serde_json::Value,
}

/// A request with everything about it: `GET /api/v1/requests/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: AccessRequest,
    pub approvals: Vec<Approval>,
    /// Who can decide the current step, while it waits.
    pub waiting_on: Vec<UserRef>,
    /// The current step's count, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_progress: Option<StepProgress>,
    /// Narrowings by approvers, oldest first.
    #[serde(default)]
    pub changes: Vec<RequestChange>,
    pub audit: Vec<AuditEntry>,
}

/// How far the waiting step is: who approved it and how many more it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepProgress {
    /// 0-based index of the step.
    pub step: i64,
    pub step_count: i64,
    pub required_approvals: i64,
    pub approved_by: Vec<UserRef>,
    /// Approvals still needed.
    pub approvals_needed: i64,
    pub rejected_by: Vec<UserRef>,
    pub rejections_to_reject: i64,
}

/// A request's resources, permissions and duration at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestVersion {
    pub duration_seconds: i64,
    pub items: Vec<ItemSelection>,
}

/// An approver narrowed the request before approving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestChange {
    pub step: i64,
    pub approver: UserRef,
    /// Why; the requester sees it.
    pub note: String,
    pub before: RequestVersion,
    pub after: RequestVersion,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub changed_at: OffsetDateTime,
}

/// `POST /api/v1/requests/{id}/approve-with-changes`: narrow, then approve.
/// Absent fields stay as asked. Nothing may widen the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "duration_seconds": 3600,
    "items": [{"resource_id": 12, "permission": "read-only"}],
    "note": "Read-only is enough to look at the exports; one hour should do."
})))]
pub struct ApproveWithChanges {
    /// A shorter duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// The items kept: a subset of those asked for, each with the same or a
    /// lower permission of its resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemSelection>>,
    /// Why, for the requester (required).
    pub note: String,
}

/// `POST /api/v1/requests/{id}/review`: the after-the-fact review of a
/// break-glass use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewBreakGlass {
    /// `reviewed` or `flagged`.
    pub outcome: ReviewState,
    /// Required when flagging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One page of requests, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestPage {
    pub items: Vec<AccessRequest>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// Query of the request lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RequestQuery {
    /// Keep only these statuses (repeat the key); none means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(value_type = Vec<RequestStatus>))]
    pub status: Vec<RequestStatus>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<i64>,
    /// Page size, 1 to 1000 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// Counts for the status widgets of My Requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    pub active: i64,
    pub pending_approval: i64,
    pub pending_mfa: i64,
    /// Approved, waiting for their start.
    #[serde(default)]
    pub scheduled: i64,
}

/// How many requests wait on the caller's decision (the navigation's count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalCount {
    pub waiting: i64,
}

/// What `POST /api/v1/requests` created: one request per access flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitResponse {
    pub requests: Vec<AccessRequest>,
}

/// How one access flow would handle part of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewGroup {
    pub flow_id: i64,
    pub flow_name: String,
    pub item_count: usize,
    pub auto_approve: bool,
    /// Approvers per ordered step; any one of a step decides it.
    pub approver_steps: Vec<Vec<UserRef>>,
    pub durations_seconds: Vec<i64>,
    pub max_duration_seconds: i64,
    pub justification_required: bool,
    pub ticket_required: bool,
    pub mfa_required: bool,
    /// Approvals each step needs (same index as `approver_steps`).
    #[serde(default)]
    pub required_approvals: Vec<i64>,
    /// The flow's break-glass lane, when it has one: the longest access it
    /// grants at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_max_seconds: Option<i64>,
    /// Recurring windows this flow offers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<crate::schedule::RecurrenceOffer>,
}

/// A request of the grantee that already holds or waits for an item of a
/// new request: the same resource with the same or a stronger permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoveringRequest {
    /// The request that covers it.
    pub request_id: i64,
    /// Pending Approval, Pending MFA, Granting or Active.
    pub status: RequestStatus,
    pub resource_id: i64,
    pub resource_name: String,
    /// The permission asked for now.
    pub permission: String,
    /// The permission the covering request holds: the same, or stronger.
    pub covering_permission: String,
    /// Whether the one submitting may extend the covering request now
    /// (Active, near expiry, the flow allows it, the maximum not reached).
    pub can_extend: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<OffsetDateTime>,
}

/// The 409 answer to a submission the grantee already holds or waits for:
/// the usual error body, and the requests covering it. Send the form again
/// with `allow_duplicate: true` to submit it anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "code": "duplicate_request",
    "message": "You already have orders (read-only) through request 12 (Active).",
    "field": "items",
    "covering": [{"request_id": 12, "status": "Active", "resource_id": 3, "resource_name": "orders",
        "permission": "read-only", "covering_permission": "read-only", "can_extend": true,
        "expires_at": "2026-11-02T10:00:00Z"}]
})))]
pub struct DuplicateError {
    #[serde(flatten)]
    pub error: crate::ApiError,
    pub covering: Vec<CoveringRequest>,
}

/// `POST /api/v1/requests/preview`: what a draft would get, written nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewResponse {
    pub groups: Vec<PreviewGroup>,
    /// Durations every group offers (what the Duration menu shows).
    pub durations_seconds: Vec<i64>,
    pub ticket_types: Vec<String>,
    pub justification_feedback: JustificationFeedback,
    /// What submitting this draft now would be refused for, if anything.
    pub problems: Vec<crate::ApiError>,
    /// Requests of the grantee that already hold or wait for items of the
    /// draft: submitting is refused (409) unless `allow_duplicate` is set.
    #[serde(default)]
    pub covered_by: Vec<CoveringRequest>,
}

/// `POST /api/v1/requests/{id}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectRequest {
    pub reason: String,
}

/// `POST /api/v1/requests/{id}/revoke` (the reason is optional).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/requests/{id}/request-again`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestAgain {
    pub justification: String,
}

/// `POST /api/v1/justification-feedback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JustificationDraft {
    pub text: String,
}

/// My Access: active sessions, recent closed requests and favorites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyAccess {
    pub sessions: Vec<AccessRequest>,
    /// The three most recent closed requests.
    pub closed: Vec<AccessRequest>,
    /// The three most recent favorites.
    pub favorites: Vec<AccessRequest>,
}

/// A page of the audit log, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// Query of `GET /api/v1/admin/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Entries at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Entries before this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Entries by this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
    /// Entries about this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<i64>,
    /// `oldest` (default) or `newest` first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Entries per page, 1 to 10000 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 10000))]
    pub limit: Option<u32>,
    /// `json` (default, a page), `jsonl` (one entry per line) or `csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}
