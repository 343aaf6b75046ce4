//! Access Details and Connect for an active access: instructions, connection
//! options, the secret shown once, Reset Credentials; and the fulfilments a
//! person does by hand for manual integrations.

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError, RequestStatus,
    access::{
        AccessDetails, ConnectOptions, Fulfilment, FulfilmentInput, GrantState, RevealedSecret,
    },
};
use serde_json::json;

use crate::{
    auth::CurrentUser,
    connector::{Credentials, manual},
    engine::{self, actor},
    error::AppError,
    extract::{AppJson, AppPath},
    secrets::SecretBox,
    state::AppState,
    store::{self, Conn, access::GrantRow},
};

fn details_of(
    conn: Conn<'_>,
    row: &GrantRow,
    is_grantee: bool,
    active: bool,
) -> Result<AccessDetails, AppError> {
    let facts = store::catalog::integration_facts(conn, row.integration_id)?;
    let offered = |option: &str| facts.options.iter().any(|o| o == option);
    let connect: ConnectOptions = serde_json::from_str(&row.connect).unwrap_or_default();
    let granted = row.state == GrantState::Granted && active;
    let connect = ConnectOptions {
        terminal: connect.terminal.filter(|_| offered("terminal") && granted),
        browser: connect.browser.filter(|_| offered("browser") && granted),
        app: connect.app.filter(|_| offered("app") && granted),
    };
    let cli_command = (granted && offered("terminal") && connect.terminal.is_some())
        .then(|| format!("gatehouse connect {}", row.request_id));
    Ok(AccessDetails {
        request_id: row.request_id,
        integration_id: row.integration_id,
        integration_name: facts.name,
        state: row.state,
        admin_message: facts.admin_message,
        username: row.username.clone(),
        instructions: row.instructions.clone(),
        connect,
        cli_command,
        secret_available: is_grantee && granted && row.secret.is_some(),
        secret_shown: row.version > 0 && row.seen_version >= row.version,
        credentials_rotated: row.seen_version > 0 && row.version > row.seen_version,
        can_reset: is_grantee && granted,
    })
}

/// The request, if the caller may see its access details: the grantee, or an admin.
fn load_for_details(
    conn: Conn<'_>,
    user: &CurrentUser,
    id: i64,
) -> Result<(store::requests::RequestRow, bool), AppError> {
    let row = engine::load_visible(conn, actor(user), id)?;
    let is_grantee = row.grantee.id == user.id;
    if !is_grantee && !user.is_admin {
        return Err(AppError::Forbidden(
            "Only the grantee sees the access details.".into(),
        ));
    }
    Ok((row, is_grantee))
}

/// Access Details for every integration of a request: instructions, how to
/// connect, and whether a secret waits to be revealed (once).
#[utoipa::path(
    get,
    path = "/api/v1/requests/{request_id}/access",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, description = "One entry per integration the request touches", body = Vec<AccessDetails>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee (nor an admin)", body = ApiError),
        (status = 404, description = "No such request visible to you", body = ApiError),
    )
)]
pub async fn get_access(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Vec<AccessDetails>>, AppError> {
    let details = state
        .db
        .call(move |conn| access_details(conn, &user, id))
        .await?;
    Ok(Json(details))
}

/// Access Details of every integration of a request (the portal and Slack).
pub(crate) fn access_details(
    conn: Conn<'_>,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<AccessDetails>, AppError> {
    let (request, is_grantee) = load_for_details(conn, user, id)?;
    let active = request.status == RequestStatus::Active;
    store::access::of_request(conn, id)?
        .iter()
        .map(|row| details_of(conn, row, is_grantee, active))
        .collect()
}

/// The grantee's own granted access in one integration of an Active request.
fn own_granted(
    conn: Conn<'_>,
    user: &CurrentUser,
    id: i64,
    integration_id: i64,
) -> Result<GrantRow, AppError> {
    let (request, is_grantee) = load_for_details(conn, user, id)?;
    if !is_grantee {
        return Err(AppError::Forbidden(
            "Only the grantee receives credentials.".into(),
        ));
    }
    if request.status != RequestStatus::Active {
        return Err(AppError::Conflict(format!(
            "Request {id} is {}; credentials exist only while it is Active.",
            request.status
        )));
    }
    let row = store::access::get(conn, id, integration_id)?.ok_or_else(|| {
        AppError::NotFound(format!("Integration {integration_id} of request {id}"))
    })?;
    if row.state != GrantState::Granted {
        return Err(AppError::Conflict(format!(
            "The access in this integration is {}.",
            row.state.label()
        )));
    }
    Ok(row)
}

/// Reveal the secret. It is shown once: the stored copy is wiped and the
/// API never returns it again; Reset Credentials issues a new one.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/access/{integration_id}/reveal",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "The secret, this once", body = RevealedSecret),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee", body = ApiError),
        (status = 404, description = "No such request or integration of it", body = ApiError),
        (status = 409, description = "Shown already (reset credentials), not Active, or no secret", body = ApiError),
    )
)]
pub async fn reveal_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
) -> Result<Json<RevealedSecret>, AppError> {
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    let revealed = state
        .db
        .write(move |tx| reveal_in(tx, &secrets, &user, id, integration_id, now))
        .await?;
    Ok(Json(revealed))
}

/// Reveal the secret once, wiping the stored copy (the portal and Slack).
pub(crate) fn reveal_in(
    tx: Conn<'_>,
    secrets: &SecretBox,
    user: &CurrentUser,
    id: i64,
    integration_id: i64,
    now: i64,
) -> Result<RevealedSecret, AppError> {
    let row = own_granted(tx, user, id, integration_id)?;
    let Some(sealed) = row.secret else {
        return Err(AppError::Conflict(if row.version == 0 {
            "This access has no secret; follow the instructions.".into()
        } else {
            "The secret was shown once already. Use Reset Credentials to get new ones.".into()
        }));
    };
    let secret = String::from_utf8(secrets.open(&sealed)?)
        .map_err(|_| AppError::internal("a stored secret is not UTF-8"))?;
    store::access::wipe_secret(tx, (id, integration_id))?;
    store::audit::record(
        tx,
        now,
        Some(user.id),
        Some(id),
        "credentials_revealed",
        json!({"integration_id": integration_id, "version": row.version}),
    )?;
    Ok(RevealedSecret {
        request_id: id,
        integration_id,
        username: row.username,
        secret,
    })
}

/// Reset Credentials: the connector issues new ones (the old stop working);
/// the new secret waits to be revealed once.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/access/{integration_id}/reset",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "New credentials wait to be revealed", body = AccessDetails),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee", body = ApiError),
        (status = 404, description = "No such request or integration of it", body = ApiError),
        (status = 409, description = "Not Active", body = ApiError),
        (status = 422, description = "The connector could not issue new credentials", body = ApiError),
    )
)]
pub async fn reset_credentials(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
) -> Result<Json<AccessDetails>, AppError> {
    // One connector call at a time for this server: two resets at once could
    // leave the stored secret different from the one the system has.
    let _guard = state.provisioning.lock().await;
    let now = state.now().unix_timestamp();
    let check_user = user.clone();
    let (kind, sealed, grant) = state
        .db
        .call(move |conn| {
            own_granted(conn, &check_user, id, integration_id)?;
            engine::grant_of(conn, (id, integration_id), now)
        })
        .await?;
    let connector = engine::open_connector(&state, &kind, sealed.as_deref());
    let issued: Result<Credentials, String> =
        tokio::task::spawn_blocking(move || connector.and_then(|c| c.reset_credentials(&grant)))
            .await
            .map_err(|error| AppError::internal(format!("reset task failed: {error}")))?;
    let credentials = issued.map_err(|reason| {
        AppError::invalid(
            "integration_id",
            format!("New credentials could not be issued: {reason}"),
        )
    })?;
    let secrets: std::sync::Arc<SecretBox> = state.secrets.clone();
    let details = state
        .db
        .write(move |tx| {
            own_granted(tx, &user, id, integration_id)?;
            let handed = engine::seal(&secrets, &credentials)?;
            store::access::replace_credentials(tx, (id, integration_id), handed)?;
            store::audit::record(
                tx,
                now,
                Some(user.id),
                Some(id),
                "credentials_reset",
                json!({"integration_id": integration_id}),
            )?;
            let row = store::access::get(tx, id, integration_id)?
                .ok_or_else(|| AppError::internal("grant vanished during reset"))?;
            details_of(tx, &row, true, true)
        })
        .await?;
    Ok(Json(details))
}

/// The manual integrations `user` fulfils (all of them for admins).
fn fulfilled_by(
    conn: Conn<'_>,
    secrets: &SecretBox,
    user: &CurrentUser,
) -> Result<Vec<i64>, AppError> {
    let mut mine = Vec::new();
    for (id, sealed) in store::catalog::manual_integrations(conn)? {
        // One broken integration must not hide the others' work.
        if user.is_admin
            || manual::fulfillers(secrets, id, sealed.as_deref()).contains(&user.username)
        {
            mine.push(id);
        }
    }
    Ok(mine)
}

/// Manual grants and removals waiting on me (an admin, or a fulfiller the
/// integration names).
#[utoipa::path(
    get,
    path = "/api/v1/fulfilments",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "What waits on me to grant or remove by hand", body = Vec<Fulfilment>),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_fulfilments(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<Fulfilment>>, AppError> {
    let secrets = state.secrets.clone();
    let list = state
        .db
        .call(move |conn| {
            let mine = fulfilled_by(conn, &secrets, &user)?;
            if mine.is_empty() {
                return Ok(Vec::new());
            }
            store::access::waiting_on_people(conn, Some(&mine))?
                .into_iter()
                .map(|row| fulfilment_of(conn, row))
                .collect()
        })
        .await?;
    Ok(Json(list))
}

fn fulfilment_of(conn: Conn<'_>, row: GrantRow) -> Result<Fulfilment, AppError> {
    let facts = store::requests::fulfilment_facts(conn, row.request_id, row.integration_id)?;
    Ok(Fulfilment {
        request_id: row.request_id,
        integration_id: row.integration_id,
        integration_name: facts.integration_name,
        state: row.state,
        grantee: facts.grantee,
        items: facts.items,
        expires_at: facts.expires_at,
    })
}

/// Mark a manual grant (or removal) done. A grant may hand the grantee a
/// log-in, a secret (shown to them once) and instructions.
#[utoipa::path(
    post,
    path = "/api/v1/fulfilments/{request_id}/{integration_id}",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The integration's id")),
    request_body = FulfilmentInput,
    responses(
        (status = 200, description = "Done; the grant or removal as it now stands", body = Fulfilment),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Neither an admin nor a fulfiller of this integration", body = ApiError),
        (status = 404, description = "Nothing waits on a person here", body = ApiError),
        (status = 422, description = "A field is too long", body = ApiError),
    )
)]
pub async fn fulfil(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
    AppJson(input): AppJson<FulfilmentInput>,
) -> Result<Json<Fulfilment>, AppError> {
    for (field, value, max) in [
        ("username", &input.username, 200),
        ("secret", &input.secret, 1_000),
        ("instructions", &input.instructions, 2_000),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(AppError::invalid(
                field,
                format!("At most {max} characters."),
            ));
        }
    }
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    let done = state
        .db
        .write(move |tx| {
            if !user.is_admin && !fulfilled_by(tx, &secrets, &user)?.contains(&integration_id) {
                return Err(AppError::Forbidden(
                    "Only admins and this integration's fulfillers mark manual access done.".into(),
                ));
            }
            let row = store::access::get(tx, id, integration_id)?
                .filter(|row| matches!(row.state, GrantState::Waiting | GrantState::Removing))
                .ok_or_else(|| {
                    AppError::NotFound(format!(
                        "A manual grant or removal of request {id} in integration {integration_id}"
                    ))
                })?;
            if row.state == GrantState::Waiting {
                let status = store::requests::status_label(tx, id)?;
                if status != RequestStatus::Granting.label() {
                    return Err(AppError::Conflict(format!(
                        "Request {id} is {status}; there is nothing to grant any more."
                    )));
                }
                let credentials = Credentials {
                    username: input.username.clone().filter(|u| !u.trim().is_empty()),
                    secret: input.secret.clone().filter(|s| !s.is_empty()),
                    instructions: input.instructions.clone().filter(|i| !i.trim().is_empty()),
                    connect: ConnectOptions::default(),
                };
                let handed = engine::seal(&secrets, &credentials)?;
                store::access::set_granted(tx, (id, integration_id), handed, None, now)?;
                store::audit::record(
                    tx,
                    now,
                    Some(user.id),
                    Some(id),
                    "access_granted",
                    json!({"integration_id": integration_id, "by_hand": true}),
                )?;
                engine::settle_granting(tx, id, now)?;
            } else {
                store::access::set_state(tx, (id, integration_id), GrantState::Removed, now)?;
                store::audit::record(
                    tx,
                    now,
                    Some(user.id),
                    Some(id),
                    "access_removed",
                    json!({"integration_id": integration_id, "by_hand": true}),
                )?;
                if !store::access::access_gone(tx, Some(id))?.is_empty() {
                    engine::end_revoking(tx, id, now)?;
                }
            }
            let row = store::access::get(tx, id, integration_id)?
                .ok_or_else(|| AppError::internal("grant vanished"))?;
            fulfilment_of(tx, row)
        })
        .await?;
    Ok(Json(done))
}
