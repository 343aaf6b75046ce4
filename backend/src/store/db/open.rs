//! Opening a store: what `--db` names ([`Location`]), the migrations of
//! both stores, a PostgreSQL URL's settings and TLS as libpq reads them,
//! connecting and migrating under a lock, and SQLite's connection settings.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, config::DbConfig};

use super::{BUSY_TIMEOUT, MIGRATION_LOCK};
use crate::store::sql::PgConn;

/// Versioned migrations, embedded in the binary and applied at start.
/// Never edit one that has shipped; add the next, for both stores.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_foundation.sql"),
    include_str!("../../migrations/0002_engine.sql"),
    include_str!("../../migrations/0003_connectors.sql"),
    include_str!("../../migrations/0004_notifications.sql"),
    include_str!("../../migrations/0005_catalog_generation.sql"),
    include_str!("../../migrations/0006_replicas.sql"),
    include_str!("../../migrations/0007_identity.sql"),
    include_str!("../../migrations/0008_assist.sql"),
    include_str!("../../migrations/0009_approvals.sql"),
    include_str!("../../migrations/0010_schedules.sql"),
    include_str!("../../migrations/0011_connector_kinds.sql"),
    include_str!("../../migrations/0012_drift.sql"),
    include_str!("../../migrations/0013_ssh_ca.sql"),
];

/// The same migrations in PostgreSQL's SQL, numbered alike.
pub(super) const PG_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_foundation.sql"),
    include_str!("../../migrations/postgres/0002_engine.sql"),
    include_str!("../../migrations/postgres/0003_connectors.sql"),
    include_str!("../../migrations/postgres/0004_notifications.sql"),
    include_str!("../../migrations/postgres/0005_catalog_generation.sql"),
    include_str!("../../migrations/postgres/0006_replicas.sql"),
    include_str!("../../migrations/postgres/0007_identity.sql"),
    include_str!("../../migrations/postgres/0008_assist.sql"),
    include_str!("../../migrations/postgres/0009_approvals.sql"),
    include_str!("../../migrations/postgres/0010_schedules.sql"),
    include_str!("../../migrations/postgres/0011_connector_kinds.sql"),
    include_str!("../../migrations/postgres/0012_drift.sql"),
    include_str!("../../migrations/postgres/0013_ssh_ca.sql"),
];

/// How many migrations each store has (they are numbered alike).
pub const MIGRATION_COUNT: usize = MIGRATIONS.len();
const _: () = assert!(MIGRATIONS.len() == PG_MIGRATIONS.len());

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot connect to PostgreSQL {name}: {detail}")]
    Connect { name: String, detail: String },
    #[error("cannot migrate PostgreSQL {name}: {detail}")]
    PgMigrate { name: String, detail: String },
}

/// What `--db` names: a SQLite file or a PostgreSQL server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// The location without a password, for messages.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => match url.split_once('@') {
                Some((credentials, rest)) => {
                    let scheme_and_user =
                        credentials.split(':').take(2).collect::<Vec<_>>().join(":");
                    format!("{scheme_and_user}@{rest}")
                }
                None => url.clone(),
            },
        }
    }

    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH` or a
    /// plain path is a SQLite file.
    pub fn parse(value: &str) -> Self {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Location::Postgres(value.to_owned())
        } else {
            let path = value
                .strip_prefix("sqlite://")
                .or_else(|| value.strip_prefix("sqlite:"))
                .unwrap_or(value);
            Location::Sqlite(PathBuf::from(path))
        }
    }
}

/// The connection settings of a `postgres://` URL, completed from the `PG*`
/// variables, with TLS set up as libpq's `sslmode` asks.
pub(super) fn pg_config(
    url: &str,
) -> Result<
    (
        postgres::Config,
        Option<tokio_postgres_rustls::MakeRustlsConnect>,
        String,
    ),
    OpenError,
> {
    // `verify-ca`/`verify-full` are libpq's; the driver knows only up to
    // `require`, and our TLS always verifies the certificate and host.
    let (url, verify) = strip_query(url, "sslmode", &["verify-ca", "verify-full"]);
    let (url, root_cert) = take_query(&url, "sslrootcert");
    let mut config = postgres::Config::from_str(&url).map_err(|e| OpenError::Url(e.to_string()))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        config.host(&env("PGHOST").unwrap_or_else(|| "localhost".to_owned()));
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none() {
        config.user(
            &env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".into()),
        );
    }
    if config.get_password().is_none()
        && let Some(password) = env("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_dbname().is_none()
        && let Some(database) = env("PGDATABASE")
    {
        config.dbname(&database);
    }
    let mode = match (verify, env("PGSSLMODE").as_deref()) {
        (true, _) | (false, Some("verify-ca" | "verify-full")) => {
            postgres::config::SslMode::Require
        }
        (false, Some("disable")) if !url.contains("sslmode=") => postgres::config::SslMode::Disable,
        (false, Some("require")) if !url.contains("sslmode=") => postgres::config::SslMode::Require,
        _ => config.get_ssl_mode(),
    };
    config.ssl_mode(mode);
    config.application_name("gatehouse");
    config.connect_timeout(Duration::from_secs(10));
    let root_cert = match root_cert.or_else(|| env("PGSSLROOTCERT")) {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| OpenError::Url(format!("cannot read sslrootcert {path}: {e}")))?,
        ),
        None => None,
    };
    let tls = match mode {
        postgres::config::SslMode::Disable => None,
        _ => Some(
            crate::connector::postgres::tls_connector(root_cert.as_deref())
                .map_err(OpenError::Url)?,
        ),
    };
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => String::new(),
    };
    let name = format!(
        "{}@{host}:{}/{}",
        config.get_user().unwrap_or_default(),
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_dbname().unwrap_or_default()
    );
    Ok((config, tls, name))
}

/// The URL without the query parameter `key` when its value is one of `values`.
pub(super) fn strip_query(url: &str, key: &str, values: &[&str]) -> (String, bool) {
    let (url, value) = take_query(url, key);
    match value {
        Some(value) if values.contains(&value.as_str()) => (url, true),
        Some(value) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            (format!("{url}{separator}{key}={value}"), false)
        }
        None => (url, false),
    }
}

/// The URL without the query parameter `key`, and its value.
pub(super) fn take_query(url: &str, key: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut found = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((k, v)) if k == key => {
                found = Some(v.to_owned());
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (base.to_owned(), found)
    } else {
        (format!("{base}?{}", kept.join("&")), found)
    }
}

pub(super) fn pg_connect(
    config: &postgres::Config,
    tls: Option<&tokio_postgres_rustls::MakeRustlsConnect>,
) -> Result<PgConn, String> {
    let client = match tls {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(postgres::NoTls),
    }
    .map_err(|e| crate::store::sql::Error::Postgres(e).to_string())?;
    Ok(PgConn::new(client))
}

/// Apply the migrations this database lacks, in one transaction, holding an
/// advisory lock so a second process starting at the same time waits and
/// then finds nothing left to do.
pub(super) fn pg_migrate(conn: &PgConn) -> Result<(), String> {
    let run = || -> Result<(), crate::store::sql::Error> {
        // READ COMMITTED: once the lock is ours, the next statement sees what
        // a process that migrated before us committed.
        conn.batch("BEGIN")?;
        let sql = crate::store::sql::Conn::Postgres(conn);
        sql.execute("SELECT pg_advisory_xact_lock(?1)", [MIGRATION_LOCK])?;
        sql.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )?;
        let applied: i64 = sql.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )?;
        for (index, migration) in PG_MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
            if version <= applied {
                continue;
            }
            sql.execute_batch(migration)?;
            sql.execute(
                "INSERT INTO schema_migrations (version) VALUES (?1)",
                [version],
            )?;
        }
        conn.batch("COMMIT")
    };
    run().map_err(|error| {
        let _ = conn.batch("ROLLBACK");
        error.to_string()
    })
}

/// Process-wide SQLite settings, made once before the first connection.
pub(super) fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Without memory statistics, SQLite's allocator takes no global
        // mutex on every malloc and free: with it, concurrent readers on the
        // pool's threads queued on that one lock (futex waits were a fifth of
        // the CPU time of the My Requests benchmark).
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. Called before
        // SQLite is initialised it applies; after, it returns SQLITE_MISUSE
        // and changes nothing.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                std::ffi::c_int::from(0u8),
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite was initialised before its memory statistics could be turned off"
            );
        }
    });
}

pub(super) fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
    configure_sqlite();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Lists and the engine use a few dozen distinct statements; re-preparing
    // them on every call would cost more than running them.
    conn.set_prepared_statement_cache_capacity(256);
    // Plans must not depend on bound values: with ANALYZE's sample statistics
    // (STAT4, compiled in) a cached statement whose parameter meets an indexed
    // column would otherwise be re-parsed and re-planned on every run.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: an acknowledged write survives power loss, not only a crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_values_name_their_store() {
        assert_eq!(
            Location::parse("postgres://u:p@h/db"),
            Location::Postgres("postgres://u:p@h/db".into())
        );
        assert_eq!(
            Location::parse("postgresql://h/db"),
            Location::Postgres("postgresql://h/db".into())
        );
        assert_eq!(
            Location::parse("sqlite:x.db"),
            Location::Sqlite("x.db".into())
        );
        assert_eq!(
            Location::parse("/var/g.db"),
            Location::Sqlite("/var/g.db".into())
        );
    }

    #[test]
    fn libpq_only_ssl_modes_are_taken_out_of_the_url() {
        assert_eq!(
            strip_query(
                "postgres://h/db?sslmode=verify-full&x=1",
                "sslmode",
                &["verify-full"]
            ),
            ("postgres://h/db?x=1".to_owned(), true)
        );
        assert_eq!(
            strip_query(
                "postgres://h/db?sslmode=disable",
                "sslmode",
                &["verify-full"]
            ),
            ("postgres://h/db?sslmode=disable".to_owned(), false)
        );
    }
}
