//! Approvals: the requests waiting on my decision.

use axum::{Json, extract::State, response::Response};
use gatehouse_shared::{
    ApiError,
    requests::{ApprovalCount, RequestPage, RequestQuery},
};

use crate::{
    auth::CurrentUser,
    error::AppError,
    extract::AppQuery,
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
