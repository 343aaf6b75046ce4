//! What every handler can reach: the database, the clock and the portal.

use std::sync::Arc;

use axum::body::Bytes;

use crate::{
    clock::Clock,
    connector::{Connector, DemoConnector},
    db::Db,
    engine::{Engine, Provisioning},
    memo::{Memo, Tag},
    notify::{NotifyConfig, deliver::Outbox},
    ops::Ops,
    portal::Portal,
    secrets::SecretBox,
    store::{requests::RequestList, users::UserRecord},
};

/// Who a session cookie (`false`) or API token (`true`), by hash, belongs to.
const SIGNED_IN_ENTRIES: usize = 4096;
/// Request list pages, about 45 KB each at 50 per page.
const PAGE_ENTRIES: usize = 256;

/// What a request list page depends on: the list, the viewer and the query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub list: RequestList,
    pub viewer: (i64, bool),
    pub statuses: Vec<gatehouse_shared::RequestStatus>,
    pub cursor: Option<i64>,
    pub limit: u32,
}

/// Answers kept while the data and the second stay the same ([`crate::memo`]).
pub struct Memos {
    pub signed_in: Memo<(bool, Vec<u8>), UserRecord>,
    /// Request list pages as sent (JSON), per list, viewer and query.
    pub request_pages: Memo<PageKey, Bytes>,
}

impl Default for Memos {
    fn default() -> Self {
        Self {
            signed_in: Memo::new(SIGNED_IN_ENTRIES),
            request_pages: Memo::new(PAGE_ENTRIES),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub portal: Arc<Portal>,
    pub connector: Arc<dyn Connector>,
    /// Held while calling connectors, beside the provisioning lease, so a
    /// request is never provisioned twice at once.
    pub provisioning: Arc<Provisioning>,
    /// Seals secrets at rest (MFA seeds); the server's key file in production.
    pub secrets: Arc<SecretBox>,
    /// Where notifications go (Slack, e-mail) and the portal's public address.
    pub notify: Arc<NotifyConfig>,
    /// Held while delivering the outbox, so no two passes of this process
    /// run at once (the outbox lease keeps other processes out).
    pub delivering: Arc<tokio::sync::Mutex<()>>,
    pub memos: Arc<Memos>,
    /// This process's name among the replicas on the database (leases).
    pub replica: Arc<str>,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<crate::proxy::TrustedProxies>,
    /// Readiness, metrics and who may read them.
    pub ops: Arc<Ops>,
    /// The identity provider's metadata and keys, as last read.
    pub providers: Arc<crate::idp::Providers>,
    /// The bounded pool that hashes and checks passwords.
    pub passwords: crate::passwords::Passwords,
    /// Log-in attempts being checked now, per user name and address.
    pub login_attempts: Arc<crate::login_limit::InFlight>,
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            portal: Arc::new(Portal::load()),
            connector: Arc::new(DemoConnector),
            provisioning: Arc::new(Provisioning::default()),
            secrets: Arc::new(SecretBox::random()),
            notify: Arc::new(NotifyConfig::default()),
            delivering: Arc::new(tokio::sync::Mutex::new(())),
            memos: Arc::new(Memos::default()),
            replica: crate::lease::replica_name().into(),
            trusted_proxies: Arc::default(),
            ops: Arc::new(Ops::default()),
            providers: Arc::default(),
            passwords: crate::passwords::Passwords::default(),
            login_attempts: Arc::default(),
        }
    }

    /// The same state hashing passwords in this pool (`--password-workers`).
    pub fn with_passwords(mut self, passwords: crate::passwords::Passwords) -> Self {
        self.passwords = passwords;
        self
    }

    /// The same state sealing secrets with this box (the server's key file).
    pub fn with_secrets(mut self, secrets: SecretBox) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    /// The same state taking client addresses from these proxies' `X-Forwarded-For`.
    pub fn with_trusted_proxies(mut self, proxies: crate::proxy::TrustedProxies) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
    }

    /// The same state with these notification channels.
    pub fn with_notify(mut self, notify: NotifyConfig) -> Self {
        self.notify = Arc::new(notify);
        self
    }

    /// The same state with these operations settings (metrics token and address).
    pub fn with_ops(mut self, ops: Ops) -> Self {
        self.ops = Arc::new(ops);
        self
    }

    /// The same state with another connector (tests use failing ones).
    pub fn with_connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = connector;
        self
    }

    /// The same state for background work: its database calls take
    /// connections from the background lane ([`Db::background`]).
    pub fn background(&self) -> Self {
        let mut state = self.clone();
        state.db = self.db.background();
        state
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The engine's part of this state: what it works with, none of the HTTP.
    pub fn engine(&self) -> Engine {
        Engine {
            db: self.db.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            provisioning: self.provisioning.clone(),
            secrets: self.secrets.clone(),
            replica: self.replica.clone(),
        }
    }

    /// The tag for answers computed from here on at the clock second `now`
    /// (take it before the work); None when the data version is unknown.
    pub async fn memo_tag(&self, now: i64) -> Option<Tag> {
        Some((self.db.generation().await?, now))
    }
}

/// The outbox as this server delivers it.
impl From<&AppState> for Outbox {
    fn from(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            clock: state.clock.clone(),
            config: state.notify.clone(),
            delivering: state.delivering.clone(),
            replica: state.replica.clone(),
        }
    }
}

impl From<AppState> for Outbox {
    fn from(state: AppState) -> Self {
        Self::from(&state)
    }
}
