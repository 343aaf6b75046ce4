//! `GET /healthz`: the process is up and its database answers.

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::AppError, state::AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
}

/// Liveness: 200 when the server can read its database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "Up", body = Health),
        (status = 500, description = "The database does not answer", body = gatehouse_shared::ApiError),
    )
)]
pub async fn get_health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.db.call(crate::store::admin::ping).await?;
    Ok(Json(Health { status: "ok" }))
}

/// Liveness without touching the database: the process answers.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "health",
    responses((status = 200, description = "Up", body = Health))
)]
pub async fn get_liveness() -> Json<Health> {
    Json(Health { status: "ok" })
}
