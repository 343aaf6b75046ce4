//! A small client of Slack's Web API: JSON (or form) POSTs with the bot
//! token, answered with `{"ok": true, …}` or `{"ok": false, "error": "…"}`.
//! Calls are blocking (ureq) and run on tokio's blocking pool.

use std::time::Duration;

use serde_json::Value;

use crate::notify::Secret;

#[derive(Clone)]
pub struct SlackApi {
    base: String,
    token: Secret,
    agent: ureq::Agent,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApi")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok: false` with this error code (e.g. `users_not_found`).
    #[error("Slack refused: {0}")]
    Api(String),
    /// No answer, or not one Slack would give (network, 5xx, rate limit).
    #[error("cannot reach Slack: {0}")]
    Transport(String),
}

impl SlackError {
    /// Whether trying again later may succeed.
    pub fn is_temporary(&self) -> bool {
        match self {
            SlackError::Transport(_) => true,
            SlackError::Api(code) => matches!(
                code.as_str(),
                "ratelimited"
                    | "internal_error"
                    | "fatal_error"
                    | "service_unavailable"
                    | "request_timeout"
            ),
        }
    }
}

impl SlackApi {
    pub fn new(base: &str, token: Secret) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(10))
                .build(),
        }
    }

    /// Call a method with a JSON body (chat.*, views.*).
    pub async fn call(&self, method: &str, body: Value) -> Result<Value, SlackError> {
        let api = self.clone();
        let method = method.to_owned();
        tokio::task::spawn_blocking(move || {
            let response = api
                .agent
                .post(&format!("{}/{method}", api.base))
                .set("Authorization", &format!("Bearer {}", api.token.expose()))
                .send_json(body);
            answer(response)
        })
        .await
        .map_err(|error| SlackError::Transport(format!("task failed: {error}")))?
    }

    /// Call a method with form arguments (users.info, users.lookupByEmail).
    pub async fn call_form(
        &self,
        method: &str,
        args: Vec<(&'static str, String)>,
    ) -> Result<Value, SlackError> {
        let api = self.clone();
        let method = method.to_owned();
        tokio::task::spawn_blocking(move || {
            let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = api
                .agent
                .post(&format!("{}/{method}", api.base))
                .set("Authorization", &format!("Bearer {}", api.token.expose()))
                .send_form(&pairs);
            answer(response)
        })
        .await
        .map_err(|error| SlackError::Transport(format!("task failed: {error}")))?
    }
}

fn answer(response: Result<ureq::Response, ureq::Error>) -> Result<Value, SlackError> {
    let response = match response {
        Ok(response) => response,
        Err(ureq::Error::Status(429, _)) => return Err(SlackError::Api("ratelimited".into())),
        Err(ureq::Error::Status(code, _)) => {
            return Err(SlackError::Transport(format!("HTTP {code}")));
        }
        Err(error) => return Err(SlackError::Transport(error.to_string())),
    };
    let body: Value = response
        .into_json()
        .map_err(|error| SlackError::Transport(format!("unreadable answer: {error}")))?;
    if body.get("ok").and_then(Value::as_bool) == Some(true) {
        Ok(body)
    } else {
        Err(SlackError::Api(
            body.get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error")
                .to_owned(),
        ))
    }
}

/// A string field of a JSON value (a Slack answer or payload), or "".
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}
