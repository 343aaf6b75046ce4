//! Notifications: each user's choice of channels, and the Slack settings an
//! admin controls.

use serde::{Deserialize, Serialize};

/// Where the signed-in user is told about their requests and approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPreferences {
    /// Direct messages from the Gatehouse Slack app.
    pub slack: bool,
    /// E-mail to the address on the user's account.
    pub email: bool,
    /// Whether this server is configured to send Slack messages at all.
    pub slack_available: bool,
    /// Whether this server is configured to send e-mail at all.
    pub email_available: bool,
}

/// `PUT /api/v1/me/notifications`: turn each channel on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesInput {
    pub slack: bool,
    pub email: bool,
}

/// The Slack app's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlackSettings {
    /// Approvers may approve and reject from Slack messages. When off, the
    /// messages link to the portal instead.
    pub chat_approval: bool,
    /// Whether this server has a Slack bot token and signing secret.
    pub configured: bool,
}

/// `PUT /api/v1/admin/settings/slack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlackSettingsInput {
    pub chat_approval: bool,
}
