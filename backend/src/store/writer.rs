//! SQLite's one writer, with group commit.
//!
//! SQLite lets one transaction write at a time, and each commit waits for
//! the disk (`synchronous=FULL`). Instead of every write taking the lock and
//! paying for its own flush, writes queue to one thread with a connection of
//! its own, which runs whatever has queued in one transaction: each write in
//! a savepoint of its own (a write that fails is rolled back alone, as if it
//! had run by itself), then one commit for all. A write is answered only
//! after that commit, so nothing is acknowledged before it is durable.
//!
//! Reads never wait here: they run on the pool's other connections.

use std::{
    any::Any,
    panic::{AssertUnwindSafe, catch_unwind},
};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::sql::{self, Conn};
use crate::error::AppError;

/// At most this many writes share a commit.
const BATCH: usize = 128;

type Value = Box<dyn Any + Send>;
type Work = Box<dyn FnMut(Conn<'_>) -> Result<Value, AppError> + Send>;

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Value, AppError>>,
}

/// The queue to the writer thread; the thread ends when the last handle is
/// dropped.
pub struct Writer {
    queue: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Start the writer thread on `conn`.
    pub fn start(conn: Connection) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("gatehouse-sqlite-writer".into())
            .spawn(move || run(conn, jobs))?;
        Ok(Self { queue })
    }

    /// Run `work` in the next group of writes; its value once committed.
    pub async fn write<T, F>(&self, mut work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnMut(Conn<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work: Work = Box::new(move |conn| work(conn).map(|value| Box::new(value) as Value));
        self.queue
            .send(Job { work, reply })
            .map_err(|_| AppError::internal("the SQLite writer has stopped"))?;
        let value = answer
            .await
            .map_err(|_| AppError::internal("the SQLite writer stopped during a write"))??;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| AppError::internal("the SQLite writer answered another type"))
    }
}

fn run(conn: Connection, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = run_batch(&conn, &mut batch);
        for (job, result) in batch.into_iter().zip(results) {
            // The caller may have gone (a dropped request): nothing to tell.
            let _ = job.reply.send(result);
        }
    }
}

/// Run the jobs in one transaction, each in its own savepoint; every job's
/// result, failed as a whole when the commit fails.
fn run_batch(conn: &Connection, batch: &mut [Job]) -> Vec<Result<Value, AppError>> {
    let failed_all = |error: &AppError, n: usize| -> Vec<Result<Value, AppError>> {
        (0..n)
            .map(|_| Err(AppError::internal(format!("write not committed: {error}"))))
            .collect()
    };
    if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
        let error = AppError::from(sql::Error::from(error));
        return failed_all(&error, batch.len());
    }
    let mut results = Vec::with_capacity(batch.len());
    for job in batch.iter_mut() {
        let outcome = conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| AppError::from(sql::Error::from(e)))
            .and_then(|()| {
                catch_unwind(AssertUnwindSafe(|| (job.work)(Conn::Sqlite(conn))))
                    .unwrap_or_else(|_| Err(AppError::internal("a write panicked")))
            });
        let ended = match &outcome {
            Ok(_) => conn.execute_batch("RELEASE job"),
            Err(_) => conn.execute_batch("ROLLBACK TO job; RELEASE job"),
        };
        match ended {
            Ok(()) => results.push(outcome),
            Err(error) => {
                // The transaction is in an unknown state: give it up whole.
                let _ = conn.execute_batch("ROLLBACK");
                return failed_all(&AppError::from(sql::Error::from(error)), batch.len());
            }
        }
    }
    if let Err(error) = conn.execute_batch("COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return failed_all(&AppError::from(sql::Error::from(error)), batch.len());
    }
    results
}

#[cfg(test)]
mod tests {
    use crate::{db::Db, error::AppError};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_write_in_a_group_is_undone_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let mut writes = Vec::new();
        for n in 0..64i64 {
            let db = db.clone();
            writes.push(tokio::spawn(async move {
                db.write(move |tx| {
                    tx.execute(
                        "INSERT INTO ticket_types (name) VALUES (?1)",
                        [format!("type {n}")],
                    )?;
                    if n % 2 == 1 {
                        return Err(AppError::invalid("name", "odd ones are refused"));
                    }
                    Ok(n)
                })
                .await
            }));
        }
        let mut kept = Vec::new();
        for write in writes {
            if let Ok(n) = write.await.unwrap() {
                kept.push(n);
            }
        }
        assert_eq!(kept.len(), 32);
        let names: Vec<String> = db
            .call(|conn| {
                Ok(conn
                    .prepare("SELECT name FROM ticket_types ORDER BY id")?
                    .query_map([], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(names.len(), 32, "{names:?}");
        assert!(names.iter().all(|name| {
            let n: i64 = name.trim_start_matches("type ").parse().unwrap();
            n % 2 == 0
        }));
    }
}
