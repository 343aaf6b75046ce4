//! Health for load balancers and orchestrators: `GET /healthz` and
//! `GET /livez` (liveness: the process answers), `GET /readyz` (readiness:
//! send it requests; 503 while starting, draining or without its database).

use std::time::Duration;

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::AppError, state::AppState};

/// How long readiness waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
}

/// Liveness: 200 while the process answers, whatever its database does
/// (restarting the process would not bring a database back; readiness
/// drains it instead).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "Up", body = Health))
)]
pub async fn get_health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Liveness, as `/healthz` (kept for existing probes).
#[utoipa::path(
    get,
    path = "/livez",
    tag = "health",
    responses((status = 200, description = "Up", body = Health))
)]
pub async fn get_liveness() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: 200 when this server takes requests and its database answers
/// within 2 s; 503 while it starts (migrations), once it drains for
/// shutdown, or while its database cannot be reached.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready for requests", body = Health),
        (status = 503, description = "Not ready: starting, shutting down, or the database does not answer", body = gatehouse_shared::ApiError),
    )
)]
pub async fn get_readiness(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    if !state.ops.taking_requests() {
        return Err(AppError::NotReady("Gatehouse is shutting down.".into()));
    }
    match tokio::time::timeout(READY_TIMEOUT, state.db.call(crate::store::admin::ping)).await {
        Ok(Ok(())) => Ok(Json(Health { status: "ok" })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            Err(AppError::NotReady("The database does not answer.".into()))
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_TIMEOUT:?}");
            Err(AppError::NotReady("The database does not answer.".into()))
        }
    }
}
