//! Admin: access flows.

use axum::{Json, extract::State, http::StatusCode};
use gatehouse_shared::{
    ApiError,
    admin::{
        AccessFlow, AccessFlowInput, ScopeEntry, Subject, TicketType, TicketTypeInput,
        validate_flow,
    },
};

use super::{audit, name, names};
use crate::{
    auth::CurrentUser,
    error::AppError,
    extract::{AppJson, AppPath},
    state::AppState,
    store::{
        self, Conn,
        admin::{Entity, exists},
    },
};

/// Every referenced user, group, integration, type, resource and bundle exists.
fn check_references(conn: Conn<'_>, flow: &AccessFlowInput) -> Result<(), AppError> {
    let subject = |field: &str, s: &Subject| -> Result<(), AppError> {
        let (what, id) = match s {
            Subject::Everyone => return Ok(()),
            Subject::User { id } => (Entity::User, *id),
            Subject::Group { id } => (Entity::Group, *id),
        };
        if exists(conn, what, id)? {
            Ok(())
        } else {
            Err(AppError::invalid(
                field,
                format!(
                    "{} {id} does not exist.",
                    if what == Entity::User {
                        "User"
                    } else {
                        "Group"
                    }
                ),
            ))
        }
    };
    for grantee in &flow.grantees {
        subject("grantees", grantee)?;
    }
    for approver in flow.approver_steps.iter().flatten() {
        subject("approver_steps", approver)?;
    }
    for scope in &flow.scope {
        let (what, label, id) = match scope {
            ScopeEntry::Integration { id } => (Entity::Integration, "Integration", *id),
            ScopeEntry::ResourceType { id } => (Entity::ResourceType, "Resource type", *id),
            ScopeEntry::Resource { id } => (Entity::Resource, "Resource", *id),
            ScopeEntry::Bundle { id } => (Entity::Bundle, "Bundle", *id),
            ScopeEntry::Tag { .. } => continue,
        };
        if !exists(conn, what, id)? {
            return Err(AppError::invalid(
                "scope",
                format!("{label} {id} does not exist."),
            ));
        }
    }
    Ok(())
}

async fn save_flow(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    mut input: AccessFlowInput,
) -> Result<AccessFlow, AppError> {
    admin.require_admin()?;
    validate_flow(&input).map_err(|(field, message)| AppError::invalid(field, message))?;
    if let Some(offer) = &mut input.recurrence {
        offer.time_zone = offer.time_zone.trim().to_owned();
        crate::engine::schedule::check_offer(offer)?;
    }
    input.name = input.name.trim().to_owned();
    input.permissions = names("permissions", &input.permissions, 50)?;
    input.durations_seconds.sort_unstable();
    input.durations_seconds.dedup();
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            check_references(tx, &input)?;
            let id = store::admin::save_flow(tx, id, &input)?;
            audit(tx, &admin, now, "admin.access_flow.saved", id, &input.name)?;
            store::admin::list_flows(tx)?
                .into_iter()
                .find(|f| f.id == id)
                .ok_or_else(|| AppError::NotFound(format!("Access flow {id}")))
        })
        .await
}

/// Every access flow.
#[utoipa::path(get, path = "/api/v1/admin/access-flows", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "All access flows", body = [AccessFlow]), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn list_access_flows(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<Vec<AccessFlow>>, AppError> {
    admin.require_admin()?;
    Ok(Json(state.db.call(store::admin::list_flows).await?))
}

/// Create an access flow.
#[utoipa::path(post, path = "/api/v1/admin/access-flows", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = AccessFlowInput,
    responses((status = 201, description = "Created", body = AccessFlow), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_access_flow(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<AccessFlowInput>,
) -> Result<(StatusCode, Json<AccessFlow>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_flow(&state, admin, None, input).await?),
    ))
}

/// Replace an access flow. Requests already made keep their state.
#[utoipa::path(put, path = "/api/v1/admin/access-flows/{flow_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = AccessFlowInput,
    params(("flow_id" = i64, Path, description = "The access flow's id")),
    responses((status = 200, description = "Updated", body = AccessFlow), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such flow", body = ApiError),
        (status = 409, description = "Name taken", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_access_flow(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<AccessFlowInput>,
) -> Result<Json<AccessFlow>, AppError> {
    Ok(Json(save_flow(&state, admin, Some(id), input).await?))
}

/// Delete an access flow; refused once requests were made through it.
#[utoipa::path(delete, path = "/api/v1/admin/access-flows/{flow_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("flow_id" = i64, Path, description = "The access flow's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such flow", body = ApiError),
        (status = 409, description = "Requests were made through it", body = ApiError)))]
pub async fn delete_access_flow(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.access_flow.deleted",
        store::admin::delete_flow,
    )
    .await
}

/// Every ticket type requesters may choose from, by name.
#[utoipa::path(get, path = "/api/v1/admin/ticket-types", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "All ticket types", body = [TicketType]), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn list_ticket_types(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<Vec<TicketType>>, AppError> {
    admin.require_admin()?;
    Ok(Json(state.db.call(store::admin::ticket_types).await?))
}

/// Add a ticket type (e.g. Jira), offered wherever a flow asks for a ticket.
#[utoipa::path(post, path = "/api/v1/admin/ticket-types", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = TicketTypeInput,
    responses((status = 201, description = "Created", body = TicketType), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid name", body = ApiError)))]
pub async fn create_ticket_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<TicketTypeInput>,
) -> Result<(StatusCode, Json<TicketType>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_ticket_type(&state, admin, None, input).await?),
    ))
}

async fn save_ticket_type(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: TicketTypeInput,
) -> Result<TicketType, AppError> {
    admin.require_admin()?;
    let type_name = name("name", &input.name, 64)?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let saved = match id {
                Some(id) => store::admin::rename_ticket_type(tx, id, &type_name)?,
                None => store::admin::create_ticket_type(tx, &type_name)?,
            };
            audit(
                tx,
                &admin,
                now,
                "admin.ticket_type.saved",
                saved.id,
                &saved.name,
            )?;
            Ok(saved)
        })
        .await
}

/// Rename a ticket type; requests made with it keep the old name.
#[utoipa::path(put, path = "/api/v1/admin/ticket-types/{ticket_type_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = TicketTypeInput,
    params(("ticket_type_id" = i64, Path, description = "The ticket type's id")),
    responses((status = 200, description = "Renamed", body = TicketType), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such ticket type", body = ApiError),
        (status = 409, description = "Name taken", body = ApiError), (status = 422, description = "Invalid name", body = ApiError)))]
pub async fn update_ticket_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<TicketTypeInput>,
) -> Result<Json<TicketType>, AppError> {
    Ok(Json(
        save_ticket_type(&state, admin, Some(id), input).await?,
    ))
}

/// Remove a ticket type; requests made with it keep its name.
#[utoipa::path(delete, path = "/api/v1/admin/ticket-types/{ticket_type_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("ticket_type_id" = i64, Path, description = "The ticket type's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such ticket type", body = ApiError)))]
pub async fn delete_ticket_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.ticket_type.deleted",
        store::admin::delete_ticket_type,
    )
    .await
}
