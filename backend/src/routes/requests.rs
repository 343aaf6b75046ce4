//! Access requests: submit (split per access flow), preview, read, and act on
//! them (approve, reject, cancel, revoke, extend, request again, favorite).

use crate::store::{Conn, requests::RequestList};
use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    extract::{AppJson, AppPath, AppQuery, Assistant},
    state::{AppState, PageKey},
    store,
};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use gatehouse_shared::{
    ApiError, RequestStatus,
    justification::{self, JustificationFeedback},
    requests::{
        AccessRequest, ApproveWithChanges, DuplicateError, JustificationDraft, PreviewResponse,
        RejectRequest, RequestAgain, RequestDetail, RequestPage, RequestQuery, ReviewBreakGlass,
        RevokeRequest, StatusCounts, SubmitRequest, SubmitResponse,
    },
    rules::Actor,
};

async fn load_one(
    state: &AppState,
    actor: Actor,
    id: i64,
) -> Result<Json<AccessRequest>, AppError> {
    engine::load_views(&state.engine(), actor, vec![id])
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("Request {id}")))
}

/// Run one lifecycle step on a request in a write transaction, let the
/// connector act on whatever it started (a cheap read when nothing waits), and
/// answer with the request as it now is.
async fn act_on<T, F>(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    step: F,
) -> Result<Json<AccessRequest>, AppError>
where
    T: Send + 'static,
    F: Fn(Conn<'_>, Actor, i64) -> Result<T, AppError> + Send + 'static,
{
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    state.db.write(move |tx| step(tx, actor, now)).await?;
    engine::provision_now(&state.engine()).await;
    load_one(state, actor, id).await
}

/// Submit the New Request form. It is split into one request per access flow
/// covering its items, and written all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/requests",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = SubmitRequest,
    responses(
        (status = 201, description = "Every request created, one per access flow", body = SubmitResponse),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 409, description = "The grantee already has this access Active, or a request for it (or a stronger permission) waits: names the covering requests; send `allow_duplicate: true` to submit anyway", body = DuplicateError),
        (status = 422, description = "Refused: no flow covers an item, duration not offered, more than 1,000 resources, missing justification or ticket…", body = ApiError,
            example = json!({"code": "validation_failed", "message": "A request can hold at most 1000 resources.", "field": "items"})),
    )
)]
pub async fn submit_request(
    State(state): State<AppState>,
    user: CurrentUser,
    assistant: Option<Extension<Assistant>>,
    AppJson(mut form): AppJson<SubmitRequest>,
) -> Result<(StatusCode, Json<SubmitResponse>), AppError> {
    form.via_assistant = assistant.map(|Extension(Assistant(name))| name);
    let now = state.now().unix_timestamp();
    let requester = user.id;
    let ids = state
        .db
        .write(move |tx| engine::submit_in(tx, requester, &form, None, now))
        .await?;
    engine::provision_now(&state.engine()).await;
    let requests = engine::load_views(&state.engine(), user.actor(), ids).await?;
    Ok((StatusCode::CREATED, Json(SubmitResponse { requests })))
}

/// What a draft would get — flows, approvers, auto-approval, durations — and
/// what submitting it now would be refused for. Writes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/requests/preview",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = SubmitRequest,
    responses(
        (status = 200, description = "How the draft would be handled", body = PreviewResponse),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn preview_request(
    State(state): State<AppState>,
    user: CurrentUser,
    assistant: Option<Extension<Assistant>>,
    AppJson(mut form): AppJson<SubmitRequest>,
) -> Result<Json<PreviewResponse>, AppError> {
    form.via_assistant = assistant.map(|Extension(Assistant(name))| name);
    let requester = user.id;
    let now = state.now().unix_timestamp();
    Ok(Json(
        state
            .db
            .call(move |conn| engine::preview(conn, requester, &form, now))
            .await?,
    ))
}

/// Judge a justification text as the portal does while the requester types.
#[utoipa::path(
    post,
    path = "/api/v1/justification-feedback",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = JustificationDraft,
    responses(
        (status = 200, description = "The three checks and whether all hold", body = JustificationFeedback),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Text too long", body = ApiError),
    )
)]
pub async fn evaluate_justification(
    _user: CurrentUser,
    AppJson(draft): AppJson<JustificationDraft>,
) -> Result<Json<JustificationFeedback>, AppError> {
    if draft.text.chars().count() > engine::MAX_JUSTIFICATION_LENGTH {
        return Err(AppError::invalid(
            "text",
            format!(
                "The justification is at most {} characters.",
                engine::MAX_JUSTIFICATION_LENGTH
            ),
        ));
    }
    Ok(Json(justification::evaluate(&draft.text)))
}

/// A newest-first page of the user's `list` of requests, as JSON; kept while
/// no write happens in the same second ([`crate::memo`]).
pub(crate) async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    list: RequestList,
    query: RequestQuery,
) -> Result<Response, AppError> {
    let limit = crate::routes::page_size(query.limit)?;
    if query.status.len() > RequestStatus::ALL.len() {
        return Err(AppError::invalid("status", "Too many status filters."));
    }
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    let tag = state.memo_tag(now).await;
    let key = PageKey {
        list,
        viewer: (actor.id, actor.is_admin),
        statuses: query.status.clone(),
        cursor: query.cursor,
        limit,
    };
    let body = match tag.and_then(|tag| state.memos.request_pages.get(tag, &key)) {
        Some(body) => body,
        None => {
            let page = state
                .db
                .call(move |conn| {
                    let rows = store::requests::page_flagged(
                        conn,
                        actor.id,
                        list,
                        &query.status,
                        query.cursor,
                        limit + 1,
                    )?;
                    let more = rows.len() > limit as usize;
                    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
                    let next_cursor = if more {
                        rows.last().map(|(r, _)| r.id)
                    } else {
                        None
                    };
                    let items = engine::flagged_views(
                        conn,
                        rows,
                        actor,
                        Some(engine::ITEMS_IN_LISTS),
                        now,
                    )?;
                    Ok(RequestPage { items, next_cursor })
                })
                .await?;
            let body = Bytes::from(serde_json::to_vec(&page).map_err(|error| {
                AppError::internal(format!("cannot serialise a request page: {error}"))
            })?);
            if let Some(tag) = tag {
                state.memos.request_pages.put(tag, key, body.clone());
            }
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// My Requests: requests that give me access (mine, or made on my behalf), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/requests",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "One page, newest first", body = RequestPage),
        (status = 400, description = "Malformed query (e.g. an unknown status)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_my_requests(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &user, RequestList::Mine, query).await
}

/// Delegated Requests: requests I made on behalf of others.
#[utoipa::path(
    get,
    path = "/api/v1/delegated-requests",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "One page, newest first", body = RequestPage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_delegated_requests(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &user, RequestList::Delegated, query).await
}

/// Favorites: my starred requests, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/favorites",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "One page, newest first", body = RequestPage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Page size out of range", body = ApiError),
    )
)]
pub async fn list_favorites(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<RequestQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &user, RequestList::Favorites, query).await
}

/// Counts for the Active, Pending Approval and Pending MFA widgets of My Requests.
#[utoipa::path(
    get,
    path = "/api/v1/requests/counts",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "Counts of my requests", body = StatusCounts),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn count_my_requests(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<StatusCounts>, AppError> {
    let counts = state
        .db
        .call(move |conn| store::requests::count_by_status(conn, user.id))
        .await?;
    let get = |status: RequestStatus| counts.get(status.label()).copied().unwrap_or(0);
    Ok(Json(StatusCounts {
        active: get(RequestStatus::Active),
        pending_approval: get(RequestStatus::PendingApproval),
        pending_mfa: get(RequestStatus::PendingMfa),
        scheduled: get(RequestStatus::Scheduled),
    }))
}

/// One request with all its items, approvals, who it waits on, and its audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{request_id}",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The request", body = RequestDetail),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
    )
)]
pub async fn get_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<RequestDetail>, AppError> {
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    let detail = state
        .db
        .call(move |conn| {
            let row = engine::load_visible(conn, actor, id)?;
            let (waiting_on, step_progress) = if row.status == RequestStatus::PendingApproval {
                let (waiting, progress) = engine::waiting_step(conn, &row)?;
                (waiting, Some(progress))
            } else {
                (Vec::new(), None)
            };
            let request = engine::views(conn, vec![row], actor, None, now)?
                .pop()
                .ok_or_else(|| AppError::internal("view lost its request"))?;
            Ok(RequestDetail {
                request,
                approvals: store::requests::approvals_of(conn, id)?,
                waiting_on,
                step_progress,
                changes: store::approvals::changes_of(conn, id)?,
                audit: store::audit::for_request(conn, id)?,
            })
        })
        .await?;
    Ok(Json(detail))
}

/// Approve the current step. The last step's approval grants the access.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/approve",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Approved; the request as it now is", body = AccessRequest),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an approver of its current step, or your own request", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "No longer Pending Approval", body = ApiError),
    )
)]
pub async fn approve_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::approve_in(tx, actor, id, now)
    })
    .await
}

/// Narrow the request, then approve its current step: a shorter duration,
/// fewer resources, a lower permission of the same resource (a resource
/// type lists its permissions weakest first), never more than asked. The
/// note is required; the requester sees it and both versions are kept.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/approve-with-changes",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    request_body = ApproveWithChanges,
    responses(
        (status = 200, description = "Narrowed and approved; the request as it now is", body = AccessRequest),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an approver of its current step, or your own request", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "No longer Pending Approval, or you already decided this step", body = ApiError),
        (status = 422, description = "The change would widen the request, changes nothing, or has no note", body = ApiError,
            example = json!({"code": "validation_failed", "message": "\"admin\" on orders is more than was asked: changes can only lower a permission.", "field": "items[0]"})),
    )
)]
pub async fn approve_request_with_changes(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<ApproveWithChanges>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::approve_with_changes_in(tx, actor, id, &body, now)
    })
    .await
}

/// The after-the-fact review of a break-glass use: mark it reviewed, or
/// flag it (with a note). For the flow's approvers and admins.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/review",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    request_body = ReviewBreakGlass,
    responses(
        (status = 200, description = "Reviewed; the request as it now is", body = AccessRequest),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an approver of its flow, or your own use", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "Not a break-glass use, or already reviewed", body = ApiError),
        (status = 422, description = "Flagged without a note, or no outcome", body = ApiError),
    )
)]
pub async fn review_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<ReviewBreakGlass>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::review_in(tx, actor, id, &body, now)
    })
    .await
}

/// Reject with a reason, which the requester sees as the rejection reason.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/reject",
    tag = "approvals",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = AccessRequest),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an approver of its current step, or your own request", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "No longer Pending Approval", body = ApiError),
        (status = 422, description = "Missing reason", body = ApiError),
    )
)]
pub async fn reject_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<RejectRequest>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::reject_in(tx, actor, id, &body.reason, now)
    })
    .await
}

/// Withdraw my own request while it waits (it ends Revoked, "cancelled by requester").
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/cancel",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Cancelled", body = AccessRequest),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not your request", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "No longer waiting", body = ApiError),
    )
)]
pub async fn cancel_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::cancel_in(tx, actor, id, now)
    })
    .await
}

/// Revoke active access now: by its grantee, by the requester of a delegated
/// request (only them), or by an admin.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/revoke",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    request_body(content = Option<RevokeRequest>, description = "An optional reason; the body may be left out"),
    responses(
        (status = 200, description = "Revoked (or Revoking while the connector removes it)", body = AccessRequest),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "You may not revoke it", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "Not active", body = ApiError),
    )
)]
pub async fn revoke_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<AccessRequest>, AppError> {
    // The body is optional: an empty one (or `null`) means "no reason given".
    let body: RevokeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RevokeRequest::default()
    } else {
        serde_json::from_slice::<Option<RevokeRequest>>(&body)
            .map_err(|error| AppError::BadRequest(format!("Invalid JSON body: {error}")))?
            .unwrap_or_default()
    };
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::revoke_in(tx, actor, id, body.reason.as_deref(), now)
    })
    .await
}

/// Extend active access by the flow's extension length, when it nears expiry.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/extend",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Extended; same credentials and session", body = AccessRequest),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee or requester", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "Not active, not near expiry, not enabled, or the maximum is reached", body = ApiError),
    )
)]
pub async fn extend_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<AccessRequest>, AppError> {
    act_on(&state, &user, id, move |tx, actor, now| {
        engine::extend_in(tx, actor, id, now)
    })
    .await
}

/// Request an expired, revoked or rejected request's access again, with a new justification.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/request-again",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    request_body = RequestAgain,
    responses(
        (status = 201, description = "The new requests", body = SubmitResponse),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the requester or grantee", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "Not expired, revoked or rejected", body = ApiError),
        (status = 422, description = "Refused as a new submission would be (e.g. no flow of yours covers it)", body = ApiError),
    )
)]
pub async fn request_again(
    State(state): State<AppState>,
    user: CurrentUser,
    assistant: Option<Extension<Assistant>>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<RequestAgain>,
) -> Result<(StatusCode, Json<SubmitResponse>), AppError> {
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    let via = assistant.map(|Extension(Assistant(name))| name);
    let ids = state
        .db
        .write(move |tx| {
            engine::request_again_in(tx, actor, id, &body.justification, via.as_deref(), now)
        })
        .await?;
    engine::provision_now(&state.engine()).await;
    let requests = engine::load_views(&state.engine(), actor, ids).await?;
    Ok((StatusCode::CREATED, Json(SubmitResponse { requests })))
}

/// Star a request: one I submitted for myself, once expired or revoked. Idempotent.
#[utoipa::path(
    put,
    path = "/api/v1/requests/{request_id}/favorite",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 204, description = "It is a favorite"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not submitted by you for yourself", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
        (status = 409, description = "Not expired or revoked", body = ApiError),
    )
)]
pub async fn favorite_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| engine::set_favorite_in(tx, actor, id, true, now))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unstar a request. Idempotent.
#[utoipa::path(
    delete,
    path = "/api/v1/requests/{request_id}/favorite",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 204, description = "Not a favorite (any more)"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such request, or not visible to you", body = ApiError),
    )
)]
pub async fn unfavorite_request(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| engine::set_favorite_in(tx, actor, id, false, now))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
