//! Requests, their items, approvals and favorites: rows in, domain values out.

use std::collections::{HashMap, HashSet};

use crate::store::sql::{Conn, Dialect, OptionalExtension, Row, Value, params, params_from_iter};
use gatehouse_shared::{
    RequestStatus,
    justification::JustificationFeedback,
    requests::{Approval, RequestItem, ReviewState, UserRef},
    rules::{ExtendPolicy, RequestFacts},
};

use crate::{error::AppError, store::placeholders, store::tokens::timestamp};

/// A request row with what the views need from its flow and users.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub flow_id: i64,
    pub flow_name: String,
    pub status: RequestStatus,
    pub requester: UserRef,
    pub grantee: UserRef,
    pub duration: i64,
    pub ticket_type: Option<String>,
    pub ticket_id: Option<String>,
    pub justification: String,
    pub feedback: JustificationFeedback,
    pub item_count: i64,
    pub bundle_id: Option<i64>,
    pub current_step: i64,
    pub created_at: i64,
    pub granted_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub extensions: i64,
    pub ending_as: Option<String>,
    pub rejection_reason: Option<String>,
    pub failure_reason: Option<String>,
    pub revoked_by: Option<UserRef>,
    pub revoke_reason: Option<String>,
    pub extend: ExtendPolicy,
    /// The AI assistant the request was made through, if any.
    pub via_assistant: Option<String>,
    /// Set when the grantee used the flow's break-glass lane.
    pub break_glass: Option<BreakGlassRow>,
    /// Whether an approver narrowed the request.
    pub changed_by_approver: bool,
    /// A later start, or the current or next window's start (unix seconds).
    pub starts_at: Option<i64>,
    /// The recurring windows the request follows.
    pub recurrence: Option<Recurrence>,
    /// The current or next window, from 0.
    pub window_index: i64,
}

/// A break-glass use and its review, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassRow {
    pub reason: String,
    pub review_state: ReviewState,
    pub reviewed_by: Option<UserRef>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

/// The recurrence a request follows, as stored: the flow's offer at
/// submission and the weeks asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recurrence {
    pub weekdays: Vec<gatehouse_shared::schedule::Weekday>,
    pub start_time: String,
    pub length_seconds: i64,
    pub time_zone: String,
    pub weeks: i64,
}

impl RequestRow {
    pub fn facts(&self) -> RequestFacts {
        RequestFacts {
            status: self.status,
            requester_id: self.requester.id,
            grantee_id: self.grantee.id,
            expires_at: self.expires_at,
            extensions_used: self.extensions,
            extend: self.extend,
        }
    }
}

/// The columns [`row_to_request`] reads, then the tables they come from.
macro_rules! request_columns {
    () => {
        "SELECT r.id, r.flow_id, f.name, r.status,
        rq.id, rq.username, rq.display_name, gr.id, gr.username, gr.display_name,
        r.duration, r.ticket_type, r.ticket_id, r.justification,
        r.describes_task, r.explains_access, r.includes_ticket, r.item_count, r.bundle_id,
        r.current_step, r.created_at, r.granted_at, r.expires_at, r.ended_at, r.extensions,
        r.ending_as, r.rejection_reason, r.failure_reason,
        rv.id, rv.username, rv.display_name, r.revoke_reason,
        f.extend_enabled, f.extend_by, f.extend_max_count, f.extend_window, r.via_assistant,
        r.break_glass_reason, r.review_state, rb.id, rb.username, rb.display_name, r.reviewed_at, r.review_note,
        EXISTS (SELECT 1 FROM request_changes rc WHERE rc.request_id = r.id),
        r.starts_at, r.recurrence, r.window_index"
    };
}
/// How many columns [`row_to_request`] reads: the viewer flags come after.
const REQUEST_COLUMNS: usize = 48;
macro_rules! request_tables {
    () => {
        "
    FROM requests r
    JOIN access_flows f ON f.id = r.flow_id
    JOIN users rq ON rq.id = r.requester_id
    JOIN users gr ON gr.id = r.grantee_id
    LEFT JOIN users rv ON rv.id = r.revoked_by
    LEFT JOIN users rb ON rb.id = r.reviewed_by"
    };
}
/// SQL condition: the user (`?1`) can decide the current step of request
/// `r`: an approver of it who has not decided it yet (a quorum step waits on
/// the others after one approval).
macro_rules! waiting_on_user {
    () => {
        "r.status = 'Pending Approval'
    AND r.requester_id != ?1 AND r.grantee_id != ?1
    AND EXISTS (SELECT 1 FROM flow_approvers fa WHERE fa.flow_id = r.flow_id AND fa.step = r.current_step
        AND ((fa.kind = 'user' AND fa.subject_id = ?1)
          OR (fa.kind = 'group' AND fa.subject_id IN (SELECT group_id FROM group_members WHERE user_id = ?1))))
    AND NOT EXISTS (SELECT 1 FROM approvals ad WHERE ad.request_id = r.id AND ad.step = r.current_step AND ad.approver_id = ?1)"
    };
}

/// SQL condition: the user (`?1`) approves some step of request `r`'s flow.
macro_rules! flow_approver {
    () => {
        "EXISTS (SELECT 1 FROM flow_approvers fa WHERE fa.flow_id = r.flow_id
        AND ((fa.kind = 'user' AND fa.subject_id = ?1)
          OR (fa.kind = 'group' AND fa.subject_id IN (SELECT group_id FROM group_members WHERE user_id = ?1))))"
    };
}

pub const SELECT_REQUESTS: &str = concat!(request_columns!(), request_tables!());

/// [`SELECT_REQUESTS`] with two more columns about the user `?1`: whether
/// they starred the request, and whether it waits on their decision.
const SELECT_REQUESTS_FLAGGED: &str = concat!(
    request_columns!(),
    ",
        EXISTS (SELECT 1 FROM favorites fv WHERE fv.user_id = ?1 AND fv.request_id = r.id),
        CASE WHEN ",
    waiting_on_user!(),
    " THEN 1 ELSE 0 END",
    request_tables!()
);

/// What a listed request is to the user listing it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewerFlags {
    pub is_favorite: bool,
    pub waiting_on_viewer: bool,
}

pub fn row_to_request(row: &Row<'_>) -> crate::store::sql::Result<RequestRow> {
    let status: String = row.get(3)?;
    let status = RequestStatus::from_label(&status).ok_or_else(|| {
        crate::store::sql::Error::conversion(3, format!("unknown status {status}"))
    })?;
    let describes_task: bool = row.get(14)?;
    let explains_access_level: bool = row.get(15)?;
    let includes_ticket: bool = row.get(16)?;
    let revoked_by = match row.get::<_, Option<i64>>(28)? {
        Some(id) => Some(UserRef {
            id,
            username: row.get(29)?,
            display_name: row.get(30)?,
        }),
        None => None,
    };
    Ok(RequestRow {
        id: row.get(0)?,
        flow_id: row.get(1)?,
        flow_name: row.get(2)?,
        status,
        requester: UserRef {
            id: row.get(4)?,
            username: row.get(5)?,
            display_name: row.get(6)?,
        },
        grantee: UserRef {
            id: row.get(7)?,
            username: row.get(8)?,
            display_name: row.get(9)?,
        },
        duration: row.get(10)?,
        ticket_type: row.get(11)?,
        ticket_id: row.get(12)?,
        justification: row.get(13)?,
        feedback: JustificationFeedback {
            describes_task,
            explains_access_level,
            includes_ticket,
            complete: describes_task && explains_access_level && includes_ticket,
        },
        item_count: row.get(17)?,
        bundle_id: row.get(18)?,
        current_step: row.get(19)?,
        created_at: row.get(20)?,
        granted_at: row.get(21)?,
        expires_at: row.get(22)?,
        ended_at: row.get(23)?,
        extensions: row.get(24)?,
        ending_as: row.get(25)?,
        rejection_reason: row.get(26)?,
        failure_reason: row.get(27)?,
        revoked_by,
        revoke_reason: row.get(31)?,
        extend: ExtendPolicy {
            enabled: row.get(32)?,
            by: row.get(33)?,
            max_count: row.get(34)?,
            window: row.get(35)?,
        },
        via_assistant: row.get(36)?,
        break_glass: match row.get::<_, Option<String>>(37)? {
            Some(reason) => {
                let state: String = row.get(38)?;
                Some(BreakGlassRow {
                    reason,
                    review_state: ReviewState::from_label(&state).ok_or_else(|| {
                        crate::store::sql::Error::conversion(
                            38,
                            format!("unknown review state {state}"),
                        )
                    })?,
                    reviewed_by: match row.get::<_, Option<i64>>(39)? {
                        Some(id) => Some(UserRef {
                            id,
                            username: row.get(40)?,
                            display_name: row.get(41)?,
                        }),
                        None => None,
                    },
                    reviewed_at: row.get(42)?,
                    review_note: row.get(43)?,
                })
            }
            None => None,
        },
        changed_by_approver: row.get(44)?,
        starts_at: row.get(45)?,
        recurrence: crate::store::flows::json_column(row, 46)?,
        window_index: row.get(47)?,
    })
}

pub fn get(conn: Conn<'_>, id: i64) -> Result<Option<RequestRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!("{SELECT_REQUESTS} WHERE r.id = ?1"))?
        .query_row([id], row_to_request)
        .optional()?)
}

/// A list of requests, as one user sees it: what a page of [`page`] or
/// [`page_flagged`] holds. Each list is relative to the user it is listed for
/// (the `user` argument of those functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestList {
    /// My Requests: the requests giving the user access (theirs, or made on
    /// their behalf).
    Mine,
    /// Delegated Requests: the requests the user made on behalf of others.
    Delegated,
    /// The requests the user starred.
    Favorites,
    /// The requests whose current step the user can decide (never their own).
    WaitingOn,
    /// The user's active access: Active requests granting them access.
    GranteeActive,
    /// Closed requests (Rejected, Revoked, Expired, Failed) granting the user access.
    GranteeClosed,
    /// Closed requests the user made or that grant them access.
    InvolvedClosed,
    /// Requests the user made or that grant them access, Active or created at
    /// or after `since`.
    InvolvedActiveOrSince { since: i64 },
    /// Break-glass uses of the flows the user approves, waiting for their
    /// after-the-fact review (never the user's own).
    BreakGlassToReview,
    /// Every break-glass use waiting for review (admins).
    BreakGlassUnreviewed,
}

impl RequestList {
    /// The SQL condition over `r`, with `?1` the user, and its values.
    fn condition(self, user: i64) -> (&'static str, Vec<Value>) {
        let condition = match self {
            RequestList::Mine => "r.grantee_id = ?1",
            RequestList::Delegated => "r.requester_id = ?1 AND r.grantee_id != ?1",
            RequestList::Favorites => {
                "r.id IN (SELECT request_id FROM favorites WHERE user_id = ?1)"
            }
            RequestList::WaitingOn => WAITING_ON_USER_SQL,
            RequestList::GranteeActive => "r.grantee_id = ?1 AND r.status = 'Active'",
            RequestList::GranteeClosed => {
                "r.grantee_id = ?1 AND r.status IN ('Rejected', 'Revoked', 'Expired', 'Failed')"
            }
            RequestList::InvolvedClosed => {
                "(r.grantee_id = ?1 OR r.requester_id = ?1) AND r.status IN ('Rejected', 'Revoked', 'Expired', 'Failed')"
            }
            RequestList::InvolvedActiveOrSince { .. } => {
                "(r.grantee_id = ?1 OR r.requester_id = ?1) AND (r.status = 'Active' OR r.created_at >= ?2)"
            }
            RequestList::BreakGlassToReview => BREAK_GLASS_TO_REVIEW_SQL,
            // `?1` is bound for every list; here every row matches it.
            RequestList::BreakGlassUnreviewed => {
                "r.review_state = 'unreviewed' AND (r.grantee_id = ?1 OR r.grantee_id != ?1)"
            }
        };
        let mut values = vec![Value::Integer(user)];
        if let RequestList::InvolvedActiveOrSince { since } = self {
            values.push(Value::Integer(since));
        }
        (condition, values)
    }
}

/// The SQL and values of a filtered, newest-first page (see [`page`]).
fn page_query(
    select: &str,
    list: RequestList,
    user: i64,
    statuses: &[RequestStatus],
    cursor: Option<i64>,
    limit: u32,
) -> (String, Vec<Value>) {
    let (condition, mut values) = list.condition(user);
    let mut sql = format!("{select} WHERE {condition}");
    if !statuses.is_empty() {
        sql.push_str(&format!(
            " AND r.status IN ({})",
            placeholders(statuses.len())
        ));
        values.extend(statuses.iter().map(|s| Value::Text(s.label().to_owned())));
    }
    if let Some(cursor) = cursor {
        sql.push_str(" AND r.id < ?");
        values.push(Value::Integer(cursor));
    }
    sql.push_str(" ORDER BY r.id DESC LIMIT ?");
    values.push(Value::Integer(i64::from(limit)));
    (sql, values)
}

/// A newest-first page of the user's `list`, only in `statuses` (any, when
/// empty), older than `cursor` (a request id) when given.
pub fn page(
    conn: Conn<'_>,
    user: i64,
    list: RequestList,
    statuses: &[RequestStatus],
    cursor: Option<i64>,
    limit: u32,
) -> Result<Vec<RequestRow>, AppError> {
    let (sql, values) = page_query(SELECT_REQUESTS, list, user, statuses, cursor, limit);
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), row_to_request)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// [`page`], each row with what it is to the user (starred, waiting on their
/// decision), in the same statement.
pub fn page_flagged(
    conn: Conn<'_>,
    user: i64,
    list: RequestList,
    statuses: &[RequestStatus],
    cursor: Option<i64>,
    limit: u32,
) -> Result<Vec<(RequestRow, ViewerFlags)>, AppError> {
    let (sql, values) = page_query(SELECT_REQUESTS_FLAGGED, list, user, statuses, cursor, limit);
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), |row| {
            Ok((
                row_to_request(row)?,
                ViewerFlags {
                    is_favorite: row.get(REQUEST_COLUMNS)?,
                    waiting_on_viewer: row.get(REQUEST_COLUMNS + 1)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// (request id, item) from a row of request id, resource id, name and path,
/// integration, resource type and permission names.
fn item_row(row: &Row<'_>) -> crate::store::sql::Result<(i64, RequestItem)> {
    Ok((
        row.get(0)?,
        RequestItem {
            resource_id: row.get(1)?,
            resource_name: row.get(2)?,
            resource_path: row.get(3)?,
            integration_name: row.get(4)?,
            resource_type_name: row.get(5)?,
            permission: row.get(6)?,
        },
    ))
}

/// Items of the given requests, at most `per_request` each, in a stable order.
pub fn items_of(
    conn: Conn<'_>,
    request_ids: &[i64],
    per_request: Option<i64>,
) -> Result<HashMap<i64, Vec<RequestItem>>, AppError> {
    let mut items: HashMap<i64, Vec<RequestItem>> = HashMap::new();
    if request_ids.is_empty() {
        return Ok(items);
    }
    let cap = per_request.unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT request_id, resource_id, resource_name, resource_path, integration_name, type_name, permission FROM (
            SELECT ri.request_id, res.id AS resource_id, res.name AS resource_name, res.path AS resource_path,
                   i.name AS integration_name, t.name AS type_name, p.name AS permission,
                   ROW_NUMBER() OVER (PARTITION BY ri.request_id ORDER BY res.name, res.id, p.id) AS n
            FROM request_items ri
            JOIN resources res ON res.id = ri.resource_id
            JOIN integrations i ON i.id = res.integration_id
            JOIN resource_types t ON t.id = res.resource_type_id
            JOIN permissions p ON p.id = ri.permission_id
            WHERE ri.request_id IN ({})
         ) AS ranked WHERE n <= ? ORDER BY request_id, n",
        placeholders(request_ids.len())
    );
    let mut values: Vec<Value> = request_ids.iter().map(|id| Value::Integer(*id)).collect();
    values.push(Value::Integer(cap));
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(values), item_row)?;
    for row in rows {
        let (request_id, item) = row?;
        items.entry(request_id).or_default().push(item);
    }
    Ok(items)
}

/// [`items_of`] for requests whose item counts are known: those with no more
/// than `per_request` items are read whole, in one statement without the
/// per-request ranking (most lists: requests hold one or a few items); the
/// others through [`items_of`].
pub fn items_of_counted(
    conn: Conn<'_>,
    requests: &[(i64, i64)],
    per_request: Option<i64>,
) -> Result<HashMap<i64, Vec<RequestItem>>, AppError> {
    let cap = per_request.unwrap_or(i64::MAX);
    let (small, large): (Vec<_>, Vec<_>) = requests.iter().partition(|(_, count)| *count <= cap);
    let large: Vec<i64> = large.into_iter().map(|(id, _)| id).collect();
    let mut items = items_of(conn, &large, per_request)?;
    if small.is_empty() {
        return Ok(items);
    }
    let ids: Vec<i64> = small.iter().map(|(id, _)| *id).collect();
    let select = "SELECT ri.request_id, res.id, res.name, res.path, i.name, t.name, p.name
         FROM request_items ri
         JOIN resources res ON res.id = ri.resource_id
         JOIN integrations i ON i.id = res.integration_id
         JOIN resource_types t ON t.id = res.resource_type_id
         JOIN permissions p ON p.id = ri.permission_id
         WHERE ri.request_id IN";
    let order = "ORDER BY ri.request_id, res.name, res.id, p.id";
    let mut statement = match conn.dialect() {
        // One statement text for any number of requests: the ids go as a JSON array.
        Dialect::Sqlite => conn.prepare_cached(&format!(
            "{select} (SELECT value FROM json_each(?1)) {order}"
        ))?,
        // PostgreSQL plans a JSON array as a hundred rows and may then scan
        // every item; with the ids listed it walks the index (one statement
        // per list length, at most a page's).
        Dialect::Postgres => {
            conn.prepare_cached(&format!("{select} ({}) {order}", placeholders(ids.len())))?
        }
    };
    let rows = match conn.dialect() {
        Dialect::Sqlite => statement.query_map(
            [format!(
                "[{}]",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            )],
            item_row,
        )?,
        Dialect::Postgres => statement.query_map(params_from_iter(ids), item_row)?,
    };
    let keep = usize::try_from(cap).unwrap_or(usize::MAX);
    for row in rows {
        let (request_id, item) = row?;
        let listed = items.entry(request_id).or_default();
        if listed.len() < keep {
            listed.push(item);
        }
    }
    Ok(items)
}

/// (resource id, permission name) pairs of a request, for request again.
pub fn selections_of(conn: Conn<'_>, request_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT ri.resource_id, p.name FROM request_items ri JOIN permissions p ON p.id = ri.permission_id
         WHERE ri.request_id = ?1 ORDER BY ri.resource_id, p.id",
    )?;
    let rows = statement
        .query_map([request_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The ids among `request_ids` that `select` (an `SELECT <id> … WHERE …`
/// whose `?1` is the user) returns, with `AND <id_column> IN (…)` appended.
fn ids_among(
    conn: Conn<'_>,
    select: &str,
    id_column: &str,
    user_id: i64,
    request_ids: &[i64],
) -> Result<HashSet<i64>, AppError> {
    if request_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut values = vec![Value::Integer(user_id)];
    values.extend(request_ids.iter().map(|id| Value::Integer(*id)));
    let mut statement = conn.prepare_cached(&format!(
        "{select} AND {id_column} IN ({})",
        placeholders(request_ids.len())
    ))?;
    let ids = statement
        .query_map(params_from_iter(values), |row| row.get(0))?
        .collect::<Result<HashSet<i64>, _>>()?;
    Ok(ids)
}

/// Which of these requests the user has starred.
pub fn favorites_among(
    conn: Conn<'_>,
    user_id: i64,
    request_ids: &[i64],
) -> Result<HashSet<i64>, AppError> {
    ids_among(
        conn,
        "SELECT request_id FROM favorites WHERE user_id = ?1",
        "request_id",
        user_id,
        request_ids,
    )
}

/// SQL condition: request `r` is an unreviewed break-glass use of a flow the
/// user (`?1`) approves, and does not grant the user access.
const BREAK_GLASS_TO_REVIEW_SQL: &str = concat!(
    "r.review_state = 'unreviewed' AND r.grantee_id != ?1 AND r.requester_id != ?1 AND ",
    flow_approver!()
);

/// SQL condition: the user (`?1`) can decide the current step of request `r`.
const WAITING_ON_USER_SQL: &str = waiting_on_user!();

/// The list of requests waiting on the user's decision (the Approvals page);
/// the same as [`RequestList::WaitingOn`].
pub const WAITING_ON_USER: RequestList = RequestList::WaitingOn;

/// How many requests wait on the user's decision.
pub fn count_waiting_on(conn: Conn<'_>, user_id: i64) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM requests r WHERE {WAITING_ON_USER_SQL}"
        ))?
        .query_row([user_id], |row| row.get(0))?)
}

/// Which of these requests wait on the user's decision.
pub fn waiting_on(
    conn: Conn<'_>,
    user_id: i64,
    request_ids: &[i64],
) -> Result<HashSet<i64>, AppError> {
    ids_among(
        conn,
        &format!("SELECT r.id FROM requests r WHERE {WAITING_ON_USER_SQL}"),
        "r.id",
        user_id,
        request_ids,
    )
}

/// Whether the user decided any step of the request.
pub fn has_decided(conn: Conn<'_>, user_id: i64, request_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM approvals WHERE request_id = ?1 AND approver_id = ?2 LIMIT 1",
        )?
        .query_row(params![request_id, user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn approvals_of(conn: Conn<'_>, request_id: i64) -> Result<Vec<Approval>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT a.step, u.id, u.username, u.display_name, a.decision, a.reason, a.decided_at
         FROM approvals a JOIN users u ON u.id = a.approver_id WHERE a.request_id = ?1 ORDER BY a.id",
    )?;
    let rows = statement.query_map([request_id], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            UserRef {
                id: row.get(1)?,
                username: row.get(2)?,
                display_name: row.get(3)?,
            },
            row.get::<_, String>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, i64>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (step, approver, decision, reason, decided_at) = row?;
        Ok(Approval {
            step,
            approver,
            decision,
            reason,
            decided_at: timestamp(decided_at)?,
        })
    })
    .collect()
}

/// A new request, before it has an id.
pub struct NewRequest<'a> {
    pub flow_id: i64,
    pub requester_id: i64,
    pub grantee_id: i64,
    pub status: RequestStatus,
    pub duration: i64,
    pub ticket_type: Option<&'a str>,
    pub ticket_id: Option<&'a str>,
    pub justification: &'a str,
    pub feedback: JustificationFeedback,
    pub bundle_id: Option<i64>,
    pub requested_again_from: Option<i64>,
    /// (resource id, permission id)
    pub items: &'a [(i64, i64)],
    pub via_assistant: Option<&'a str>,
    pub starts_at: Option<i64>,
    pub recurrence: Option<&'a Recurrence>,
}

pub fn insert(conn: Conn<'_>, request: &NewRequest<'_>, now: i64) -> Result<i64, AppError> {
    let id: i64 = conn.prepare_cached(
        "INSERT INTO requests (flow_id, requester_id, grantee_id, status, duration, ticket_type, ticket_id,
            justification, describes_task, explains_access, includes_ticket, item_count, bundle_id,
            requested_again_from, created_at, updated_at, via_assistant, starts_at, recurrence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17, ?18)
         RETURNING id",
    )?
    .query_row(params![
        request.flow_id,
        request.requester_id,
        request.grantee_id,
        request.status.label(),
        request.duration,
        request.ticket_type,
        request.ticket_id,
        request.justification,
        request.feedback.describes_task,
        request.feedback.explains_access_level,
        request.feedback.includes_ticket,
        request.items.len() as i64,
        request.bundle_id,
        request.requested_again_from,
        now,
        request.via_assistant,
        request.starts_at,
        request.recurrence.map(serde_json::to_string).transpose()?,
    ], |row| row.get(0))?;
    let mut item = conn.prepare_cached(
        "INSERT INTO request_items (request_id, resource_id, permission_id) VALUES (?1, ?2, ?3)",
    )?;
    for (resource_id, permission_id) in request.items {
        item.execute(params![id, resource_id, permission_id])?;
    }
    Ok(id)
}

/// Move a request from `from` to `to`, setting extra columns; fails with a
/// conflict when the request is no longer in `from` (someone acted first).
pub fn transition(
    conn: Conn<'_>,
    id: i64,
    from: RequestStatus,
    to: RequestStatus,
    now: i64,
    set: &[(&str, Value)],
) -> Result<(), AppError> {
    if !from.can_become(to) {
        return Err(AppError::internal(format!(
            "illegal transition {from} -> {to}"
        )));
    }
    let mut sql = String::from("UPDATE requests SET status = ?, updated_at = ?");
    let mut values = vec![Value::Text(to.label().to_owned()), Value::Integer(now)];
    for (column, value) in set {
        sql.push_str(&format!(", {column} = ?"));
        values.push(value.clone());
    }
    sql.push_str(" WHERE id = ? AND status = ?");
    values.push(Value::Integer(id));
    values.push(Value::Text(from.label().to_owned()));
    let changed = conn
        .prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    if changed == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "Request {id} is no longer {from}; reload to see its status."
        )))
    }
}

/// Ids of requests in a status, oldest first.
pub fn ids_in_status(
    conn: Conn<'_>,
    status: RequestStatus,
    limit: i64,
) -> Result<Vec<i64>, AppError> {
    let ids = conn
        .prepare_cached("SELECT id FROM requests WHERE status = ?1 ORDER BY id LIMIT ?2")?
        .query_map(params![status.label(), limit], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

pub fn set_favorite(
    conn: Conn<'_>,
    user_id: i64,
    request_id: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO favorites (user_id, request_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![user_id, request_id, now],
    )?;
    Ok(())
}

pub fn unset_favorite(conn: Conn<'_>, user_id: i64, request_id: i64) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM favorites WHERE user_id = ?1 AND request_id = ?2",
        params![user_id, request_id],
    )?;
    Ok(())
}

pub fn count_by_status(conn: Conn<'_>, grantee_id: i64) -> Result<HashMap<String, i64>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT status, COUNT(*) FROM requests WHERE grantee_id = ?1
         AND status IN ('Active', 'Pending Approval', 'Pending MFA', 'Scheduled') GROUP BY status",
    )?;
    let counts = statement
        .query_map([grantee_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<HashMap<String, i64>, _>>()?;
    Ok(counts)
}

/// The stored status of a request, as its label.
pub fn status_label(conn: Conn<'_>, id: i64) -> Result<String, AppError> {
    Ok(
        conn.query_row("SELECT status FROM requests WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
    )
}

/// What a person fulfilling a manual grant (or removal) is shown of it.
#[derive(Debug, Clone)]
pub struct FulfilmentFacts {
    pub integration_name: String,
    /// The grantee's username.
    pub grantee: String,
    pub expires_at: Option<i64>,
    /// "resource path: permission" of each item of the request in the integration.
    pub items: Vec<String>,
}

/// The integration's name, the grantee, the expiry and the items of a
/// request in one integration.
pub fn fulfilment_facts(
    conn: Conn<'_>,
    request_id: i64,
    integration_id: i64,
) -> Result<FulfilmentFacts, AppError> {
    let (integration_name, grantee, expires_at): (String, String, Option<i64>) = conn.query_row(
        "SELECT i.name, u.username, r.expires_at FROM requests r
             JOIN users u ON u.id = r.grantee_id JOIN integrations i ON i.id = ?2
             WHERE r.id = ?1",
        [request_id, integration_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let items = conn
        .prepare_cached(
            "SELECT res.path || ': ' || p.name FROM request_items ri
             JOIN resources res ON res.id = ri.resource_id JOIN permissions p ON p.id = ri.permission_id
             WHERE ri.request_id = ?1 AND res.integration_id = ?2 ORDER BY res.id, p.id",
        )?
        .query_map([request_id, integration_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(FulfilmentFacts {
        integration_name,
        grantee,
        expires_at,
        items,
    })
}

/// The status of a request the user approves for at some step of its flow
/// (whether or not it still waits on them); `None` otherwise. The bulk
/// console tells such an approver that a request they were shown was
/// decided meanwhile, where a stranger only learns it is not found.
pub fn status_for_flow_approver(
    conn: Conn<'_>,
    user_id: i64,
    request_id: i64,
) -> Result<Option<RequestStatus>, AppError> {
    let label: Option<String> = conn
        .prepare_cached(
            "SELECT r.status FROM requests r WHERE r.id = ?2 AND EXISTS (
                SELECT 1 FROM flow_approvers fa WHERE fa.flow_id = r.flow_id
                AND ((fa.kind = 'user' AND fa.subject_id = ?1)
                  OR (fa.kind = 'group' AND fa.subject_id IN (SELECT group_id FROM group_members WHERE user_id = ?1))))",
        )?
        .query_row(params![user_id, request_id], |row| row.get(0))
        .optional()?;
    Ok(label.and_then(|label| RequestStatus::from_label(&label)))
}
