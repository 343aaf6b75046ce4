//! The data generation the memo keys its answers on ([`crate::memo`]).

use super::{Backend, Db};

impl Db {
    /// The database's data generation: SQLite's `data_version` seen by a
    /// connection that never writes, so it moves on after every commit by any
    /// other connection, this server's or another process's. An answer
    /// computed after reading generation `g` holds every change committed
    /// before `g` was read; see [`crate::memo`]. On PostgreSQL, the
    /// `data_generation` sequence, which every write transaction moves on
    /// after its commit and before it is acknowledged (one round trip to
    /// read). None when the store cannot say.
    pub async fn generation(&self) -> Option<u64> {
        let watcher = match &self.inner.backend {
            Backend::Sqlite { watcher, .. } => watcher,
            Backend::Postgres { .. } => {
                let read = self
                    .call(|conn| {
                        Ok(conn.query_row(
                            "SELECT last_value * 2 + CASE WHEN is_called THEN 1 ELSE 0 END FROM data_generation",
                            [],
                            |row| row.get::<_, i64>(0),
                        )?)
                    })
                    .await;
                return match read {
                    Ok(generation) => u64::try_from(generation).ok(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the data generation; answering without the memo");
                        None
                    }
                };
            }
        };
        let watcher = watcher
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
}
