//! Time and provisioning: the 7-day limit, expiry, and the connector calls
//! that move Granting to Active and Revoking to Revoked or Expired.
//!
//! Each request is provisioned per integration it touches (an access grant),
//! by that integration's connector. Connector calls happen outside any
//! transaction (they may be slow), in batches; their outcomes are written in
//! one transaction per batch. A failed removal or extension is retried with
//! backoff for as long as it fails: access that should be gone is never
//! dropped silently. A failed grant ends the request Failed (after the
//! connector's number of attempts), and whatever other integrations already
//! granted is then removed.

mod calls;

use std::sync::Arc;

use gatehouse_shared::{RequestStatus, access::GrantState};
use serde_json::json;

use crate::{
    connector::{self, Connector, Credentials, Grant, GrantItem, Outcome},
    engine::Engine,
    error::AppError,
    lease::Held,
    notify,
    secrets::SecretBox,
    store::{
        self, Conn,
        access::{Handed, Pair},
        leases,
    },
};
use calls::{Verified, call_connectors};

/// Requests waiting longer than this fail, for this reason.
pub use gatehouse_shared::rules::{PENDING_LIMIT, PENDING_LIMIT_REASON};
const BATCH: i64 = 500;

/// Pending Approval or Pending MFA for more than 7 days becomes Failed.
pub async fn fail_stale_pending(ctx: &Engine, now: i64) -> Result<usize, AppError> {
    let cutoff = now - PENDING_LIMIT;
    // A cheap read first, so that idle passes never take the write lock.
    if !ctx
        .db
        .call(move |conn| store::transitions::any_stale_pending(conn, cutoff))
        .await?
    {
        return Ok(0);
    }
    ctx.db
        .write(move |tx| {
            let due = store::transitions::stale_pending(tx, cutoff)?;
            for (id, from) in &due {
                super::record(
                    tx,
                    now,
                    None,
                    Some(*id),
                    "failed",
                    json!({"reason": PENDING_LIMIT_REASON, "from": from}),
                )?;
            }
            store::transitions::fail_stale_pending(tx, cutoff, PENDING_LIMIT_REASON, now)
        })
        .await
}

/// Active access past its expiry starts being removed (Revoking, to end
/// Expired). Returns how many, and the earliest expiry among them.
pub async fn begin_due_expiries(ctx: &Engine, now: i64) -> Result<(usize, Option<i64>), AppError> {
    // A cheap read first, so that idle passes never take the write lock.
    if !ctx
        .db
        .call(move |conn| store::transitions::any_expiry_due(conn, now))
        .await?
    {
        return Ok((0, None));
    }
    ctx.db
        .write(move |tx| {
            let due = store::transitions::expiries_due(tx, now)?;
            let earliest = due.iter().map(|(_, expires_at)| *expires_at).min();
            for (id, expires_at) in &due {
                super::record(
                    tx,
                    now,
                    None,
                    Some(*id),
                    "expiry_started",
                    json!({"expires_at": expires_at}),
                )?;
            }
            let count = store::transitions::begin_expiries(tx, now)?;
            Ok((count, earliest))
        })
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Grant,
    Remove,
    Sync,
}

/// Provision right after a user's action, so that an auto-approved request
/// can answer Active. The action is committed already: a provisioning fault
/// is logged and left to the worker's next pass, not reported as the
/// action's failure.
///
/// Actions arriving together share a pass: a pass that started after this
/// action committed covers it, so once one has finished there is nothing
/// left to do (with many submitters, each used to wait for the lock only to
/// find what the pass before it had done).
///
/// Another process may hold the provisioning lease (its pass may have
/// started before this action committed): the action waits up to
/// [`ACTION_PATIENCE`] for it, then leaves the work to the workers.
pub async fn provision_now(ctx: &Engine) {
    use std::sync::atomic::Ordering;
    let covering = ctx.provisioning.started.load(Ordering::SeqCst) + 1;
    let mut finished = ctx.provisioning.lock.lock().await;
    if *finished >= covering {
        return;
    }
    if let Err(error) = provision_pass(ctx, &mut finished, ACTION_PATIENCE).await {
        tracing::error!(%error, "provisioning after an action failed; the worker retries");
    }
}

/// How long an action waits for another process's provisioning pass.
pub const ACTION_PATIENCE: std::time::Duration = crate::lease::TTL;

/// Grant what is Granting, remove what is Revoking (or left over), move
/// extended ends, batch by batch; then settle requests whose grants are all
/// done. A pass that finds another process provisioning leaves it to that
/// process.
pub async fn provision_all(ctx: &Engine) -> Result<(), AppError> {
    // One provisioner at a time, so no access is granted or removed twice.
    let mut finished = ctx.provisioning.lock.lock().await;
    provision_pass(ctx, &mut finished, std::time::Duration::ZERO).await
}

/// One numbered pass, run while holding the provisioning lock (`finished`).
async fn provision_pass(
    ctx: &Engine,
    finished: &mut u64,
    patience: std::time::Duration,
) -> Result<(), AppError> {
    use std::sync::atomic::Ordering;
    let number = ctx.provisioning.started.fetch_add(1, Ordering::SeqCst) + 1;
    let result = provision_pass_body(ctx, patience).await;
    *finished = number;
    result
}

async fn provision_pass_body(ctx: &Engine, patience: std::time::Duration) -> Result<(), AppError> {
    let now = ctx.now().unix_timestamp();
    if !ctx
        .db
        .call(move |conn| store::access::anything_due(conn, now))
        .await?
    {
        return Ok(());
    }
    let Some(lease) = Held::take(
        &ctx.db,
        &ctx.clock,
        leases::PROVISIONING,
        &ctx.replica,
        patience,
    )
    .await?
    else {
        tracing::debug!("another process is provisioning");
        return Ok(());
    };
    // A fault in one job (a grant batch that cannot be written, say) must not
    // hold back the others: removals go on regardless.
    let mut fault = None;
    for job in [Job::Grant, Job::Remove, Job::Sync] {
        if let Err(error) = run_job(ctx, &lease, job).await {
            tracing::error!(?job, %error, "provisioning job failed; the next pass retries");
            fault.get_or_insert(error);
        }
    }
    lease.release().await;
    // Requests whose access is gone everywhere end; read first, so that an
    // idle pass never takes the write lock.
    let now = ctx.now().unix_timestamp();
    let any = ctx
        .db
        .call(|conn| store::access::access_gone(conn, None))
        .await?;
    if !any.is_empty() {
        ctx.db
            .write(move |tx| {
                for id in store::access::access_gone(tx, None)? {
                    end_revoking(tx, id, now)?;
                }
                Ok(())
            })
            .await?;
    }
    fault.map_or(Ok(()), Err)
}

/// Every batch of one job that is due now.
async fn run_job(ctx: &Engine, lease: &Held, job: Job) -> Result<(), AppError> {
    loop {
        let now = ctx.now().unix_timestamp();
        let pairs = ctx
            .db
            .call(move |conn| match job {
                Job::Grant => store::access::grants_due(conn, now, BATCH),
                Job::Remove => store::access::removals_due(conn, now, BATCH),
                Job::Sync => store::access::syncs_due(conn, now, BATCH),
            })
            .await?;
        let full = pairs.len() as i64 == BATCH;
        if !pairs.is_empty() {
            run_batch(ctx, lease, job, pairs).await?;
        }
        if !full {
            return Ok(());
        }
    }
}

/// One connector call to make.
#[derive(Clone)]
struct Task {
    pair: Pair,
    kind: String,
    settings: Option<Vec<u8>>,
    grant: Grant,
    attempts: i64,
}

/// A connector waits on people: tell the admins and the integration's fulfillers.
fn tell_fulfillers(
    tx: Conn<'_>,
    secrets: &SecretBox,
    task: &Task,
    removal: bool,
    now: i64,
) -> Result<(), AppError> {
    let (request_id, integration_id) = task.pair;
    let fulfillers = if task.kind == "manual" {
        crate::connector::manual::fulfillers(secrets, integration_id, task.settings.as_deref())
    } else {
        Vec::new()
    };
    notify::notice::fulfilment_needed(
        tx,
        now,
        request_id,
        &task.grant.integration_name,
        removal,
        &fulfillers,
    )
}

async fn run_batch(ctx: &Engine, lease: &Held, job: Job, pairs: Vec<Pair>) -> Result<(), AppError> {
    let now = ctx.now().unix_timestamp();
    let tasks = ctx
        .db
        .call(move |conn| {
            pairs
                .iter()
                .map(|pair| task_of(conn, *pair, now))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let tasks_len = tasks.len();
    let demo = ctx.connector.clone();
    let clock = ctx.clock.clone();
    let secrets = ctx.secrets.clone();
    let alive = lease.alive();
    let outcomes: Vec<(Task, u32, Result<Outcome, String>, Verified)> =
        tokio::task::spawn_blocking(move || {
            call_connectors(job, tasks, &secrets, &demo, &clock, &alive)
        })
        .await
        .map_err(|error| AppError::internal(format!("connector task failed: {error}")))?;
    let called = outcomes.len();
    let secrets = ctx.secrets.clone();
    let now = ctx.now().unix_timestamp();
    let fence = lease.fence();
    ctx
        .db
        .write(move |tx| {
            crate::lease::check(tx, &fence)?;
            let mut touched = Vec::new();
            // Successes first: a request that then fails has every grant of
            // this batch on record, to be removed again.
            let mut outcomes = outcomes.clone();
            outcomes.sort_by_key(|(_, _, outcome, _)| outcome.is_err());
            for (task, max_attempts, outcome, verified) in outcomes {
                let (id, integration) = task.pair;
                touched.push(id);
                match (job, outcome) {
                    (Job::Grant, Ok(Outcome::Done(credentials))) => {
                        let handed = seal(&secrets, &credentials)?;
                        store::access::set_granted(tx, task.pair, handed, Some(task.grant.expires_at), now)?;
                        super::record(tx, now, None, Some(id), "access_granted", json!({"integration": task.grant.integration_name}))?;
                    }
                    (Job::Grant, Ok(Outcome::Waiting)) => {
                        store::access::set_state(tx, task.pair, GrantState::Waiting, now)?;
                        super::record(tx, now, None, Some(id), "grant_waiting", json!({"integration": task.grant.integration_name}))?;
                        tell_fulfillers(tx, &secrets, &task, false, now)?;
                    }
                    (Job::Grant, Err(reason)) => {
                        let attempts = task.attempts + 1;
                        if attempts < i64::from(max_attempts) {
                            store::access::record_failure(tx, task.pair, GrantState::Pending, &reason, now + backoff(attempts))?;
                            tracing::warn!(request = id, integration, %reason, attempts, "granting failed; will retry");
                        } else {
                            store::access::record_uncertain(tx, task.pair, &reason)?;
                            let reason = format!("{}: {reason}", task.grant.integration_name);
                            fail_granting(tx, id, &reason, now)?;
                        }
                    }
                    (Job::Remove, Ok(Outcome::Done(_))) => {
                        store::access::set_state(tx, task.pair, GrantState::Removed, now)?;
                        let mut details = json!({"integration": task.grant.integration_name});
                        verified.describe(&mut details);
                        super::record(tx, now, None, Some(id), "access_removed", details)?;
                    }
                    (Job::Remove, Ok(Outcome::Waiting)) => {
                        store::access::set_state(tx, task.pair, GrantState::Removing, now)?;
                        super::record(tx, now, None, Some(id), "removal_waiting", json!({"integration": task.grant.integration_name}))?;
                        tell_fulfillers(tx, &secrets, &task, true, now)?;
                    }
                    (Job::Remove | Job::Sync, Err(reason)) => {
                        let attempts = store::access::record_failure(tx, task.pair, GrantState::Granted, &reason, now + backoff(task.attempts + 1))?;
                        let what = if job == Job::Remove { "removing access" } else { "moving the access's end" };
                        tracing::warn!(request = id, integration, %reason, attempts, "{what} failed; will retry");
                    }
                    (Job::Sync, Ok(_)) => {
                        store::access::set_synced(tx, task.pair, task.grant.expires_at)?;
                    }
                }
            }
            touched.dedup();
            if job == Job::Grant {
                for id in touched {
                    settle_granting(tx, id, now)?;
                }
            }
            Ok(())
        })
        .await?;
    if called < tasks_len {
        return Err(AppError::Unavailable(
            "the provisioning lease ran out before this batch was done".into(),
        ));
    }
    Ok(())
}

/// Seconds to wait after the `attempts`-th failure: 2, 4, 8… up to 256.
pub fn backoff(attempts: i64) -> i64 {
    1_i64 << attempts.clamp(1, 8)
}

fn connector_of(
    ctx: &Engine,
    kind: &str,
    sealed: Option<&[u8]>,
) -> Result<Arc<dyn Connector>, String> {
    let settings = connector::open_settings(&ctx.secrets, sealed)?;
    connector::build(kind, settings.as_ref(), &ctx.connector, &ctx.clock)
}

/// Seal what a connector handed out for storing.
pub(crate) fn seal<'a>(
    secrets: &SecretBox,
    credentials: &'a Credentials,
) -> Result<Handed<'a>, AppError> {
    Ok(Handed {
        username: credentials.username.as_deref(),
        secret: credentials
            .secret
            .as_ref()
            .map(|secret| secrets.seal(secret.as_bytes()))
            .transpose()?,
        instructions: credentials.instructions.as_deref(),
        connect: serde_json::to_string(&credentials.connect)
            .map_err(|e| AppError::internal(e.to_string()))?,
    })
}

/// Everything a connector needs for one request in one integration.
fn task_of(conn: Conn<'_>, pair: Pair, now: i64) -> Result<Task, AppError> {
    let (request_id, integration_id) = pair;
    let target = store::access::target_of(conn, pair)?;
    let expires_at = if target.status == RequestStatus::Granting.label() {
        // The duration counts from the start, when the request has one.
        target.starts_at.unwrap_or(now) + target.duration
    } else {
        target.expires_at.unwrap_or(now)
    };
    let items = store::access::items_in(conn, pair)?
        .into_iter()
        .map(|item| GrantItem {
            resource_type: item.resource_type,
            resource_path: item.resource_path,
            permission: item.permission,
        })
        .collect();
    Ok(Task {
        pair,
        kind: target.connector,
        settings: target.settings,
        grant: Grant {
            request_id,
            integration_id,
            integration_name: target.integration_name,
            integration_kind: target.integration_kind,
            grantee_username: target.grantee_username,
            grantee_email: Some(target.grantee_email),
            expires_at,
            login: target.login,
            items,
        },
        attempts: target.attempts,
    })
}

/// What the connector needs to act on an existing grant (reset, extend).
pub fn grant_of(
    conn: Conn<'_>,
    pair: Pair,
    now: i64,
) -> Result<(String, Option<Vec<u8>>, Grant), AppError> {
    let task = task_of(conn, pair, now)?;
    Ok((task.kind, task.settings, task.grant))
}

/// Build an integration's connector from its stored settings.
pub fn open_connector(
    ctx: &Engine,
    kind: &str,
    sealed: Option<&[u8]>,
) -> Result<Arc<dyn Connector>, String> {
    connector_of(ctx, kind, sealed)
}

/// A grant failed for good: the request ends Failed, and what other
/// integrations granted is removed.
fn fail_granting(tx: Conn<'_>, id: i64, reason: &str, now: i64) -> Result<(), AppError> {
    let status = store::transitions::status_of(tx, id)?;
    if status.as_deref() != Some(RequestStatus::Granting.label()) {
        // Failed already (another integration): this grant is removed too.
        return store::access::abandon(tx, id);
    }
    store::transitions::fail_granting(tx, id, reason, now)?;
    store::access::abandon(tx, id)?;
    super::record(
        tx,
        now,
        None,
        Some(id),
        "grant_failed",
        json!({"reason": reason}),
    )
}

/// A Granting request whose every integration granted becomes Active; its
/// end is the earliest end a target system was given (or its planned end for
/// those granted by hand).
pub fn settle_granting(tx: Conn<'_>, id: i64, now: i64) -> Result<(), AppError> {
    let Some((status, planned_end)) = store::transitions::status_and_planned_end(tx, id, now)?
    else {
        return Ok(());
    };
    if status != RequestStatus::Granting.label() {
        return Ok(());
    }
    let needed = store::access::integrations_of(tx, id)?;
    let grants = store::access::of_request(tx, id)?;
    let all_granted = needed.iter().all(|integration| {
        grants
            .iter()
            .any(|g| g.integration_id == *integration && g.state == GrantState::Granted)
    });
    if !all_granted {
        return Ok(());
    }
    let expires_at = grants
        .iter()
        .map(|g| g.synced_expires_at.unwrap_or(planned_end))
        .min()
        .unwrap_or(planned_end);
    store::transitions::activate(tx, id, expires_at, now)?;
    super::record(
        tx,
        now,
        None,
        Some(id),
        "granted",
        json!({"expires_at": expires_at}),
    )
}

/// A Revoking request whose access is gone everywhere ends Revoked or
/// Expired, or waits for its next window (recurring access).
pub fn end_revoking(tx: Conn<'_>, id: i64, now: i64) -> Result<(), AppError> {
    let ending = store::transitions::ending_as(tx, id)?;
    let to = RequestStatus::from_label(&ending).unwrap_or(RequestStatus::Revoked);
    // A window of recurring access ended on time: the next one waits.
    if to == RequestStatus::Expired && super::schedule::schedule_next_window(tx, id, now)? {
        return Ok(());
    }
    store::transitions::end_revoking(tx, id, to, now)?;
    let action = if to == RequestStatus::Expired {
        "expired"
    } else {
        "revoked"
    };
    super::record(
        tx,
        now,
        None,
        Some(id),
        action,
        json!({"access_removed": true}),
    )
}
