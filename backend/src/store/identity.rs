//! Users as the identity provider knows them: sign-ins under way at the
//! provider, the link from an issuer and subject to a user, groups the
//! provider sets, and users it has deactivated.

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::error::AppError;

/// A sign-in under way at the provider, keyed by the hash of its `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcLogin {
    pub browser_hash: Vec<u8>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    /// `sign_in`, `test` or `cli`.
    pub purpose: String,
    pub started_by: Option<i64>,
    /// `cli`: the SHA-256 of the CLI's verifier.
    pub cli_challenge: Option<Vec<u8>>,
    pub expires_at: i64,
}

/// Remember a sign-in that went to the provider (and forget stale ones).
pub fn begin_login(
    conn: Conn<'_>,
    state_hash: &[u8],
    login: &OidcLogin,
    now: i64,
) -> Result<(), AppError> {
    conn.execute("DELETE FROM oidc_logins WHERE expires_at <= ?1", [now])?;
    conn.execute(
        "INSERT INTO oidc_logins (state_hash, browser_hash, nonce, pkce_verifier, return_to, purpose, started_by, cli_challenge, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            state_hash,
            login.browser_hash,
            login.nonce,
            login.pkce_verifier,
            login.return_to,
            login.purpose,
            login.started_by,
            login.cli_challenge,
            login.expires_at
        ],
    )?;
    Ok(())
}

/// The sign-in with this state, removed so it can be finished only once;
/// None when unknown, already used or expired.
pub fn take_login(
    conn: Conn<'_>,
    state_hash: &[u8],
    now: i64,
) -> Result<Option<OidcLogin>, AppError> {
    let login = conn
        .query_row(
            "SELECT browser_hash, nonce, pkce_verifier, return_to, purpose, started_by, cli_challenge, expires_at
             FROM oidc_logins WHERE state_hash = ?1",
            [state_hash],
            |row| {
                Ok(OidcLogin {
                    browser_hash: row.get(0)?,
                    nonce: row.get(1)?,
                    pkce_verifier: row.get(2)?,
                    return_to: row.get(3)?,
                    purpose: row.get(4)?,
                    started_by: row.get(5)?,
                    cli_challenge: row.get(6)?,
                    expires_at: row.get(7)?,
                })
            },
        )
        .optional()?;
    // Whoever deletes the row finishes the sign-in; a second callback with
    // the same state (a replay, or a race between replicas) finds nothing.
    let deleted = conn.execute(
        "DELETE FROM oidc_logins WHERE state_hash = ?1",
        [state_hash],
    )?;
    Ok(login.filter(|login| deleted == 1 && login.expires_at > now))
}

/// Who signed in at the provider, from the verified ID token (and UserInfo).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub issuer: String,
    pub subject: String,
    /// `preferred_username`, else the e-mail's local part, else the subject.
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
}

/// What signing in did to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Known by this issuer and subject: name and e-mail brought up to date.
    Returning,
    /// A local user with the same username and verified e-mail, now linked.
    Linked,
    /// A new user, made from the claims.
    Created,
}

/// The user for this identity, made or linked at the first sign-in and
/// updated at later ones; None when the user was deactivated.
pub fn sign_in(
    conn: Conn<'_>,
    claimed: &Claimed,
    now: i64,
) -> Result<(i64, Outcome, bool), AppError> {
    let known: Option<(i64, bool)> = conn
        .query_row(
            "SELECT users.id, users.active FROM user_identities
             JOIN users ON users.id = user_identities.user_id
             WHERE user_identities.issuer = ?1 AND user_identities.subject = ?2",
            params![claimed.issuer, claimed.subject],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if let Some((id, active)) = known {
        conn.execute(
            "UPDATE users SET display_name = ?1, email = ?2 WHERE id = ?3",
            params![claimed.display_name, claimed.email, id],
        )?;
        return Ok((id, Outcome::Returning, active));
    }
    // A local user of the same name is taken over only when the provider
    // vouches for the same e-mail address, and no identity of this issuer
    // has it yet: otherwise anyone could name themselves "admin" at a
    // provider that lets users pick their username.
    let local: Option<(i64, String, bool)> = conn
        .query_row(
            "SELECT id, email, active FROM users WHERE username = ?1
             AND NOT EXISTS (SELECT 1 FROM user_identities WHERE user_id = users.id AND issuer = ?2)",
            params![claimed.username, claimed.issuer],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    if let Some((id, email, active)) = local
        && claimed.email_verified
        && !claimed.email.is_empty()
        && email.eq_ignore_ascii_case(&claimed.email)
    {
        link(conn, claimed, id, now)?;
        conn.execute(
            "UPDATE users SET display_name = ?1 WHERE id = ?2",
            params![claimed.display_name, id],
        )?;
        return Ok((id, Outcome::Linked, active));
    }
    let username = free_username(conn, &claimed.username)?;
    // No password: the empty hash never verifies.
    let id = conn.insert(
        "INSERT INTO users (username, display_name, email, password_hash, is_admin, created_at)
         VALUES (?1, ?2, ?3, '', 0, ?4)",
        params![username, claimed.display_name, claimed.email, now],
    )?;
    link(conn, claimed, id, now)?;
    Ok((id, Outcome::Created, true))
}

fn link(conn: Conn<'_>, claimed: &Claimed, user_id: i64, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![claimed.issuer, claimed.subject, user_id, now],
    )?;
    Ok(())
}

/// `wanted`, or `wanted-2`, `wanted-3`, … whichever is free.
pub fn free_username(conn: Conn<'_>, wanted: &str) -> Result<String, AppError> {
    let mut candidate = wanted.to_owned();
    for n in 2.. {
        if !crate::store::users::exists(conn, &candidate)? {
            return Ok(candidate);
        }
        candidate = format!("{wanted}-{n}");
    }
    unreachable!("some suffix is free")
}

/// Set the user's membership of the provider's groups to exactly these
/// (made when missing; a local group of the same name becomes the
/// provider's). Memberships of local groups are left alone.
pub fn set_provider_groups(
    conn: Conn<'_>,
    user_id: i64,
    groups: &[String],
) -> Result<(), AppError> {
    let mut ids = Vec::with_capacity(groups.len());
    for name in groups {
        ids.push(provider_group(conn, name, None)?);
    }
    let keep = serde_json::to_string(&ids)?;
    conn.execute(
        match conn.dialect() {
            crate::store::sql::Dialect::Sqlite => {
                "DELETE FROM group_members WHERE user_id = ?1
                 AND group_id IN (SELECT id FROM groups WHERE source = 'idp')
                 AND group_id NOT IN (SELECT value FROM json_each(?2))"
            }
            crate::store::sql::Dialect::Postgres => {
                "DELETE FROM group_members WHERE user_id = ?1
                 AND group_id IN (SELECT id FROM groups WHERE source = 'idp')
                 AND group_id NOT IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(?2 AS JSON)) AS value)"
            }
        },
        params![user_id, keep],
    )?;
    for id in ids {
        conn.execute(
            "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, user_id],
        )?;
    }
    Ok(())
}

/// The id of the provider's group of this name, made when missing.
pub fn provider_group(
    conn: Conn<'_>,
    name: &str,
    external_id: Option<&str>,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO groups (name, source, external_id) VALUES (?1, 'idp', ?2)
         ON CONFLICT (name) DO UPDATE SET source = 'idp', external_id = COALESCE(excluded.external_id, groups.external_id)",
        params![name, external_id],
    )?;
    Ok(
        conn.query_row("SELECT id FROM groups WHERE name = ?1", [name], |row| {
            row.get(0)
        })?,
    )
}

/// Whether the user has signed in with an identity provider (is linked).
pub fn has_identity(conn: Conn<'_>, user_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM user_identities WHERE user_id = ?1 LIMIT 1",
            [user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn set_admin(conn: Conn<'_>, user_id: i64, is_admin: bool) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET is_admin = ?1 WHERE id = ?2",
        params![is_admin, user_id],
    )?;
    Ok(())
}

/// Mark a user inactive (and deleted, when the provider deleted them), and
/// end every session and API token of theirs. Returns whether they were
/// active before.
pub fn deactivate(conn: Conn<'_>, user_id: i64, deleted_at: Option<i64>) -> Result<bool, AppError> {
    let was_active: bool =
        conn.query_row("SELECT active FROM users WHERE id = ?1", [user_id], |row| {
            row.get(0)
        })?;
    conn.execute(
        "UPDATE users SET active = 0, deleted_at = COALESCE(?2, deleted_at) WHERE id = ?1",
        params![user_id, deleted_at],
    )?;
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
    conn.execute("DELETE FROM api_tokens WHERE user_id = ?1", [user_id])?;
    Ok(was_active)
}

pub fn reactivate(conn: Conn<'_>, user_id: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET active = 1, deleted_at = NULL WHERE id = ?1",
        [user_id],
    )?;
    Ok(())
}

/// Whether any inactive user still has a waiting request or live access
/// (the worker's cheap check before [`left_behind`]).
pub fn any_left_behind(conn: Conn<'_>) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users u WHERE u.active = 0 AND (
                EXISTS (SELECT 1 FROM requests r WHERE r.grantee_id = u.id
                        AND r.status IN ('Pending Approval', 'Pending MFA', 'Scheduled', 'Active'))
                OR EXISTS (SELECT 1 FROM requests r WHERE r.requester_id = u.id
                        AND r.status IN ('Pending Approval', 'Pending MFA', 'Scheduled')))
             LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// (id, status) of waiting requests, and ids of live ones.
pub type LeftBehind = (Vec<(i64, String)>, Vec<i64>);

/// Requests of inactive users that still wait (as requester or grantee),
/// with their status, and those whose access is still live (as grantee).
pub fn left_behind(conn: Conn<'_>) -> Result<LeftBehind, AppError> {
    let mut statement = conn.prepare(
        "SELECT DISTINCT r.id, r.status FROM requests r JOIN users u
            ON u.id = r.requester_id OR u.id = r.grantee_id
         WHERE u.active = 0 AND r.status IN ('Pending Approval', 'Pending MFA', 'Scheduled') ORDER BY r.id",
    )?;
    let waiting = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut statement = conn.prepare(
        "SELECT r.id FROM requests r JOIN users u ON u.id = r.grantee_id
         WHERE u.active = 0 AND r.status = 'Active' ORDER BY r.id",
    )?;
    let live = statement
        .query_map([], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok((waiting, live))
}
