//! Admin → Integrations → Drift: what a target system holds that Gatehouse
//! did not grant, from the last reconciliation, and a check on demand.

use axum::{Json, extract::State};
use gatehouse_shared::{ApiError, admin::DriftReport};

use crate::{auth::CurrentUser, engine, error::AppError, extract::AppPath, state::AppState};

/// The integration's last drift check and its findings.
#[utoipa::path(get, path = "/api/v1/admin/integrations/{integration_id}/drift", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 200, description = "The last check: when, its error if it failed, and what it found", body = DriftReport),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError)))]
pub async fn get_drift(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<DriftReport>, AppError> {
    admin.require_admin()?;
    Ok(Json(engine::drift::report(&state.engine(), id).await?))
}

/// Check the integration for drift now (and remove it, when the integration
/// enforces); the new report. A target that cannot be reached is reported in
/// `error`, not as a failure of this call.
#[utoipa::path(post, path = "/api/v1/admin/integrations/{integration_id}/drift", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 200, description = "The check just made", body = DriftReport),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError)))]
pub async fn check_drift(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<DriftReport>, AppError> {
    admin.require_admin()?;
    Ok(Json(engine::drift::check(&state.engine(), id).await?))
}
