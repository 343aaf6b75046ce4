//! Admin: integrations, resource types, resources and bundles.

use axum::{Json, extract::State, http::StatusCode};
use gatehouse_shared::access::{ConnectionCheck, SyncResult};
use gatehouse_shared::{
    ApiError,
    admin::{BundleInput, IntegrationInput, ResourceInput, ResourceTypeInput},
    catalog::{Bundle, Integration, Resource, ResourceIdQuery, ResourceType},
    limits::MAX_RESOURCES_PER_FORM,
};
use serde_json::Value;

use super::{audit, name, names};
use crate::{
    auth::CurrentUser,
    connector, engine,
    error::AppError,
    extract::{AppJson, AppPath, AppQuery},
    secrets::SecretBox,
    state::AppState,
    store::{self, Conn},
};

const CONNECTION_OPTIONS: [&str; 3] = ["terminal", "browser", "app"];

/// An integration's connector and sealed settings.
fn connector_of(conn: Conn<'_>, id: i64) -> Result<(String, Option<Vec<u8>>), AppError> {
    store::catalog::integration_connector(conn, id)?
        .ok_or_else(|| AppError::NotFound(format!("Integration {id}")))
}

fn open_settings(secrets: &SecretBox, sealed: Option<&[u8]>) -> Result<Option<Value>, AppError> {
    connector::open_settings(secrets, sealed).map_err(AppError::internal)
}

/// Integrations as admins see them: with their settings, secrets redacted.
fn admin_integrations(conn: Conn<'_>, secrets: &SecretBox) -> Result<Vec<Integration>, AppError> {
    let failing = store::catalog::failing_integrations(conn)?;
    store::catalog::list_integrations(conn)?
        .into_iter()
        .map(|mut integration| {
            if let Some((_, count, error)) = failing.iter().find(|f| f.0 == integration.id) {
                integration.failing = *count;
                integration.last_error = error.clone();
            }
            let (_, sealed) = connector_of(conn, integration.id)?;
            integration.settings = connector::redact(
                &integration.connector,
                open_settings(secrets, sealed.as_deref())?,
            );
            Ok(integration)
        })
        .collect()
}

fn admin_integration(
    conn: Conn<'_>,
    secrets: &SecretBox,
    id: i64,
) -> Result<Integration, AppError> {
    admin_integrations(conn, secrets)?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| AppError::NotFound(format!("Integration {id}")))
}

fn resource_type_by_id(conn: Conn<'_>, id: i64) -> Result<ResourceType, AppError> {
    store::catalog::list_resource_types(conn)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| AppError::NotFound(format!("Resource type {id}")))
}

fn checked_integration(
    input: &IntegrationInput,
) -> Result<(String, String, Option<String>, Vec<String>), AppError> {
    let integration_name = name("name", &input.name, 100)?;
    let kind = name("kind", &input.kind, 32)?;
    if !kind
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(AppError::invalid(
            "kind",
            "The connector kind is lower-case letters, digits, - and _.",
        ));
    }
    let message = input
        .admin_message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    if message.as_ref().is_some_and(|m| m.chars().count() > 2_000) {
        return Err(AppError::invalid(
            "admin_message",
            "The admin message is at most 2000 characters.",
        ));
    }
    let options = names("connection_options", &input.connection_options, 3)?;
    if let Some(unknown) = options
        .iter()
        .find(|o| !CONNECTION_OPTIONS.contains(&o.as_str()))
    {
        return Err(AppError::invalid(
            "connection_options",
            format!("Unknown connection option \"{unknown}\"; use terminal, browser or app."),
        ));
    }
    Ok((integration_name, kind, message, options))
}

async fn save_integration(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: IntegrationInput,
) -> Result<Integration, AppError> {
    admin.require_admin()?;
    let (integration_name, kind, message, options) = checked_integration(&input)?;
    if let Some(connector) = &input.connector
        && !connector::KINDS.contains(&connector.as_str())
    {
        return Err(AppError::invalid(
            "connector",
            format!(
                "Unknown connector \"{connector}\"; use one of {}.",
                connector::KINDS.join(", ")
            ),
        ));
    }
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    state
        .db
        .write(move |tx| {
            let previous = id.map(|id| connector_of(tx, id)).transpose()?;
            let connector = input
                .connector
                .clone()
                .or_else(|| previous.as_ref().map(|(kind, _)| kind.clone()))
                .unwrap_or_else(|| "demo".into());
            // Settings of the same connector carry over (secrets left out are kept).
            let previous_settings = match &previous {
                Some((kind, sealed)) if *kind == connector => {
                    open_settings(&secrets, sealed.as_deref())?
                }
                _ => None,
            };
            let given = match (&input.settings, &previous_settings) {
                (None, Some(previous)) => Some(previous.clone()),
                (given, _) => given.clone(),
            };
            let previous_target = target(&connector, previous_settings.as_ref());
            let settings = connector::prepare_settings(&connector, given, previous_settings)
                .map_err(|(field, message)| AppError::invalid(&field, message))?;
            if let Some(settings) = &settings {
                check_fulfillers(tx, &connector, settings)?;
            }
            if let (Some(id), Some((previous_kind, _))) = (id, &previous) {
                let moved = *previous_kind != connector
                    || previous_target != target(&connector, settings.as_ref());
                let live = store::catalog::live_grants_in(tx, id)?;
                if moved && live > 0 {
                    return Err(AppError::Conflict(format!(
                        "{live} accesses granted through this integration are still live; \
                         changing its connector or target system now would leave them behind. \
                         Revoke them (or wait for them to end) first."
                    )));
                }
            }
            let sealed = settings
                .map(|settings| secrets.seal(settings.to_string().as_bytes()))
                .transpose()?;
            let id = store::admin::save_integration(
                tx,
                id,
                store::admin::IntegrationRow {
                    name: &integration_name,
                    kind: &kind,
                    admin_message: message.as_deref(),
                    options: &options,
                    connector: &connector,
                    settings: sealed,
                },
            )?;
            audit(
                tx,
                &admin,
                now,
                "admin.integration.saved",
                id,
                &integration_name,
            )?;
            admin_integration(tx, &secrets, id)
        })
        .await
}

/// The system a connector acts on: access granted there must be removed
/// there, so it cannot change while access is live.
fn target(connector: &str, settings: Option<&Value>) -> Option<String> {
    let settings = settings?;
    let field = |name: &str| settings.get(name).map(Value::to_string).unwrap_or_default();
    match connector {
        "postgresql" => Some(format!("{}:{}", field("host"), field("port"))),
        "webhook" => Some(field("url")),
        _ => None,
    }
}

/// A manual integration's fulfillers must be users.
fn check_fulfillers(conn: Conn<'_>, connector: &str, settings: &Value) -> Result<(), AppError> {
    if connector != "manual" {
        return Ok(());
    }
    let parsed = connector::manual::ManualSettings::parse(settings)
        .map_err(|message| AppError::invalid("settings", message))?;
    for username in &parsed.fulfillers {
        if !store::users::exists(conn, username)? {
            return Err(AppError::invalid(
                "settings",
                format!("Fulfiller \"{username}\" is not a user."),
            ));
        }
    }
    Ok(())
}

/// Every integration with its connector and settings (secrets redacted).
#[utoipa::path(get, path = "/api/v1/admin/integrations", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "Integrations", body = Vec<Integration>), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn list_admin_integrations(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<Vec<Integration>>, AppError> {
    admin.require_admin()?;
    let secrets = state.secrets.clone();
    Ok(Json(
        state
            .db
            .call(move |conn| admin_integrations(conn, &secrets))
            .await?,
    ))
}

/// Test an integration's connection with its saved settings.
#[utoipa::path(post, path = "/api/v1/admin/integrations/{integration_id}/test", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 200, description = "The outcome, good or bad, in words", body = ConnectionCheck),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError)))]
pub async fn test_integration(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<ConnectionCheck>, AppError> {
    admin.require_admin()?;
    let connector = integration_connector(&state, id).await?;
    let outcome = tokio::task::spawn_blocking(move || connector.and_then(|c| c.check()))
        .await
        .map_err(|error| AppError::internal(format!("connection test task failed: {error}")))?;
    Ok(Json(match outcome {
        Ok(message) => ConnectionCheck { ok: true, message },
        Err(message) => ConnectionCheck { ok: false, message },
    }))
}

async fn integration_connector(
    state: &AppState,
    id: i64,
) -> Result<Result<std::sync::Arc<dyn connector::Connector>, String>, AppError> {
    let (kind, sealed) = state.db.call(move |conn| connector_of(conn, id)).await?;
    Ok(engine::open_connector(
        &state.engine(),
        &kind,
        sealed.as_deref(),
    ))
}

/// Read the catalog from the target system (databases, schemas, tables for
/// PostgreSQL) and add what is missing: resource types with their
/// permissions, and resources. Nothing is deleted.
#[utoipa::path(post, path = "/api/v1/admin/integrations/{integration_id}/sync", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 200, description = "What was found and added", body = SyncResult),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError),
        (status = 422, description = "The connector cannot read a catalog, or the system refused", body = ApiError)))]
pub async fn sync_integration(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<SyncResult>, AppError> {
    admin.require_admin()?;
    let connector = integration_connector(&state, id).await?;
    let found = tokio::task::spawn_blocking(move || connector.and_then(|c| c.discover()))
        .await
        .map_err(|error| AppError::internal(format!("sync task failed: {error}")))?
        .map_err(|message| AppError::invalid("integration_id", message))?;
    let now = state.now().unix_timestamp();
    let result = state
        .db
        .write(move |tx| {
            let mut added = 0;
            let mut types = std::collections::HashMap::new();
            for resource in &found {
                let type_id = match types.get(resource.resource_type) {
                    Some(type_id) => *type_id,
                    None => {
                        let type_id = store::catalog::ensure_resource_type(
                            tx,
                            id,
                            resource.resource_type,
                            resource.permissions,
                        )?;
                        types.insert(resource.resource_type, type_id);
                        type_id
                    }
                };
                let known = store::catalog::has_resource_at(tx, id, &resource.path)?;
                if !known {
                    store::catalog::ensure_resource(
                        tx,
                        id,
                        type_id,
                        &resource.name,
                        &resource.path,
                        &[],
                    )?;
                    added += 1;
                }
            }
            let result = SyncResult {
                found: found.len(),
                added,
            };
            audit(
                tx,
                &admin,
                now,
                "admin.integration.synced",
                id,
                &format!("{} found, {} added", result.found, result.added),
            )?;
            Ok(result)
        })
        .await?;
    Ok(Json(result))
}

/// Create an integration.
#[utoipa::path(post, path = "/api/v1/admin/integrations", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = IntegrationInput,
    responses((status = 201, description = "Created", body = Integration), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_integration(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<IntegrationInput>,
) -> Result<(StatusCode, Json<Integration>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_integration(&state, admin, None, input).await?),
    ))
}

/// Update an integration.
#[utoipa::path(put, path = "/api/v1/admin/integrations/{integration_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = IntegrationInput,
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 200, description = "Updated", body = Integration), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError),
        (status = 409, description = "Name taken", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_integration(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<IntegrationInput>,
) -> Result<Json<Integration>, AppError> {
    Ok(Json(
        save_integration(&state, admin, Some(id), input).await?,
    ))
}

/// Delete an integration; refused while it has resource types or flows scope it.
#[utoipa::path(delete, path = "/api/v1/admin/integrations/{integration_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("integration_id" = i64, Path, description = "The integration's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such integration", body = ApiError),
        (status = 409, description = "In use; the message says by what", body = ApiError)))]
pub async fn delete_integration(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.integration.deleted",
        store::admin::delete_integration,
    )
    .await
}

async fn save_resource_type(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: ResourceTypeInput,
) -> Result<ResourceType, AppError> {
    admin.require_admin()?;
    let type_name = name("name", &input.name, 100)?;
    let permissions = names("permissions", &input.permissions, 50)?;
    if permissions.is_empty() {
        return Err(AppError::invalid(
            "permissions",
            "A resource type offers at least one permission.",
        ));
    }
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let id = store::admin::save_resource_type(
                tx,
                id,
                input.integration_id,
                &type_name,
                &permissions,
            )?;
            audit(tx, &admin, now, "admin.resource_type.saved", id, &type_name)?;
            resource_type_by_id(tx, id)
        })
        .await
}

/// Create a resource type with its permissions.
#[utoipa::path(post, path = "/api/v1/admin/resource-types", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = ResourceTypeInput,
    responses((status = 201, description = "Created", body = ResourceType), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_resource_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<ResourceTypeInput>,
) -> Result<(StatusCode, Json<ResourceType>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_resource_type(&state, admin, None, input).await?),
    ))
}

/// Rename a resource type and set its permissions (a permission in use cannot be removed).
#[utoipa::path(put, path = "/api/v1/admin/resource-types/{resource_type_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = ResourceTypeInput,
    params(("resource_type_id" = i64, Path, description = "The resource type's id")),
    responses((status = 200, description = "Updated", body = ResourceType), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such resource type", body = ApiError),
        (status = 409, description = "Name taken, or a removed permission is in use", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_resource_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ResourceTypeInput>,
) -> Result<Json<ResourceType>, AppError> {
    Ok(Json(
        save_resource_type(&state, admin, Some(id), input).await?,
    ))
}

/// Delete a resource type; refused while it has resources or flows scope it.
#[utoipa::path(delete, path = "/api/v1/admin/resource-types/{resource_type_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("resource_type_id" = i64, Path, description = "The resource type's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such resource type", body = ApiError),
        (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_resource_type(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.resource_type.deleted",
        store::admin::delete_resource_type,
    )
    .await
}

async fn save_resource(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: ResourceInput,
) -> Result<Resource, AppError> {
    admin.require_admin()?;
    let resource_name = name("name", &input.name, 200)?;
    let path = name("path", &input.path, 500)?;
    let tags = names("tags", &input.tags, 20)?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let id = store::admin::save_resource(
                tx,
                id,
                input.resource_type_id,
                &resource_name,
                &path,
                &tags,
            )?;
            audit(tx, &admin, now, "admin.resource.saved", id, &resource_name)?;
            store::catalog::get_resource(tx, id)?
                .ok_or_else(|| AppError::NotFound(format!("Resource {id}")))
        })
        .await
}

/// Create a resource.
#[utoipa::path(post, path = "/api/v1/admin/resources", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = ResourceInput,
    responses((status = 201, description = "Created", body = Resource), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Path taken in this integration", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_resource(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<ResourceInput>,
) -> Result<(StatusCode, Json<Resource>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_resource(&state, admin, None, input).await?),
    ))
}

/// Resources of the whole catalog by id, in the order asked, leaving out ids
/// that match none (e.g. to name what access flows scope).
#[utoipa::path(get, path = "/api/v1/admin/resources", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(ResourceIdQuery),
    responses((status = 200, description = "The resources found", body = [Resource]), (status = 400, description = "Malformed query string", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError), (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "More than 1,000 ids", body = ApiError)))]
pub async fn list_admin_resources(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppQuery(query): AppQuery<ResourceIdQuery>,
) -> Result<Json<Vec<Resource>>, AppError> {
    admin.require_admin()?;
    if query.id.len() > MAX_RESOURCES_PER_FORM {
        return Err(AppError::invalid(
            "id",
            format!("Ask for at most {MAX_RESOURCES_PER_FORM} resources at once."),
        ));
    }
    let found = state
        .db
        .call(move |conn| {
            let mut found = Vec::with_capacity(query.id.len());
            for id in query.id {
                found.extend(store::catalog::get_resource(conn, id)?);
            }
            Ok(found)
        })
        .await?;
    Ok(Json(found))
}

/// One resource of the whole catalog, by id.
#[utoipa::path(get, path = "/api/v1/admin/resources/{resource_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("resource_id" = i64, Path, description = "The resource's id")),
    responses((status = 200, description = "The resource", body = Resource), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such resource", body = ApiError)))]
pub async fn get_admin_resource(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Resource>, AppError> {
    admin.require_admin()?;
    state
        .db
        .call(move |conn| store::catalog::get_resource(conn, id))
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("Resource {id}")))
}

/// Update a resource.
#[utoipa::path(put, path = "/api/v1/admin/resources/{resource_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = ResourceInput,
    params(("resource_id" = i64, Path, description = "The resource's id")),
    responses((status = 200, description = "Updated", body = Resource), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such resource", body = ApiError),
        (status = 409, description = "Path taken, or its type cannot change", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_resource(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ResourceInput>,
) -> Result<Json<Resource>, AppError> {
    Ok(Json(save_resource(&state, admin, Some(id), input).await?))
}

/// Delete a resource; refused while requests, bundles or flows use it.
#[utoipa::path(delete, path = "/api/v1/admin/resources/{resource_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("resource_id" = i64, Path, description = "The resource's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such resource", body = ApiError),
        (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_resource(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.resource.deleted",
        store::admin::delete_resource,
    )
    .await
}

async fn save_bundle(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: BundleInput,
) -> Result<Bundle, AppError> {
    admin.require_admin()?;
    let bundle_name = name("name", &input.name, 100)?;
    let description = input.description.trim().to_owned();
    if description.chars().count() > 1_000 {
        return Err(AppError::invalid(
            "description",
            "The description is at most 1000 characters.",
        ));
    }
    if input.items.is_empty() || input.items.len() > MAX_RESOURCES_PER_FORM {
        return Err(AppError::invalid(
            "items",
            format!("A bundle holds 1 to {MAX_RESOURCES_PER_FORM} items."),
        ));
    }
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let id = store::admin::save_bundle(tx, id, &bundle_name, &description, &input.items)?;
            audit(tx, &admin, now, "admin.bundle.saved", id, &bundle_name)?;
            store::bundles::get(tx, id)?.ok_or_else(|| AppError::NotFound(format!("Bundle {id}")))
        })
        .await
}

/// Create a bundle of resources with permissions.
#[utoipa::path(post, path = "/api/v1/admin/bundles", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = BundleInput,
    responses((status = 201, description = "Created", body = Bundle), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_bundle(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<BundleInput>,
) -> Result<(StatusCode, Json<Bundle>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_bundle(&state, admin, None, input).await?),
    ))
}

/// Update a bundle (its items are replaced).
#[utoipa::path(put, path = "/api/v1/admin/bundles/{bundle_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = BundleInput,
    params(("bundle_id" = i64, Path, description = "The bundle's id")),
    responses((status = 200, description = "Updated", body = Bundle), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such bundle", body = ApiError),
        (status = 409, description = "Name taken", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_bundle(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<BundleInput>,
) -> Result<Json<Bundle>, AppError> {
    Ok(Json(save_bundle(&state, admin, Some(id), input).await?))
}

/// Delete a bundle; refused while flows scope it (requests keep their items).
#[utoipa::path(delete, path = "/api/v1/admin/bundles/{bundle_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("bundle_id" = i64, Path, description = "The bundle's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such bundle", body = ApiError),
        (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_bundle(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.bundle.deleted",
        store::admin::delete_bundle,
    )
    .await
}
