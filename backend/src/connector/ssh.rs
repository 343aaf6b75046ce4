//! The SSH connector: Gatehouse is an SSH user certificate authority. Hosts
//! trust its CA key (`TrustedUserCAKeys`, from `GET /api/v1/ssh/ca`) and
//! read its revocation list (`RevokedKeys`, from `GET
//! /api/v1/ssh/revoked-keys`); Gatehouse needs no account on them.
//!
//! A grant touches nothing: the access *is* the right to ask for
//! certificates. While the request is Active its grantee sends a public key
//! (`POST /api/v1/requests/{id}/access/{integration}/certificate`, which
//! `gatehouse connect` does) and gets an OpenSSH user certificate for the
//! granted logins, valid for at most `max_certificate_minutes` and never past
//! the access's end. Removal succeeds at once; from then on the serials of the
//! request's certificates are in the revocation list.
//!
//! Resource paths: `host/login` (resource type `login`, permission `login`),
//! on the integration's `host`. Settings: `host`, `port` (22),
//! `max_certificate_minutes` (1 to 60, default 10), and `logins`: the logins
//! Sync offers as resources (Gatehouse cannot list a host's accounts).

pub mod ca;

use std::{
    io::Read,
    net::{TcpStream, ToSocketAddrs},
    time::Duration,
};

use gatehouse_shared::access::ConnectOptions;
use serde::Deserialize;
use serde_json::Value;

use super::{Connector, Credentials, Discovered, Grant, GrantItem, Outcome};

/// The one permission a login resource has.
pub const PERMISSION: &str = "login";
const PERMISSIONS: &[&str] = &[PERMISSION];
/// The resource type Sync gives logins.
pub const RESOURCE_TYPE: &str = "login";
/// The longest a certificate may be valid, in minutes.
pub const MAX_CERTIFICATE_MINUTES: u32 = 60;

/// An SSH integration's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSettings {
    /// The host grantees log in to (as the resource paths name it).
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// How long one certificate is valid at most (1 to 60).
    #[serde(default = "default_minutes")]
    pub max_certificate_minutes: u32,
    /// The logins Sync offers as resources.
    #[serde(default)]
    pub logins: Vec<String>,
}

fn default_port() -> u16 {
    22
}

fn default_minutes() -> u32 {
    10
}

impl SshSettings {
    pub fn parse(settings: &Value) -> Result<Self, String> {
        let settings: Self = serde_json::from_value(settings.clone())
            .map_err(|error| format!("SSH settings: {error}"))?;
        let host = settings.host.trim();
        if host.is_empty()
            || host.starts_with('-')
            || host.len() > 253
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
        {
            return Err(
                "SSH settings: host must be a host name or an address (letters, digits, '.', '-', ':')"
                    .into(),
            );
        }
        if settings.port == 0 {
            return Err("SSH settings: port must be 1 to 65535".into());
        }
        if !(1..=MAX_CERTIFICATE_MINUTES).contains(&settings.max_certificate_minutes) {
            return Err(format!(
                "SSH settings: max_certificate_minutes must be 1 to {MAX_CERTIFICATE_MINUTES}"
            ));
        }
        if let Some(bad) = settings.logins.iter().find(|login| !is_login(login)) {
            return Err(format!(
                "SSH settings: {bad:?} is not a login (1 to 32 letters, digits, '.', '_', '-', not starting with '-')"
            ));
        }
        Ok(settings)
    }

    /// The logins a request's items grant, in order, each once. Every item
    /// must be a `host/login` on this integration's host with the `login`
    /// permission.
    pub fn logins_of(&self, items: &[GrantItem]) -> Result<Vec<String>, String> {
        let mut logins: Vec<String> = Vec::new();
        for item in items {
            if item.permission != PERMISSION {
                return Err(format!(
                    "permission {:?} is not {PERMISSION:?}",
                    item.permission
                ));
            }
            let (host, login) = item.resource_path.split_once('/').ok_or_else(|| {
                format!("resource path {:?} is not host/login", item.resource_path)
            })?;
            if !host.eq_ignore_ascii_case(self.host.trim()) {
                return Err(format!(
                    "resource {:?} is on host {host:?}; this integration is for {:?}",
                    item.resource_path, self.host
                ));
            }
            if !is_login(login) {
                return Err(format!("{login:?} is not a login"));
            }
            if !logins.iter().any(|l| l == login) {
                logins.push(login.to_owned());
            }
        }
        if logins.is_empty() {
            return Err("the request names no login on this host".into());
        }
        Ok(logins)
    }

    /// What the grantee is shown for request `request_id`, logging in as `login`.
    fn credentials(&self, request_id: i64, login: &str) -> Credentials {
        let host = self.host.trim();
        let port = self.port;
        let minutes = self.max_certificate_minutes;
        Credentials {
            username: Some(login.to_owned()),
            secret: None,
            instructions: Some(format!(
                "Log in to {host} (port {port}) as {login} with a short-lived SSH certificate: \
                 run `gatehouse connect {request_id}`, which makes your key, gets a certificate \
                 (valid for at most {minutes} minutes, never past the access's end) and opens ssh. \
                 There is no password; no key is left on the host."
            )),
            connect: ConnectOptions {
                terminal: Some(format!("gatehouse connect {request_id}")),
                browser: None,
                app: Some(ssh_link(login, host, port)),
            },
        }
    }
}

/// `ssh://login@host:port`, with an IPv6 address in brackets.
pub fn ssh_link(login: &str, host: &str, port: u16) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("ssh://{login}@{host}:{port}")
}

/// A POSIX login name: 1 to 32 letters, digits, `.`, `_`, `-`, not starting with `-`.
pub fn is_login(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

#[derive(Debug, Clone)]
pub struct SshConnector {
    settings: SshSettings,
}

impl SshConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        Ok(Self {
            settings: SshSettings::parse(&settings)?,
        })
    }
}

impl Connector for SshConnector {
    /// Nothing to do in the target: the grantee asks for certificates while
    /// the access is Active. Only the items are checked.
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        let logins = self.settings.logins_of(&grant.items)?;
        tracing::info!(request = grant.request_id, host = %self.settings.host, ?logins, "ssh connector: certificates may be issued");
        Ok(Outcome::Done(
            self.settings.credentials(grant.request_id, &logins[0]),
        ))
    }

    /// Nothing to remove either: the request's certificates are in the
    /// revocation list from now on, and expire within minutes anyway.
    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        tracing::info!(
            request = grant.request_id,
            "ssh connector: certificates revoked"
        );
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, _grant: &Grant) -> Result<Credentials, String> {
        Err("SSH access has no credentials to reset: each `gatehouse connect` gets a new certificate".into())
    }

    /// Whether the host answers with an SSH banner.
    fn check(&self) -> Result<String, String> {
        let host = self.settings.host.trim();
        let address = (host.trim_matches(['[', ']']), self.settings.port)
            .to_socket_addrs()
            .map_err(|error| format!("cannot resolve {host}: {error}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(|error| format!("cannot connect to {host}:{}: {error}", self.settings.port))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|error| error.to_string())?;
        let mut banner = [0u8; 255];
        let read = stream
            .read(&mut banner)
            .map_err(|error| format!("{host} sent no SSH banner: {error}"))?;
        let banner = String::from_utf8_lossy(&banner[..read]);
        let line = banner.lines().next().unwrap_or_default().trim();
        if line.starts_with("SSH-2.0-") {
            let safe: String = line.chars().filter(|c| !c.is_control()).collect();
            Ok(format!(
                "{host}:{} answers as {safe}. It accepts Gatehouse's certificates once its sshd_config names the CA (TrustedUserCAKeys) and the revocation list (RevokedKeys).",
                self.settings.port
            ))
        } else {
            Err(format!(
                "{host}:{} does not answer like an SSH server",
                self.settings.port
            ))
        }
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let host = self.settings.host.trim();
        Ok(self
            .settings
            .logins
            .iter()
            .map(|login| Discovered {
                resource_type: RESOURCE_TYPE,
                name: format!("{login}@{host}"),
                path: format!("{host}/{login}"),
                permissions: PERMISSIONS,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(path: &str) -> GrantItem {
        GrantItem {
            resource_type: RESOURCE_TYPE.into(),
            resource_path: path.into(),
            permission: PERMISSION.into(),
        }
    }

    #[test]
    fn settings_are_checked() {
        let ok = SshSettings::parse(&json!({"host": "db1.internal"})).unwrap();
        assert_eq!((ok.port, ok.max_certificate_minutes), (22, 10));
        for bad in [
            json!({"host": ""}),
            json!({"host": "-oProxyCommand=x"}),
            json!({"host": "a b"}),
            json!({"host": "h", "port": 0}),
            json!({"host": "h", "max_certificate_minutes": 0}),
            json!({"host": "h", "max_certificate_minutes": 61}),
            json!({"host": "h", "logins": ["-root"]}),
            json!({"host": "h", "password": "x"}),
        ] {
            assert!(SshSettings::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logins_come_from_paths_on_the_integrations_host() {
        let settings = SshSettings::parse(&json!({"host": "DB1.internal"})).unwrap();
        assert_eq!(
            settings
                .logins_of(&[
                    item("db1.internal/deploy"),
                    item("db1.internal/app"),
                    item("db1.internal/deploy")
                ])
                .unwrap(),
            ["deploy", "app"]
        );
        assert!(settings.logins_of(&[item("db2.internal/deploy")]).is_err());
        assert!(settings.logins_of(&[item("db1.internal")]).is_err());
        assert!(settings.logins_of(&[item("db1.internal/a b")]).is_err());
        assert!(settings.logins_of(&[]).is_err());
        let mut admin = item("db1.internal/root");
        admin.permission = "admin".into();
        assert!(settings.logins_of(&[admin]).is_err());
    }

    #[test]
    fn a_grant_hands_out_the_login_and_how_to_connect_but_no_secret() {
        let connector =
            SshConnector::from_settings(json!({"host": "::1", "port": 2222, "logins": ["ops"]}))
                .unwrap();
        let grant = Grant {
            request_id: 7,
            integration_id: 3,
            integration_name: "Bastion".into(),
            integration_kind: "ssh".into(),
            grantee_username: "alice".into(),
            grantee_email: None,
            expires_at: 0,
            login: None,
            items: vec![item("::1/ops")],
        };
        let Outcome::Done(credentials) = connector.grant(&grant).unwrap() else {
            panic!("waiting")
        };
        assert_eq!(credentials.username.as_deref(), Some("ops"));
        assert_eq!(credentials.secret, None);
        assert_eq!(
            credentials.connect.terminal.as_deref(),
            Some("gatehouse connect 7")
        );
        assert_eq!(
            credentials.connect.app.as_deref(),
            Some("ssh://ops@[::1]:2222")
        );
        assert_eq!(connector.discover().unwrap()[0].path, "::1/ops");
        assert!(connector.revoke(&grant).is_ok());
    }
}
