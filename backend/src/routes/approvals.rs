//! Approvals: the requests waiting on my decision, and deciding many at once.

use axum::{Json, extract::State, response::Response};
use gatehouse_shared::{
    ApiError,
    bulk::{BulkDecision, BulkDecisionResponse},
    requests::{ApprovalCount, RequestPage, RequestQuery},
};

use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    extract::{AppJson, AppQuery},
    routes::requests::list_page,
    state::AppState,
    store,
    store::requests::{RequestList, WAITING_ON_USER},
};

/// Requests whose current step I can decide (never my own), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/approvals",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "Requests waiting on me", body = RequestPage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_approvals(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &user, WAITING_ON_USER, query).await
}

/// Break-glass uses of the flows I approve that wait for their
/// after-the-fact review (never my own), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/approvals/break-glass",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "Break-glass uses waiting for my review", body = RequestPage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_break_glass_reviews(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &user, RequestList::BreakGlassToReview, query).await
}

/// Every break-glass use not reviewed yet, newest first (admins).
#[utoipa::path(
    get,
    path = "/api/v1/admin/break-glass",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "Unreviewed break-glass uses", body = RequestPage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_unreviewed_break_glass(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    user.require_admin()?;
    list_page(&state, &user, RequestList::BreakGlassUnreviewed, query).await
}

/// How many requests wait on my decision: the count next to Approvals in the
/// portal's navigation.
#[utoipa::path(
    get,
    path = "/api/v1/approvals/count",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "Requests waiting on me", body = ApprovalCount),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn count_approvals(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ApprovalCount>, AppError> {
    let waiting = state
        .db
        .call(move |conn| store::requests::count_waiting_on(conn, user.id))
        .await?;
    Ok(Json(ApprovalCount { waiting }))
}

/// The bulk review console: approve, or reject with one reason, each of the
/// requests sent (the ones the approver selected on Approvals, at most 200).
/// Each is decided in its own transaction, exactly as its own approve or
/// reject call would; the answer says per request what happened, so some
/// may fail (already decided by someone else, not yours to decide) while
/// the rest are decided.
#[utoipa::path(
    post,
    path = "/api/v1/approvals/bulk",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = BulkDecision,
    responses(
        (status = 200, description = "Each request's result, in the order sent (some may have failed)", body = BulkDecisionResponse),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "No ids, more than 200, or a rejection without a reason", body = ApiError,
            example = json!({"code": "validation_failed", "message": "At most 200 requests can be decided at once; 250 were sent.", "field": "ids"})),
    )
)]
pub async fn decide_approvals(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(decision): AppJson<BulkDecision>,
) -> Result<Json<BulkDecisionResponse>, AppError> {
    Ok(Json(
        engine::bulk::decide_each(&state.engine(), user.actor(), decision).await?,
    ))
}
