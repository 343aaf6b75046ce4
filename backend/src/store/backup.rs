//! `gatehouse backup`: an online copy of a SQLite store through SQLite's
//! backup API, taken while the server keeps writing. The pages are copied
//! in one step inside one read transaction: in WAL mode that never blocks
//! the server's writer, and the copy is the database as of one commit. The
//! copy is written beside the target under a temporary name, checked
//! (`PRAGMA integrity_check`) and only then renamed into place, so a
//! half-written file never carries the target's name.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use rusqlite::{
    Connection, OpenFlags,
    backup::{Backup, StepResult},
};

/// How long the copy waits for a lock before giving up.
const BUSY_FOR_AT_MOST: Duration = Duration::from_secs(30);

/// What was copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    pub pages: i64,
    pub bytes: i64,
}

/// Why a backup was not made; the message is one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no database at {0}")]
    NoSource(PathBuf),
    #[error("{0} already exists; choose a new name (backups are never overwritten)")]
    TargetExists(PathBuf),
    #[error("{0} is not a Gatehouse database (it has no requests table)")]
    NotGatehouse(PathBuf),
    #[error("the database stayed locked for {0:?}; try again")]
    Busy(Duration),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("{context}: {source}")]
    Sqlite {
        context: String,
        source: rusqlite::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

/// Copy the SQLite database at `from` into a new file `to`.
pub fn backup_sqlite(from: &Path, to: &Path) -> Result<BackupReport, BackupError> {
    if !from.is_file() {
        return Err(BackupError::NoSource(from.to_owned()));
    }
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_owned()));
    }
    let sqlite = |context: String| move |source| BackupError::Sqlite { context, source };
    // Read-write without create: a WAL database is read through its shared
    // memory file, which a read-only connection may not be able to set up.
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(format!("cannot open {}", from.display())))?;
    source
        .busy_timeout(Duration::from_secs(10))
        .map_err(sqlite("cannot set a busy timeout".into()))?;
    let is_gatehouse: bool = source
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests')",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite(format!("cannot read {}", from.display())))?;
    if !is_gatehouse {
        return Err(BackupError::NotGatehouse(from.to_owned()));
    }

    let partial = partial_name(to);
    let copied = copy_into(&source, &partial);
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
        return copied;
    }
    // Not `rename`: it would replace a file created meanwhile under `to`.
    let placed = std::fs::hard_link(&partial, to).map_err(|source| BackupError::Io {
        context: format!("cannot create {}", to.display()),
        source,
    });
    let _ = std::fs::remove_file(&partial);
    placed?;
    sync_directory(to);
    copied
}

fn copy_into(source: &Connection, partial: &Path) -> Result<BackupReport, BackupError> {
    let sqlite = |context: &str| {
        let context = context.to_owned();
        move |source| BackupError::Sqlite { context, source }
    };
    let mut target = Connection::open_with_flags(
        partial,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(&format!("cannot create {}", partial.display())))?;
    {
        let backup = Backup::new(source, &mut target).map_err(sqlite("cannot start the backup"))?;
        // -1: every page in one step, so one read transaction sees one commit
        // (rusqlite's run_to_completion only takes steps of some pages, and a
        // write between two steps would start the copy over).
        let started = std::time::Instant::now();
        loop {
            match backup.step(-1).map_err(sqlite("the backup failed"))? {
                StepResult::Done => break,
                StepResult::More => {}
                _ if started.elapsed() > BUSY_FOR_AT_MOST => {
                    return Err(BackupError::Busy(BUSY_FOR_AT_MOST));
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    // One self-contained file: the server turns WAL on again when it opens it.
    target
        .pragma_update(None, "journal_mode", "DELETE")
        .map_err(sqlite("cannot leave WAL mode in the copy"))?;
    let verdict: String = target
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(sqlite("cannot check the copy"))?;
    if verdict != "ok" {
        return Err(BackupError::Corrupt(verdict));
    }
    let (pages, page_size): (i64, i64) = target
        .query_row(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(sqlite("cannot measure the copy"))?;
    target.close().map_err(|(_, source)| BackupError::Sqlite {
        context: "cannot close the copy".into(),
        source,
    })?;
    std::fs::File::open(partial)
        .and_then(|file| file.sync_all())
        .map_err(|source| BackupError::Io {
            context: format!("cannot flush {}", partial.display()),
            source,
        })?;
    Ok(BackupReport {
        pages,
        bytes: pages * page_size,
    })
}

/// `FILE.partial-PID` beside `to`.
fn partial_name(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(name)
}

/// Make the new directory entry durable (best effort).
fn sync_directory(file: &Path) {
    let directory = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(directory) = std::fs::File::open(directory) {
        let _ = directory.sync_all();
    }
}
