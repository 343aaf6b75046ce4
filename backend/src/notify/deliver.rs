//! The delivery worker: sends what the outbox holds, oldest first. A failed
//! attempt is retried with exponential backoff (30 s doubling to an hour) for
//! about a day; a message that cannot be delivered anywhere (no Slack account
//! with the user's e-mail, channel not configured) is marked skipped. Sending
//! happens outside any transaction; a crash between sending and recording
//! sends the message again after the restart (at least once).

use std::time::Duration;

use crate::{
    error::AppError,
    notify::{
        email,
        notice::{self, Notice},
    },
    slack,
    state::AppState,
    store::{
        self,
        notifications::{Channel, Pending},
    },
};

/// Attempts before a message is given up (about a day of retries).
pub const MAX_ATTEMPTS: i64 = 30;
/// Rows handled per batch.
const BATCH: i64 = 50;
/// Finished rows are kept this long, for support questions.
const KEEP_FINISHED: i64 = 30 * 24 * 3600;

/// Seconds to wait after `attempts` failed attempts.
pub fn backoff(attempts: i64) -> i64 {
    let exponent = attempts.clamp(0, 7) as u32;
    (30_i64 << exponent).min(3600)
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Nowhere to deliver it, or no longer relevant; not retried.
    Skipped(String),
    /// Failed now; try again later.
    Retry(String),
    /// Failed in a way retrying cannot fix.
    Failed(String),
}

/// Counts of one delivery pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub skipped: usize,
    pub retried: usize,
    pub dead: usize,
}

/// Deliver everything due now. One pass at a time.
pub async fn deliver_due(state: &AppState) -> Result<Report, AppError> {
    let _guard = state.delivering.lock().await;
    let mut report = Report::default();
    let now = state.now().unix_timestamp();
    if !state
        .db
        .call(move |conn| store::notifications::any_due(conn, now))
        .await?
    {
        return Ok(report);
    }
    loop {
        let now = state.now().unix_timestamp();
        let due = state
            .db
            .call(move |conn| store::notifications::due(conn, now, BATCH))
            .await?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for row in due {
            let outcome = deliver_one(state, &row).await;
            let now = state.now().unix_timestamp();
            let id = row.id;
            let attempts = row.attempts + 1;
            match &outcome {
                Outcome::Delivered => report.delivered += 1,
                Outcome::Skipped(_) => report.skipped += 1,
                Outcome::Retry(_) if attempts < MAX_ATTEMPTS => report.retried += 1,
                Outcome::Retry(_) | Outcome::Failed(_) => report.dead += 1,
            }
            match &outcome {
                Outcome::Delivered | Outcome::Skipped(_) => progressed = true,
                Outcome::Retry(error) | Outcome::Failed(error) => tracing::warn!(
                    outbox = id,
                    channel = row.channel.as_str(),
                    attempts,
                    %error,
                    "notification not delivered"
                ),
            }
            state
                .db
                .write(move |tx| match outcome.clone() {
                    Outcome::Delivered => {
                        store::notifications::finish(tx, id, "delivered", None, now)
                    }
                    Outcome::Skipped(why) => {
                        store::notifications::finish(tx, id, "skipped", Some(&why), now)
                    }
                    Outcome::Retry(error) if attempts < MAX_ATTEMPTS => {
                        store::notifications::retry_later(
                            tx,
                            id,
                            &error,
                            now + backoff(attempts - 1),
                        )
                    }
                    Outcome::Retry(error) | Outcome::Failed(error) => {
                        store::notifications::finish(tx, id, "dead", Some(&error), now)
                    }
                })
                .await?;
        }
        if !progressed {
            // Everything in this batch failed: the rest waits for the next pass.
            break;
        }
    }
    if report != Report::default() {
        tracing::info!(?report, "notifications delivered");
    }
    Ok(report)
}

async fn deliver_one(state: &AppState, row: &Pending) -> Outcome {
    let notice: Notice = match serde_json::from_str(&row.payload) {
        Ok(notice) => notice,
        Err(error) => return Outcome::Failed(format!("unreadable payload: {error}")),
    };
    if row.kind == notice::APPROVAL {
        // An approval that no longer waits on this user is not worth sending.
        let (user_id, request_id) = (row.user_id, notice.request_id);
        match state
            .db
            .call(move |conn| store::requests::waiting_on(conn, user_id, &[request_id]))
            .await
        {
            Ok(waiting) if !waiting.contains(&request_id) => {
                return Outcome::Skipped("the request no longer waits on this approver".into());
            }
            Ok(_) => {}
            Err(error) => return Outcome::Retry(error.to_string()),
        }
    }
    match row.channel {
        Channel::Email => {
            let Some(config) = state.notify.email.clone() else {
                return Outcome::Skipped("e-mail is not configured on this server".into());
            };
            if row.kind == notice::APPROVAL_CLOSED {
                return Outcome::Skipped("nothing to update by e-mail".into());
            }
            if row.email.trim().is_empty() {
                return Outcome::Skipped("the user has no e-mail address".into());
            }
            let (subject, body) = email::render(&notice, &row.kind, &state.notify);
            match config
                .send(&row.email, &row.display_name, &subject, body)
                .await
            {
                Ok(()) => Outcome::Delivered,
                Err(email::SendError::Temporary(error)) => Outcome::Retry(error),
                Err(email::SendError::Permanent(error)) => Outcome::Failed(error),
            }
        }
        Channel::Slack => {
            let Some(config) = state.notify.slack.clone() else {
                return Outcome::Skipped("Slack is not configured on this server".into());
            };
            slack::messages::deliver(state, &config, row, &notice).await
        }
    }
}

/// Warn about access that ends soon (each expiry once), in one transaction.
pub async fn warn_expiring(state: &AppState, now: i64) -> Result<usize, AppError> {
    let any = state
        .db
        .call(move |conn| {
            Ok(!store::notifications::unwarned_expiring(conn, now, DEFAULT_WARNING)?.is_empty())
        })
        .await?;
    if !any {
        return Ok(0);
    }
    state
        .db
        .write(move |tx| notice::warn_expiring(tx, now, DEFAULT_WARNING))
        .await
}

/// Warn this long before expiry when the flow offers no extension window
/// (or half the duration, when shorter).
pub const DEFAULT_WARNING: i64 = 15 * 60;

/// How often the delivery loop looks at the outbox.
const PERIOD: Duration = Duration::from_millis(500);

/// Deliver until the process ends; old finished rows are pruned hourly.
pub async fn run(state: AppState) {
    let mut interval = tokio::time::interval(PERIOD);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = 0;
    loop {
        interval.tick().await;
        if let Err(error) = deliver_due(&state).await {
            tracing::error!(%error, "notification delivery failed; retrying on the next pass");
        }
        let now = state.now().unix_timestamp();
        if now - last_prune > 3600 {
            last_prune = now;
            if let Err(error) = state
                .db
                .write(move |tx| store::notifications::prune(tx, now - KEEP_FINISHED))
                .await
            {
                tracing::warn!(%error, "pruning the outbox failed");
            }
        }
    }
}
