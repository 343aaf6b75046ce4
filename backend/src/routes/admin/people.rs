//! Admin: users and groups. Also the user directory every signed-in user may
//! search, to pick someone for "Request on Behalf of".

use axum::{Json, extract::State, http::StatusCode};
use gatehouse_shared::{
    ApiError,
    admin::{Group, GroupInput, User, UserInput},
    limits,
    requests::UserRef,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{audit, name};
use crate::{
    auth::CurrentUser,
    error::AppError,
    extract::{AppJson, AppPath, AppQuery},
    state::AppState,
    store,
};

const MIN_PASSWORD: usize = 8;

/// Query of the user directory.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Part of a username or display name.
    pub search: Option<String>,
    /// At most this many users (1 to 100, default 20).
    pub limit: Option<u32>,
}

/// Find users by name, for Request on Behalf of.
#[utoipa::path(get, path = "/api/v1/users", tag = "session",
    security(("session_cookie" = []), ("api_token" = [])), params(DirectoryQuery),
    responses((status = 200, description = "Matching users", body = [UserRef]), (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Invalid query", body = ApiError)))]
pub async fn search_users(
    State(state): State<AppState>,
    _user: CurrentUser,
    AppQuery(query): AppQuery<DirectoryQuery>,
) -> Result<Json<Vec<UserRef>>, AppError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "Ask for 1 to 100 users."));
    }
    let search = query.search.unwrap_or_default().trim().to_lowercase();
    if search.chars().count() > limits::MAX_SEARCH_LENGTH {
        return Err(AppError::invalid("search", "The search is too long."));
    }
    let users = state
        .db
        .call(move |conn| store::users::search(conn, &search, limit))
        .await?;
    Ok(Json(users))
}

/// Every user with their groups.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "All users", body = [User]), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn list_users(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<Vec<User>>, AppError> {
    admin.require_admin()?;
    Ok(Json(state.db.call(store::admin::list_users).await?))
}

async fn save_user(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: UserInput,
) -> Result<User, AppError> {
    admin.require_admin()?;
    let username = name("username", &input.username, limits::MAX_USERNAME_LENGTH)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::invalid(
            "username",
            "Usernames use letters, digits, '.', '_' and '-'.",
        ));
    }
    let display_name = name("display_name", &input.display_name, 100)?;
    let email = name("email", &input.email, 254)?;
    if !email.contains('@') {
        return Err(AppError::invalid("email", "Enter an email address."));
    }
    if id == Some(admin.id) && !input.is_admin {
        return Err(AppError::invalid(
            "is_admin",
            "You cannot remove your own admin role.",
        ));
    }
    let hash = match input.password {
        Some(password) => {
            let length = password.chars().count();
            if !(MIN_PASSWORD..=limits::MAX_PASSWORD_LENGTH).contains(&length) {
                return Err(AppError::invalid(
                    "password",
                    format!(
                        "Passwords are {MIN_PASSWORD} to {} characters.",
                        limits::MAX_PASSWORD_LENGTH
                    ),
                ));
            }
            Some(state.passwords.hash(password).await?)
        }
        None => None,
    };
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let fields = store::admin::UserFields {
                username: &username,
                display_name: &display_name,
                email: &email,
                is_admin: input.is_admin,
                password_hash: hash.as_deref(),
            };
            let id = store::admin::save_user(tx, id, &fields, now)?;
            audit(tx, &admin, now, "admin.user.saved", id, &username)?;
            store::admin::list_users(tx)?
                .into_iter()
                .find(|u| u.id == id)
                .ok_or_else(|| AppError::NotFound(format!("User {id}")))
        })
        .await
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = UserInput,
    responses((status = 201, description = "Created", body = User), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Username taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_user(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<UserInput>,
) -> Result<(StatusCode, Json<User>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_user(&state, admin, None, input).await?),
    ))
}

/// Update a user; a new password signs them out everywhere.
#[utoipa::path(put, path = "/api/v1/admin/users/{user_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = UserInput,
    params(("user_id" = i64, Path, description = "The user's id")),
    responses((status = 200, description = "Updated", body = User), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such user", body = ApiError),
        (status = 409, description = "Username taken", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_user(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<UserInput>,
) -> Result<Json<User>, AppError> {
    Ok(Json(save_user(&state, admin, Some(id), input).await?))
}

/// Delete a user; refused while requests, approvals, audit entries or flows name them.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("user_id" = i64, Path, description = "The user's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such user", body = ApiError),
        (status = 409, description = "In use, or yourself", body = ApiError)))]
pub async fn delete_user(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    admin.require_admin()?;
    if id == admin.id {
        return Err(AppError::Conflict("You cannot delete yourself.".into()));
    }
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.user.deleted",
        store::admin::delete_user,
    )
    .await
}

/// Every group with its members.
#[utoipa::path(get, path = "/api/v1/admin/groups", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "All groups", body = [Group]), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn list_groups(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<Vec<Group>>, AppError> {
    admin.require_admin()?;
    Ok(Json(state.db.call(store::admin::list_groups).await?))
}

async fn save_group(
    state: &AppState,
    admin: CurrentUser,
    id: Option<i64>,
    input: GroupInput,
) -> Result<Group, AppError> {
    admin.require_admin()?;
    let group_name = name("name", &input.name, 100)?;
    if input.member_ids.len() > limits::MAX_GROUP_MEMBERS {
        return Err(AppError::invalid(
            "member_ids",
            format!("A group has at most {} members.", limits::MAX_GROUP_MEMBERS),
        ));
    }
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let id = store::admin::save_group(tx, id, &group_name, &input.member_ids)?;
            audit(tx, &admin, now, "admin.group.saved", id, &group_name)?;
            store::admin::list_groups(tx)?
                .into_iter()
                .find(|g| g.id == id)
                .ok_or_else(|| AppError::NotFound(format!("Group {id}")))
        })
        .await
}

/// Create a group.
#[utoipa::path(post, path = "/api/v1/admin/groups", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = GroupInput,
    responses((status = 201, description = "Created", body = Group), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 409, description = "Name taken", body = ApiError),
        (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn create_group(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<GroupInput>,
) -> Result<(StatusCode, Json<Group>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(save_group(&state, admin, None, input).await?),
    ))
}

/// Rename a group and set its members.
#[utoipa::path(put, path = "/api/v1/admin/groups/{group_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = GroupInput,
    params(("group_id" = i64, Path, description = "The group's id")),
    responses((status = 200, description = "Updated", body = Group), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such group", body = ApiError),
        (status = 409, description = "Name taken", body = ApiError), (status = 422, description = "Invalid field", body = ApiError)))]
pub async fn update_group(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<GroupInput>,
) -> Result<Json<Group>, AppError> {
    Ok(Json(save_group(&state, admin, Some(id), input).await?))
}

/// Delete a group; refused while flows name it.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{group_id}", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("group_id" = i64, Path, description = "The group's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError), (status = 404, description = "No such group", body = ApiError),
        (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_group(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    super::delete_audited(
        &state,
        admin,
        id,
        "admin.group.deleted",
        store::admin::delete_group,
    )
    .await
}
