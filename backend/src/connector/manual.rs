//! The manual connector: a person grants and removes the access by hand and
//! marks it done in Gatehouse (`POST /api/v1/fulfilments/...`). Until then
//! the request stays Granting (or Revoking). Fulfillers are the admins and
//! the users the integration names.

use serde::Deserialize;
use serde_json::Value;

use super::{Connector, Grant, Outcome};
use crate::secrets::SecretBox;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualSettings {
    /// Usernames who may mark grants and removals done (besides admins).
    #[serde(default)]
    pub fulfillers: Vec<String>,
}

impl ManualSettings {
    pub fn parse(settings: &Value) -> Result<Self, String> {
        match settings {
            Value::Null => Ok(Self::default()),
            other => serde_json::from_value(other.clone())
                .map_err(|error| format!("Manual settings: {error}")),
        }
    }
}

/// The usernames integration `id`'s sealed settings name as fulfillers. An
/// unreadable setting names nobody (admins still fulfil), and is logged.
pub fn fulfillers(secrets: &SecretBox, id: i64, sealed: Option<&[u8]>) -> Vec<String> {
    let opened = super::open_settings(secrets, sealed)
        .and_then(|settings| settings.map(|s| ManualSettings::parse(&s)).transpose());
    match opened {
        Ok(settings) => settings.unwrap_or_default().fulfillers,
        Err(reason) => {
            tracing::error!(
                integration = id,
                %reason,
                "manual integration settings cannot be read; only admins fulfil it"
            );
            Vec::new()
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ManualConnector;

impl Connector for ManualConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        tracing::info!(request = grant.request_id, integration = %grant.integration_name, "manual connector: waiting for a fulfiller to grant");
        Ok(Outcome::Waiting)
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        tracing::info!(request = grant.request_id, integration = %grant.integration_name, "manual connector: waiting for a fulfiller to remove");
        Ok(Outcome::Waiting)
    }

    fn extend(&self, grant: &Grant) -> Result<(), String> {
        tracing::info!(request = grant.request_id, integration = %grant.integration_name, "manual connector: the new end is shown to fulfillers");
        Ok(())
    }
}
