//! Log-in, the signed-in user, and personal API tokens.

use serde::{Deserialize, Serialize};

/// Credentials for `POST /api/v1/session`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"username": "alice", "password": "correct horse"})))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The signed-in user, as `GET /api/v1/me` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    /// Admins manage the catalog, access flows, users and groups.
    pub is_admin: bool,
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTokenRequest {
    /// A name to recognise the token by, e.g. "deploy script".
    pub name: String,
    /// Days until the token stops working (1 to 366); absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

/// A personal API token as listed (the secret is never listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: time::OffsetDateTime,
    /// When it stops working; absent: until revoked.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<time::OffsetDateTime>,
}

/// A freshly created token: the only time the secret is shown.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Shown once.
    pub secret: String,
}

impl std::fmt::Debug for CreatedApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// My MFA state: `GET /api/v1/mfa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaStatus {
    /// An authenticator app is set up and has confirmed a code.
    pub enrolled: bool,
    /// Until when my last confirmation counts (one hour after it).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub confirmed_until: Option<time::OffsetDateTime>,
}

/// A new enrolment: the seed for the authenticator app, shown once.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaEnrolment {
    /// Base32 seed, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…` for the QR code.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for MfaEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaEnrolment(<secret redacted>)")
    }
}

/// A six-digit code from the authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"code": "492039"})))]
pub struct MfaCode {
    pub code: String,
}
