//! What the engine works with, and nothing of the HTTP layer: the store,
//! the clock, the connectors, the key that seals secrets, and this
//! process's place among the replicas. Handlers make it from their own
//! state ([`crate::state::AppState::engine`]); workers, Slack and MCP too.

use std::sync::Arc;

use crate::{clock::Clock, connector::Connector, db::Db, secrets::SecretBox};

/// The engine's context: cheap to clone (every part is shared).
#[derive(Clone)]
pub struct Engine {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// The connector for integrations of the demo kind (tests put failing
    /// ones here); the others are built from their settings.
    pub connector: Arc<dyn Connector>,
    /// Held while calling connectors, beside the provisioning lease, so a
    /// request is never provisioned twice at once.
    pub provisioning: Arc<Provisioning>,
    /// Seals secrets at rest (credentials, MFA seeds, the SSH CA key).
    pub secrets: Arc<SecretBox>,
    /// This process's name among the replicas on the database (leases).
    pub replica: Arc<str>,
}

impl Engine {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}

/// Provisioning passes of this server: one at a time, numbered (the
/// provisioning lease keeps other processes' passes out).
#[derive(Default)]
pub struct Provisioning {
    /// Held while calling connectors; holds the number of the last pass
    /// that finished.
    pub lock: tokio::sync::Mutex<u64>,
    /// The number of the last pass that started.
    pub started: std::sync::atomic::AtomicU64,
}
