//! `GET /api/v1/me`: the signed-in user.

use axum::Json;
use gatehouse_shared::{ApiError, auth::Me};

use crate::auth::CurrentUser;

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "session",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn get_me(user: CurrentUser) -> Json<Me> {
    Json(user.me())
}
