//! Access Details and Connect: what a grantee needs to use an active access,
//! per integration of a request. The secret itself travels only in
//! [`RevealedSecret`], once.

use serde::{Deserialize, Serialize};

/// Ready-made ways to connect, as the integration offers them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectOptions {
    /// Open in my Terminal: a command to paste (or what `gatehouse connect` runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
    /// Open in Browser: a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// Open in App: a deep link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

impl ConnectOptions {
    pub fn is_empty(&self) -> bool {
        self.terminal.is_none() && self.browser.is_none() && self.app.is_none()
    }
}

/// Where the access stands in one integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    /// Granting failed and is retried.
    Pending,
    /// Waiting for a person to grant it (manual connector).
    Waiting,
    Granted,
    /// Waiting for a person to remove it (manual connector).
    Removing,
    Removed,
}

impl GrantState {
    pub const fn label(self) -> &'static str {
        match self {
            GrantState::Pending => "pending",
            GrantState::Waiting => "waiting",
            GrantState::Granted => "granted",
            GrantState::Removing => "removing",
            GrantState::Removed => "removed",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        [
            GrantState::Pending,
            GrantState::Waiting,
            GrantState::Granted,
            GrantState::Removing,
            GrantState::Removed,
        ]
        .into_iter()
        .find(|state| state.label() == label)
    }
}

/// Access Details for one integration of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessDetails {
    pub request_id: i64,
    pub integration_id: i64,
    pub integration_name: String,
    pub state: GrantState,
    /// The message from the admin about this integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_message: Option<String>,
    /// Log-in name in the target system, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// The connection options the integration offers, filled in.
    pub connect: ConnectOptions,
    /// The CLI command that fetches fresh credentials and connects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_command: Option<String>,
    /// A secret waits to be revealed (once).
    pub secret_available: bool,
    /// The secret was revealed already; only Reset Credentials gives a new one.
    pub secret_shown: bool,
    /// Credentials changed since the grantee last saw them.
    pub credentials_rotated: bool,
    /// Whether the caller may reveal and reset (the grantee, while Active).
    pub can_reset: bool,
    /// Why the last attempt to grant or remove failed, while it is retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Failed attempts so far (reset when one succeeds).
    #[serde(default)]
    pub attempts: i64,
}

/// The secret, handed over once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedSecret {
    pub request_id: i64,
    pub integration_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub secret: String,
}

/// Body of marking a manual grant or removal done.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FulfilmentInput {
    /// On a grant: the log-in name handed to the grantee.
    #[serde(default)]
    pub username: Option<String>,
    /// On a grant: a secret handed to the grantee once.
    #[serde(default)]
    pub secret: Option<String>,
    /// On a grant: how to use the access.
    #[serde(default)]
    pub instructions: Option<String>,
}

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedSecret")
            .field("request_id", &self.request_id)
            .field("integration_id", &self.integration_id)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for FulfilmentInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FulfilmentInput")
            .field("username", &self.username)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("instructions", &self.instructions)
            .finish()
    }
}

/// A manual grant or removal waiting on a fulfiller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fulfilment {
    pub request_id: i64,
    pub integration_id: i64,
    pub integration_name: String,
    /// `waiting` (grant it) or `removing` (remove it).
    pub state: GrantState,
    pub grantee: String,
    /// `resource path: permission` lines.
    pub items: Vec<String>,
    /// Unix seconds; when the access ends (absent until it is granted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// Result of testing an integration's connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionCheck {
    pub ok: bool,
    pub message: String,
}

/// Result of syncing an integration's catalog from the target system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResult {
    /// Resources found in the target system.
    pub found: usize,
    /// Of those, new to the catalog.
    pub added: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_states_round_trip_their_labels() {
        for state in [
            GrantState::Pending,
            GrantState::Waiting,
            GrantState::Granted,
            GrantState::Removing,
            GrantState::Removed,
        ] {
            assert_eq!(GrantState::from_label(state.label()), Some(state));
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::String(state.label().into())
            );
        }
        assert_eq!(GrantState::from_label("granting"), None);
    }
}
