//! Connectors grant and remove access in target systems. Each integration
//! names its connector (`demo`, `postgresql`, `mysql`, `ldap`, `ssh`,
//! `aws_identity_center`, `aws_role`, `webhook`, `manual`) and holds its settings sealed at rest; [`build`] turns them into
//! a [`Connector`].
//!
//! # The contract every connector keeps
//!
//! - **grant** gives one request's items to its grantee and is idempotent:
//!   granting what is already there succeeds, and a grant repeated after a
//!   crash (the target called, the outcome never recorded) ends with the
//!   access there once. Connectors that make an account name it from the
//!   request and integration ([`login_name`]), so a repeat finds it.
//! - **revoke** removes it, idempotent too: removing what is gone succeeds.
//!   Open sessions end where the target allows it.
//! - **extend** moves the end where the target keeps one (PostgreSQL's
//!   `VALID UNTIL`); elsewhere Gatehouse's own removal is the end.
//! - **reset_credentials** hands out new credentials for an access that
//!   hands out credentials; the old ones stop working.
//! - **check** (Test connection) connects with the integration's settings
//!   and says what is wrong, including missing privileges.
//! - **holdings** lists what the target grants now on the resources
//!   Gatehouse manages, to the accounts the connector governs: a removal is
//!   *verified* when the grant's login no longer holds anything, and drift is
//!   what the target holds that Gatehouse did not grant.
//! - **discover** (Sync) reads the target's resources.
//!
//! Connector calls run on the blocking pool, outside any transaction, and
//! must time out (a few seconds to connect). An `Err` carries a reason for
//! people (never a secret): shown on the request while granting is retried
//! ([`Connector::grant_attempts`] times, with backoff), and retried with
//! backoff for as long as a removal fails.
//!
//! A new kind (Kubernetes RBAC, GCP IAM…) is one module implementing
//! [`Connector`], a line in [`build`], [`KINDS`] and [`prepare_settings`], and
//! a target in the conformance suite (`backend/tests/conformance.rs`).

pub mod aws;
pub mod ldap;
pub mod manual;
pub mod mysql;
pub mod postgres;
pub mod ssh;
pub mod webhook;

use std::{fmt::Debug, sync::Arc};

use gatehouse_shared::access::ConnectOptions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One resource and permission to grant or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantItem {
    pub resource_type: String,
    pub resource_path: String,
    pub permission: String,
}

/// Everything a connector needs to act on one request in one integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub request_id: i64,
    pub integration_id: i64,
    pub integration_name: String,
    /// What the integration is (`postgresql`, `aws`, `github`…).
    pub integration_kind: String,
    pub grantee_username: String,
    pub grantee_email: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// The login name the connector handed out earlier (removal, extension, reset).
    pub login: Option<String>,
    pub items: Vec<GrantItem>,
}

/// What a grant hands to the grantee. The secret is shown once.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub connect: ConnectOptions,
}

impl Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("instructions", &self.instructions)
            .field("connect", &self.connect)
            .finish()
    }
}

/// How a grant or removal went when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done in the target system, with what the grantee needs (if anything).
    Done(Credentials),
    /// A person must do it (manual connector); the request waits.
    Waiting,
}

/// Grants and removes access in one target system.
pub trait Connector: Send + Sync + Debug + 'static {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String>;
    /// Move the access's end to `grant.expires_at`. No new credentials.
    fn extend(&self, _grant: &Grant) -> Result<(), String> {
        Ok(())
    }
    fn revoke(&self, grant: &Grant) -> Result<Outcome, String>;
    /// Issue new credentials for an existing access (Reset Credentials).
    fn reset_credentials(&self, _grant: &Grant) -> Result<Credentials, String> {
        Err("this integration's connector does not issue credentials".into())
    }
    /// Check the settings against the target system (Test connection).
    fn check(&self) -> Result<String, String> {
        Ok("nothing to check: this connector does not reach a system".into())
    }
    /// Read the target system's catalog (Sync).
    fn discover(&self) -> Result<Vec<Discovered>, String> {
        Err("this integration's connector cannot read a catalog".into())
    }
    /// What the target grants now on `resources` (resource paths), to the
    /// accounts this connector governs. `None`: this connector cannot tell.
    fn holdings(&self, _resources: &[String]) -> Result<Option<Vec<Holding>>, String> {
        Ok(None)
    }
    /// Remove access the target holds that Gatehouse did not grant or that
    /// should have ended (drift, when the integration enforces).
    fn remove_holding(&self, _holding: &Holding) -> Result<(), String> {
        Err("this connector cannot remove access it did not grant".into())
    }
    /// The account a grant has in the target, as [`Connector::holdings`] names it.
    fn login_of(&self, grant: &Grant) -> Option<String> {
        grant.login.clone()
    }
    /// How many failed grant attempts end the request Failed (1: the first).
    fn grant_attempts(&self) -> u32 {
        1
    }
}

/// One account's access to one resource, as the target system has it now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Holding {
    /// The account in the target: a login a grant made, or a directory user.
    pub login: String,
    pub resource_path: String,
    /// Gatehouse's name for the access, when the target's privileges map to one.
    pub permission: Option<String>,
}

/// How many grant attempts the connectors reaching a real system make by
/// default: 2 + 4 + … + 256 + 256 s of backoff, about 13 minutes of outage.
pub const GRANT_ATTEMPTS: u32 = 10;

/// The account for one grant: `gh_<user>_<request>_<integration>`, with the
/// user name in lower-case letters, digits and `_`, at most `user_chars` long.
/// The same grant always gets the same name, so a repeated grant finds it.
pub fn login_name(grant: &Grant, user_chars: usize) -> String {
    let user: String = grant
        .grantee_username
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(user_chars)
        .collect();
    format!("gh_{user}_{}_{}", grant.request_id, grant.integration_id)
}

/// Whether an account name is one [`login_name`] makes.
pub fn is_login_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("gh_") else {
        return false;
    };
    let mut parts = rest.rsplitn(3, '_');
    let numeric = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_some()
}

/// A resource found in the target system by [`Connector::discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub resource_type: &'static str,
    pub name: String,
    pub path: String,
    pub permissions: &'static [&'static str],
}

/// Grants and removes at once, touching nothing. It hands out made-up
/// credentials and connection options shaped like the integration's kind, so
/// that Access Details and Connect can be tried in the demo.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoConnector;

impl DemoConnector {
    fn credentials(grant: &Grant) -> Credentials {
        let login = format!(
            "demo_{}_{}",
            grant.grantee_username.to_ascii_lowercase(),
            grant.request_id
        );
        let first = grant
            .items
            .first()
            .map(|item| item.resource_path.as_str())
            .unwrap_or("");
        let connect = match grant.integration_kind.as_str() {
            "postgresql" => {
                let database = first.split('/').next().unwrap_or("postgres");
                ConnectOptions {
                    terminal: Some(format!(
                        "psql \"host=postgres.demo.internal port=5432 dbname={database} user={login}\""
                    )),
                    browser: None,
                    app: Some(format!(
                        "postgresql://{login}@postgres.demo.internal:5432/{database}"
                    )),
                }
            }
            "github" => ConnectOptions {
                browser: Some(format!("https://github.com/{first}")),
                ..ConnectOptions::default()
            },
            "aws" => ConnectOptions {
                browser: Some("https://signin.aws.amazon.com/console".into()),
                ..ConnectOptions::default()
            },
            _ => ConnectOptions::default(),
        };
        Credentials {
            username: Some(login),
            secret: Some(random_secret()),
            instructions: Some(format!(
                "Demo integration: nothing was granted in a real system. A real {} connector hands out working credentials here.",
                grant.integration_name
            )),
            connect,
        }
    }
}

impl Connector for DemoConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        tracing::info!(request = grant.request_id, grantee = %grant.grantee_username, items = grant.items.len(), "demo connector: granted");
        Ok(Outcome::Done(Self::credentials(grant)))
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        tracing::info!(request = grant.request_id, grantee = %grant.grantee_username, "demo connector: removed");
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, grant: &Grant) -> Result<Credentials, String> {
        let mut credentials = Self::credentials(grant);
        credentials.username = grant.login.clone().or(credentials.username);
        Ok(credentials)
    }
}

/// The connector kinds an integration can name.
pub const KINDS: [&str; 9] = [
    "demo",
    "postgresql",
    "mysql",
    "ldap",
    "ssh",
    "aws_identity_center",
    "aws_role",
    "webhook",
    "manual",
];

/// The connector for an integration: `demo` is the server's built-in one
/// (tests swap it), the others are built from the integration's settings;
/// what a connector dates (a webhook's signed timestamp) it dates by `clock`.
pub fn build(
    kind: &str,
    settings: Option<&Value>,
    demo: &Arc<dyn Connector>,
    clock: &Arc<dyn crate::clock::Clock>,
) -> Result<Arc<dyn Connector>, String> {
    let settings = || without_shared(settings.cloned().unwrap_or(Value::Null));
    match kind {
        "demo" => Ok(demo.clone()),
        "postgresql" => Ok(Arc::new(postgres::PostgresConnector::from_settings(
            settings(),
        )?)),
        "mysql" => Ok(Arc::new(mysql::MysqlConnector::from_settings(settings())?)),
        "ldap" => Ok(Arc::new(ldap::LdapConnector::from_settings(settings())?)),
        "ssh" => Ok(Arc::new(ssh::SshConnector::from_settings(settings())?)),
        "aws_identity_center" => Ok(Arc::new(aws::IdentityCenterConnector::from_settings(
            settings(),
        )?)),
        "aws_role" => Ok(Arc::new(aws::RoleConnector::from_settings(settings())?)),
        "webhook" => Ok(Arc::new(
            webhook::WebhookConnector::from_settings(settings())?.dated_by(clock.clone()),
        )),
        "manual" => Ok(Arc::new(manual::ManualConnector)),
        other => Err(format!("unknown connector {other:?}")),
    }
}

/// What an integration does about drift: `drift` in its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftMode {
    /// Report what the target holds that Gatehouse did not grant (the default).
    Report,
    /// Report it and remove it.
    Enforce,
    /// Do not look.
    Off,
}

impl DriftMode {
    pub fn label(self) -> &'static str {
        match self {
            DriftMode::Report => "report",
            DriftMode::Enforce => "enforce",
            DriftMode::Off => "off",
        }
    }
}

/// Settings every connector shares, kept beside its own in `settings`.
const SHARED_FIELDS: [&str; 3] = ["drift", "drift_interval_minutes", "max_concurrent_calls"];

/// How many calls Gatehouse makes to one target at once: grants and
/// removals of different requests run side by side up to this bound
/// (`max_concurrent_calls` in the settings, 1 to 64, default 4).
pub fn concurrency(settings: Option<&Value>) -> Result<usize, String> {
    match settings.and_then(|s| s.get("max_concurrent_calls")) {
        None | Some(Value::Null) => Ok(4),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=64).contains(n))
            .map(|n| n as usize)
            .ok_or_else(|| "max_concurrent_calls must be a whole number from 1 to 64".into()),
    }
}

/// The integration's drift mode and interval (minutes), checked.
pub fn drift_settings(settings: Option<&Value>) -> Result<(DriftMode, i64), String> {
    let mode = match settings.and_then(|s| s.get("drift")) {
        None | Some(Value::Null) => DriftMode::Report,
        Some(Value::String(mode)) if mode == "report" => DriftMode::Report,
        Some(Value::String(mode)) if mode == "enforce" => DriftMode::Enforce,
        Some(Value::String(mode)) if mode == "off" => DriftMode::Off,
        Some(_) => return Err("drift must be \"report\", \"enforce\" or \"off\"".into()),
    };
    let minutes = match settings.and_then(|s| s.get("drift_interval_minutes")) {
        None | Some(Value::Null) => 10,
        Some(value) => value
            .as_i64()
            .filter(|m| (1..=1440).contains(m))
            .ok_or("drift_interval_minutes must be a whole number from 1 to 1440")?,
    };
    Ok((mode, minutes))
}

fn without_shared(mut settings: Value) -> Value {
    if let Value::Object(map) = &mut settings {
        for field in SHARED_FIELDS {
            map.remove(field);
        }
    }
    settings
}

/// An integration's settings as stored (sealed JSON), opened.
pub fn open_settings(
    secrets: &crate::secrets::SecretBox,
    sealed: Option<&[u8]>,
) -> Result<Option<Value>, String> {
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let plain = secrets.open(sealed).map_err(|_| {
        "the integration's settings cannot be unsealed with this server's key".to_owned()
    })?;
    serde_json::from_slice(&plain)
        .map(Some)
        .map_err(|_| "the integration's settings are not valid JSON".to_owned())
}

/// A settings problem: the field and what is wrong with it.
pub type SettingsError = (String, String);

/// Check an admin's settings for `kind` and merge in secret fields the admin
/// left out (kept from `previous`), so that changing a host does not mean
/// typing the password again.
pub fn prepare_settings(
    kind: &str,
    given: Option<Value>,
    previous: Option<Value>,
) -> Result<Option<Value>, SettingsError> {
    let mut settings = match (given, kind) {
        (_, "demo") => return Ok(None),
        (Some(Value::Object(map)), _) => map,
        (None | Some(Value::Null), "manual") => serde_json::Map::new(),
        (None | Some(Value::Null), _) => {
            return Err((
                "settings".into(),
                format!("The {kind} connector needs settings."),
            ));
        }
        (Some(_), _) => {
            return Err(("settings".into(), "Settings must be a JSON object.".into()));
        }
    };
    for field in secret_fields(kind) {
        let missing = settings.get(*field).is_none_or(Value::is_null);
        if missing && let Some(old) = previous.as_ref().and_then(|p| p.get(*field)) {
            settings.insert((*field).into(), old.clone());
        }
    }
    let value = Value::Object(settings);
    drift_settings(Some(&value)).map_err(|message| ("settings".to_owned(), message))?;
    concurrency(Some(&value)).map_err(|message| ("settings".to_owned(), message))?;
    let full = value;
    let value = without_shared(full.clone());
    let check = match kind {
        "postgresql" => postgres::PostgresConnector::from_settings(value.clone()).map(drop),
        "mysql" => mysql::MysqlConnector::from_settings(value.clone()).map(drop),
        "ldap" => ldap::LdapConnector::from_settings(value.clone()).map(drop),
        "ssh" => ssh::SshSettings::parse(&value).map(drop),
        "aws_identity_center" => aws::IdentityCenterSettings::parse(&value).map(drop),
        "aws_role" => aws::RoleSettings::parse(&value).map(drop),
        "webhook" => webhook::WebhookConnector::from_settings(value.clone()).map(drop),
        "manual" => manual::ManualSettings::parse(&value).map(drop),
        other => Err(format!(
            "Unknown connector {other:?}; use one of {KINDS:?}."
        )),
    };
    check.map_err(|message| ("settings".into(), message))?;
    Ok(Some(full))
}

/// Fields never returned by the API.
pub fn secret_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "postgresql" | "mysql" | "ldap" => &["password"],
        "webhook" => &["secret"],
        "aws_identity_center" | "aws_role" => &["secret_access_key"],
        _ => &[],
    }
}

/// Settings as the API shows them: secret fields replaced by whether they are set.
pub fn redact(kind: &str, settings: Option<Value>) -> Option<Value> {
    let mut settings = settings?;
    if let Value::Object(map) = &mut settings {
        for field in secret_fields(kind) {
            if map.contains_key(*field) {
                map.insert((*field).into(), Value::String("(set)".into()));
            }
        }
    }
    Some(settings)
}

/// An error with its causes: "error performing TLS handshake" alone does not
/// say that the certificate was refused, or why.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// A TLS client (rustls with ring) trusting Mozilla's roots, or only the CA
/// in `ca_pem` when one is given; `field` names the setting in errors
/// ("PostgreSQL settings: ssl_root_cert").
pub(crate) fn tls_client(
    ca_pem: Option<&str>,
    field: &str,
) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let not_pem = || format!("{field} is not a PEM certificate");
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| not_pem())?;
            if certificates.is_empty() {
                return Err(format!("{field} holds no certificate"));
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|_| not_pem())?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| format!("TLS: {error}"))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// A fresh random secret: 32 letters and digits (about 190 bits).
pub fn random_secret() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_kept_when_left_out_and_never_shown() {
        let previous = json!({"host": "db1", "user": "admin", "password": "hunter2"});
        let merged = prepare_settings(
            "postgresql",
            Some(json!({"host": "db2", "user": "admin"})),
            Some(previous),
        )
        .unwrap()
        .unwrap();
        assert_eq!(merged["password"], "hunter2");
        assert_eq!(merged["host"], "db2");
        let shown = redact("postgresql", Some(merged)).unwrap();
        assert_eq!(shown["password"], "(set)");
        assert!(!shown.to_string().contains("hunter2"));
    }

    #[test]
    fn settings_are_checked_per_connector() {
        assert!(prepare_settings("postgresql", None, None).is_err());
        let error = prepare_settings("postgresql", Some(json!({"host": "x"})), None).unwrap_err();
        assert_eq!(error.0, "settings");
        assert!(error.1.contains("user"), "{}", error.1);
        assert!(
            prepare_settings(
                "webhook",
                Some(json!({"url": "ftp://x", "secret": "s"})),
                None
            )
            .is_err()
        );
        assert_eq!(
            prepare_settings("demo", Some(json!({"a": 1})), None).unwrap(),
            None
        );
        assert!(prepare_settings("manual", None, None).unwrap().is_some());
        assert!(prepare_settings("ldap", Some(json!({})), None).is_err());
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let credentials = Credentials {
            secret: Some("s3cr3t".into()),
            ..Credentials::default()
        };
        assert!(!format!("{credentials:?}").contains("s3cr3t"));
    }

    #[test]
    fn random_secrets_differ() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
