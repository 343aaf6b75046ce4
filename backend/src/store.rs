//! All SQL lives here, one module per table group. Functions take a connection
//! (or a transaction) and return domain values; handlers never write SQL.

pub mod access;
pub mod admin;
pub mod approvals;
pub mod assist;
pub mod audit;
pub mod backup;
pub mod bundles;
pub mod catalog;
pub mod copy;
pub mod coverage;
pub mod db;
pub mod demo;
pub mod drift;
pub mod flows;
pub mod identity;
pub mod leases;
pub mod login_failures;
pub mod metrics;
pub mod mfa;
pub mod notifications;
pub mod requests;
pub mod scim;
pub mod sessions;
pub mod sql;
pub mod ssh;
pub mod tokens;
pub mod transitions;
pub mod users;
pub mod writer;

pub use sql::Conn;

use crate::error::AppError;

/// A store fault as the server answers it: a lost race (retried by the store
/// first) or an unreachable database is 503, anything else 500.
impl From<sql::Error> for AppError {
    fn from(error: sql::Error) -> Self {
        if error.is_retryable() {
            AppError::Contended(error.to_string())
        } else if error.is_unavailable() {
            AppError::Unavailable(error.to_string())
        } else {
            AppError::Internal(error.to_string())
        }
    }
}

/// `?, ?, ?` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
