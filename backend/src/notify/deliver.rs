//! The delivery worker: sends what the outbox holds, oldest first. A failed
//! attempt is retried with exponential backoff (30 s doubling to an hour) for
//! about a day; a message that cannot be delivered anywhere (no Slack account
//! with the user's e-mail, channel not configured) is marked skipped. Sending
//! happens outside any transaction; a crash between sending and recording
//! sends the message again after the restart (at least once).

use std::{sync::Arc, time::Duration};

pub use super::outbox::{Outbox, Outcome, idempotency_key};
use super::{
    email,
    notice::{self, Notice},
    slack,
};
use crate::{
    db::Db,
    error::AppError,
    lease::Held,
    store::{
        self, leases,
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

/// Counts of one delivery pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub skipped: usize,
    pub retried: usize,
    pub dead: usize,
}

/// Deliver everything due now. One pass at a time.
pub async fn deliver_due(outbox: impl Into<Outbox>) -> Result<Report, AppError> {
    let outbox = outbox.into();
    let _guard = outbox.delivering.lock().await;
    let mut report = Report::default();
    let now = outbox.now();
    if !outbox
        .db
        .call(move |conn| store::notifications::any_due(conn, now))
        .await?
    {
        return Ok(report);
    }
    // Another process delivering now covers what is due.
    let Some(lease) =
        Held::try_take(&outbox.db, &outbox.clock, leases::OUTBOX, &outbox.replica).await?
    else {
        return Ok(report);
    };
    let result = deliver_held(&outbox, &lease, &mut report).await;
    lease.release().await;
    result?;
    if report != Report::default() {
        tracing::info!(?report, "notifications delivered");
    }
    Ok(report)
}

/// Deliver batch after batch while holding the outbox lease. Within a
/// batch each recipient's messages go out in order, one after the other,
/// and up to [`SIDE_BY_SIDE`] recipients are served at once (an SMTP
/// exchange alone takes some 40 ms: one by one, a backlog would drain at
/// 25 messages a second).
async fn deliver_held(outbox: &Outbox, lease: &Held, report: &mut Report) -> Result<(), AppError> {
    let alive = lease.alive();
    loop {
        let now = outbox.now();
        let due = outbox
            .db
            .call(move |conn| store::notifications::due(conn, now, BATCH))
            .await?;
        if due.is_empty() {
            break;
        }
        let planned = due.len();
        let mut queues: Vec<Vec<Pending>> = Vec::new();
        for row in due {
            match queues
                .iter_mut()
                .find(|q| q[0].user_id == row.user_id && q[0].channel == row.channel)
            {
                Some(queue) => queue.push(row),
                None => queues.push(vec![row]),
            }
        }
        let turns = Arc::new(tokio::sync::Semaphore::new(SIDE_BY_SIDE));
        let mut senders = tokio::task::JoinSet::new();
        for queue in queues {
            let (outbox, alive, turns) = (outbox.clone(), alive.clone(), turns.clone());
            senders.spawn(async move {
                let _turn = turns.acquire_owned().await;
                let mut sent = Vec::new();
                for row in queue {
                    // No message once the lease may have run out: another
                    // process may be taking the outbox over.
                    if !alive.check() {
                        break;
                    }
                    let outcome = deliver_one(&outbox, &row).await;
                    sent.push((row, outcome, outbox.now()));
                }
                sent
            });
        }
        let mut progressed = false;
        let mut done = Vec::new();
        while let Some(sent) = senders.join_next().await {
            let sent =
                sent.map_err(|error| AppError::internal(format!("delivery task failed: {error}")))?;
            for (row, outcome, now) in sent {
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
                        outbox = row.id,
                        channel = row.channel.as_str(),
                        attempts,
                        %error,
                        "notification not delivered"
                    ),
                }
                done.push((row.id, attempts, outcome, now));
            }
        }
        let attempted = done.len();
        record(outbox, lease, done).await?;
        if attempted < planned {
            return Err(AppError::Unavailable(
                "the outbox lease ran out before this pass was done".into(),
            ));
        }
        if !progressed {
            // Everything in this batch failed: the rest waits for the next pass.
            break;
        }
    }
    Ok(())
}

/// Recipients served at once.
const SIDE_BY_SIDE: usize = 8;

/// Record what happened to a batch's messages (one write, one turn of the
/// writers), if this process still holds the lease. A crash before it sends
/// the batch's messages again, under the same keys.
async fn record(
    outbox: &Outbox,
    lease: &Held,
    done: Vec<(i64, i64, Outcome, i64)>,
) -> Result<(), AppError> {
    if done.is_empty() {
        return Ok(());
    }
    let fence = lease.fence();
    outbox
        .db
        .write(move |tx| {
            crate::lease::check(tx, &fence)?;
            for (id, attempts, outcome, now) in &done {
                let (id, attempts, now) = (*id, *attempts, *now);
                match outcome {
                    Outcome::Delivered => {
                        store::notifications::finish(tx, id, "delivered", None, now)?
                    }
                    Outcome::Skipped(why) => {
                        store::notifications::finish(tx, id, "skipped", Some(why), now)?
                    }
                    Outcome::Retry(error) if attempts < MAX_ATTEMPTS => {
                        store::notifications::retry_later(
                            tx,
                            id,
                            error,
                            now + backoff(attempts - 1),
                        )?
                    }
                    Outcome::Retry(error) | Outcome::Failed(error) => {
                        store::notifications::finish(tx, id, "dead", Some(error), now)?
                    }
                }
            }
            Ok(())
        })
        .await
}

async fn deliver_one(outbox: &Outbox, row: &Pending) -> Outcome {
    let notice: Notice = match serde_json::from_str(&row.payload) {
        Ok(notice) => notice,
        Err(error) => return Outcome::Failed(format!("unreadable payload: {error}")),
    };
    if row.kind == notice::APPROVAL {
        // An approval that no longer waits on this user is not worth sending.
        let (user_id, request_id) = (row.user_id, notice.request_id);
        match outbox
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
            let Some(config) = outbox.config.email.clone() else {
                return Outcome::Skipped("e-mail is not configured on this server".into());
            };
            if row.kind == notice::APPROVAL_CLOSED {
                return Outcome::Skipped("nothing to update by e-mail".into());
            }
            if row.email.trim().is_empty() {
                return Outcome::Skipped("the user has no e-mail address".into());
            }
            let (subject, body) = email::render(&notice, &row.kind, &outbox.config);
            match config
                .send(
                    &row.email,
                    &row.display_name,
                    &subject,
                    body,
                    Some(&idempotency_key(row)),
                )
                .await
            {
                Ok(()) => Outcome::Delivered,
                Err(email::SendError::Temporary(error)) => Outcome::Retry(error),
                Err(email::SendError::Permanent(error)) => Outcome::Failed(error),
            }
        }
        Channel::Slack => {
            let Some(config) = outbox.config.slack.clone() else {
                return Outcome::Skipped("Slack is not configured on this server".into());
            };
            slack::deliver(outbox, &config, row, &notice).await
        }
    }
}

/// Warn about access that ends soon (each expiry once), in one transaction.
pub async fn warn_expiring(db: &Db, now: i64) -> Result<usize, AppError> {
    let any = db
        .call(move |conn| {
            Ok(!store::notifications::unwarned_expiring(conn, now, DEFAULT_WARNING)?.is_empty())
        })
        .await?;
    if !any {
        return Ok(0);
    }
    db.write(move |tx| notice::warn_expiring(tx, now, DEFAULT_WARNING))
        .await
}

/// Warn this long before expiry when the flow offers no extension window
/// (or half the duration, when shorter).
pub const DEFAULT_WARNING: i64 = 15 * 60;

/// How often the delivery loop looks at the outbox.
const PERIOD: Duration = Duration::from_millis(500);

/// Deliver until `stop` is cancelled (a pass under way finishes first);
/// old finished rows are pruned hourly.
pub async fn run(outbox: impl Into<Outbox>, stop: tokio_util::sync::CancellationToken) {
    let mut outbox = outbox.into();
    outbox.db = outbox.db.background();
    let mut interval = tokio::time::interval(PERIOD);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = 0;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(error) = deliver_due(outbox.clone()).await {
            tracing::error!(%error, "notification delivery failed; retrying on the next pass");
        }
        let now = outbox.now();
        if now - last_prune > 3600 {
            last_prune = now;
            if let Err(error) = outbox
                .db
                .write(move |tx| store::notifications::prune(tx, now - KEEP_FINISHED))
                .await
            {
                tracing::warn!(%error, "pruning the outbox failed");
            }
        }
    }
}
