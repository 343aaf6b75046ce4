//! Admin: read and export the audit log (JSON pages, JSON lines, CSV).

use axum::{
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use gatehouse_shared::{
    ApiError,
    requests::{AuditEntry, AuditPage, AuditQuery},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    auth::CurrentUser,
    error::AppError,
    extract::AppQuery,
    state::AppState,
    store::{self, audit::AuditFilter},
};

fn instant(field: &str, value: Option<&str>) -> Result<Option<i64>, AppError> {
    value
        .map(|text| {
            OffsetDateTime::parse(text, &Rfc3339)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|_| {
                    AppError::invalid(field, "Give a time in RFC 3339, e.g. 2026-11-22T09:00:00Z.")
                })
        })
        .transpose()
}

fn csv_field(text: &str) -> String {
    // Quote every field; a leading = + - @ would run as a formula in spreadsheets.
    let inert = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

const CSV_HEADER: &str = "id,at,actor_id,actor,request_id,action,detail\n";

fn csv_line(entry: &AuditEntry) -> String {
    let at = entry.at.format(&Rfc3339).unwrap_or_default();
    let mut line = [
        entry.id.to_string(),
        csv_field(&at),
        entry
            .actor
            .as_ref()
            .map(|a| a.id.to_string())
            .unwrap_or_default(),
        csv_field(
            entry
                .actor
                .as_ref()
                .map(|a| a.username.as_str())
                .unwrap_or("gatehouse"),
        ),
        entry
            .request_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        csv_field(&entry.action),
        csv_field(&entry.detail.to_string()),
    ]
    .join(",");
    line.push('\n');
    line
}

/// Most entries one read of the store holds while an answer streams: an
/// answer of up to 10000 entries is read and sent this many at a time, so
/// the server never holds the whole of it.
pub const EXPORT_PAGE: usize = 500;

/// Most entries one answer holds (`limit`).
pub const MAX_AUDIT_LIMIT: u32 = 10_000;

/// The answer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    JsonLines,
    Csv,
}

/// Where a streaming answer is: the entries still to send, and what the
/// next read of the store asks for.
struct Export {
    state: AppState,
    format: Format,
    filter: AuditFilter,
    /// Entries still wanted (of `limit`).
    remaining: usize,
    /// The entries read and not yet sent.
    read: Vec<AuditEntry>,
    /// Whether anything was sent yet (CSV's header, JSON's opening, commas).
    started: bool,
    /// Whether the store has nothing more to read.
    exhausted: bool,
    /// Whether entries past `limit` match (JSON's `next_cursor`).
    more: bool,
    /// The last entry sent.
    last_id: Option<i64>,
    /// Whether the answer is complete.
    done: bool,
}

impl Export {
    /// Take a read of up to `asked` entries: keep what `limit` allows, and
    /// note whether the store has more.
    fn take(&mut self, mut entries: Vec<AuditEntry>, asked: usize) {
        if entries.len() > self.remaining {
            self.more = true;
            self.exhausted = true;
            entries.truncate(self.remaining);
        } else if entries.len() < asked {
            self.exhausted = true;
        }
        self.remaining -= entries.len();
        if let Some(last) = entries.last() {
            self.filter.after_id = Some(last.id);
        }
        self.read = entries;
    }

    /// How many entries the next read asks for: a page, or one past what
    /// `limit` still allows (to know whether there is more).
    fn asked(&self) -> usize {
        EXPORT_PAGE.min(self.remaining + 1)
    }

    /// The text of the entries read (with the opening, first time), and the
    /// closing once the last page is sent.
    fn render(&mut self) -> Result<String, AppError> {
        let mut out = String::new();
        if !self.started {
            self.started = true;
            match self.format {
                Format::Csv => out.push_str(CSV_HEADER),
                Format::Json => out.push_str("{\"items\":["),
                Format::JsonLines => {}
            }
        }
        for entry in std::mem::take(&mut self.read) {
            match self.format {
                Format::Csv => out.push_str(&csv_line(&entry)),
                Format::JsonLines => {
                    out.push_str(&serde_json::to_string(&entry)?);
                    out.push('\n');
                }
                Format::Json => {
                    if self.last_id.is_some() {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(&entry)?);
                }
            }
            self.last_id = Some(entry.id);
        }
        if self.exhausted {
            self.done = true;
            if self.format == Format::Json {
                out.push(']');
                if self.more
                    && let Some(cursor) = self.last_id
                {
                    out.push_str(&format!(",\"next_cursor\":{cursor}"));
                }
                out.push('}');
            }
        }
        Ok(out)
    }

    /// The next piece of the answer, reading the store when what was read
    /// is sent; None once all is sent. Never an empty piece: to a chunked
    /// answer that would read as its end.
    async fn next(mut self) -> Option<(Result<String, AppError>, Self)> {
        while !self.done {
            if self.read.is_empty() && !self.exhausted && self.started {
                let asked = self.asked();
                let filter = self.filter.clone();
                let limit = i64::try_from(asked).unwrap_or(i64::MAX);
                match self
                    .state
                    .db
                    .call(move |conn| store::audit::search(conn, &filter, limit))
                    .await
                {
                    Ok(entries) => self.take(entries, asked),
                    Err(error) => {
                        // The status is sent: all that is left is to cut the answer short.
                        tracing::error!(%error, "audit log answer cut short");
                        self.done = true;
                        return Some((Err(error), self));
                    }
                }
            }
            match self.render() {
                Ok(piece) if piece.is_empty() => {}
                Ok(piece) => return Some((Ok(piece), self)),
                Err(error) => {
                    self.done = true;
                    return Some((Err(error), self));
                }
            }
        }
        None
    }
}

/// The audit log, oldest (or newest) first, filtered by time, actor and request; as a
/// JSON page (default), JSON lines or CSV for export.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Matching entries", content(
            (AuditPage = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "Bad time, order, format or page size", body = ApiError),
    )
)]
pub async fn list_audit(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<Response, AppError> {
    admin.require_admin()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("Ask for 1 to {MAX_AUDIT_LIMIT} entries."),
        ));
    }
    let format = match query.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("jsonl") => Format::JsonLines,
        Some("csv") => Format::Csv,
        Some(_) => return Err(AppError::invalid("format", "Use json, jsonl or csv.")),
    };
    let newest_first = match query.order.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => return Err(AppError::invalid("order", "Use oldest or newest.")),
    };
    let filter = AuditFilter {
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
        actor_id: query.actor_id,
        request_id: query.request_id,
        after_id: query.cursor,
        through_id: None,
        newest_first,
    };
    let mut export = Export {
        state: state.clone(),
        format,
        filter,
        remaining: limit as usize,
        read: Vec::new(),
        started: false,
        exhausted: false,
        more: false,
        last_id: None,
        done: false,
    };
    // The first read before answering, so that a store that fails is still
    // answered with its status; the newest entry now bounds the later reads.
    let asked = export.asked();
    let first = export.filter.clone();
    let (head, entries) = state
        .db
        .call(move |conn| {
            let newest = AuditFilter {
                newest_first: true,
                ..AuditFilter::default()
            };
            let head = store::audit::search(conn, &newest, 1)?
                .first()
                .map(|entry| entry.id);
            let first = AuditFilter {
                through_id: head,
                ..first
            };
            let limit = i64::try_from(asked).unwrap_or(i64::MAX);
            Ok((head, store::audit::search(conn, &first, limit)?))
        })
        .await?;
    export.filter.through_id = head;
    export.take(entries, asked);
    let content_type = match format {
        Format::Json => "application/json",
        Format::JsonLines => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
    };
    // Fused: the gzip layer polls its body once more after the end, which an
    // unfused `unfold` answers with a panic (found by the schema fuzzing).
    let body = Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(
        export,
        Export::next,
    )));
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
