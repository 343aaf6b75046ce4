//! My Access: active sessions, the three most recent closed requests and favorites.

use axum::{Json, extract::State};
use gatehouse_shared::{ApiError, requests::MyAccess};

use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    state::AppState,
    store::{self, requests::RequestList},
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
    let actor = user.actor();
    let now = state.now().unix_timestamp();
    let access = state
        .db
        .call(move |conn| {
            let page = |list: RequestList, limit: u32| {
                let rows = store::requests::page(conn, actor.id, list, &[], None, limit)?;
                engine::views(conn, rows, actor, Some(engine::ITEMS_IN_LISTS), now)
            };
            Ok(MyAccess {
                sessions: page(RequestList::GranteeActive, MAX_SESSIONS)?,
                closed: page(RequestList::GranteeClosed, RECENT)?,
                favorites: page(RequestList::Favorites, RECENT)?,
            })
        })
        .await?;
    Ok(Json(access))
}
