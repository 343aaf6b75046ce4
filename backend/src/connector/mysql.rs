//! The MySQL / MariaDB connector: each grant is a user of its own
//! (`'gh_<user>_<request>_<integration>'@'%'`) with a generated password and
//! exactly the privileges approved. Removal locks the account, ends its open
//! sessions and drops it; Reset Credentials sets a new password.
//!
//! Resource paths: `database` or `database/table`. Permissions: `read-only`
//! (SELECT, SHOW VIEW), `read-write` (and INSERT, UPDATE, DELETE), `admin`
//! (ALL PRIVILEGES).
//!
//! Passwords reach the server only as `mysql_native_password` hashes
//! (`IDENTIFIED BY PASSWORD '*…'`), never in clear text in a statement (nor
//! in the server's general or slow log).
//!
//! The admin connection is TLS unless the integration says `ssl_mode:
//! disable`: the server's certificate checked against Mozilla's roots or the
//! integration's own CA (`ssl_root_cert`, PEM) and valid for `host`.

use std::{collections::BTreeSet, path::PathBuf, time::Duration};

use gatehouse_shared::access::ConnectOptions;
use mysql::{Conn, OptsBuilder, SslOpts, prelude::Queryable};
use serde::Deserialize;
use serde_json::Value;

use super::{
    Connector, Credentials, Discovered, Grant, Holding, Outcome, login_name, random_secret,
};

mod sql;

use sql::{account, ca_file, grant_statement, native_hash, shell_word};

const PERMISSIONS: &[&str] = &["read-only", "read-write", "admin"];
/// Schemas that belong to the server, never offered nor granted.
const SYSTEM: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    user: String,
    password: String,
    /// The host grantees connect to, when it differs (a bastion, a proxy).
    #[serde(default)]
    connect_host: Option<String>,
    /// `verify-full` (the default) or `disable`.
    #[serde(default)]
    ssl_mode: SslMode,
    /// The CA that signed the server's certificate (PEM), when it is not one
    /// of Mozilla's roots.
    #[serde(default)]
    ssl_root_cert: Option<String>,
    /// Grant attempts before the request ends Failed (retried with backoff).
    #[serde(default = "grant_attempts")]
    grant_attempts: u32,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Deserialize)]
enum SslMode {
    #[default]
    #[serde(rename = "verify-full")]
    VerifyFull,
    #[serde(rename = "disable")]
    Disable,
}

fn default_port() -> u16 {
    3306
}

fn grant_attempts() -> u32 {
    super::GRANT_ATTEMPTS
}

pub struct MysqlConnector {
    settings: Settings,
    /// The CA file handed to the driver (it reads roots from a file).
    ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for MysqlConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlConnector")
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .field("user", &self.settings.user)
            .field("password", &"<redacted>")
            .field("tls", &(self.settings.ssl_mode == SslMode::VerifyFull))
            .finish()
    }
}

impl MysqlConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let settings: Settings =
            serde_json::from_value(settings).map_err(|error| format!("MySQL settings: {error}"))?;
        if settings.host.trim().is_empty() {
            return Err("MySQL settings: host is empty".into());
        }
        if settings.user.trim().is_empty() {
            return Err("MySQL settings: user is empty".into());
        }
        if !(1..=20).contains(&settings.grant_attempts) {
            return Err("MySQL settings: grant_attempts must be 1 to 20".into());
        }
        let pem = settings
            .ssl_root_cert
            .as_deref()
            .map(str::trim)
            .filter(|pem| !pem.is_empty());
        let ca_file = match (settings.ssl_mode, pem) {
            (SslMode::VerifyFull, Some(pem)) => Some(ca_file(pem)?),
            _ => None,
        };
        Ok(Self { settings, ca_file })
    }

    fn connect(&self) -> Result<Conn, String> {
        let s = &self.settings;
        let ssl = (s.ssl_mode == SslMode::VerifyFull).then(|| {
            let opts = SslOpts::default();
            match &self.ca_file {
                Some(path) => opts.with_root_cert_path(Some(path.clone())),
                None => opts,
            }
        });
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(s.host.clone()))
            .tcp_port(s.port)
            .user(Some(s.user.clone()))
            .pass(Some(s.password.clone()))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(Duration::from_secs(5)))
            .read_timeout(Some(Duration::from_secs(30)))
            .write_timeout(Some(Duration::from_secs(30)))
            .ssl_opts(ssl);
        Conn::new(opts).map_err(|error| {
            format!(
                "cannot connect to MySQL at {}:{}: {}",
                s.host,
                s.port,
                describe(&error)
            )
        })
    }

    fn user_exists(conn: &mut Conn, user: &str) -> Result<bool, String> {
        conn.exec_first::<u8, _, _>(
            "SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'",
            (user,),
        )
        .map(|row| row.is_some())
        .map_err(|e| describe(&e))
    }

    fn credentials(&self, grant: &Grant, user: &str, password: String) -> Credentials {
        let host = self
            .settings
            .connect_host
            .as_deref()
            .unwrap_or(&self.settings.host);
        let port = self.settings.port;
        let database = grant
            .items
            .first()
            .map(|item| database_of(&item.resource_path).to_owned())
            .unwrap_or_default();
        Credentials {
            username: Some(user.to_owned()),
            secret: Some(password),
            instructions: Some(format!(
                "Log in to MySQL at {host}:{port} as {user} with the password shown once. \
                 The user is dropped when the access ends."
            )),
            connect: ConnectOptions {
                terminal: Some(format!(
                    "mysql --host={} --port={port} --user={user} --password {}",
                    shell_word(host),
                    shell_word(&database)
                )),
                browser: None,
                app: Some(format!(
                    "mysql://{user}@{}:{port}/{}",
                    crate::uri::percent_encode(host),
                    crate::uri::percent_encode(&database)
                )),
            },
        }
    }

    fn grant_all(&self, grant: &Grant, user: &str, password: &str) -> Result<(), String> {
        let mut conn = self.connect()?;
        let account = account(user);
        let hash = native_hash(password);
        // Check every item before touching anything.
        let mut statements = Vec::new();
        for item in &grant.items {
            statements.push(grant_statement(&mut conn, item, &account)?);
        }
        let create = if Self::user_exists(&mut conn, user)? {
            format!("ALTER USER {account} IDENTIFIED BY PASSWORD '{hash}' ACCOUNT UNLOCK")
        } else {
            format!("CREATE USER {account} IDENTIFIED BY PASSWORD '{hash}'")
        };
        conn.query_drop(create).map_err(|e| describe(&e))?;
        for statement in statements {
            conn.query_drop(statement).map_err(|e| describe(&e))?;
        }
        Ok(())
    }

    fn drop_user(&self, user: &str) -> Result<(), String> {
        let mut conn = self.connect()?;
        if !Self::user_exists(&mut conn, user)? {
            return Ok(());
        }
        let account = account(user);
        // No new log-ins, then end the open sessions, then the user.
        conn.query_drop(format!("ALTER USER {account} ACCOUNT LOCK"))
            .map_err(|e| describe(&e))?;
        let sessions: Vec<u64> = conn
            .exec(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?",
                (user,),
            )
            .map_err(|e| describe(&e))?;
        for id in sessions {
            // A session that ended meanwhile is fine (1094: unknown thread).
            if let Err(error) = conn.query_drop(format!("KILL CONNECTION {id}"))
                && !matches!(&error, mysql::Error::MySqlError(e) if e.code == 1094)
            {
                return Err(describe(&error));
            }
        }
        conn.query_drop(format!("DROP USER IF EXISTS {account}"))
            .map_err(|e| describe(&e))
    }
}

impl Connector for MysqlConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        let user = user_name(grant);
        let password = random_secret();
        match self.grant_all(grant, &user, &password) {
            Ok(()) => Ok(Outcome::Done(self.credentials(grant, &user, password))),
            Err(reason) => {
                // Leave nothing half-granted behind.
                if let Err(cleanup) = self.drop_user(&user) {
                    tracing::warn!(request = grant.request_id, %cleanup, "cleaning up a failed MySQL grant failed");
                }
                Err(reason)
            }
        }
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        self.drop_user(&self.user_of(grant))?;
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, grant: &Grant) -> Result<Credentials, String> {
        let user = self.user_of(grant);
        let password = random_secret();
        let mut conn = self.connect()?;
        if !Self::user_exists(&mut conn, &user)? {
            return Err(format!("user {user} no longer exists"));
        }
        conn.query_drop(format!(
            "ALTER USER {} IDENTIFIED BY PASSWORD '{}'",
            account(&user),
            native_hash(&password)
        ))
        .map_err(|e| describe(&e))?;
        Ok(self.credentials(grant, &user, password))
    }

    fn check(&self) -> Result<String, String> {
        let mut conn = self.connect()?;
        let version: String = conn
            .query_first("SELECT VERSION()")
            .map_err(|e| describe(&e))?
            .unwrap_or_default();
        let grants: Vec<String> = conn.query("SHOW GRANTS").map_err(|e| describe(&e))?;
        let global = grants
            .iter()
            .find(|line| line.contains(" ON *.* "))
            .map(String::as_str)
            .unwrap_or("");
        let has = |privilege: &str| global.contains("ALL PRIVILEGES") || global.contains(privilege);
        let missing: Vec<&str> = ["CREATE USER", "PROCESS"]
            .into_iter()
            .filter(|privilege| !has(privilege))
            .collect();
        let cipher: Option<(String, String)> = conn
            .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            .map_err(|e| describe(&e))?;
        let over = match cipher.map(|(_, cipher)| cipher).filter(|c| !c.is_empty()) {
            Some(cipher) => format!("over TLS ({cipher})"),
            None => "without TLS".to_owned(),
        };
        if missing.is_empty() {
            Ok(format!(
                "Connected to MySQL {version} as {} {over}.",
                self.settings.user
            ))
        } else {
            Err(format!(
                "Connected to MySQL {version}, but {} lacks {} on *.*.",
                self.settings.user,
                missing.join(" and ")
            ))
        }
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let mut conn = self.connect()?;
        let rows: Vec<(String, Option<String>)> = conn
            .query(
                "SELECT s.SCHEMA_NAME, t.TABLE_NAME FROM information_schema.SCHEMATA s
                 LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
                 ORDER BY s.SCHEMA_NAME, t.TABLE_NAME",
            )
            .map_err(|e| describe(&e))?;
        let mut found = Vec::new();
        let mut last = None::<String>;
        for (database, table) in rows {
            if SYSTEM.contains(&database.as_str()) {
                continue;
            }
            if database.contains('/') || table.as_deref().is_some_and(|t| t.contains('/')) {
                tracing::warn!(%database, ?table, "sync skips a name containing '/'");
                continue;
            }
            if last.as_deref() != Some(database.as_str()) {
                found.push(Discovered {
                    resource_type: "database",
                    name: database.clone(),
                    path: database.clone(),
                    permissions: PERMISSIONS,
                });
                last = Some(database.clone());
            }
            if let Some(table) = table {
                found.push(Discovered {
                    resource_type: "table",
                    name: format!("{database}.{table}"),
                    path: format!("{database}/{table}"),
                    permissions: PERMISSIONS,
                });
            }
        }
        Ok(found)
    }

    /// The users Gatehouse made, per database or table they hold privileges on.
    fn holdings(&self, resources: &[String]) -> Result<Option<Vec<Holding>>, String> {
        let mut conn = self.connect()?;
        // A few resources (verifying one removal): only their databases' rows.
        let few: Vec<&str> = resources.iter().map(|path| database_of(path)).collect();
        let (only, params) = if few.len() <= 64 {
            let marks = vec!["?"; few.len().max(1)].join(", ");
            let mut params: Vec<mysql::Value> = few.iter().map(|d| (*d).into()).collect();
            if params.is_empty() {
                params.push("".into());
            }
            (format!(" AND Db IN ({marks})"), params)
        } else {
            (String::new(), Vec::new())
        };
        let databases: Vec<(String, String, String, String)> = conn
            .exec(
                format!(
                    "SELECT User, Db, Insert_priv, Create_priv FROM mysql.db
                     WHERE User LIKE 'gh\\_%' AND Host = '%'{only}"
                ),
                params.clone(),
            )
            .map_err(|e| describe(&e))?;
        let tables: Vec<(String, String, String, String)> = conn
            .exec(
                format!(
                    "SELECT User, Db, Table_name, Table_priv FROM mysql.tables_priv
                     WHERE User LIKE 'gh\\_%' AND Host = '%'{only}"
                ),
                params,
            )
            .map_err(|e| describe(&e))?;
        let wanted: BTreeSet<&str> = resources.iter().map(String::as_str).collect();
        let mut found: Vec<Holding> = databases
            .into_iter()
            .map(|(login, database, insert, create)| {
                let permission = if create == "Y" {
                    "admin"
                } else if insert == "Y" {
                    "read-write"
                } else {
                    "read-only"
                };
                (login, database, permission)
            })
            .chain(
                tables
                    .into_iter()
                    .map(|(login, database, table, privileges)| {
                        let permission = if privileges.contains("Create") {
                            "admin"
                        } else if privileges.contains("Insert") {
                            "read-write"
                        } else {
                            "read-only"
                        };
                        (login, format!("{database}/{table}"), permission)
                    }),
            )
            .filter(|(login, path, _)| {
                super::is_login_name(login) && wanted.contains(path.as_str())
            })
            .map(|(login, resource_path, permission)| Holding {
                login,
                resource_path,
                permission: Some(permission.to_owned()),
            })
            .collect();
        found.sort();
        Ok(Some(found))
    }

    /// Drop a user Gatehouse would have made (named `gh_…`); never another.
    fn remove_holding(&self, holding: &Holding) -> Result<(), String> {
        if !super::is_login_name(&holding.login) {
            return Err(format!("{} is not a user Gatehouse makes", holding.login));
        }
        self.drop_user(&holding.login)
    }

    fn login_of(&self, grant: &Grant) -> Option<String> {
        Some(self.user_of(grant))
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts
    }
}

impl MysqlConnector {
    fn user_of(&self, grant: &Grant) -> String {
        grant.login.clone().unwrap_or_else(|| user_name(grant))
    }
}

/// The user for one grant; MySQL allows 32 characters in a user name.
pub fn user_name(grant: &Grant) -> String {
    let suffix = format!("_{}_{}", grant.request_id, grant.integration_id).len();
    login_name(grant, 32usize.saturating_sub(3 + suffix).max(1))
}

fn database_of(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// The server's own message, or the driver's with its causes.
fn describe(error: &mysql::Error) -> String {
    match error {
        mysql::Error::MySqlError(e) => e.message.clone(),
        // The driver's own errors without its wrapping ("DriverError { … }").
        mysql::Error::DriverError(e) => super::with_causes(e),
        mysql::Error::IoError(e) => super::with_causes(e),
        other => super::with_causes(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_fit_mysql_and_are_ours() {
        let grant = Grant {
            request_id: 123_456,
            integration_id: 42,
            integration_name: "db".into(),
            integration_kind: "mysql".into(),
            grantee_username: "a.very.long.user.name@example.com".into(),
            grantee_email: None,
            expires_at: 0,
            login: None,
            items: vec![],
        };
        let name = user_name(&grant);
        assert!(name.len() <= 32, "{name}");
        assert!(name.ends_with("_123456_42"), "{name}");
        assert!(super::super::is_login_name(&name));
        assert!(!super::super::is_login_name("gh_app"));
        assert!(!super::super::is_login_name("root"));
    }
}
