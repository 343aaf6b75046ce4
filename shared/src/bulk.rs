//! The bulk review console: one decision on many requests, answered item by item.

use serde::{Deserialize, Serialize};

use crate::{ApiError, status::RequestStatus};

/// At most this many requests are decided in one call.
pub const MAX_BULK_DECISIONS: usize = 200;

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Approve,
    Reject,
}

/// `POST /api/v1/approvals/bulk`: the same decision on each of these
/// requests (the ones the approver selected, as listed to them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "action": "reject", "ids": [12, 13, 15], "reason": "Use the read replica for reporting."
})))]
pub struct BulkDecision {
    pub action: BulkAction,
    /// The requests, 1 to 200, each decided once (repeats are ignored).
    pub ids: Vec<i64>,
    /// Required to reject; the requesters see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What happened to one request of a bulk decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkItemResult {
    pub id: i64,
    pub ok: bool,
    /// On success: `approved` (all steps approved, access is being granted),
    /// `next_step` (the next ordered step now waits), `approval_counted` (a
    /// quorum step counted it and waits on other approvers), `rejected`, or
    /// `rejection_counted` (the step rejects only after more rejections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// On failure: the HTTP status the single-request call would answer
    /// (403 not yours to decide, 404 not visible, 409 already decided…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// On failure: why, as the single-request call would say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// The request's status after this call, when it is visible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RequestStatus>,
}

/// The answer to a bulk decision: one result per distinct id, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkDecisionResponse {
    pub results: Vec<BulkItemResult>,
    pub succeeded: usize,
    pub failed: usize,
}
