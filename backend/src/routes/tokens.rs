//! Personal API tokens: create (secret shown once), list, revoke.

use axum::{Json, extract::State, http::StatusCode};
use gatehouse_shared::{
    ApiError,
    auth::{ApiToken, CreateTokenRequest, CreatedApiToken},
};

use crate::{
    auth::{self, API_TOKEN_PREFIX, CurrentUser},
    error::AppError,
    extract::{AppJson, AppPath},
    state::AppState,
    store,
};

const MAX_TOKEN_NAME: usize = 100;
/// Most API tokens one person may hold (expired ones count until revoked).
pub const MAX_TOKENS_PER_USER: usize = 100;

/// Create a personal API token. The secret is in this answer and nowhere else.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown only now", body = CreatedApiToken),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 409, description = "I hold 100 tokens already: revoke one first", body = ApiError),
        (status = 422, description = "Missing or over-long name", body = ApiError),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(body): AppJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedApiToken>), AppError> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
        return Err(AppError::invalid(
            "name",
            format!("Give the token a name of 1 to {MAX_TOKEN_NAME} characters."),
        ));
    }
    if body
        .expires_in_days
        .is_some_and(|days| !(1..=366).contains(&days))
    {
        return Err(AppError::invalid(
            "expires_in_days",
            "A token lasts 1 to 366 days, or until revoked.",
        ));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", auth::new_secret());
    let hash = auth::secret_hash(&secret);
    let now = state.now().unix_timestamp();
    let expires_at = body
        .expires_in_days
        .map(|days| now + i64::from(days) * 86_400);
    let token = state
        .db
        .write(move |tx| {
            if store::tokens::list(tx, user.id)?.len() >= MAX_TOKENS_PER_USER {
                return Err(AppError::Conflict(format!(
                    "You hold {MAX_TOKENS_PER_USER} API tokens, the most one person may: revoke one you no longer use first."
                )));
            }
            let token = store::tokens::create(tx, user.id, &name, &hash, now, expires_at)?;
            store::audit::record(
                tx,
                now,
                Some(user.id),
                None,
                "token_created",
                serde_json::json!({"id": token.id, "name": name}),
            )?;
            Ok(token)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiToken { token, secret })))
}

/// My personal API tokens, newest first (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "My tokens", body = [ApiToken]),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ApiToken>>, AppError> {
    Ok(Json(
        state
            .db
            .call(move |conn| store::tokens::list(conn, user.id))
            .await?,
    ))
}

/// Revoke one of my tokens; it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{token_id}",
    tag = "tokens",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("token_id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such token of mine", body = ApiError),
    )
)]
pub async fn delete_token(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(token_id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let deleted = state
        .db
        .write(move |tx| store::tokens::delete(tx, user.id, token_id))
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("Token {token_id}")))
    }
}
