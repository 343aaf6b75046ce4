//! Admin: read and export the audit log (JSON pages, JSON lines, CSV).

use axum::{
    Json,
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

fn csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("id,at,actor_id,actor,request_id,action,detail\n");
    for entry in entries {
        let at = entry.at.format(&Rfc3339).unwrap_or_default();
        let line = [
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
        out.push_str(&line);
        out.push('\n');
    }
    out
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
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::invalid("limit", "Ask for 1 to 10000 entries."));
    }
    let format = query.format.clone().unwrap_or_else(|| "json".into());
    if !["json", "jsonl", "csv"].contains(&format.as_str()) {
        return Err(AppError::invalid("format", "Use json, jsonl or csv."));
    }
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
        newest_first,
    };
    let mut entries = state
        .db
        .call(move |conn| store::audit::search(conn, &filter, i64::from(limit) + 1))
        .await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_cursor = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(match format.as_str() {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv(&entries),
        )
            .into_response(),
        "jsonl" => {
            let mut body = String::new();
            for entry in &entries {
                body.push_str(&serde_json::to_string(entry)?);
                body.push('\n');
            }
            ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
        }
        _ => Json(AuditPage {
            items: entries,
            next_cursor,
        })
        .into_response(),
    })
}
