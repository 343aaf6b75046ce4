//! Notifications: what happened to a request, told to the people it concerns
//! by Slack direct message and e-mail.
//!
//! Every status change is written to the audit log inside the transaction
//! that makes it; the engine then calls [`notice::on_audit`] there, which
//! renders the notices and writes them to the outbox in that same
//! transaction. [`deliver`] sends what the outbox holds, by [`slack`] and
//! [`email`], retrying with backoff, so nothing is lost while Slack or the
//! mail server is down, nor when the server restarts.

pub mod deliver;
pub mod email;
pub mod notice;
pub mod outbox;
pub mod slack;

use std::sync::Arc;

use slack::SlackConfig;

/// A configuration value that must never reach a log: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where notifications go and how links back to the portal are written.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The portal's address as people reach it, without a trailing slash.
    pub public_url: String,
    pub slack: Option<Arc<SlackConfig>>,
    pub email: Option<Arc<email::EmailConfig>>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            slack: None,
            email: None,
        }
    }
}

impl NotifyConfig {
    /// A link to a portal page (`path` starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
}
