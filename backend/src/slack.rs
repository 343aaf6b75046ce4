//! The Slack app: a slash command, the Request Access modal, the Home tab,
//! messages with buttons, and approval from chat. Every request from Slack is
//! verified with the signing secret before anything else is read; the acting
//! Slack user is resolved to a Gatehouse user by verified e-mail every time;
//! and every action goes through the same engine functions as the REST API.

pub mod api;
pub mod blocks;
pub mod handlers;
pub mod home;
pub mod identity;
pub mod messages;
pub mod modal;
pub mod verify;

use crate::notify::Secret;

pub use api::{SlackApi, SlackError};

/// Slack's Web API, unless configured otherwise (tests use a local fake).
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";
pub const DEFAULT_COMMAND: &str = "/gatehouse";

/// The Slack app's configuration; `Debug` never shows the secrets.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub signing_secret: Secret,
    /// The slash command as installed (e.g. `/gatehouse`), shown in help texts.
    pub command: String,
    pub api: SlackApi,
}

impl SlackConfig {
    pub fn new(bot_token: Secret, signing_secret: Secret, api_base: &str, command: &str) -> Self {
        let command = command.trim();
        let command = if command.starts_with('/') {
            command.to_owned()
        } else {
            format!("/{command}")
        };
        Self {
            signing_secret,
            command,
            api: SlackApi::new(api_base, bot_token),
        }
    }
}
