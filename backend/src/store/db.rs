//! The store's connections: an embedded SQLite file (the default) or a
//! PostgreSQL server, chosen by the `--db` value at start. Each is a small
//! pool whose calls run on tokio's blocking thread pool, so the async
//! workers never wait on disk or on the network; work receives a
//! driver-neutral [`Conn`].
//!
//! Writes run in one transaction each. SQLite serialises writers
//! (`BEGIN IMMEDIATE`); PostgreSQL runs them SERIALIZABLE and runs the
//! whole transaction again when another one won a race, so every
//! check-then-act of the engine stays correct with concurrent writers.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};
use tokio::sync::Semaphore;

use super::sql::{Conn, Dialect, PgConn};

mod generation;
mod open;

use crate::{error::AppError, store::catalog::CatalogCache};
pub use open::{Location, MIGRATION_COUNT, OpenError};
use open::{MIGRATIONS, connect, pg_config, pg_connect, pg_migrate};

const POOL_SIZE: usize = 8;
const PG_POOL_SIZE: usize = 16;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a PostgreSQL transaction that lost a race is run again.
const WRITE_ATTEMPTS: u32 = 30;
/// Taken by each write transaction on PostgreSQL for its whole length (see
/// [`Db::write`]); "gatewrit" in ASCII.
const WRITE_LOCK: i64 = 0x6761_7465_7772_6974;
/// Held by whoever migrates a PostgreSQL database, so two processes starting
/// together cannot both migrate (an arbitrary constant: "gatehous" in ASCII).
const MIGRATION_LOCK: i64 = 0x6761_7465_686f_7573;

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
    /// Background work (workers, leases) takes its connections in a lane of
    /// its own, so requests crowding the pool cannot starve it.
    background: bool,
}

/// Connections reserved for background work, beside the pool's.
const BACKGROUND_PERMITS: usize = 4;
/// Connections reserved for requests that change something, beside the
/// pool's (see [`in_write_lane`]).
const WRITE_LANE_PERMITS: usize = 4;

tokio::task_local! {
    /// Set for the length of a request that changes something.
    static WRITE_LANE: ();
}

/// Run `work` (a request that changes something) in the write lane: its
/// database calls take connections reserved for such requests, so many
/// readers crowding the pool cannot starve submissions and approvals (the
/// pool hands out connections first come, first served).
pub async fn in_write_lane<F: std::future::Future>(work: F) -> F::Output {
    WRITE_LANE.scope((), work).await
}

struct Inner {
    backend: Backend,
    /// What `--db` said, to open the same store again.
    location: String,
    permits: Semaphore,
    background_permits: Semaphore,
    write_permits: Semaphore,
    /// How many connections the pool lends at once.
    size: usize,
    /// Catalog pages and counts, valid for one catalog generation.
    catalog_cache: CatalogCache,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing a driver connection blocks on its own runtime, which
        // tokio refuses on a thread that drives tasks: close them elsewhere.
        if let Backend::Postgres { idle, .. } = &mut self.backend {
            let connections = std::mem::take(idle.get_mut().unwrap_or_else(|p| p.into_inner()));
            if !connections.is_empty() {
                std::thread::spawn(move || drop(connections));
            }
        }
    }
}

enum Backend {
    Sqlite {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
        /// A connection kept only to ask SQLite whether the file changed (see [`Db::generation`]).
        watcher: Mutex<Connection>,
        /// The one writer, committing queued writes together.
        writer: super::writer::Writer,
    },
    Postgres {
        config: postgres::Config,
        tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
        idle: Mutex<Vec<PgConn>>,
        /// What the log and errors call this database (no password).
        name: String,
    },
}

impl Db {
    /// Open the store `--db` names and bring its schema up to date.
    pub fn connect(location: &str) -> Result<Self, OpenError> {
        match Location::parse(location) {
            Location::Sqlite(path) => Self::open(&path),
            Location::Postgres(url) => Self::open_postgres(&url),
        }
    }

    /// Open (creating if needed) the SQLite file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let mut conn = connect(path).map_err(|source| OpenError::Open {
            path: path.to_owned(),
            source,
        })?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations
            .to_latest(&mut conn)
            .map_err(|source| OpenError::Migrate {
                path: path.to_owned(),
                source,
            })?;
        let watcher = connect(path).map_err(|source| OpenError::Open {
            path: path.to_owned(),
            source,
        })?;
        let writer = connect(path)
            .map_err(|source| OpenError::Open {
                path: path.to_owned(),
                source,
            })
            .and_then(|conn| {
                super::writer::Writer::start(conn).map_err(|error| {
                    OpenError::Url(format!("cannot start the SQLite writer thread: {error}"))
                })
            })?;
        Ok(Self::with_backend(
            path.display().to_string(),
            Backend::Sqlite {
                path: path.to_owned(),
                idle: Mutex::new(vec![conn]),
                watcher: Mutex::new(watcher),
                writer,
            },
            POOL_SIZE,
        ))
    }

    /// Connect to PostgreSQL (a `postgres://` URL; what it leaves out comes
    /// from the `PG*` variables, as libpq does) and migrate it under a lock.
    pub fn open_postgres(url: &str) -> Result<Self, OpenError> {
        // The driver blocks on a runtime of its own, which tokio refuses
        // inside an async task: connect and migrate on a thread of our own.
        std::thread::scope(|scope| {
            scope
                .spawn(|| Self::open_postgres_blocking(url))
                .join()
                .unwrap_or_else(|_| Err(OpenError::Url("the connecting thread failed".into())))
        })
    }

    fn open_postgres_blocking(url: &str) -> Result<Self, OpenError> {
        let (config, tls, name) = pg_config(url)?;
        let conn = pg_connect(&config, tls.as_ref()).map_err(|detail| OpenError::Connect {
            name: name.clone(),
            detail,
        })?;
        pg_migrate(&conn).map_err(|detail| OpenError::PgMigrate {
            name: name.clone(),
            detail,
        })?;
        Ok(Self::with_backend(
            url.to_owned(),
            Backend::Postgres {
                config,
                tls,
                idle: Mutex::new(vec![conn]),
                name,
            },
            PG_POOL_SIZE,
        ))
    }

    fn with_backend(location: String, backend: Backend, size: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                location,
                permits: Semaphore::new(size),
                background_permits: Semaphore::new(BACKGROUND_PERMITS),
                write_permits: Semaphore::new(WRITE_LANE_PERMITS),
                size,
                catalog_cache: CatalogCache::default(),
            }),
            background: false,
        }
    }

    /// The same store, for background work: its calls take connections
    /// from a lane of their own, so
    /// the workers and the leases they hold are never starved by requests.
    pub fn background(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            background: true,
        }
    }

    /// The same store opened again, as a restarted server would open it.
    pub fn reopen(&self) -> Result<Self, OpenError> {
        match &self.inner.backend {
            Backend::Sqlite { path, .. } => Self::open(path),
            Backend::Postgres { .. } => Self::open_postgres(&self.inner.location),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner.backend {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// What `--db` names for this store (a path or a `postgres://` URL).
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The SQLite file, when the store is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.inner.backend {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres { .. } => None,
        }
    }

    /// What the log calls this store (a path, or PostgreSQL's host and database).
    pub fn describe(&self) -> String {
        match &self.inner.backend {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres { name, .. } => name.clone(),
        }
    }

    /// The pool's size and how many of its connections are lent out now
    /// (`GET /metrics`).
    pub fn pool_use(&self) -> (usize, usize) {
        let size = self.inner.size;
        (
            size,
            size.saturating_sub(self.inner.permits.available_permits()),
        )
    }

    /// The cache of catalog pages and counts of this database.
    pub fn catalog_cache(&self) -> &CatalogCache {
        &self.inner.catalog_cache
    }

    /// Run `work` with a connection on the blocking pool, each statement on
    /// its own (autocommit).
    pub async fn call<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        self.with_connection(move |conn| match conn {
            Pooled::Sqlite(conn) => work(Conn::Sqlite(conn)),
            Pooled::Postgres(conn) => work(Conn::Postgres(conn)),
        })
        .await
    }

    /// Run `work` reading one consistent snapshot (several statements that
    /// must agree, such as a page and its count).
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        self.with_connection(move |conn| match conn {
            Pooled::Sqlite(conn) => {
                let tx = conn.transaction().map_err(sqlite)?;
                let value = work(Conn::Sqlite(&tx))?;
                tx.commit().map_err(sqlite)?;
                Ok(value)
            }
            Pooled::Postgres(conn) => {
                conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                let value = work(Conn::Postgres(conn));
                conn.batch(if value.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
                value
            }
        })
        .await
    }

    /// Run `work` inside one write transaction, committed only when it returns Ok.
    ///
    /// SQLite: one writer thread runs the writes queued meanwhile in one
    /// transaction, each in a savepoint of its own, and commits them together
    /// ([`super::writer`]); `BEGIN IMMEDIATE` there makes another process's
    /// writer wait on the busy timeout instead of failing half-way.
    /// PostgreSQL: SERIALIZABLE, and `work` runs again (from the start, on a
    /// fresh transaction) when the database reports that a concurrent
    /// transaction won; so `work` must do nothing but database work.
    pub async fn write<T, F>(&self, mut work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnMut(Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        if let Backend::Sqlite { writer, .. } = &self.inner.backend {
            return writer.write(work).await;
        }
        self.with_connection(move |conn| match conn {
            Pooled::Sqlite(_) => Err(AppError::internal("SQLite writes go through its writer")),
            Pooled::Postgres(conn) => {
                // Every write appends to the one audit hash chain, whose head
                // each append reads: concurrent writers would all conflict and
                // retry. They take turns instead, on a lock held across the
                // transaction and taken before it, so its snapshot already
                // holds the previous writer's commit.
                conn.batch(&format!("SELECT pg_advisory_lock({WRITE_LOCK})"))?;
                let _turn = WriterTurn(conn);
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    conn.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
                    let outcome = work(Conn::Postgres(conn)).and_then(|value| {
                        conn.batch("COMMIT")?;
                        Ok(value)
                    });
                    match outcome {
                        Ok(value) => {
                            // Answers kept in memory anywhere are dropped on
                            // their next read. Committed whatever happens here:
                            // at worst a memo holds for the rest of its second.
                            if let Err(error) = conn.batch("SELECT nextval('data_generation')") {
                                tracing::warn!(%error, "cannot move the data generation on");
                            }
                            return Ok(value);
                        }
                        Err(error) => {
                            // A failed COMMIT has already ended the transaction;
                            // ROLLBACK then only warns.
                            conn.batch("ROLLBACK")?;
                            if !matches!(error, AppError::Contended(_)) || attempt >= WRITE_ATTEMPTS
                            {
                                return Err(error);
                            }
                            let pause = rand::random::<u64>() % (u64::from(attempt) * 2 + 1);
                            std::thread::sleep(Duration::from_millis(pause));
                        }
                    }
                }
            }
        })
        .await
    }

    /// Run `work`, a single statement that is atomic by itself and that no
    /// answer kept in memory depends on (a lease's bookkeeping): SQLite
    /// through its writer as any write; PostgreSQL on its own (autocommit),
    /// without taking the writers' turn or moving the data generation on.
    pub async fn write_aside<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnMut(Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        match self.inner.backend {
            Backend::Sqlite { .. } => self.write(work).await,
            Backend::Postgres { .. } => self.call(work).await,
        }
    }

    async fn with_connection<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Pooled<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let permits = if self.background {
            &self.inner.background_permits
        } else if WRITE_LANE.try_with(|_| ()).is_ok() {
            &self.inner.write_permits
        } else {
            &self.inner.permits
        };
        let _permit = permits
            .acquire()
            .await
            .map_err(|_| AppError::internal("database pool closed"))?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || with_pooled(&inner, work))
            .await
            .map_err(|join| AppError::internal(format!("database task failed: {join}")))?
    }

    /// Run `work` with a connection of this store reading one snapshot and
    /// a connection of `target` inside one write transaction, committed only
    /// when `work` returns Ok (`gatehouse db copy`).
    pub async fn with_source_and_target<T, F>(&self, target: &Db, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Conn<'_>, Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let source = Arc::clone(&self.inner);
        let target = Arc::clone(&target.inner);
        tokio::task::spawn_blocking(move || {
            with_pooled(&source, |from| {
                with_pooled(&target, |to| {
                    in_transaction(
                        from,
                        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                        |from| in_transaction(to, "BEGIN", |to| work(from, to)),
                    )
                })
            })
        })
        .await
        .map_err(|join| AppError::internal(format!("database task failed: {join}")))?
    }
}

/// Run `work` in a transaction on `pooled`: SQLite's deferred (reads) or
/// immediate (`BEGIN` on PostgreSQL means a write here) transaction, or
/// PostgreSQL's `begin` statement; committed when `work` returns Ok.
fn in_transaction<T>(
    pooled: Pooled<'_>,
    begin: &str,
    work: impl FnOnce(Conn<'_>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    match pooled {
        Pooled::Sqlite(conn) => {
            let behavior = if begin == "BEGIN" {
                rusqlite::TransactionBehavior::Immediate
            } else {
                rusqlite::TransactionBehavior::Deferred
            };
            let tx = conn.transaction_with_behavior(behavior).map_err(sqlite)?;
            let value = work(Conn::Sqlite(&tx))?;
            tx.commit().map_err(sqlite)?;
            Ok(value)
        }
        Pooled::Postgres(conn) => {
            conn.batch(begin)?;
            let value = work(Conn::Postgres(conn));
            conn.batch(if value.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            value
        }
    }
}

/// Run `work` with a connection from the pool of `inner` (opening one when
/// none is idle), on the calling (blocking) thread.
fn with_pooled<T>(
    inner: &Inner,
    work: impl FnOnce(Pooled<'_>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    match &inner.backend {
        Backend::Sqlite { path, idle, .. } => {
            let pooled = idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(path).map_err(sqlite)?,
            };
            let result = work(Pooled::Sqlite(&mut conn));
            idle.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(conn);
            result
        }
        Backend::Postgres {
            config, tls, idle, ..
        } => {
            let pooled = idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop()
                .filter(|conn| !conn.is_closed());
            let conn = match pooled {
                Some(conn) => conn,
                None => pg_connect(config, tls.as_ref()).map_err(AppError::Unavailable)?,
            };
            let result = work(Pooled::Postgres(&conn));
            // A connection the server closed (a restart) is dropped; the
            // next call opens a new one.
            if !conn.is_closed() {
                idle.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(conn);
            }
            result
        }
    }
}

/// A writer's turn on PostgreSQL: the session lock is given back however
/// the transaction ended (a connection that died gives it back by itself).
struct WriterTurn<'a>(&'a PgConn);

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        if !self.0.is_closed()
            && let Err(error) = self
                .0
                .batch(&format!("SELECT pg_advisory_unlock({WRITE_LOCK})"))
        {
            tracing::warn!(%error, "cannot give back the writer's lock");
        }
    }
}

fn sqlite(error: rusqlite::Error) -> AppError {
    super::sql::Error::from(error).into()
}

enum Pooled<'a> {
    Sqlite(&'a mut Connection),
    Postgres(&'a PgConn),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_use_wal_and_enforce_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let (mode, fk): (String, i64) = db
            .call(|conn| {
                let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let fk = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
                Ok((mode, fk))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
    }

    #[tokio::test]
    async fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let result: Result<(), AppError> = db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO integrations (name, kind) VALUES ('x', 'demo')",
                    [],
                )?;
                Err(AppError::invalid("name", "refused on purpose"))
            })
            .await;
        assert!(result.is_err());
        let count: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM integrations", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}
