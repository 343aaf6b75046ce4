//! The notification outbox, users' channel choices, expiry warnings, the
//! Slack messages that wait on an approver, Slack signatures already seen,
//! and run-time settings.

use crate::store::sql::{Conn, OptionalExtension, params};

use crate::error::AppError;

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Slack,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Slack => "slack",
            Channel::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "slack" => Some(Channel::Slack),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
}

/// A user's channels; both when they never chose.
pub fn preferences(conn: Conn<'_>, user_id: i64) -> Result<(bool, bool), AppError> {
    Ok(conn
        .prepare_cached("SELECT slack, email FROM notification_preferences WHERE user_id = ?1")?
        .query_row([user_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .unwrap_or((true, true)))
}

pub fn set_preferences(
    conn: Conn<'_>,
    user_id: i64,
    slack: bool,
    email: bool,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO notification_preferences (user_id, slack, email, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id) DO UPDATE SET slack = excluded.slack, email = excluded.email, updated_at = excluded.updated_at",
        params![user_id, slack, email, now],
    )?;
    Ok(())
}

/// A new outbox row, due at once.
pub struct NewMessage<'a> {
    pub user_id: i64,
    pub channel: Channel,
    pub kind: &'a str,
    pub request_id: Option<i64>,
    pub payload: &'a str,
}

pub fn enqueue(conn: Conn<'_>, message: &NewMessage<'_>, now: i64) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO outbox (created_at, user_id, channel, kind, request_id, payload, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?1)",
    )?
    .execute(params![
        now,
        message.user_id,
        message.channel.as_str(),
        message.kind,
        message.request_id,
        message.payload,
    ])?;
    Ok(())
}

/// An outbox row waiting for delivery, with its recipient.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub channel: Channel,
    pub kind: String,
    pub request_id: Option<i64>,
    pub payload: String,
    pub attempts: i64,
}

/// Rows due now, oldest first.
pub fn due(conn: Conn<'_>, now: i64, limit: i64) -> Result<Vec<Pending>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT o.id, o.user_id, u.email, u.display_name, o.channel, o.kind, o.request_id, o.payload, o.attempts
         FROM outbox o JOIN users u ON u.id = o.user_id
         WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at, o.id LIMIT ?2",
    )?;
    let rows = statement
        .query_map(params![now, limit], |row| {
            let channel: String = row.get(4)?;
            Ok(Pending {
                id: row.get(0)?,
                user_id: row.get(1)?,
                email: row.get(2)?,
                display_name: row.get(3)?,
                channel: Channel::parse(&channel).unwrap_or(Channel::Email),
                kind: row.get(5)?,
                request_id: row.get(6)?,
                payload: row.get(7)?,
                attempts: row.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether anything is due: a cheap read so idle passes take no write lock.
pub fn any_due(conn: Conn<'_>, now: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1)",
        )?
        .query_row([now], |row| row.get(0))?)
}

/// Delivered, or finished without delivery (`skipped`, `dead`), with why.
pub fn finish(
    conn: Conn<'_>,
    id: i64,
    state: &str,
    error: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, last_error = COALESCE(?3, last_error), delivered_at = ?4,
            attempts = attempts + 1 WHERE id = ?1",
    )?
    .execute(params![id, state, error, now])?;
    Ok(())
}

/// A failed attempt: try again at `next_attempt_at`.
pub fn retry_later(
    conn: Conn<'_>,
    id: i64,
    error: &str,
    next_attempt_at: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, error, next_attempt_at])?;
    Ok(())
}

/// Forget finished rows older than `before`.
pub fn prune(conn: Conn<'_>, before: i64) -> Result<usize, AppError> {
    Ok(conn.execute(
        "DELETE FROM outbox WHERE state != 'pending' AND created_at < ?1",
        [before],
    )?)
}

/// Active requests whose expiry is within their warning window and that were
/// not yet warned for this expiry: (id, expires_at).
pub fn unwarned_expiring(
    conn: Conn<'_>,
    now: i64,
    default_window: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT r.id, r.expires_at FROM requests r JOIN access_flows f ON f.id = r.flow_id
         WHERE r.status = 'Active'
           -- The widest window any flow could give: lets the (status, expires_at)
           -- index bound the search instead of visiting every Active request.
           AND r.expires_at <= ?1 + (SELECT CASE WHEN w > ?2 THEN w ELSE ?2 END FROM (SELECT COALESCE(
                 (SELECT MAX(extend_window) FROM access_flows WHERE extend_enabled = 1), 0) AS w) AS widest)
           AND r.expires_at - ?1 <= CASE
                 WHEN f.extend_enabled = 1 AND f.extend_window > 0 THEN f.extend_window
                 WHEN ?2 < r.duration / 2 THEN ?2
                 ELSE r.duration / 2 END
           AND NOT EXISTS (SELECT 1 FROM expiry_warnings w WHERE w.request_id = r.id AND w.expires_at = r.expires_at)
         ORDER BY r.expires_at LIMIT 500",
    )?;
    let rows = statement
        .query_map(params![now, default_window], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn mark_warned(
    conn: Conn<'_>,
    request_id: i64,
    expires_at: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO expiry_warnings (request_id, expires_at, warned_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![request_id, expires_at, now])?;
    Ok(())
}

/// Remember a Slack message that asks `user_id` to decide `request_id`.
pub fn remember_slack_message(
    conn: Conn<'_>,
    request_id: i64,
    user_id: i64,
    channel: &str,
    ts: &str,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO slack_messages (request_id, user_id, channel, ts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![request_id, user_id, channel, ts],
    )?;
    Ok(())
}

/// Users with a Slack message asking them to decide the request.
pub fn slack_deciders(conn: Conn<'_>, request_id: i64) -> Result<Vec<i64>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT user_id FROM slack_messages WHERE request_id = ?1 ORDER BY user_id",
    )?;
    let ids = statement
        .query_map([request_id], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// The (channel, ts) of the user's messages about the request.
pub fn slack_messages_of(
    conn: Conn<'_>,
    request_id: i64,
    user_id: i64,
) -> Result<Vec<(String, String)>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT channel, ts FROM slack_messages WHERE request_id = ?1 AND user_id = ?2",
    )?;
    let rows = statement
        .query_map(params![request_id, user_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn forget_slack_message(
    conn: Conn<'_>,
    request_id: i64,
    user_id: i64,
    channel: &str,
    ts: &str,
) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM slack_messages WHERE request_id = ?1 AND user_id = ?2 AND channel = ?3 AND ts = ?4",
        params![request_id, user_id, channel, ts],
    )?;
    Ok(())
}

/// Record a Slack signature; false when it was already seen (a replay).
/// Signatures older than `forget_before` are dropped first.
pub fn first_sight_of_signature(
    conn: Conn<'_>,
    signature: &str,
    now: i64,
    forget_before: i64,
) -> Result<bool, AppError> {
    conn.prepare_cached("DELETE FROM slack_seen_signatures WHERE seen_at < ?1")?
        .execute([forget_before])?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO slack_seen_signatures (signature, seen_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![signature, now])?;
    Ok(inserted == 1)
}

pub fn setting(conn: Conn<'_>, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

pub fn set_setting(conn: Conn<'_>, key: &str, value: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub const CHAT_APPROVAL: &str = "slack.chat_approval";

/// Whether approvers may decide from Slack (on unless an admin turned it off).
pub fn chat_approval(conn: Conn<'_>) -> Result<bool, AppError> {
    Ok(setting(conn, CHAT_APPROVAL)?.is_none_or(|value| value != "false"))
}

/// The active user with this e-mail address (case-insensitive), when exactly
/// one has it (a user the identity provider deactivated is nobody on Slack).
pub fn user_by_email(
    conn: Conn<'_>,
    email: &str,
) -> Result<Option<crate::store::users::UserRecord>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, username, display_name, email, is_admin FROM users
         WHERE lower(email) = lower(?1) AND active = 1 LIMIT 2",
    )?;
    let mut users = statement
        .query_map([email.trim()], |row| {
            Ok(crate::store::users::UserRecord {
                id: row.get(0)?,
                username: row.get(1)?,
                display_name: row.get(2)?,
                email: row.get(3)?,
                is_admin: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if users.len() == 1 { users.pop() } else { None })
}

/// The name of group `group_id` when `user_id` is a member of it.
pub fn group_name_if_member(
    conn: Conn<'_>,
    group_id: i64,
    user_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id
                     WHERE g.id = ?1 AND m.user_id = ?2",
        )?
        .query_row([group_id, user_id], |row| row.get(0))
        .optional()?)
}
