//! Holding a lease on background work ([`crate::store::leases`]) while
//! doing it: taken before the work, renewed every second by a task of its
//! own while the work runs, freed afterwards. A process that dies, or is
//! paused, stops renewing; its lease runs out after [`TTL`] and another
//! process takes the work over.
//!
//! Two checks keep a holder that was paused past its lease from acting on
//! work its successor took: before each call to another system it asks
//! [`Held::alive`], which trusts only this process's monotonic clock and
//! gives up [`MARGIN`] before the database would let anyone else take the
//! lease; and every write of the work's results checks the fence
//! ([`crate::store::leases::holds`]) in its own transaction.
//!
//! The times written to the database come from the server's clock (the
//! injected [`Clock`], so tests move them); how long this process may go on
//! acting comes from its monotonic clock, which no one can move.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    clock::Clock,
    db::Db,
    error::AppError,
    store::leases::{self, Fence},
};

/// How long a lease lasts without renewal.
pub const TTL: Duration = Duration::from_millis(3_000);
/// How often a held lease is renewed.
pub const RENEW_EVERY: Duration = Duration::from_millis(1_000);
/// A holder stops acting this long before its lease runs out.
pub const MARGIN: Duration = Duration::from_millis(1_000);
/// How often a waiting taker asks again.
const POLL: Duration = Duration::from_millis(25);

/// A name for this process among the replicas: host, process id and a
/// random part (a restarted process is a new holder).
pub fn replica_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// The clock's time in milliseconds since 1970.
fn now_ms(clock: &dyn Clock) -> i64 {
    i64::try_from(clock.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn ttl_ms() -> i64 {
    i64::try_from(TTL.as_millis()).unwrap_or(i64::MAX)
}

/// Whether the lease may still be acted on: clonable into blocking threads.
#[derive(Clone)]
pub struct Alive {
    deadline: Arc<Mutex<Instant>>,
    lost: Arc<AtomicBool>,
}

impl Alive {
    /// True while this process may act under the lease.
    pub fn check(&self) -> bool {
        !self.lost.load(Ordering::SeqCst)
            && Instant::now() < *self.deadline.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A lease this process holds.
pub struct Held {
    db: Db,
    fence: Fence,
    alive: Alive,
    renewer: tokio::task::JoinHandle<()>,
}

impl Held {
    /// Take the lease if nobody else holds it at `clock`'s time.
    pub async fn try_take(
        db: &Db,
        clock: &Arc<dyn Clock>,
        name: &'static str,
        holder: &str,
    ) -> Result<Option<Held>, AppError> {
        let asked = Instant::now();
        let holder_owned = holder.to_owned();
        let now = now_ms(clock.as_ref());
        let fence = db
            .write_aside(move |conn| {
                leases::acquire(conn, name, &holder_owned, now, now + ttl_ms())
            })
            .await?;
        Ok(fence.map(|fence| Self::start(db.clone(), clock.clone(), fence, asked)))
    }

    /// Take the lease, waiting up to `patience` for another holder to free it.
    pub async fn take(
        db: &Db,
        clock: &Arc<dyn Clock>,
        name: &'static str,
        holder: &str,
        patience: Duration,
    ) -> Result<Option<Held>, AppError> {
        let give_up = Instant::now() + patience;
        loop {
            if let Some(held) = Self::try_take(db, clock, name, holder).await? {
                return Ok(Some(held));
            }
            if Instant::now() + POLL > give_up {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn start(db: Db, clock: Arc<dyn Clock>, fence: Fence, asked: Instant) -> Self {
        let alive = Alive {
            deadline: Arc::new(Mutex::new(asked + TTL - MARGIN)),
            lost: Arc::new(AtomicBool::new(false)),
        };
        // Renewals must not wait behind requests for a connection.
        let renewer = tokio::spawn(renew(db.background(), clock, fence.clone(), alive.clone()));
        Self {
            db,
            fence,
            alive,
            renewer,
        }
    }

    /// What a write that depends on this lease checks in its transaction.
    pub fn fence(&self) -> Fence {
        self.fence.clone()
    }

    /// Whether this process may still act under the lease.
    pub fn alive(&self) -> Alive {
        self.alive.clone()
    }

    /// Free the lease for the next taker.
    pub async fn release(self) {
        self.renewer.abort();
        let fence = self.fence.clone();
        if let Err(error) = self
            .db
            .write_aside(move |conn| leases::release(conn, &fence))
            .await
        {
            tracing::warn!(lease = self.fence.name, %error, "cannot free the lease; it runs out by itself");
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Dropped without release (an error path): stop renewing, so the
        // lease runs out by itself.
        self.renewer.abort();
    }
}

async fn renew(db: Db, clock: Arc<dyn Clock>, fence: Fence, alive: Alive) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let asked = Instant::now();
        let renewing = fence.clone();
        let until = now_ms(clock.as_ref()) + ttl_ms();
        match db
            .write_aside(move |conn| leases::renew(conn, &renewing, until))
            .await
        {
            Ok(true) => {
                *alive.deadline.lock().unwrap_or_else(|p| p.into_inner()) = asked + TTL - MARGIN;
            }
            Ok(false) => {
                tracing::warn!(
                    lease = fence.name,
                    "lease taken over by another process; stopping"
                );
                alive.lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(error) => {
                tracing::warn!(lease = fence.name, %error, "cannot renew the lease; retrying");
            }
        }
    }
}

/// Free every lease this process holds, when it shuts down after its
/// workers stopped: the next replica takes the work over at once instead
/// of after [`TTL`].
pub async fn release_all(db: &Db, holder: &str) -> Result<usize, AppError> {
    let holder = holder.to_owned();
    db.write_aside(move |conn| leases::release_all(conn, &holder))
        .await
}

/// Inside a write transaction: fail unless the lease is still held.
pub fn check(conn: crate::store::Conn<'_>, fence: &Fence) -> Result<(), AppError> {
    if leases::holds(conn, fence)? {
        Ok(())
    } else {
        Err(AppError::Unavailable(format!(
            "the {} lease was taken over by another process",
            fence.name
        )))
    }
}
