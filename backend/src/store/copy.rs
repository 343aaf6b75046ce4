//! `gatehouse db copy`: every table of one store into another, empty one
//! (SQLite to PostgreSQL to move a running install; any direction works).
//!
//! The source is read in one snapshot and the target written in one
//! transaction, so a copy either lands whole or leaves the target empty.
//! Rows keep their ids (the audit chain hashes them); PostgreSQL's id
//! sequences are moved past the copied ids afterwards.

use super::sql::{Conn, Dialect, Value, params_from_iter};
use crate::error::AppError;

/// Every table, parents before children (foreign keys hold at every insert).
/// A test checks this list against the tables the migrations make.
pub const TABLES: &[&str] = &[
    "access_flows",
    "bundles",
    "groups",
    "integrations",
    "settings",
    "slack_seen_signatures",
    "ssh_ca",
    "ticket_types",
    "users",
    "api_tokens",
    "user_identities",
    "audit_log",
    "flow_approvers",
    "flow_grantees",
    "flow_permissions",
    "flow_scope",
    "flow_steps",
    "group_members",
    "mfa",
    "notification_preferences",
    "requests",
    "resource_types",
    "sessions",
    "access_grants",
    "drift_checks",
    "drift_findings",
    "approvals",
    "expiry_warnings",
    "favorites",
    "outbox",
    "permissions",
    "request_changes",
    "resources",
    "slack_messages",
    "ssh_certificates",
    "bundle_items",
    "request_items",
    "resource_tags",
];

/// Kept by the target itself: a change counter, the leases of the processes
/// running on it, and failed log-ins (short-lived, per install).
#[cfg_attr(not(test), allow(dead_code))]
const NOT_COPIED: &[&str] = &[
    "catalog_generation",
    "leases",
    "login_failures",
    "oidc_logins",
];

/// Rows sent in one INSERT.
const BATCH: usize = 200;

/// How many rows of each table were copied.
#[derive(Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// The columns of `table`, in order (without PostgreSQL's `rowid`, which
/// each store numbers itself).
fn columns(conn: Conn<'_>, table: &str) -> Result<Vec<String>, AppError> {
    let names = match conn.dialect() {
        Dialect::Sqlite => conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?,
        Dialect::Postgres => conn
            .prepare_cached(
                "SELECT column_name FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = ?1 AND column_name <> 'rowid'
                 ORDER BY ordinal_position",
            )?
            .query_map([table], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?,
    };
    Ok(names)
}

/// The tables of `conn` holding rows, with their counts.
pub fn non_empty_tables(conn: Conn<'_>) -> Result<Vec<(&'static str, i64)>, AppError> {
    let mut found = Vec::new();
    for table in TABLES {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        if n > 0 {
            found.push((*table, n));
        }
    }
    Ok(found)
}

/// Copy every table of `from` into `to`, which must hold no rows.
pub fn copy(from: Conn<'_>, to: Conn<'_>) -> Result<CopyReport, AppError> {
    let taken = non_empty_tables(to)?;
    if !taken.is_empty() {
        let listed: Vec<String> = taken
            .iter()
            .map(|(t, n)| format!("{t} ({n} rows)"))
            .collect();
        return Err(AppError::Conflict(format!(
            "The target database is not empty: {}. Copy into a new, empty database.",
            listed.join(", ")
        )));
    }
    let mut report = CopyReport::default();
    for table in TABLES {
        let source_columns = columns(from, table)?;
        let target_columns = columns(to, table)?;
        // The same columns, in any order: a SQLite migration that rebuilds a
        // column moves it last, PostgreSQL keeps it in place (copied by name).
        let sorted = |columns: &[String]| {
            let mut columns = columns.to_vec();
            columns.sort();
            columns
        };
        if sorted(&source_columns) != sorted(&target_columns) {
            return Err(AppError::Conflict(format!(
                "Table {table} differs between the stores ({} vs {}): are both at the same version of Gatehouse?",
                source_columns.join(", "),
                target_columns.join(", ")
            )));
        }
        let list = source_columns.join(", ");
        // Insertion order is kept: by id, or by the order rows were written.
        let order = if source_columns.iter().any(|c| c == "id") {
            "id"
        } else {
            "rowid"
        };
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut copied = 0u64;
        let width = source_columns.len();
        let flush = |rows: &mut Vec<Vec<Value>>| -> Result<(), AppError> {
            if rows.is_empty() {
                return Ok(());
            }
            let one = format!("({})", vec!["?"; width].join(", "));
            let sql = format!(
                "INSERT INTO {table} ({list}) VALUES {}",
                vec![one.as_str(); rows.len()].join(", ")
            );
            let values = rows.drain(..).flatten();
            to.prepare_cached(&sql)?.execute(params_from_iter(values))?;
            Ok(())
        };
        let mut failure = None;
        from.prepare(&format!("SELECT {list} FROM {table} ORDER BY {order}"))?
            .for_each([], |row| {
                let mut values = Vec::with_capacity(width);
                for index in 0..width {
                    values.push(row.get::<_, Value>(index)?);
                }
                rows.push(values);
                copied += 1;
                if rows.len() == BATCH
                    && let Err(error) = flush(&mut rows)
                {
                    failure.get_or_insert(error);
                    rows.clear();
                }
                Ok(())
            })?;
        if let Some(error) = failure {
            return Err(error);
        }
        flush(&mut rows)?;
        if to.dialect() == Dialect::Postgres && order == "id" {
            // Identity columns do not see explicit ids: start after the copied ones.
            to.query_row(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                ),
                [],
                |_| Ok(()),
            )?;
        }
        report.tables.push((table, copied));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[tokio::test]
    async fn the_copy_list_names_every_table_the_migrations_make() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let mut made: Vec<String> = db
            .call(|conn| {
                Ok(conn
                    .prepare(
                        "SELECT name FROM sqlite_master WHERE type = 'table'
                         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'resources_search%'",
                    )?
                    .query_map([], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        made.sort();
        let mut listed: Vec<String> = TABLES
            .iter()
            .chain(NOT_COPIED)
            .map(|t| (*t).to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, made, "add the new table to store::copy::TABLES");
    }
}
