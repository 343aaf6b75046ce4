//! `POST /api/v1/session` logs in (sets the portal cookie), `DELETE` logs out.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use gatehouse_shared::{ApiError, auth::LoginRequest, auth::Me, limits};

use crate::{
    auth::{self, CurrentUser},
    error::AppError,
    extract::AppJson,
    login_limit,
    state::AppState,
    store,
    transport::{Https, session_cookie, session_cookie_name},
};

/// How long a portal session lasts.
pub const SESSION_LIFETIME: time::Duration = time::Duration::hours(12);

/// Log in with user name and password; sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the `gatehouse_session` cookie is set", body = Me,
            headers(("set-cookie" = String, description = "gatehouse_session=…; HttpOnly; SameSite=Strict; Path=/"))),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Wrong username or password", body = ApiError,
            example = json!({"code": "invalid_credentials", "message": "Wrong username or password."})),
        (status = 403, description = "Passwords are turned off (code `passwords_off`): sign in with the identity provider", body = ApiError),
        (status = 422, description = "Empty or over-long field", body = ApiError),
        (status = 429, description = "Too many failed log-ins for this user or address; the message says when to try again", body = ApiError),
        (status = 503, description = "Too many passwords being checked at once (code `busy`); nothing was recorded: try again after `Retry-After` seconds", body = ApiError,
            headers(("retry-after" = u64, description = "Seconds to wait before trying again"))),
    )
)]
pub async fn create_session(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    https: Https,
    headers: HeaderMap,
    AppJson(login): AppJson<LoginRequest>,
) -> Result<Response, AppError> {
    let username = login.username.trim().to_owned();
    if username.is_empty() {
        return Err(AppError::invalid("username", "Enter your username."));
    }
    if username.chars().count() > limits::MAX_USERNAME_LENGTH {
        return Err(AppError::invalid(
            "username",
            format!(
                "Usernames are at most {} characters.",
                limits::MAX_USERNAME_LENGTH
            ),
        ));
    }
    if login.password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    if login.password.chars().count() > limits::MAX_PASSWORD_LENGTH {
        return Err(AppError::invalid(
            "password",
            format!(
                "Passwords are at most {} characters.",
                limits::MAX_PASSWORD_LENGTH
            ),
        ));
    }

    let address = client.map(|Extension(ConnectInfo(addr))| {
        state
            .trusted_proxies
            .client(addr.ip(), &headers)
            .to_string()
    });
    let attempt_at = state.now().unix_timestamp();
    // Locked out (429), or a place among the attempts checked at once for
    // this user name and address, held until its failure is recorded.
    let admitted = login_limit::admit(
        &state.db,
        &state.login_attempts,
        &username,
        address.as_deref(),
        attempt_at,
        state.passwords.max_wait(),
    )
    .await
    .inspect_err(|error| {
        if matches!(error, AppError::TooManyAttempts(_)) {
            tracing::warn!(%username, ?address, "log-in refused: too many failures");
        }
    })?;

    let lookup = username.clone();
    let secrets = state.secrets.clone();
    let (found, sso) = state
        .db
        .call(move |conn| {
            Ok((
                store::users::for_login(conn, &lookup)?,
                crate::idp::load(conn, &secrets)?,
            ))
        })
        .await?;
    if !sso.password_allowed(&username) {
        tracing::info!(%username, "log-in refused: passwords are off");
        return Err(AppError::PasswordsOff(format!(
            "Passwords are turned off here: sign in with {}.",
            sso.input.display_name
        )));
    }
    // Bounded: at most --password-workers at once; a log-in that would wait
    // past the deadline is answered 503 with Retry-After (and, like a
    // refused one, writes nothing). An unknown user name is checked against
    // a dummy hash of the same cost.
    let (user, stored) = found.unzip();
    let matches = state.passwords.verify(login.password, stored).await?;
    let user = user.filter(|_| matches);
    let Some(user) = user else {
        tracing::info!(%username, "log-in refused: wrong username or password");
        let at = state.now().unix_timestamp();
        let attempted = username.clone();
        state
            .db
            .write(move |tx| {
                login_limit::record_failure(tx, &attempted, address.as_deref(), attempt_at)?;
                store::audit::record(
                    tx,
                    at,
                    None,
                    None,
                    "login_failed",
                    serde_json::json!({"username": attempted}),
                )
            })
            .await?;
        admitted.failed();
        return Err(AppError::InvalidCredentials);
    };
    drop(admitted);

    // A new session id at every log-in; the one the browser had (if any) ends.
    let previous = CookieJar::from_headers(&headers)
        .get(session_cookie_name(https))
        .map(|cookie| auth::secret_hash(cookie.value()));
    let secret = auth::new_secret();
    let hash = auth::secret_hash(&secret);
    let now = state.now();
    let expires = now + SESSION_LIFETIME;
    let user_id = user.id;
    let signed_in = username.clone();
    state
        .db
        .write(move |tx| {
            login_limit::record_success(tx, &signed_in)?;
            if let Some(previous) = &previous {
                store::sessions::delete(tx, previous)?;
            }
            store::sessions::create(
                tx,
                user_id,
                &hash,
                now.unix_timestamp(),
                expires.unix_timestamp(),
            )?;
            store::audit::record(
                tx,
                now.unix_timestamp(),
                Some(user_id),
                None,
                "login",
                serde_json::json!({}),
            )
        })
        .await?;
    tracing::info!(user = %user.username, "signed in");
    let cookie = session_cookie(https, secret, Some(SESSION_LIFETIME)).to_string();
    let me = Me {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        email: user.email,
        is_admin: user.is_admin,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// Log out: ends this session and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn delete_session(
    State(state): State<AppState>,
    _user: CurrentUser,
    https: Https,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(cookie) = CookieJar::from_headers(&headers).get(session_cookie_name(https)) {
        let hash = auth::secret_hash(cookie.value());
        state
            .db
            .write(move |tx| store::sessions::delete(tx, &hash))
            .await?;
    }
    let clear = session_cookie(https, String::new(), None).to_string();
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Log out everywhere: ends every session of mine (API tokens stay; revoke them separately).
#[utoipa::path(
    delete,
    path = "/api/v1/sessions",
    tag = "session",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 204, description = "Every portal session of mine has ended"),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn delete_all_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    https: Https,
) -> Result<Response, AppError> {
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            let ended = store::sessions::delete_all_of(tx, user.id)?;
            store::audit::record(
                tx,
                now,
                Some(user.id),
                None,
                "logout_everywhere",
                serde_json::json!({"sessions": ended}),
            )
        })
        .await?;
    let clear = session_cookie(https, String::new(), None).to_string();
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}
