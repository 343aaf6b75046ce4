//! Admin routes (admins only): the catalog, access flows, users and groups.
//! Every change is audited.

pub mod audit;
pub mod catalog;
pub mod drift;
pub mod flows;
pub mod people;

use crate::store::Conn;
use crate::{auth::CurrentUser, error::AppError, store};

/// A trimmed name of 1 to `max` characters, or a refusal naming the field.
pub(crate) fn name(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("Enter a {field} of 1 to {max} characters."),
        ));
    }
    Ok(value.to_owned())
}

/// Names in a list: each 1 to 64 characters, at most `max_items`.
pub(crate) fn names(
    field: &str,
    values: &[String],
    max_items: usize,
) -> Result<Vec<String>, AppError> {
    if values.len() > max_items {
        return Err(AppError::invalid(
            field,
            format!("At most {max_items} {field}."),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let value = name(field, value, 64)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// Delete one thing as an admin, audited, in one transaction: 204 when done.
pub(crate) async fn delete_audited(
    state: &crate::state::AppState,
    admin: CurrentUser,
    id: i64,
    action: &'static str,
    delete: fn(Conn<'_>, i64) -> Result<(), AppError>,
) -> Result<axum::http::StatusCode, AppError> {
    admin.require_admin()?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            delete(tx, id)?;
            audit(tx, &admin, now, action, id, "")
        })
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Record an admin change in the audit log.
pub(crate) fn audit(
    conn: Conn<'_>,
    admin: &CurrentUser,
    now: i64,
    action: &str,
    id: i64,
    name: &str,
) -> Result<(), AppError> {
    store::audit::record(
        conn,
        now,
        Some(admin.id),
        None,
        action,
        serde_json::json!({"id": id, "name": name}),
    )
}
