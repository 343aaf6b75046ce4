//! Notices by Slack direct message (the app's Messages tab): the Web API
//! client, Block Kit, and delivery of outbox rows. The Slack app (`slack/`,
//! a handler above the engine) talks to Slack with the same client and builds
//! its views with the same blocks.

pub mod api;
pub mod blocks;

use serde_json::{Value, json};

pub use api::{SlackApi, SlackError};

use super::{
    Secret,
    notice::{self, Notice},
    outbox::{Outbox, Outcome, idempotency_key},
};
use crate::store::{self, notifications::Pending};

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

fn outcome_of(error: SlackError) -> Outcome {
    if error.is_temporary() {
        Outcome::Retry(error.to_string())
    } else {
        Outcome::Failed(error.to_string())
    }
}

/// Deliver one outbox row by Slack.
pub async fn deliver(
    outbox: &Outbox,
    config: &SlackConfig,
    row: &Pending,
    notice: &Notice,
) -> Outcome {
    if row.kind == notice::APPROVAL_CLOSED {
        return close_approvals(outbox, config, row, notice).await;
    }
    let slack_user = match slack_id_for_email(config, &row.email).await {
        Ok(Some(id)) => id,
        Ok(None) => return Outcome::Skipped("no Slack user has this user's e-mail address".into()),
        Err(error) => return outcome_of(error),
    };
    let chat_approval = match outbox.db.call(store::notifications::chat_approval).await {
        Ok(value) => value,
        Err(error) => return Outcome::Retry(error.to_string()),
    };
    let (text, message) = blocks::notice_message(notice, &outbox.config, chat_approval);
    let answer = match post_keyed(
        config,
        &slack_user,
        &text,
        message,
        Some(&idempotency_key(row)),
    )
    .await
    {
        Ok(answer) => answer,
        Err(error) => return outcome_of(error),
    };
    if row.kind == notice::APPROVAL {
        let channel = api::text(&answer, "channel").to_owned();
        let ts = api::text(&answer, "ts").to_owned();
        let (request_id, user_id) = (notice.request_id, row.user_id);
        if let Err(error) = outbox
            .db
            .write(move |tx| {
                store::notifications::remember_slack_message(tx, request_id, user_id, &channel, &ts)
            })
            .await
        {
            // Delivered all the same; only the later update of its buttons is lost.
            tracing::warn!(%error, request_id, "cannot remember the approval message");
        }
    }
    Outcome::Delivered
}

/// Replace the buttons of the approval messages sent to this user.
async fn close_approvals(
    outbox: &Outbox,
    config: &SlackConfig,
    row: &Pending,
    notice: &Notice,
) -> Outcome {
    let (request_id, user_id) = (notice.request_id, row.user_id);
    let sent = match outbox
        .db
        .call(move |conn| store::notifications::slack_messages_of(conn, request_id, user_id))
        .await
    {
        Ok(sent) => sent,
        Err(error) => return Outcome::Retry(error.to_string()),
    };
    if sent.is_empty() {
        return Outcome::Skipped("no approval message to update".into());
    }
    for (channel, ts) in sent {
        let (text, message) = blocks::closed_message(notice, &notice.headline);
        if let Err(error) = config
            .api
            .call(
                "chat.update",
                json!({"channel": channel, "ts": ts, "text": text, "blocks": message}),
            )
            .await
        {
            if error.is_temporary() {
                return Outcome::Retry(error.to_string());
            }
            tracing::warn!(%error, request_id, "cannot update an approval message");
        }
        if let Err(error) = outbox
            .db
            .write(move |tx| {
                store::notifications::forget_slack_message(tx, request_id, user_id, &channel, &ts)
            })
            .await
        {
            return Outcome::Retry(error.to_string());
        }
    }
    Outcome::Delivered
}

/// Post a message to a Slack user's direct messages with the app.
pub async fn post(
    config: &SlackConfig,
    slack_user: &str,
    text: &str,
    message: Vec<Value>,
) -> Result<Value, SlackError> {
    post_keyed(config, slack_user, text, message, None).await
}

/// Post a message carrying `key` in its metadata (Slack's message
/// metadata, event type `gatehouse_notice`), so a copy sent again after a
/// crash between sending and recording can be recognised.
pub async fn post_keyed(
    config: &SlackConfig,
    slack_user: &str,
    text: &str,
    message: Vec<Value>,
    key: Option<&str>,
) -> Result<Value, SlackError> {
    let mut body = json!({"channel": slack_user, "text": blocks::clip(text, 3000), "blocks": message, "unfurl_links": false});
    if let Some(key) = key {
        body["metadata"] = json!({"event_type": "gatehouse_notice", "event_payload": {"key": key}});
    }
    config.api.call("chat.postMessage", body).await
}

/// The Slack user with this e-mail address, for direct messages. None when
/// Slack has no such user.
pub async fn slack_id_for_email(
    config: &SlackConfig,
    email: &str,
) -> Result<Option<String>, SlackError> {
    match config
        .api
        .call_form("users.lookupByEmail", vec![("email", email.to_owned())])
        .await
    {
        Ok(answer) => Ok(answer["user"]["id"].as_str().map(str::to_owned)),
        Err(SlackError::Api(code)) if code == "users_not_found" => Ok(None),
        Err(error) => Err(error),
    }
}
