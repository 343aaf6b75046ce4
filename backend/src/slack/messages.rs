//! Direct messages (the app's Messages tab): outbox notices, and replies to
//! what a user did in Slack.

use serde_json::{Value, json};

use super::{SlackConfig, SlackError, blocks, identity};
use crate::{
    notify::{
        deliver::Outcome,
        notice::{self, Notice},
    },
    state::AppState,
    store::{self, notifications::Pending},
};

fn outcome_of(error: SlackError) -> Outcome {
    if error.is_temporary() {
        Outcome::Retry(error.to_string())
    } else {
        Outcome::Failed(error.to_string())
    }
}

/// Deliver one outbox row by Slack.
pub async fn deliver(
    state: &AppState,
    config: &SlackConfig,
    row: &Pending,
    notice: &Notice,
) -> Outcome {
    if row.kind == notice::APPROVAL_CLOSED {
        return close_approvals(state, config, row, notice).await;
    }
    let slack_user = match identity::slack_id_for_email(config, &row.email).await {
        Ok(Some(id)) => id,
        Ok(None) => return Outcome::Skipped("no Slack user has this user's e-mail address".into()),
        Err(error) => return outcome_of(error),
    };
    let chat_approval = match state.db.call(store::notifications::chat_approval).await {
        Ok(value) => value,
        Err(error) => return Outcome::Retry(error.to_string()),
    };
    let (text, message) = blocks::notice_message(notice, &state.notify, chat_approval);
    let answer = match post(config, &slack_user, &text, message).await {
        Ok(answer) => answer,
        Err(error) => return outcome_of(error),
    };
    if row.kind == notice::APPROVAL {
        let channel = identity::text(&answer, "channel").to_owned();
        let ts = identity::text(&answer, "ts").to_owned();
        let (request_id, user_id) = (notice.request_id, row.user_id);
        if let Err(error) = state
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
    state: &AppState,
    config: &SlackConfig,
    row: &Pending,
    notice: &Notice,
) -> Outcome {
    let (request_id, user_id) = (notice.request_id, row.user_id);
    let sent = match state
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
        if let Err(error) = state
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
    config
        .api
        .call(
            "chat.postMessage",
            json!({"channel": slack_user, "text": blocks::clip(text, 3000), "blocks": message, "unfurl_links": false}),
        )
        .await
}

/// Post a short text to a Slack user, logging (not failing) when it cannot.
pub async fn tell(config: &SlackConfig, slack_user: &str, text: &str) {
    if let Err(error) = post(config, slack_user, text, vec![blocks::section(text)]).await {
        tracing::warn!(%error, "cannot send a Slack message");
    }
}
