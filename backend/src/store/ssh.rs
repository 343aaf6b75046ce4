//! The SSH user CA's key and the certificates it issued.

use crate::error::AppError;
use crate::store::sql::{Conn, OptionalExtension, params};

/// The CA key as stored: sealed with the server key, and its public line.
pub struct CaRow {
    pub sealed_key: Vec<u8>,
    pub public_key: String,
}

/// The CA, if one was made.
pub fn ca(conn: Conn<'_>) -> Result<Option<CaRow>, AppError> {
    Ok(conn
        .prepare_cached("SELECT sealed_key, public_key FROM ssh_ca WHERE id = 1")?
        .query_row([], |row| {
            Ok(CaRow {
                sealed_key: row.get(0)?,
                public_key: row.get(1)?,
            })
        })
        .optional()?)
}

/// Keep a new CA unless one is there already (another writer made it
/// first); read it back with [`ca`]. Whether this one was kept.
pub fn insert_ca(
    conn: Conn<'_>,
    sealed_key: &[u8],
    public_key: &str,
    now: i64,
) -> Result<bool, AppError> {
    let inserted = conn.execute(
        "INSERT INTO ssh_ca (id, sealed_key, public_key, created_at) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO NOTHING",
        params![sealed_key, public_key, now],
    )?;
    Ok(inserted == 1)
}

/// One issued certificate.
pub struct IssuedCertificate<'a> {
    /// Below 2^53 (ssh::ca::new_serial), so it fits the column as it is.
    pub serial: i64,
    pub request_id: i64,
    pub integration_id: i64,
    pub user_id: i64,
    pub key_fingerprint: &'a str,
    /// JSON array of logins.
    pub principals: &'a str,
    pub valid_after: i64,
    pub valid_before: i64,
    pub issued_at: i64,
}

pub fn record_certificate(conn: Conn<'_>, issued: &IssuedCertificate<'_>) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO ssh_certificates (serial, request_id, integration_id, user_id, key_fingerprint,
             principals, valid_after, valid_before, issued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            issued.serial,
            issued.request_id,
            issued.integration_id,
            issued.user_id,
            issued.key_fingerprint,
            issued.principals,
            issued.valid_after,
            issued.valid_before,
            issued.issued_at
        ],
    )?;
    Ok(())
}

/// The serials to revoke: certificates of requests no longer Active (or
/// whose access in the certificate's integration is no longer granted),
/// still valid after `since`. Those that ended before it are refused by
/// their own end already.
pub fn revoked_serials(conn: Conn<'_>, since: i64) -> Result<Vec<i64>, AppError> {
    let serials = conn
        .prepare_cached(
            "SELECT c.serial FROM ssh_certificates c
             JOIN requests r ON r.id = c.request_id
             LEFT JOIN access_grants g
                 ON g.request_id = c.request_id AND g.integration_id = c.integration_id
             WHERE c.valid_before > ?1
               AND (r.status <> 'Active' OR g.state IS NULL OR g.state <> 'granted')
             ORDER BY c.serial",
        )?
        .query_map([since], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(serials)
}
