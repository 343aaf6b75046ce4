//! Background work, driven by the clock: the 7-day limit on waiting requests,
//! the start of scheduled access (a later start, each recurring window),
//! expiry of active access, and provisioning (grant and removal) through the
//! connector. Every pass reads what is due from the database, so whatever
//! fell due while the server was down is caught up on the first pass.

use std::time::Duration;

use crate::{engine, error::AppError, notify, state::AppState};

/// Run one pass: everything due now is processed.
pub async fn tick(state: &AppState) -> Result<(), AppError> {
    let now = state.now().unix_timestamp();
    let failed = engine::fail_stale_pending(&state.engine(), now).await?;
    if failed > 0 {
        tracing::info!(failed, "requests pending for more than 7 days failed");
    }
    let swept = engine::deprovision::sweep(&state.engine(), now).await?;
    if swept != engine::deprovision::Swept::default() {
        tracing::info!(cancelled = ?swept.cancelled, revoking = ?swept.revoking, "ended what deactivated users had");
    }
    let started = engine::schedule::start_due(&state.engine(), now).await?;
    if started > 0 {
        tracing::info!(started, "scheduled requests reached their start");
    }
    let (expiring, earliest) = engine::begin_due_expiries(&state.engine(), now).await?;
    engine::provision_all(&state.engine()).await?;
    notify::deliver::warn_expiring(&state.db, now).await?;
    let mut lateness = None;
    if let Some(earliest) = earliest {
        let done = state.now();
        let late_ms = (done - time::OffsetDateTime::from_unix_timestamp(earliest).unwrap_or(done))
            .whole_milliseconds();
        tracing::info!(expiring, late_ms, "expired accesses removed");
        lateness = Some(Duration::from_millis(u64::try_from(late_ms).unwrap_or(0)));
    }
    state.ops.metrics.worker_pass_finished(lateness);
    Ok(())
}

/// How often a pass runs; an idle pass is three indexed reads.
const PERIOD: Duration = Duration::from_millis(250);

/// Run a pass at start, then four times a second until `stop` is
/// cancelled (a pass under way finishes first).
pub async fn run(state: AppState, stop: tokio_util::sync::CancellationToken) {
    let state = state.background();
    let mut interval = tokio::time::interval(PERIOD);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = 0;
    // Drift checks list whole targets (seconds for thousands of groups):
    // they run beside the passes, one round at a time, so expiry is never
    // late behind them.
    let mut drift: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(error) = tick(&state).await {
            tracing::error!(%error, "background pass failed; retrying on the next pass");
        }
        if drift
            .as_ref()
            .is_none_or(tokio::task::JoinHandle::is_finished)
        {
            let state = state.clone();
            drift = Some(tokio::spawn(async move {
                match engine::drift::check_due(&state.engine()).await {
                    Ok(0) => {}
                    Ok(checked) => tracing::debug!(checked, "integrations checked for drift"),
                    Err(error) => tracing::error!(%error, "drift round failed; retried"),
                }
            }));
        }
        let now = state.now().unix_timestamp();
        if now - last_prune > 3600 {
            last_prune = now;
            let window_start = now - crate::login_limit::WINDOW;
            if let Err(error) = state
                .db
                .write(move |tx| crate::store::login_failures::prune(tx, window_start))
                .await
            {
                tracing::warn!(%error, "pruning old failed log-ins failed");
            }
        }
    }
}
