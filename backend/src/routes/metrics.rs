//! `GET /metrics`: the server's metrics in Prometheus' text format, for a
//! scraper. Open unless the server was started with a metrics token; served
//! on its own address instead of this one when started with one.

use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use gatehouse_shared::ApiError;

use crate::{error::AppError, state::AppState};

/// Prometheus metrics: HTTP requests by route template and status with
/// latency histograms, access requests by status, provisioning waiting and
/// failing per connector, outbox depth and age, background-work lag and
/// the database pool. Gauges read from the database are read at each
/// scrape (a few indexed queries).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "Metrics in the Prometheus text format (version 0.0.4)", body = String, content_type = "text/plain"),
        (status = 401, description = "The server asks for a metrics token and this request did not send it", body = ApiError),
        (status = 404, description = "Metrics are served on another address (--metrics-listen)", body = ApiError),
    )
)]
pub async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !state.ops.metrics_on_main() {
        return Err(AppError::NotFound("Route".into()));
    }
    render(&state, &headers).await
}

/// The metrics on the address of their own (`--metrics-listen`).
pub async fn get_metrics_on_own_address(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    render(&state, &headers).await
}

async fn render(state: &AppState, headers: &HeaderMap) -> Result<Response, AppError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !state.ops.metrics_allowed(authorization) {
        tracing::warn!("metrics refused: missing or wrong metrics token");
        return Err(AppError::MetricsToken);
    }
    let text = state
        .ops
        .metrics
        .render(&state.db, state.now().unix_timestamp())
        .await;
    Ok((
        [
            (header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}
