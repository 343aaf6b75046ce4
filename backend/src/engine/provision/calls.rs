//! The connector calls of a provisioning batch, side by side per
//! integration, and the check after a removal that the target no longer
//! grants it.

use std::{collections::HashMap, sync::Arc};

use serde_json::json;

use super::{Job, Task};
use crate::{
    connector::{self, Connector, Credentials, Grant, Outcome},
    secrets::SecretBox,
};

/// The connector calls of one batch: each integration's tasks side by side,
/// up to its `max_concurrent_calls`, on threads of this blocking task. No
/// call starts once the lease may have run out (another process may be
/// taking this work over).
pub(super) fn call_connectors(
    job: Job,
    tasks: Vec<Task>,
    secrets: &SecretBox,
    demo: &Arc<dyn Connector>,
    clock: &Arc<dyn crate::clock::Clock>,
    alive: &crate::lease::Alive,
) -> Vec<(Task, u32, Result<Outcome, String>, Verified)> {
    let mut by_integration: HashMap<i64, Vec<Task>> = HashMap::new();
    for task in tasks {
        by_integration.entry(task.pair.1).or_default().push(task);
    }
    let groups: Vec<_> = by_integration
        .into_values()
        .map(|tasks| {
            let first = &tasks[0];
            let opened = connector::open_settings(secrets, first.settings.as_deref());
            let bound = opened
                .as_ref()
                .ok()
                .and_then(|settings| connector::concurrency(settings.as_ref()).ok())
                .unwrap_or(1)
                .min(tasks.len());
            let connector = opened
                .and_then(|settings| connector::build(&first.kind, settings.as_ref(), demo, clock));
            (std::sync::Mutex::new(tasks.into_iter()), connector, bound)
        })
        .collect();
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for (queue, connector, bound) in &groups {
            for _ in 0..*bound {
                let done = &done;
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.next());
                        let Some(task) = next else { break };
                        if !alive.check() {
                            break;
                        }
                        let result = call_one(job, connector, task);
                        if let Ok(mut done) = done.lock() {
                            done.push(result);
                        }
                    }
                });
            }
        }
    });
    done.into_inner().unwrap_or_default()
}

/// One connector call, and for a removal its verification.
fn call_one(
    job: Job,
    connector: &Result<Arc<dyn Connector>, String>,
    task: Task,
) -> (Task, u32, Result<Outcome, String>, Verified) {
    let connector = match connector {
        Err(reason) => return (task, 1, Err(reason.clone()), Verified::NotAsked),
        Ok(connector) => connector,
    };
    let outcome = match job {
        Job::Grant => {
            let outcome = connector.grant(&task.grant);
            crash_point("after-grant");
            outcome
        }
        Job::Remove => connector.revoke(&task.grant),
        Job::Sync => connector
            .extend(&task.grant)
            .map(|()| Outcome::Done(Credentials::default())),
    };
    let verified = match (job, &outcome) {
        (Job::Remove, Ok(Outcome::Done(_))) => verify_removal(connector.as_ref(), &task.grant),
        _ => Verified::NotAsked,
    };
    match verified {
        // Still there: the removal did not take; retried.
        Verified::StillHeld(reason) => (
            task,
            connector.grant_attempts(),
            Err(reason),
            Verified::NotAsked,
        ),
        verified => (task, connector.grant_attempts(), outcome, verified),
    }
}

/// Whether a removal was checked in the target afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verified {
    /// Not a removal, or the connector cannot list what the target grants.
    NotAsked,
    /// The target no longer grants the login anything on the items.
    Gone,
    /// Listing failed; the removal itself succeeded.
    Unknown(String),
    /// The target still grants it: the removal is retried.
    StillHeld(String),
}

impl Verified {
    /// Add what was verified to an audit entry's details.
    pub(super) fn describe(&self, details: &mut serde_json::Value) {
        match self {
            Verified::NotAsked | Verified::StillHeld(_) => {}
            Verified::Gone => details["verified"] = json!(true),
            Verified::Unknown(reason) => {
                details["verified"] = json!(false);
                details["verify_error"] = json!(reason);
            }
        }
    }
}

/// After a removal, list what the target grants on the grant's items and
/// look for the grant's login.
fn verify_removal(connector: &dyn Connector, grant: &Grant) -> Verified {
    let Some(login) = connector.login_of(grant) else {
        return Verified::NotAsked;
    };
    let paths: Vec<String> = grant
        .items
        .iter()
        .map(|item| item.resource_path.clone())
        .collect();
    match connector.holdings(&paths) {
        Ok(None) => Verified::NotAsked,
        Ok(Some(holdings)) => match holdings.iter().find(|h| h.login == login) {
            Some(held) => Verified::StillHeld(format!(
                "removal not verified: {login} still holds {}",
                held.resource_path
            )),
            None => Verified::Gone,
        },
        Err(reason) => Verified::Unknown(reason),
    }
}

/// For the test that kills the real binary between a connector's call and
/// its record (`tests/crash.rs`): with `GATEHOUSE_CRASH_AT` naming this
/// point, the process sends itself SIGKILL here, as the OOM killer or a
/// power cut would. Unset, it is one comparison with a value read once.
fn crash_point(name: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT
        .get_or_init(|| std::env::var("GATEHOUSE_CRASH_AT").ok())
        .as_deref()
        == Some(name)
    {
        tracing::warn!(
            point = name,
            "GATEHOUSE_CRASH_AT: the process kills itself here"
        );
        // SAFETY: getpid and kill have no preconditions; SIGKILL cannot be caught.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
