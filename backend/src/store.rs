//! All SQL lives here, one module per table group. Functions take a connection
//! (or a transaction) and return domain values; handlers never write SQL.

pub mod access;
pub mod admin;
pub mod audit;
pub mod bundles;
pub mod catalog;
pub mod db;
pub mod demo;
pub mod flows;
pub mod mfa;
pub mod notifications;
pub mod requests;
pub mod sessions;
pub mod sql;
pub mod tokens;
pub mod transitions;
pub mod users;

pub use sql::Conn;

/// `?, ?, ?` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
