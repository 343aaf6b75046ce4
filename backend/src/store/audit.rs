//! The append-only audit log: every state change with its actor and time,
//! hash-chained so that an edited or removed entry is detected.

use crate::store::sql::{Conn, OptionalExtension, params};
use gatehouse_shared::requests::{AuditEntry, UserRef};
use sha2::{Digest, Sha256};

use crate::{error::AppError, store::tokens::timestamp};

/// SHA-256 of the previous hash and the entry's fields, in a fixed encoding.
pub fn entry_hash(
    previous: &[u8],
    id: i64,
    at: i64,
    actor: Option<i64>,
    request_id: Option<i64>,
    action: &str,
    detail: &str,
) -> Vec<u8> {
    let canonical = serde_json::json!([id, at, actor, request_id, action, detail]).to_string();
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical.as_bytes());
    hasher.finalize().to_vec()
}

/// Append one entry. `actor` is None when Gatehouse itself acted. Call it
/// inside the write transaction of the change it records. Only the row is
/// written: the notices a change to a request calls for are the engine's
/// (`engine::record` writes both).
pub fn record(
    conn: Conn<'_>,
    at: i64,
    actor: Option<i64>,
    request_id: Option<i64>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (id, previous) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, Vec::new()),
    };
    let detail = detail.to_string();
    let hash = entry_hash(&previous, id, at, actor, request_id, action, &detail);
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor_id, request_id, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, at, actor, request_id, action, detail, hash])?;
    Ok(())
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: u64,
        head: Vec<u8>,
    },
    /// The first entry whose hash does not follow from the ones before it
    /// (edited, or an entry before it was removed).
    Broken {
        entries_checked: u64,
        at_id: i64,
        reason: String,
    },
}

/// Recompute the chain from the first entry.
pub fn verify(conn: Conn<'_>) -> Result<Verdict, AppError> {
    let mut statement = conn.prepare(
        "SELECT id, at, actor_id, request_id, action, detail, hash FROM audit_log ORDER BY id",
    )?;
    let mut previous: Vec<u8> = Vec::new();
    let mut expected_id = 1;
    let mut entries = 0;
    let mut broken = None;
    statement.for_each([], |row| {
        if broken.is_some() {
            return Ok(());
        }
        let id: i64 = row.get(0)?;
        if id != expected_id {
            broken = Some(Verdict::Broken {
                entries_checked: entries,
                at_id: id,
                reason: format!("entry {expected_id} is missing"),
            });
            return Ok(());
        }
        let hash: Vec<u8> = row.get(6)?;
        let computed = entry_hash(
            &previous,
            id,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            &row.get::<_, String>(4)?,
            &row.get::<_, String>(5)?,
        );
        if computed != hash {
            broken = Some(Verdict::Broken {
                entries_checked: entries,
                at_id: id,
                reason: "its content or an earlier entry was changed".into(),
            });
            return Ok(());
        }
        previous = hash;
        expected_id += 1;
        entries += 1;
        Ok(())
    })?;
    if let Some(verdict) = broken {
        return Ok(verdict);
    }
    Ok(Verdict::Intact {
        entries,
        head: previous,
    })
}

/// The trail of one request, oldest first.
pub fn for_request(conn: Conn<'_>, request_id: i64) -> Result<Vec<AuditEntry>, AppError> {
    search(
        conn,
        &AuditFilter {
            request_id: Some(request_id),
            ..AuditFilter::default()
        },
        i64::MAX,
    )
}

/// What the admin audit view filters on; all optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub actor_id: Option<i64>,
    pub request_id: Option<i64>,
    /// Only entries past this id, in the order listed.
    pub after_id: Option<i64>,
    /// Only entries up to this id: the newest when a read of many pages
    /// began, so that its later pages add nothing written since.
    pub through_id: Option<i64>,
    pub newest_first: bool,
}

/// Matching entries, oldest (or newest) first, at most `limit`.
pub fn search(
    conn: Conn<'_>,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    const SELECT: &str = "SELECT a.id, a.at, a.actor_id, u.username, u.display_name, a.request_id, a.action, a.detail
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE (CAST(?1 AS BIGINT) IS NULL OR a.request_id = ?1)
           AND (CAST(?2 AS BIGINT) IS NULL OR a.actor_id = ?2)
           AND (CAST(?3 AS BIGINT) IS NULL OR a.at >= ?3) AND (CAST(?4 AS BIGINT) IS NULL OR a.at < ?4)
           AND (CAST(?7 AS BIGINT) IS NULL OR a.id <= ?7)";
    let order = if filter.newest_first {
        "AND (CAST(?5 AS BIGINT) IS NULL OR a.id < ?5) ORDER BY a.id DESC LIMIT ?6"
    } else {
        "AND (CAST(?5 AS BIGINT) IS NULL OR a.id > ?5) ORDER BY a.id LIMIT ?6"
    };
    let mut statement = conn.prepare_cached(&format!("{SELECT} {order}"))?;
    let values = params![
        filter.request_id,
        filter.actor_id,
        filter.from,
        filter.to,
        filter.after_id,
        limit,
        filter.through_id
    ];
    let rows = statement.query_map(values, |row| {
        let actor = match row.get::<_, Option<i64>>(2)? {
            Some(id) => Some(UserRef {
                id,
                username: row.get(3)?,
                display_name: row.get(4)?,
            }),
            None => None,
        };
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            actor,
            row.get::<_, Option<i64>>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
        ))
    })?;
    rows.map(|row| {
        let (id, at, actor, request_id, action, detail) = row?;
        Ok(AuditEntry {
            id,
            at: timestamp(at)?,
            actor,
            request_id,
            action,
            detail: serde_json::from_str(&detail)?,
        })
    })
    .collect()
}
