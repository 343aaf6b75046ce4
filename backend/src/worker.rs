//! Background work, driven by the clock: the 7-day limit on waiting requests,
//! expiry of active access, and provisioning (grant and removal) through the
//! connector. Every pass reads what is due from the database, so whatever
//! fell due while the server was down is caught up on the first pass.

use std::time::Duration;

use crate::{engine, error::AppError, state::AppState};

/// Run one pass: everything due now is processed.
pub async fn tick(state: &AppState) -> Result<(), AppError> {
    let now = state.now().unix_timestamp();
    engine::fail_stale_pending(state, now).await?;
    engine::begin_due_expiries(state, now).await?;
    engine::provision_all(state).await?;
    Ok(())
}

/// Run a pass at start, then every second until the process ends.
pub async fn run(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = tick(&state).await {
            tracing::error!(%error, "background pass failed; retrying next second");
        }
    }
}
