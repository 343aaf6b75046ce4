//! Replies to what a user did in Slack, by direct message (the outbox's
//! notices are sent by [`crate::notify::slack`]).

pub use crate::notify::slack::post;

use super::{SlackConfig, blocks};

/// Post a short text to a Slack user, logging (not failing) when it cannot.
pub async fn tell(config: &SlackConfig, slack_user: &str, text: &str) {
    if let Err(error) = post(config, slack_user, text, vec![blocks::section(text)]).await {
        tracing::warn!(%error, "cannot send a Slack message");
    }
}
