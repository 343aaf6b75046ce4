//! Signing in through the company's identity provider (OpenID Connect), and
//! provisioning from it (SCIM).

use serde::{Deserialize, Serialize};

/// How people may sign in here: `GET /api/v1/sso` (no sign-in needed), which
/// the log-in page reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInOptions {
    /// The identity provider's button, when sign-in with it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderButton>,
    /// Passwords work for everyone; when false, only for break-glass admins.
    pub passwords: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderButton {
    /// Shown as "Sign in with {name}".
    pub name: String,
    /// Where the button goes (add `?return_to=/path`).
    pub start_url: String,
}

/// The identity provider's settings as admins see them (`GET /api/v1/admin/sso`).
/// The client secret is never shown, only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSettings {
    #[serde(flatten)]
    pub input: SsoSettingsInput,
    pub client_secret_set: bool,
    /// What to register at the provider as the redirect (callback) URL.
    pub redirect_url: String,
    /// A SCIM bearer token exists (`POST /api/v1/admin/scim-token` makes or rotates it).
    pub scim_token_set: bool,
    /// Where SCIM clients (Okta, Entra ID) send users and groups.
    pub scim_base_url: String,
}

/// Body of `PUT /api/v1/admin/sso`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "enabled": true, "display_name": "Okta", "issuer": "https://example.okta.com",
    "client_id": "0oa1b2c3", "client_secret": "…", "scopes": ["email", "profile", "groups"],
    "groups_claim": "groups", "admin_group": "gatehouse-admins",
    "password_login": false, "break_glass_admins": ["admin"]})))]
pub struct SsoSettingsInput {
    /// Sign-in with the provider is offered.
    pub enabled: bool,
    /// The provider's name on the button: "Sign in with {display_name}".
    pub display_name: String,
    /// The issuer URL; its `/.well-known/openid-configuration` is read.
    pub issuer: String,
    pub client_id: String,
    /// Write-only (never in an answer); left out on update, the stored one
    /// stays; an empty string removes it (a public client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that lists the user's groups (ID token, else UserInfo).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Members of this provider group are Gatehouse admins; others are not.
    /// None: admin rights are kept as set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_group: Option<String>,
    /// Local passwords work for everyone. When false, only the break-glass
    /// admins below may use one (needs `enabled`).
    #[serde(default = "yes")]
    pub password_login: bool,
    /// Usernames of local admins who keep their password when passwords are off.
    #[serde(default)]
    pub break_glass_admins: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}

fn default_groups_claim() -> String {
    "groups".into()
}

fn yes() -> bool {
    true
}

impl Default for SsoSettingsInput {
    fn default() -> Self {
        Self {
            enabled: false,
            display_name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            scopes: default_scopes(),
            groups_claim: default_groups_claim(),
            admin_group: None,
            password_login: true,
            break_glass_admins: Vec::new(),
        }
    }
}

/// A new SCIM token: shown once.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedScimToken {
    /// Give it to the identity provider as the SCIM bearer token.
    pub token: String,
    pub scim_base_url: String,
}

impl std::fmt::Debug for CreatedScimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreatedScimToken(<secret redacted>)")
    }
}
