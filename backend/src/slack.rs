//! The Slack app: a slash command, the Request Access modal, the Home tab,
//! messages with buttons, and approval from chat. Every request from Slack is
//! verified with the signing secret before anything else is read; the acting
//! Slack user is resolved to a Gatehouse user by verified e-mail every time;
//! and every action goes through the same engine functions as the REST API.

pub mod blocks;
mod endpoint;
pub mod handlers;
pub mod home;
pub mod identity;
mod interactions;
pub mod messages;
pub mod modal;
pub mod verify;

pub use crate::notify::slack::{SlackApi, SlackConfig, SlackError};

/// Slack's Web API, unless configured otherwise (tests use a local fake).
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";
pub const DEFAULT_COMMAND: &str = "/gatehouse";
