//! My Access: active sessions, the three most recent closed requests and favorites.

use axum::{Json, extract::State};
use gatehouse_shared::{ApiError, requests::MyAccess};
use rusqlite::types::Value;

use crate::{
    auth::CurrentUser,
    engine::{self, actor},
    error::AppError,
    state::AppState,
    store,
};

const RECENT: u32 = 3;
const MAX_SESSIONS: u32 = 1_000;

/// Everything the My Access page shows.
#[utoipa::path(
    get,
    path = "/api/v1/my-access",
    tag = "requests",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "My sessions, recent closed requests and favorites", body = MyAccess),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn get_my_access(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<MyAccess>, AppError> {
    let actor = actor(&user);
    let now = state.now().unix_timestamp();
    let access = state
        .db
        .call(move |conn| {
            let me = || vec![Value::Integer(actor.id)];
            let page = |condition: &str, limit: u32| {
                let rows = store::requests::page(conn, condition, me(), &[], None, limit)?;
                engine::views(conn, rows, actor, Some(engine::ITEMS_IN_LISTS), now)
            };
            Ok(MyAccess {
                sessions: page("r.grantee_id = ?1 AND r.status = 'Active'", MAX_SESSIONS)?,
                closed: page(
                    "r.grantee_id = ?1 AND r.status IN ('Rejected', 'Revoked', 'Expired', 'Failed')",
                    RECENT,
                )?,
                favorites: page("r.id IN (SELECT request_id FROM favorites WHERE user_id = ?1)", RECENT)?,
            })
        })
        .await?;
    Ok(Json(access))
}
