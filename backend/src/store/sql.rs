//! One SQL interface over both stores: the statements of `store/` are written
//! once, in the SQL that SQLite and PostgreSQL share, with `?N` (or `?`)
//! placeholders, and run through this module on either driver.
//!
//! The per-dialect part is small and lives here: placeholders become `$N`
//! on PostgreSQL, values cross as one [`Value`] shape (integers, reals, text,
//! bytes, NULL) and are encoded for whatever type PostgreSQL inferred for a
//! parameter, and each connection keeps its prepared statements. The few
//! statements that cannot be shared ask [`Conn::dialect`] and choose.
//!
//! Nothing above `store/` names a driver type: handlers, the engine, workers,
//! Slack and the CLI hold a [`Conn`] and call store functions with it.

use std::{cell::RefCell, collections::HashMap, error::Error as StdError};

use postgres::types::{ToSql as PgToSql, Type};

mod values;
mod wire;

pub use values::*;
pub use wire::to_postgres;
use wire::{PgParam, PgValue, SqliteParam, unspecified};

/// Which SQL a connection speaks, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// An owned SQL value, as both stores hold it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A borrowed SQL value: what parameters bind and rows are read from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

/// A failure of the store, kept whole for the log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {}", describe_pg(.0))]
    Postgres(#[from] postgres::Error),
    #[error("query returned no rows")]
    NoRows,
    #[error("column {column}: {message}")]
    Conversion { column: String, message: String },
}

fn describe_pg(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        None => match error.source() {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}

impl Error {
    pub fn conversion(column: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Error::Conversion {
            column: column.to_string(),
            message: message.into(),
        }
    }

    /// A UNIQUE (or primary key) constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Error::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }

    /// Another transaction won a race; running the whole transaction again
    /// gives the right answer (PostgreSQL's serialization failures and deadlocks).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Postgres(e) => matches!(
                e.code(),
                Some(code) if *code == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            ),
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }

    /// The database could not be reached (or went away mid-call).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Postgres(e) => {
                e.is_closed()
                    || e.as_db_error().is_none()
                        && e.source().is_some_and(|s| s.is::<std::io::Error>())
                    || matches!(e.code(), Some(code) if code.code().starts_with("08")
                        || *code == postgres::error::SqlState::ADMIN_SHUTDOWN
                        || *code == postgres::error::SqlState::CANNOT_CONNECT_NOW)
            }
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `query_row(…).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A column by position or by name.
pub trait RowIndex {
    fn sqlite_value<'r>(&self, row: &'r rusqlite::Row<'_>)
    -> Result<rusqlite::types::ValueRef<'r>>;
    fn pg_index(&self, row: &postgres::Row) -> Result<usize>;
    fn describe(&self) -> String;
}

impl RowIndex for usize {
    fn sqlite_value<'r>(
        &self,
        row: &'r rusqlite::Row<'_>,
    ) -> Result<rusqlite::types::ValueRef<'r>> {
        Ok(row.get_ref(*self)?)
    }
    fn pg_index(&self, row: &postgres::Row) -> Result<usize> {
        if *self < row.len() {
            Ok(*self)
        } else {
            Err(Error::conversion(self, "no such column"))
        }
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

impl RowIndex for &str {
    fn sqlite_value<'r>(
        &self,
        row: &'r rusqlite::Row<'_>,
    ) -> Result<rusqlite::types::ValueRef<'r>> {
        Ok(row.get_ref(*self)?)
    }
    fn pg_index(&self, row: &postgres::Row) -> Result<usize> {
        row.columns()
            .iter()
            .position(|c| c.name() == *self)
            .ok_or_else(|| Error::conversion(self, "no such column"))
    }
    fn describe(&self) -> String {
        (*self).to_owned()
    }
}

/// One row of a result.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl Row<'_> {
    pub fn get<I: RowIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let converted = match self {
            Row::Sqlite(row) => {
                let value = match index.sqlite_value(row)? {
                    rusqlite::types::ValueRef::Null => ValueRef::Null,
                    rusqlite::types::ValueRef::Integer(n) => ValueRef::Integer(n),
                    rusqlite::types::ValueRef::Real(x) => ValueRef::Real(x),
                    rusqlite::types::ValueRef::Text(t) => ValueRef::Text(
                        std::str::from_utf8(t)
                            .map_err(|e| Error::conversion(index.describe(), e.to_string()))?,
                    ),
                    rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
                };
                <T as FromSql>::from_sql(value)
            }
            Row::Postgres(row) => {
                let at = index.pg_index(row)?;
                let value: PgValue = row.try_get(at)?;
                <T as FromSql>::from_sql(value.0.as_ref())
            }
        };
        converted.map_err(|message| Error::conversion(index.describe(), message))
    }
}

/// One PostgreSQL connection with its prepared statements.
pub struct PgConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> Self {
        Self {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }

    /// The statement for `sql`, prepared with the types of the values bound
    /// the first time (an integer is BIGINT, text TEXT, bytes BYTEA, a real
    /// DOUBLE PRECISION, NULL left to the server), so `?2 - ?3` is as clear to
    /// PostgreSQL as it is to SQLite.
    fn prepare(
        &self,
        sql: &str,
        values: &[ValueRef<'_>],
        cache: bool,
    ) -> Result<postgres::Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let types: Vec<Type> = values
            .iter()
            .map(|value| match value {
                ValueRef::Integer(_) => Type::INT8,
                ValueRef::Real(_) => Type::FLOAT8,
                ValueRef::Text(_) => Type::TEXT,
                ValueRef::Blob(_) => Type::BYTEA,
                ValueRef::Null => unspecified(),
            })
            .collect();
        let statement = self
            .client
            .borrow_mut()
            .prepare_typed(&to_postgres(sql), &types)?;
        if cache {
            let mut statements = self.statements.borrow_mut();
            if statements.len() > 512 {
                statements.clear();
            }
            statements.insert(sql.to_owned(), statement.clone());
        }
        Ok(statement)
    }
}

/// A connection (or the transaction open on it) of either store.
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a PgConn),
}

impl<'a> Conn<'a> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Run a statement; how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Run an `INSERT` into a table with an `id` key; the new row's id.
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> Result<i64> {
        self.prepare_cached(&format!("{sql} RETURNING id"))?
            .query_row(params, |row| row.get(0))
    }

    /// Run several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(pg) => pg.batch(sql),
        }
    }

    /// The first row of a statement; [`Error::NoRows`] when there is none.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// A statement kept prepared on this connection.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'a>> {
        Ok(match self {
            Conn::Sqlite(conn) => Statement::SqliteCached(conn.prepare_cached(sql)?),
            Conn::Postgres(pg) => Statement::Postgres {
                conn: pg,
                sql: sql.to_owned(),
                cache: true,
            },
        })
    }

    /// A statement built at run time, prepared once.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'a>> {
        Ok(match self {
            Conn::Sqlite(conn) => Statement::Sqlite(conn.prepare(sql)?),
            Conn::Postgres(pg) => Statement::Postgres {
                conn: pg,
                sql: sql.to_owned(),
                cache: false,
            },
        })
    }
}

/// Where a statement runs: a rusqlite statement, or a PostgreSQL connection
/// with the statement's text and whether to keep it prepared.
enum Target<'s, 'a> {
    Sqlite(&'s mut rusqlite::Statement<'a>),
    Postgres(&'a PgConn, &'s str, bool),
}

/// A prepared statement.
pub enum Statement<'a> {
    SqliteCached(rusqlite::CachedStatement<'a>),
    Sqlite(rusqlite::Statement<'a>),
    /// Prepared when first run, when the types of its values are known.
    Postgres {
        conn: &'a PgConn,
        sql: String,
        cache: bool,
    },
}

impl<'a> Statement<'a> {
    fn target(&mut self) -> Target<'_, 'a> {
        match self {
            Statement::SqliteCached(s) => Target::Sqlite(s),
            Statement::Sqlite(s) => Target::Sqlite(s),
            Statement::Postgres { conn, sql, cache } => Target::Postgres(conn, sql, *cache),
        }
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values();
        let (conn, sql, cache) = match self.target() {
            Target::Sqlite(statement) => {
                let bound = values.iter().map(|v| SqliteParam(*v));
                return Ok(statement.execute(rusqlite::params_from_iter(bound))?);
            }
            Target::Postgres(conn, sql, cache) => (conn, sql, cache),
        };
        let statement = conn.prepare(sql, &values, cache)?;
        let bound: Vec<PgParam<'_>> = values.iter().map(|v| PgParam(*v)).collect();
        let refs: Vec<&(dyn PgToSql + Sync)> =
            bound.iter().map(|p| p as &(dyn PgToSql + Sync)).collect();
        let changed = conn.client.borrow_mut().execute(&statement, &refs)?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    /// Call `f` on each row, in order, without holding them all.
    pub fn for_each<P, F>(&mut self, params: P, mut f: F) -> Result<()>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<()>,
    {
        let values = params.values();
        let (conn, sql, cache) = match self.target() {
            Target::Sqlite(statement) => {
                let bound = values.iter().map(|v| SqliteParam(*v));
                let mut rows = statement.query(rusqlite::params_from_iter(bound))?;
                while let Some(row) = rows.next()? {
                    f(&Row::Sqlite(row))?;
                }
                return Ok(());
            }
            Target::Postgres(conn, sql, cache) => (conn, sql, cache),
        };
        let statement = conn.prepare(sql, &values, cache)?;
        let bound: Vec<PgParam<'_>> = values.iter().map(|v| PgParam(*v)).collect();
        let mut client = conn.client.borrow_mut();
        let mut rows = client.query_raw(&statement, bound.iter())?;
        while let Some(row) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
            f(&Row::Postgres(&row))?;
        }
        Ok(())
    }

    /// Every row, mapped by `f`.
    pub fn query_map<T, P, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let mut out = Vec::new();
        self.for_each(params, |row| {
            out.push(f(row));
            Ok(())
        })?;
        Ok(out.into_iter())
    }

    /// The first row; [`Error::NoRows`] when there is none.
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut f = Some(f);
        let mut found = None;
        self.for_each(params, |row| {
            if let Some(f) = f.take() {
                found = Some(f(row)?);
            }
            Ok(())
        })?;
        found.ok_or(Error::NoRows)
    }

    /// Whether the statement returns any row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        let mut any = false;
        self.for_each(params, |_| {
            any = true;
            Ok(())
        })?;
        Ok(any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use wire::{encode_numeric, numeric};

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?2 AND d = '?3' -- ?4\n AND e = ?10"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 AND d = '?3' -- ?4\n AND e = $10"
        );
        assert_eq!(
            to_postgres("INSERT INTO t (a, b) VALUES (?, ?)"),
            "INSERT INTO t (a, b) VALUES ($1, $2)"
        );
        assert_eq!(
            to_postgres("WHERE a = ?1 AND b IN (?, ?) AND c = ?2 LIMIT ?"),
            "WHERE a = $1 AND b IN ($2, $3) AND c = $2 LIMIT $4"
        );
    }

    #[test]
    fn numeric_whole_numbers_and_fractions_decode() {
        for n in [0i64, 7, 10_000, 123_456_789, -42, 100_000_000] {
            let mut out = BytesMut::new();
            encode_numeric(n, &mut out);
            assert_eq!(numeric(&out).unwrap(), Value::Integer(n), "{n}");
        }
    }

    #[test]
    fn missing_rows_are_none_with_optional() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let conn = Conn::Sqlite(&conn);
        let none: Option<i64> = conn
            .query_row("SELECT 1 WHERE 0", [], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let some: Option<(i64, String, Option<Vec<u8>>)> = conn
            .query_row("SELECT ?1, ?2, NULL", params![5, "x"], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .unwrap();
        assert_eq!(some, Some((5, "x".to_owned(), None)));
    }
}
