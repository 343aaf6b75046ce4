//! Bundles as requesters browse them: search with a result count, contents.

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError,
    catalog::{Bundle, BundlePage, BundleQuery},
};

use crate::{
    auth::CurrentUser,
    error::AppError,
    extract::{AppPath, AppQuery},
    routes::{page_size, search_text},
    state::AppState,
    store,
};

/// Bundles whose name matches the search, with their contents and the total count.
#[utoipa::path(
    get,
    path = "/api/v1/bundles",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    params(BundleQuery),
    responses(
        (status = 200, description = "Matching bundles", body = BundlePage),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "A value outside its limits", body = ApiError),
    )
)]
pub async fn list_bundles(
    State(state): State<AppState>,
    _user: CurrentUser,
    AppQuery(query): AppQuery<BundleQuery>,
) -> Result<Json<BundlePage>, AppError> {
    let search = search_text(query.search.as_deref())?;
    let limit = page_size(query.limit)?;
    let offset = query.offset.unwrap_or(0);
    let (items, total) = state
        .db
        .call(move |conn| store::bundles::search(conn, search.as_deref(), offset, limit))
        .await?;
    Ok(Json(BundlePage { items, total }))
}

/// One bundle and its resources with permissions.
#[utoipa::path(
    get,
    path = "/api/v1/bundles/{bundle_id}",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("bundle_id" = i64, Path, description = "The bundle's id")),
    responses(
        (status = 200, description = "The bundle", body = Bundle),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such bundle", body = ApiError),
    )
)]
pub async fn get_bundle(
    State(state): State<AppState>,
    _user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Bundle>, AppError> {
    state
        .db
        .call(move |conn| store::bundles::get(conn, id))
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("Bundle {id}")))
}
