//! The PostgreSQL connector: each grant is a login role of its own with a
//! generated password and `VALID UNTIL` the access's end, holding exactly the
//! privileges approved. Removal ends the role's sessions and drops it.
//!
//! Resource paths: `database`, `database/schema`, `database/schema/table`.
//! Permissions: `read-only`, `read-write`, `admin`.
//!
//! The admin connection is TLS unless the integration says `ssl_mode:
//! disable`: libpq's `verify-full`, the server's certificate checked against
//! Mozilla's roots or the integration's own CA (`ssl_root_cert`, PEM) and
//! valid for `host`.

use std::{collections::BTreeMap, time::Duration};

use postgres::{Client, Config, NoTls, config::SslMode as PgSslMode};
use serde::Deserialize;
use serde_json::Value;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{
    Connector, Credentials, Discovered, Grant, GrantItem, Holding, Outcome, random_secret,
};
use gatehouse_shared::access::ConnectOptions;

use crate::uri::percent_encode;

mod sql;

use sql::{conninfo, database_of, grants_for, ident, literal, until, verifier};

const PERMISSIONS: &[&str] = &["read-only", "read-write", "admin"];

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    user: String,
    password: String,
    /// Where the admin connection goes first (and the grantee's default database).
    #[serde(default = "default_database")]
    database: String,
    /// The host grantees connect to, when it differs (a bastion, a proxy).
    #[serde(default)]
    connect_host: Option<String>,
    /// libpq's names: `verify-full` (the default) or `disable`.
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

fn grant_attempts() -> u32 {
    super::GRANT_ATTEMPTS
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Deserialize)]
enum SslMode {
    /// Encrypted, and the certificate must be valid for `host`.
    #[default]
    #[serde(rename = "verify-full")]
    VerifyFull,
    /// Plain text: only for a server on the same host or a trusted network.
    #[serde(rename = "disable")]
    Disable,
}

/// The TLS side of the admin connection: rustls (ring), trusting Mozilla's
/// roots, or only the given CA when there is one.
pub(crate) fn tls_connector(root_cert: Option<&str>) -> Result<MakeRustlsConnect, String> {
    let pem = root_cert.map(str::trim).filter(|pem| !pem.is_empty());
    super::tls_client(pem, "PostgreSQL settings: ssl_root_cert").map(MakeRustlsConnect::new)
}

fn default_port() -> u16 {
    5432
}

fn default_database() -> String {
    "postgres".into()
}

pub struct PostgresConnector {
    settings: Settings,
    /// Built once from the settings; `None` when `ssl_mode` is `disable`.
    tls: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for PostgresConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConnector")
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .field("user", &self.settings.user)
            .field("password", &"<redacted>")
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl PostgresConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let settings: Settings = serde_json::from_value(settings)
            .map_err(|error| format!("PostgreSQL settings: {error}"))?;
        if settings.host.trim().is_empty() {
            return Err("PostgreSQL settings: host is empty".into());
        }
        if settings.user.trim().is_empty() {
            return Err("PostgreSQL settings: user is empty".into());
        }
        if !(1..=20).contains(&settings.grant_attempts) {
            return Err("PostgreSQL settings: grant_attempts must be 1 to 20".into());
        }
        let tls = match settings.ssl_mode {
            SslMode::Disable => None,
            SslMode::VerifyFull => Some(tls_connector(settings.ssl_root_cert.as_deref())?),
        };
        Ok(Self { settings, tls })
    }

    fn client(&self, database: &str) -> Result<Client, String> {
        let s = &self.settings;
        let mut config = Config::new();
        config
            .host(&s.host)
            .port(s.port)
            .user(&s.user)
            .password(&s.password)
            .dbname(database)
            .application_name("gatehouse")
            .connect_timeout(Duration::from_secs(5))
            // A lock held by someone else must not stall all provisioning.
            .options("-c statement_timeout=30000 -c lock_timeout=10000")
            .keepalives(true);
        let connected = match &self.tls {
            Some(tls) => config.ssl_mode(PgSslMode::Require).connect(tls.clone()),
            None => config.ssl_mode(PgSslMode::Disable).connect(NoTls),
        };
        connected.map_err(|error| {
            format!(
                "cannot connect to PostgreSQL at {}:{}: {}",
                s.host,
                s.port,
                describe(&error)
            )
        })
    }

    fn role_exists(admin: &mut Client, role: &str) -> Result<bool, String> {
        admin
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .map(|row| row.is_some())
            .map_err(|e| describe(&e))
    }

    fn credentials(&self, grant: &Grant, role: &str, password: String) -> Credentials {
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
            .unwrap_or_else(|| self.settings.database.clone());
        Credentials {
            username: Some(role.to_owned()),
            secret: Some(password),
            instructions: Some(format!(
                "Log in to PostgreSQL at {host}:{port} as {role} with the password shown once. \
                 The role stops working when the access ends ({}).",
                until(grant.expires_at).unwrap_or_default()
            )),
            connect: ConnectOptions {
                terminal: Some(format!(
                    "psql \"host={} port={port} dbname={} user={}\"",
                    conninfo(host),
                    conninfo(&database),
                    conninfo(role)
                )),
                browser: None,
                app: Some(format!(
                    "postgresql://{}@{}:{port}/{}",
                    percent_encode(role),
                    percent_encode(host),
                    percent_encode(&database)
                )),
            },
        }
    }

    fn grant_all(&self, grant: &Grant, role: &str, password: &str) -> Result<(), String> {
        let mut admin = self.client(&self.settings.database)?;
        let valid_until = until(grant.expires_at)?;
        let statement = if Self::role_exists(&mut admin, role)? {
            format!(
                "ALTER ROLE {} LOGIN PASSWORD {} VALID UNTIL {}",
                ident(role),
                literal(&verifier(password)),
                literal(&valid_until)
            )
        } else {
            format!(
                "CREATE ROLE {} LOGIN NOINHERIT PASSWORD {} VALID UNTIL {}; GRANT {} TO CURRENT_USER",
                ident(role),
                literal(&verifier(password)),
                literal(&valid_until),
                ident(role)
            )
        };
        // Membership lets a CREATEROLE (non-superuser) admin end the role's
        // sessions and drop what it owns when the access ends.
        admin.batch_execute(&statement).map_err(|e| describe(&e))?;
        let mut by_database: BTreeMap<&str, Vec<&GrantItem>> = BTreeMap::new();
        for item in &grant.items {
            by_database
                .entry(database_of(&item.resource_path))
                .or_default()
                .push(item);
        }
        for (database, items) in by_database {
            let exists = admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
                .map_err(|e| describe(&e))?
                .is_some();
            if !exists {
                return Err(format!("database {database:?} does not exist"));
            }
            let mut client = self.client(database)?;
            let mut sql = vec![format!(
                "GRANT CONNECT ON DATABASE {} TO {}",
                ident(database),
                ident(role)
            )];
            for item in items {
                sql.extend(grants_for(&mut client, item, role)?);
            }
            let mut tx = client.transaction().map_err(|e| describe(&e))?;
            tx.batch_execute(&sql.join(";\n"))
                .map_err(|e| describe(&e))?;
            tx.commit().map_err(|e| describe(&e))?;
        }
        Ok(())
    }

    fn drop_role(&self, role: &str) -> Result<(), String> {
        let mut admin = self.client(&self.settings.database)?;
        if !Self::role_exists(&mut admin, role)? {
            return Ok(());
        }
        // No new log-ins, then end the open sessions.
        admin
            .batch_execute(&format!("ALTER ROLE {} NOLOGIN", ident(role)))
            .map_err(|e| describe(&e))?;
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                &[&role],
            )
            .map_err(|e| describe(&e))?;
        // The databases where the role holds privileges or objects, and the
        // admin's own: DROP OWNED there also revokes privileges on shared
        // objects (CONNECT on a database), which pg_shdepend lists under no
        // database.
        let mut databases: Vec<String> = admin
            .query(
                "SELECT DISTINCT d.datname FROM pg_shdepend s
                 JOIN pg_database d ON d.oid = s.dbid
                 WHERE s.refclassid = 'pg_authid'::regclass
                   AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
                   AND d.datallowconn",
                &[&role],
            )
            .map_err(|e| describe(&e))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if !databases.contains(&self.settings.database) {
            databases.push(self.settings.database.clone());
        }
        let me = ident(&self.settings.user);
        for database in databases {
            let mut client = self.client(&database)?;
            client
                .batch_execute(&format!(
                    "REASSIGN OWNED BY {role} TO {me}; DROP OWNED BY {role}",
                    role = ident(role)
                ))
                .map_err(|e| describe(&e))?;
        }
        admin
            .batch_execute(&format!("DROP ROLE IF EXISTS {}", ident(role)))
            .map_err(|e| describe(&e))
    }
}

impl Connector for PostgresConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        let role = role_name(grant);
        let password = random_secret();
        match self.grant_all(grant, &role, &password) {
            Ok(()) => Ok(Outcome::Done(self.credentials(grant, &role, password))),
            Err(reason) => {
                // Leave nothing half-granted behind.
                if let Err(cleanup) = self.drop_role(&role) {
                    tracing::warn!(request = grant.request_id, %cleanup, "cleaning up a failed PostgreSQL grant failed");
                }
                Err(reason)
            }
        }
    }

    fn extend(&self, grant: &Grant) -> Result<(), String> {
        let role = grant.login.clone().unwrap_or_else(|| role_name(grant));
        let mut admin = self.client(&self.settings.database)?;
        admin
            .batch_execute(&format!(
                "ALTER ROLE {} VALID UNTIL {}",
                ident(&role),
                literal(&until(grant.expires_at)?)
            ))
            .map_err(|e| describe(&e))
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        let role = grant.login.clone().unwrap_or_else(|| role_name(grant));
        self.drop_role(&role)?;
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, grant: &Grant) -> Result<Credentials, String> {
        let role = grant.login.clone().unwrap_or_else(|| role_name(grant));
        let password = random_secret();
        let mut admin = self.client(&self.settings.database)?;
        if !Self::role_exists(&mut admin, &role)? {
            return Err(format!("role {role} no longer exists"));
        }
        admin
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {}",
                ident(&role),
                literal(&verifier(&password))
            ))
            .map_err(|e| describe(&e))?;
        Ok(self.credentials(grant, &role, password))
    }

    fn check(&self) -> Result<String, String> {
        let mut admin = self.client(&self.settings.database)?;
        let row = admin
            .query_one(
                "SELECT current_setting('server_version'), rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .map_err(|e| describe(&e))?;
        let version: String = row.get(0);
        let may_create_roles: bool = row.get(1);
        if may_create_roles {
            Ok(format!(
                "Connected to PostgreSQL {version} as {}.",
                self.settings.user
            ))
        } else {
            Err(format!(
                "Connected to PostgreSQL {version}, but {} may not create roles (needs CREATEROLE).",
                self.settings.user
            ))
        }
    }

    /// The roles Gatehouse made that may still log in, per database they
    /// were given (PostgreSQL answers per database, not per table).
    fn holdings(&self, resources: &[String]) -> Result<Option<Vec<Holding>>, String> {
        let mut admin = self.client(&self.settings.database)?;
        let rows = admin
            .query(
                "SELECT r.rolname, d.datname FROM pg_roles r
                 JOIN pg_database d ON EXISTS (
                     SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = r.oid)
                 WHERE r.rolname LIKE 'gh\\_%' AND r.rolcanlogin
                 ORDER BY 1, 2",
                &[],
            )
            .map_err(|e| describe(&e))?;
        let databases: std::collections::BTreeSet<&str> =
            resources.iter().map(|path| database_of(path)).collect();
        Ok(Some(
            rows.iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
                .filter(|(role, database)| {
                    super::is_login_name(role) && databases.contains(database.as_str())
                })
                .map(|(login, resource_path)| Holding {
                    login,
                    resource_path,
                    permission: None,
                })
                .collect(),
        ))
    }

    /// Drop a role Gatehouse would have made (named `gh_…`); never another.
    fn remove_holding(&self, holding: &Holding) -> Result<(), String> {
        if !super::is_login_name(&holding.login) {
            return Err(format!("{} is not a role Gatehouse makes", holding.login));
        }
        self.drop_role(&holding.login)
    }

    fn login_of(&self, grant: &Grant) -> Option<String> {
        Some(grant.login.clone().unwrap_or_else(|| role_name(grant)))
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let mut admin = self.client(&self.settings.database)?;
        let databases: Vec<String> = admin
            .query(
                "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname",
                &[],
            )
            .map_err(|e| describe(&e))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let mut found = Vec::new();
        for database in databases {
            if database.contains('/') {
                // Paths are split on '/': such a name would be read as another object.
                tracing::warn!(%database, "sync skips a database whose name contains '/'");
                continue;
            }
            found.push(Discovered {
                resource_type: "database",
                name: database.clone(),
                path: database.clone(),
                permissions: PERMISSIONS,
            });
            let mut client = self.client(&database)?;
            let rows = client
                .query(
                    "SELECT n.nspname, c.relname FROM pg_namespace n
                     LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v')
                     WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                     ORDER BY n.nspname, c.relname",
                    &[],
                )
                .map_err(|e| describe(&e))?;
            let mut last_schema = None::<String>;
            for row in rows {
                let schema: String = row.get(0);
                let table: Option<String> = row.get(1);
                if schema.contains('/') || table.as_deref().is_some_and(|t| t.contains('/')) {
                    tracing::warn!(%schema, ?table, "sync skips a name containing '/'");
                    continue;
                }
                if last_schema.as_deref() != Some(schema.as_str()) {
                    found.push(Discovered {
                        resource_type: "schema",
                        name: format!("{database}.{schema}"),
                        path: format!("{database}/{schema}"),
                        permissions: PERMISSIONS,
                    });
                    last_schema = Some(schema.clone());
                }
                if let Some(table) = table {
                    found.push(Discovered {
                        resource_type: "table",
                        name: format!("{database}.{schema}.{table}"),
                        path: format!("{database}/{schema}/{table}"),
                        permissions: PERMISSIONS,
                    });
                }
            }
        }
        Ok(found)
    }
}

/// The role for one grant: `gh_<user>_<request>_<integration>`.
pub fn role_name(grant: &Grant) -> String {
    super::login_name(grant, 40)
}

/// PostgreSQL's own message, without the driver's wrapping.
fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => super::with_causes(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_safe_and_distinct() {
        let grant = Grant {
            request_id: 7,
            integration_id: 2,
            integration_name: "pg".into(),
            integration_kind: "postgresql".into(),
            grantee_username: "Alice.O'Neil".into(),
            grantee_email: None,
            expires_at: 0,
            login: None,
            items: vec![],
        };
        assert_eq!(role_name(&grant), "gh_alice_o_neil_7_2");
    }
}
