//! Access Details and Connect for an active access: instructions, connection
//! options, the secret shown once, Reset Credentials; and the fulfilments a
//! person does by hand for manual integrations.

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError,
    access::{AccessDetails, Fulfilment, FulfilmentInput, RevealedSecret},
};

use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    extract::{AppJson, AppPath},
    state::AppState,
};

/// Access Details for every integration of a request: instructions, how to
/// connect, and whether a secret waits to be revealed (once).
#[utoipa::path(
    get,
    path = "/api/v1/requests/{request_id}/access",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "One entry per integration the request touches", body = Vec<AccessDetails>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee (nor an admin)", body = ApiError),
        (status = 404, description = "No such request visible to you", body = ApiError),
    )
)]
pub async fn get_access(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Vec<AccessDetails>>, AppError> {
    let details = state
        .db
        .call(move |conn| engine::access_details(conn, user.actor(), id))
        .await?;
    Ok(Json(details))
}

/// Reveal the secret. It is shown once: the stored copy is wiped and the
/// API never returns it again; Reset Credentials issues a new one.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/access/{integration_id}/reveal",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "The secret, this once", body = RevealedSecret),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee", body = ApiError),
        (status = 404, description = "No such request or integration of it", body = ApiError),
        (status = 409, description = "Shown already (reset credentials), not Active, or no secret", body = ApiError),
    )
)]
pub async fn reveal_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
) -> Result<Json<RevealedSecret>, AppError> {
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    let revealed = state
        .db
        .write(move |tx| engine::reveal_in(tx, &secrets, user.actor(), id, integration_id, now))
        .await?;
    Ok(Json(revealed))
}

/// Reset Credentials: the connector issues new ones (the old stop working);
/// the new secret waits to be revealed once.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/access/{integration_id}/reset",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "New credentials wait to be revealed", body = AccessDetails),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee", body = ApiError),
        (status = 404, description = "No such request or integration of it", body = ApiError),
        (status = 409, description = "Not Active", body = ApiError),
        (status = 422, description = "The connector could not issue new credentials", body = ApiError),
    )
)]
pub async fn reset_credentials(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
) -> Result<Json<AccessDetails>, AppError> {
    let details =
        engine::reset_credentials(&state.engine(), user.actor(), id, integration_id).await?;
    Ok(Json(details))
}

/// Manual grants and removals waiting on me (an admin, or a fulfiller the
/// integration names).
#[utoipa::path(
    get,
    path = "/api/v1/fulfilments",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "What waits on me to grant or remove by hand", body = Vec<Fulfilment>),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_fulfilments(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<Fulfilment>>, AppError> {
    let secrets = state.secrets.clone();
    let list = state
        .db
        .call(move |conn| engine::fulfilments(conn, &secrets, user.actor(), &user.username))
        .await?;
    Ok(Json(list))
}

/// Mark a manual grant (or removal) done. A grant may hand the grantee a
/// log-in, a secret (shown to them once) and instructions.
#[utoipa::path(
    post,
    path = "/api/v1/fulfilments/{request_id}/{integration_id}",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    request_body = FulfilmentInput,
    responses(
        (status = 200, description = "Done; the grant or removal as it now stands", body = Fulfilment),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Neither an admin nor a fulfiller of this integration", body = ApiError),
        (status = 404, description = "Nothing waits on a person here", body = ApiError),
        (status = 422, description = "A field is too long", body = ApiError),
    )
)]
pub async fn fulfil(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
    AppJson(input): AppJson<FulfilmentInput>,
) -> Result<Json<Fulfilment>, AppError> {
    engine::check_fulfilment(&input)?;
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    let done = state
        .db
        .write(move |tx| {
            engine::fulfil_in(
                tx,
                &secrets,
                user.actor(),
                &user.username,
                id,
                integration_id,
                &input,
                now,
            )
        })
        .await?;
    Ok(Json(done))
}
