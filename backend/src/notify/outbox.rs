//! What the delivery worker and each channel share: the outbox as this
//! server delivers it, what became of one message, and the key that names a
//! message for good. Below both `deliver` (which picks the channel) and the
//! channels (`slack`, `email`), so neither imports the other.

use std::sync::Arc;

use super::NotifyConfig;
use crate::{clock::Clock, db::Db, store::notifications::Pending};

/// What delivery works with: the store, the clock, the channels, a lock held
/// while this process delivers and its name for the outbox lease, which keeps
/// other processes from delivering at the same time. The
/// server's state gives one (`Outbox::from(&state)`), so callers hand their
/// state to [`super::deliver::deliver_due`] and [`super::deliver::run`].
#[derive(Clone)]
pub struct Outbox {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<NotifyConfig>,
    pub delivering: Arc<tokio::sync::Mutex<()>>,
    pub replica: Arc<str>,
}

impl Outbox {
    pub(super) fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
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

/// What names an outbox message for good, sent with it (e-mail Message-ID,
/// Slack message metadata): a message sent again after a crash between
/// sending and recording carries the same key.
pub fn idempotency_key(row: &Pending) -> String {
    format!("gatehouse-outbox-{}-{}", row.id, row.user_id)
}
