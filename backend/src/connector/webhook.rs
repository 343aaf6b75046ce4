//! The webhook connector: grant, extend, revoke and reset are JSON POSTs to
//! the integration's URL, signed with HMAC-SHA256 so the receiver can tell
//! they come from Gatehouse. A 2xx answer means done; its JSON body may carry
//! credentials and instructions for the grantee. Failures are retried with
//! backoff by the provisioning worker.
//!
//! Signature: `X-Gatehouse-Signature: sha256=<hex>` over
//! `<X-Gatehouse-Timestamp>.<body>`, keyed with the integration's secret.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{Connector, Credentials, Grant, Outcome};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    url: String,
    secret: String,
    /// Failed grant attempts before the request ends Failed.
    #[serde(default = "default_attempts")]
    grant_attempts: u32,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
}

fn default_attempts() -> u32 {
    5
}

fn default_timeout() -> u64 {
    10
}

pub struct WebhookConnector {
    settings: Settings,
    agent: ureq::Agent,
    /// Dates each call's signed timestamp: the server's clock.
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl std::fmt::Debug for WebhookConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConnector")
            .field("url", &self.settings.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl WebhookConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let settings: Settings = serde_json::from_value(settings)
            .map_err(|error| format!("Webhook settings: {error}"))?;
        if !(settings.url.starts_with("https://") || settings.url.starts_with("http://")) {
            return Err("Webhook settings: url must start with https:// or http://".into());
        }
        if settings.secret.len() < 16 {
            return Err("Webhook settings: secret must be at least 16 characters".into());
        }
        if !(1..=20).contains(&settings.grant_attempts) {
            return Err("Webhook settings: grant_attempts must be 1 to 20".into());
        }
        if !(1..=60).contains(&settings.timeout_seconds) {
            return Err("Webhook settings: timeout_seconds must be 1 to 60".into());
        }
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(settings.timeout_seconds))
            .redirects(0)
            .build();
        Ok(Self {
            settings,
            agent,
            clock: std::sync::Arc::new(crate::clock::SystemClock),
        })
    }

    /// The same connector dating its calls by `clock` (the server's).
    pub fn dated_by(mut self, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn post(&self, event: &str, grant: Option<&Grant>) -> Result<Option<Value>, String> {
        let body = match grant {
            Some(grant) => json!({
                "event": event,
                "request_id": grant.request_id,
                "integration": {"id": grant.integration_id, "name": grant.integration_name},
                "grantee": {"username": grant.grantee_username, "email": grant.grantee_email},
                "login": grant.login,
                "expires_at": grant.expires_at,
                "items": grant.items,
            }),
            None => json!({"event": event}),
        }
        .to_string();
        let timestamp = self.clock.now().unix_timestamp().to_string();
        let signature = sign(&self.settings.secret, &timestamp, &body);
        let answer = self
            .agent
            .post(&self.settings.url)
            .set("Content-Type", "application/json")
            .set("X-Gatehouse-Event", event)
            .set("X-Gatehouse-Timestamp", &timestamp)
            .set("X-Gatehouse-Signature", &signature)
            .send_string(&body);
        match answer {
            // With redirects off, a 3xx arrives here: it is not "done".
            Ok(response) if !(200..300).contains(&response.status()) => Err(format!(
                "webhook answered {} (only 2xx means done)",
                response.status()
            )),
            Ok(response) => {
                let text = response
                    .into_string()
                    .map_err(|error| format!("webhook answer unreadable: {error}"))?;
                if text.trim().is_empty() {
                    Ok(None)
                } else {
                    serde_json::from_str(&text)
                        .map(Some)
                        .map_err(|error| format!("webhook answered with invalid JSON: {error}"))
                }
            }
            Err(ureq::Error::Status(code, response)) => {
                let text = response.into_string().unwrap_or_default();
                let text: String = text.chars().take(200).collect();
                Err(format!("webhook answered {code}: {text}"))
            }
            // The kind only: the error's text carries the URL, which may hold credentials.
            Err(error) => Err(format!("webhook unreachable ({})", error.kind())),
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of "timestamp.body">`.
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable_hmac());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("sha256={}", crate::hex::encode(&digest))
}

/// HMAC accepts keys of any length; this is never reached.
fn unreachable_hmac() -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable_hmac())
}

fn credentials(answer: Option<Value>) -> Result<Credentials, String> {
    match answer {
        None => Ok(Credentials::default()),
        Some(value) => serde_json::from_value(value)
            .map_err(|error| format!("webhook answer is not credentials: {error}")),
    }
}

impl Connector for WebhookConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        credentials(self.post("grant", Some(grant))?).map(Outcome::Done)
    }

    fn extend(&self, grant: &Grant) -> Result<(), String> {
        self.post("extend", Some(grant)).map(drop)
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        self.post("revoke", Some(grant))?;
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, grant: &Grant) -> Result<Credentials, String> {
        let credentials = credentials(self.post("reset_credentials", Some(grant))?)?;
        if credentials.secret.is_none() {
            return Err("the webhook did not answer with a new secret".into());
        }
        Ok(credentials)
    }

    fn check(&self) -> Result<String, String> {
        self.post("ping", None)?;
        Ok(format!("{} answered the ping.", self.settings.url))
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_computation() {
        // python3: hmac.new(b'0123456789abcdef', b'1700000000.{"event":"ping"}', hashlib.sha256).hexdigest()
        assert_eq!(
            sign("0123456789abcdef", "1700000000", r#"{"event":"ping"}"#),
            "sha256=aa5e99c564e20420ee92d14459487b345c80fffe779f1e71de508602a0c1f675"
        );
        assert_ne!(
            sign("0123456789abcdef", "1700000001", r#"{"event":"ping"}"#),
            sign("0123456789abcdef", "1700000000", r#"{"event":"ping"}"#)
        );
    }

    #[test]
    fn settings_are_checked() {
        assert!(
            WebhookConnector::from_settings(json!({"url": "https://x", "secret": "short"}))
                .is_err()
        );
        assert!(
            WebhookConnector::from_settings(
                json!({"url": "https://x", "secret": "0123456789abcdef"})
            )
            .is_ok()
        );
        let debug = format!(
            "{:?}",
            WebhookConnector::from_settings(
                json!({"url": "https://x", "secret": "0123456789abcdef"})
            )
            .unwrap()
        );
        assert!(!debug.contains("0123456789abcdef"));
    }
}
