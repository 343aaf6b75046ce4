//! The SQLite store: a small pool of connections, each configured the same way
//! (WAL, foreign keys, busy timeout), with every call run on tokio's blocking
//! thread pool so the async workers never wait on disk.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, config::DbConfig};
use rusqlite_migration::{M, Migrations};
use tokio::sync::Semaphore;

use crate::{error::AppError, store::catalog::CatalogCache};

/// Versioned migrations, embedded in the binary and applied at start.
/// Never edit one that has shipped; add the next.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_engine.sql"),
    include_str!("migrations/0003_connectors.sql"),
    include_str!("migrations/0004_notifications.sql"),
    include_str!("migrations/0005_catalog_generation.sql"),
];

const POOL_SIZE: usize = 8;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Catalog pages and counts, valid for one catalog generation.
    catalog_cache: CatalogCache,
    /// A connection kept only to ask SQLite whether the file changed (see [`Db::generation`]).
    watcher: Mutex<Connection>,
}

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
}

impl Db {
    /// Open (creating if needed) the database file and bring its schema up to date.
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
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                idle: Mutex::new(vec![conn]),
                permits: Semaphore::new(POOL_SIZE),
                catalog_cache: CatalogCache::default(),
                watcher: Mutex::new(watcher),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The cache of catalog pages and counts of this database.
    pub fn catalog_cache(&self) -> &CatalogCache {
        &self.inner.catalog_cache
    }

    /// Run `work` with a connection on the blocking pool.
    /// The database's data generation: SQLite's `data_version` seen by a
    /// connection that never writes, so it moves on after every commit by any
    /// other connection, this server's or another process's. An answer
    /// computed after reading generation `g` holds every change committed
    /// before `g` was read; see [`crate::memo`]. None when SQLite cannot say.
    pub fn generation(&self) -> Option<u64> {
        let watcher = self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let version = watcher
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut statement| statement.query_row([], |row| row.get::<_, i64>(0)));
        match version {
            Ok(version) => u64::try_from(version).ok(),
            Err(error) => {
                tracing::warn!(%error, "cannot read the data version; answering without the memo");
                None
            }
        }
    }

    pub async fn call<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::internal("database pool closed"))?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let result = work(&mut conn);
            inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(conn);
            result
        })
        .await
        .map_err(|join| AppError::internal(format!("database task failed: {join}")))?
    }

    /// Run `work` inside one write transaction, committed only when it returns Ok.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front, so two writers queue on
    /// the busy timeout instead of failing half-way with SQLITE_BUSY.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, AppError> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

/// Process-wide SQLite settings, made once before the first connection.
fn configure_sqlite() {
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

fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
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
