//! Who is acting in Slack: the Slack user is looked up (users.info) on every
//! request and mapped to the one Gatehouse user with the same, verified,
//! e-mail address. Nothing is cached, so a Slack account that was removed or
//! whose e-mail changed stops acting at once.

use super::SlackConfig;
pub use crate::notify::slack::api::text;
use crate::{error::AppError, state::AppState, store, store::users::UserRecord};

/// The Gatehouse user behind a Slack user, or what to tell them.
#[derive(Debug, Clone)]
pub enum Identity {
    Known(UserRecord),
    Unknown(String),
}

pub async fn resolve(
    state: &AppState,
    config: &SlackConfig,
    slack_user: &str,
) -> Result<Identity, AppError> {
    let answer = match config
        .api
        .call_form("users.info", vec![("user", slack_user.to_owned())])
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, slack_user, "users.info failed");
            return Ok(Identity::Unknown(
                "Gatehouse could not check who you are with Slack just now. Try again in a minute."
                    .into(),
            ));
        }
    };
    let user = &answer["user"];
    let email = user["profile"]["email"].as_str().unwrap_or_default().trim();
    let unmapped = |why: &str| {
        Identity::Unknown(format!(
            "{why} Gatehouse matches Slack users to Gatehouse users by e-mail address: ask your Gatehouse admin to add an account with the e-mail address of your Slack profile."
        ))
    };
    if user["deleted"].as_bool() == Some(true) || user["is_bot"].as_bool() == Some(true) {
        return Ok(unmapped("This Slack account cannot use Gatehouse."));
    }
    if email.is_empty() {
        return Ok(unmapped(
            "Your Slack profile shows no e-mail address to Gatehouse.",
        ));
    }
    if user["is_email_confirmed"].as_bool() != Some(true) {
        return Ok(unmapped(
            "The e-mail address of your Slack profile is not verified.",
        ));
    }
    let email = email.to_owned();
    let found = state
        .db
        .call(move |conn| store::notifications::user_by_email(conn, &email))
        .await?;
    Ok(match found {
        Some(user) => Identity::Known(user),
        None => unmapped("Your Slack account is not linked to a Gatehouse user."),
    })
}
