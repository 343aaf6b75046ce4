//! Signing in with the identity provider (OpenID Connect): the log-in
//! page's options, the redirect to the provider and the way back; and the
//! admins' settings, test sign-in and SCIM token.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_shared::{
    ApiError,
    sso::{CreatedScimToken, SignInOptions, SsoSettings, SsoSettingsInput},
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::{
    auth::{self, CurrentUser},
    error::AppError,
    extract::{AppJson, AppQuery},
    idp::{self, BINDING_COOKIE, CALLBACK_PATH, LOGIN_WINDOW, Refusal},
    routes::session::SESSION_LIFETIME,
    state::AppState,
    store,
    transport::{Https, binding_cookie, session_cookie, session_cookie_name},
};

/// How people may sign in: the identity provider's button, and whether
/// passwords work. Needs no sign-in (the log-in page reads it).
#[utoipa::path(get, path = "/api/v1/sso", tag = "session",
    responses((status = 200, description = "The sign-in options", body = SignInOptions)))]
pub async fn get_sign_in_options(
    State(state): State<AppState>,
) -> Result<Json<SignInOptions>, AppError> {
    Ok(Json(settings(&state).await?.sign_in_options()))
}

async fn settings(state: &AppState) -> Result<idp::Settings, AppError> {
    let secrets = state.secrets.clone();
    state.db.call(move |conn| idp::load(conn, &secrets)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// A portal path to land on afterwards (default `/`).
    #[serde(default)]
    pub return_to: Option<String>,
    /// `gatehouse login`: the port of its loopback listener, where the
    /// browser is sent back with a one-time code.
    #[serde(default)]
    pub cli_port: Option<u16>,
    /// `gatehouse login`: base64url of the SHA-256 of its secret verifier.
    #[serde(default)]
    pub cli_challenge: Option<String>,
}

/// Only our own paths: `/requests`, never `//evil.example` or a URL.
fn safe_return_to(wanted: Option<&str>) -> String {
    match wanted {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.len() <= 500
                && path.chars().all(|c| !c.is_control()) =>
        {
            path.to_owned()
        }
        _ => "/".into(),
    }
}

/// Go to the identity provider to sign in (the log-in page's button).
#[utoipa::path(get, path = "/api/v1/sso/start", tag = "session", params(StartQuery),
    responses(
        (status = 303, description = "To the identity provider's sign-in page"),
        (status = 404, description = "Sign-in with an identity provider is not set up", body = ApiError),
        (status = 422, description = "A `cli_port` below 1024 or a `cli_challenge` that is not a base64url SHA-256", body = ApiError),
        (status = 502, description = "The identity provider cannot be reached (an HTML page)"),
    ))]
pub async fn start_sign_in(
    State(state): State<AppState>,
    https: Https,
    AppQuery(query): AppQuery<StartQuery>,
) -> Result<Response, AppError> {
    if let Some(port) = query.cli_port {
        let challenge = query
            .cli_challenge
            .as_deref()
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
            .filter(|c| c.len() == 32)
            .ok_or_else(|| {
                AppError::invalid(
                    "cli_challenge",
                    "The CLI sends the base64url SHA-256 of its verifier.",
                )
            })?;
        if port < 1024 {
            return Err(AppError::invalid(
                "cli_port",
                "The CLI listens on a port from 1024 up.",
            ));
        }
        let back = format!("http://127.0.0.1:{port}/callback");
        return begin(&state, https, back, "cli", None, Some(challenge)).await;
    }
    let return_to = safe_return_to(query.return_to.as_deref());
    begin(&state, https, return_to, "sign_in", None, None).await
}

/// Sign in with the identity provider without signing anyone in: the
/// provider's answer is shown (an admin's check of the settings).
#[utoipa::path(get, path = "/api/v1/admin/sso/test", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 303, description = "To the identity provider's sign-in page; back here, the claims received are shown"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 404, description = "Sign-in with an identity provider is not set up", body = ApiError),
        (status = 502, description = "The identity provider cannot be reached (an HTML page)"),
    ))]
pub async fn test_sign_in(
    State(state): State<AppState>,
    admin: CurrentUser,
    https: Https,
) -> Result<Response, AppError> {
    admin.require_admin()?;
    begin(&state, https, "/admin".into(), "test", Some(admin.id), None).await
}

async fn begin(
    state: &AppState,
    https: Https,
    return_to: String,
    purpose: &'static str,
    started_by: Option<i64>,
    cli_challenge: Option<Vec<u8>>,
) -> Result<Response, AppError> {
    let settings = settings(state).await?;
    if !settings.input.enabled {
        return Err(AppError::NotFound(
            "Sign-in with an identity provider".into(),
        ));
    }
    let redirect_url = state.notify.link(CALLBACK_PATH);
    let providers = state.providers.clone();
    let started =
        tokio::task::spawn_blocking(move || idp::start(&providers, &settings, &redirect_url))
            .await
            .map_err(|e| AppError::internal(format!("sign-in start: {e}")))?;
    let started = match started {
        Ok(started) => started,
        Err(refusal) => return Ok(refused(state, refusal, StatusCode::BAD_GATEWAY).await),
    };
    let browser = auth::new_secret();
    let now = state.now().unix_timestamp();
    let login = store::identity::OidcLogin {
        browser_hash: auth::secret_hash(&browser),
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to,
        purpose: purpose.into(),
        started_by,
        cli_challenge,
        expires_at: now + LOGIN_WINDOW.whole_seconds(),
    };
    let state_hash = auth::secret_hash(&started.state);
    state
        .db
        .write(move |tx| store::identity::begin_login(tx, &state_hash, &login, now))
        .await?;
    let cookie = binding_cookie(https, BINDING_COOKIE, browser, LOGIN_WINDOW);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, started.authorize_url),
            (header::SET_COOKIE, cookie.to_string()),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// Set by the provider when it refused (e.g. `access_denied`).
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Where the identity provider sends the browser back: the code is traded
/// for tokens, the ID token verified, the user made or updated with their
/// groups, and a portal session started. Answers HTML (a browser is here).
#[utoipa::path(get, path = "/api/v1/sso/callback", tag = "session", params(CallbackQuery),
    responses(
        (status = 200, description = "Signed in (the session cookie is set; the page goes on to the portal), or a test sign-in's claims"),
        (status = 400, description = "Refused: unknown, used or expired state, another browser, a code or ID token that fails the checks (an HTML page; audited)"),
        (status = 403, description = "The user is deactivated (an HTML page; audited)"),
        (status = 502, description = "The identity provider cannot be reached (an HTML page)"),
    ))]
pub async fn sign_in_callback(
    State(state): State<AppState>,
    https: Https,
    headers: HeaderMap,
    AppQuery(query): AppQuery<CallbackQuery>,
) -> Result<Response, AppError> {
    let bad = |code: &'static str, message: &str, detail: String| Refusal {
        code,
        message: message.into(),
        detail,
    };
    if let Some(error) = &query.error {
        let detail = format!(
            "the provider answered {error}: {}",
            query.error_description.as_deref().unwrap_or("")
        );
        let message = if error == "access_denied" {
            "The identity provider did not let you sign in (access denied)."
        } else {
            "The identity provider refused the sign-in."
        };
        return Ok(refused(
            &state,
            bad("provider_refused", message, detail),
            StatusCode::BAD_REQUEST,
        )
        .await);
    }
    let (Some(code), Some(state_param)) = (query.code, query.state) else {
        return Ok(refused(
            &state,
            bad("missing_code", "This address is where the identity provider sends you back after signing in; it came without a sign-in.", "callback without code or state".into()),
            StatusCode::BAD_REQUEST,
        )
        .await);
    };
    let now = state.now().unix_timestamp();
    let state_hash = auth::secret_hash(&state_param);
    // Taken (deleted) in its own transaction: a replayed callback finds nothing.
    let login = state
        .db
        .write(move |tx| store::identity::take_login(tx, &state_hash, now))
        .await?;
    let Some(login) = login else {
        return Ok(refused(
            &state,
            bad(
                "unknown_state",
                "This sign-in is unknown, was already used, or took too long. Sign in again.",
                "state unknown, used or expired".into(),
            ),
            StatusCode::BAD_REQUEST,
        )
        .await);
    };
    let jar = CookieJar::from_headers(&headers);
    let browser_ok = jar
        .get(BINDING_COOKIE)
        .is_some_and(|cookie| auth::secret_hash(cookie.value()) == login.browser_hash);
    if !browser_ok {
        return Ok(refused(
            &state,
            bad("other_browser", "This sign-in was started in another browser (or its cookie was lost). Sign in again from here.", "binding cookie missing or different".into()),
            StatusCode::BAD_REQUEST,
        )
        .await);
    }
    let settings = settings(&state).await?;
    if !settings.input.enabled {
        return Ok(refused(
            &state,
            bad(
                "sso_off",
                "Sign-in with the identity provider has been turned off.",
                "sso disabled during sign-in".into(),
            ),
            StatusCode::BAD_REQUEST,
        )
        .await);
    }
    let redirect_url = state.notify.link(CALLBACK_PATH);
    let providers = state.providers.clone();
    let finish_settings = settings.clone();
    let (verifier, nonce) = (login.pkce_verifier.clone(), login.nonce.clone());
    let verified = tokio::task::spawn_blocking(move || {
        idp::finish(
            &providers,
            &finish_settings,
            &redirect_url,
            &code,
            &verifier,
            &nonce,
        )
    })
    .await
    .map_err(|e| AppError::internal(format!("sign-in finish: {e}")))?;
    let verified = match verified {
        Ok(verified) => verified,
        Err(refusal) => {
            let status = if refusal.code == "provider_unreachable" {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::BAD_REQUEST
            };
            return Ok(refused(&state, refusal, status).await);
        }
    };
    let claimed = idp::claimed(&verified);
    let admin_group = settings
        .input
        .admin_group
        .clone()
        .filter(|g| !g.trim().is_empty());
    let is_admin = admin_group
        .as_ref()
        .map(|group| verified.groups.iter().any(|g| g == group));

    if login.purpose == "test" {
        let audit_claims = Value::Object(verified.claims.clone());
        let by = login.started_by;
        state
            .db
            .write(move |tx| {
                store::audit::record(
                    tx,
                    now,
                    by,
                    None,
                    "sso_tested",
                    json!({"issuer": verified.issuer, "subject": verified.subject}),
                )
            })
            .await?;
        return Ok(test_page(
            &claimed,
            &verified.groups,
            verified.groups_present,
            is_admin,
            &audit_claims,
        ));
    }

    let for_cli = login.purpose == "cli";
    let cli_code = auth::new_secret();
    let cli_code_hash = auth::secret_hash(&cli_code);
    let cli_challenge = login.cli_challenge.clone();
    let previous = jar
        .get(session_cookie_name(https))
        .map(|cookie| auth::secret_hash(cookie.value()));
    let secret = auth::new_secret();
    let hash = auth::secret_hash(&secret);
    let expires = now + SESSION_LIFETIME.whole_seconds();
    let groups = verified.groups.clone();
    let groups_present = verified.groups_present;
    let signed_in = state
        .db
        .write(move |tx| {
            let (user_id, outcome, active) = store::identity::sign_in(tx, &claimed, now)?;
            if !active {
                store::audit::record(
                    tx,
                    now,
                    None,
                    None,
                    "sso_refused",
                    json!({"reason": "deactivated", "user_id": user_id, "issuer": claimed.issuer}),
                )?;
                return Ok(None);
            }
            // A provider that sends no groups claim leaves memberships alone;
            // one that sends it (even empty) decides them.
            if groups_present {
                store::identity::set_provider_groups(tx, user_id, &groups)?;
            }
            if let Some(is_admin) = is_admin {
                store::identity::set_admin(tx, user_id, is_admin)?;
            }
            if for_cli {
                // The CLI trades this code (with its verifier) for a token.
                let code = store::identity::OidcLogin {
                    browser_hash: Vec::new(),
                    nonce: String::new(),
                    pkce_verifier: String::new(),
                    return_to: CLI_CODE.into(),
                    purpose: "cli".into(),
                    started_by: Some(user_id),
                    cli_challenge: cli_challenge.clone(),
                    expires_at: now + CLI_CODE_LIFETIME,
                };
                store::identity::begin_login(tx, &cli_code_hash, &code, now)?;
            } else {
                if let Some(previous) = &previous {
                    store::sessions::delete(tx, previous)?;
                }
                store::sessions::create(tx, user_id, &hash, now, expires)?;
            }
            store::audit::record(
                tx,
                now,
                Some(user_id),
                None,
                "login",
                json!({
                    "method": if for_cli { "sso_cli" } else { "sso" },
                    "issuer": claimed.issuer,
                    "first_time": outcome == store::identity::Outcome::Created,
                    "linked_local_user": outcome == store::identity::Outcome::Linked,
                    "groups": groups,
                }),
            )?;
            Ok(Some(user_id))
        })
        .await?;
    let Some(user_id) = signed_in else {
        return Ok(page(
            StatusCode::FORBIDDEN,
            "Your account is deactivated",
            "<p>The identity provider signed you in, but your Gatehouse account has been deactivated. Ask an admin.</p>",
        ));
    };
    tracing::info!(user_id, for_cli, "signed in with the identity provider");
    if for_cli {
        let back = format!("{}?code={cli_code}", login.return_to);
        let mut response = page(
            StatusCode::OK,
            "Signed in",
            "<p>Signed in. Gatehouse is handing the sign-in to the command line; you can close this tab.</p>",
        );
        let headers = response.headers_mut();
        if let Ok(value) = format!("0;url={back}").parse() {
            headers.insert("refresh", value);
        }
        if let Ok(value) =
            binding_cookie(https, BINDING_COOKIE, String::new(), time::Duration::ZERO)
                .to_string()
                .parse()
        {
            headers.append(header::SET_COOKIE, value);
        }
        return Ok(response);
    }
    let mut response = page(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<p>Signed in. <a href=\"{0}\">Continue</a></p>",
            escape(&login.return_to)
        ),
    );
    // A new navigation from our own page, so the SameSite=Strict session
    // cookie goes with it (a redirect chain begun at the provider would not
    // carry it).
    let refresh = format!("0;url={}", login.return_to);
    let headers = response.headers_mut();
    if let Ok(value) = refresh.parse() {
        headers.insert("refresh", value);
    }
    for cookie in [
        session_cookie(https, secret, Some(SESSION_LIFETIME)),
        binding_cookie(https, BINDING_COOKIE, String::new(), time::Duration::ZERO),
    ] {
        if let Ok(value) = cookie.to_string().parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// What a CLI code row holds as its `return_to`.
const CLI_CODE: &str = "cli-token";
/// Seconds the CLI has to trade its code.
const CLI_CODE_LIFETIME: i64 = 120;

/// Body of `POST /api/v1/sso/cli-token`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CliTokenRequest {
    /// The one-time code the browser brought to the CLI's loopback listener.
    pub code: String,
    /// The secret whose SHA-256 the CLI sent as `cli_challenge`.
    pub verifier: String,
    /// The token's name, e.g. "gatehouse CLI on laptop".
    pub name: String,
    /// Days until the token stops working (1 to 366).
    pub expires_in_days: u32,
}

/// `gatehouse login` through the browser: trade the one-time code and the
/// verifier for a personal API token. Needs no sign-in: the code is it.
#[utoipa::path(post, path = "/api/v1/sso/cli-token", tag = "session", request_body = CliTokenRequest,
    responses(
        (status = 201, description = "A personal API token for the CLI, shown once", body = gatehouse_shared::auth::CreatedApiToken),
        (status = 400, description = "Unknown, used or expired code, or the wrong verifier (nothing is made)", body = ApiError),
        (status = 422, description = "A name or lifetime out of range", body = ApiError),
    ))]
pub async fn cli_token(
    State(state): State<AppState>,
    crate::extract::AppJson(body): crate::extract::AppJson<CliTokenRequest>,
) -> Result<(StatusCode, Json<gatehouse_shared::auth::CreatedApiToken>), AppError> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Give the token a name of 1 to 100 characters.",
        ));
    }
    if !(1..=366).contains(&body.expires_in_days) {
        return Err(AppError::invalid(
            "expires_in_days",
            "A token lasts 1 to 366 days.",
        ));
    }
    let now = state.now().unix_timestamp();
    let code_hash = auth::secret_hash(&body.code);
    let presented = auth::secret_hash(&body.verifier);
    let secret = format!("{}{}", auth::API_TOKEN_PREFIX, auth::new_secret());
    let hash = auth::secret_hash(&secret);
    let expires_at = now + i64::from(body.expires_in_days) * 86_400;
    let token = state
        .db
        .write(move |tx| {
            let Some(login) = store::identity::take_login(tx, &code_hash, now)? else {
                return Ok(None);
            };
            let (Some(user_id), Some(challenge)) = (login.started_by, login.cli_challenge) else {
                return Ok(None);
            };
            if login.purpose != "cli" || login.return_to != CLI_CODE || challenge != presented {
                return Ok(None);
            }
            let token = store::tokens::create(tx, user_id, &name, &hash, now, Some(expires_at))?;
            store::audit::record(
                tx,
                now,
                Some(user_id),
                None,
                "token_created",
                json!({"id": token.id, "name": name, "via": "sign-in with the identity provider"}),
            )?;
            Ok(Some(token))
        })
        .await?;
    match token {
        Some(token) => Ok((
            StatusCode::CREATED,
            Json(gatehouse_shared::auth::CreatedApiToken { token, secret }),
        )),
        None => Err(AppError::BadRequest(
            "This code is unknown, was used, or expired; run `gatehouse login` again.".into(),
        )),
    }
}

/// A refused sign-in: audited, logged, and a page that says what to do.
async fn refused(state: &AppState, refusal: Refusal, status: StatusCode) -> Response {
    tracing::warn!(code = refusal.code, detail = %refusal.detail, "sign-in with the identity provider refused");
    let now = state.now().unix_timestamp();
    let detail = json!({"reason": refusal.code, "detail": refusal.detail});
    if let Err(error) = state
        .db
        .write(move |tx| store::audit::record(tx, now, None, None, "sso_refused", detail.clone()))
        .await
    {
        tracing::error!(%error, "could not audit a refused sign-in");
    }
    page(
        status,
        "Sign-in refused",
        &format!(
            "<p>{}</p><p>Nobody was signed in.</p>",
            escape(&refusal.message)
        ),
    )
}

fn test_page(
    claimed: &store::identity::Claimed,
    groups: &[String],
    groups_present: bool,
    is_admin: Option<bool>,
    claims: &Value,
) -> Response {
    let pretty = serde_json::to_string_pretty(claims).unwrap_or_default();
    let admin = match is_admin {
        Some(true) => "yes (member of the admin group)",
        Some(false) => "no (not in the admin group)",
        None => "unchanged (no admin group is set)",
    };
    let groups_line = if groups_present {
        if groups.is_empty() {
            "none (the claim is there, empty)".to_owned()
        } else {
            groups.join(", ")
        }
    } else {
        "the groups claim is missing: memberships would stay as they are".to_owned()
    };
    page(
        StatusCode::OK,
        "Test sign-in: what the provider sent",
        &format!(
            "<p>The identity provider signed you in and Gatehouse verified its answer. Nobody was signed in here.</p>\
             <dl><dt>Username</dt><dd>{}</dd><dt>Name</dt><dd>{}</dd><dt>E-mail</dt><dd>{} ({})</dd>\
             <dt>Groups</dt><dd>{}</dd><dt>Admin</dt><dd>{}</dd></dl>\
             <h2>Claims received</h2><pre>{}</pre><p><a href=\"/admin/sso\">Back to the settings</a></p>",
            escape(&claimed.username),
            escape(&claimed.display_name),
            escape(&claimed.email),
            if claimed.email_verified {
                "verified"
            } else {
                "not verified"
            },
            escape(&groups_line),
            admin,
            escape(&pretty),
        ),
    )
}

/// A small page of our own (the portal's CSP applies: no script, no style).
/// Its empty icon keeps the browser from asking for /favicon.ico, which
/// nothing serves.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} · Gatehouse</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\"></head>\
         <body><main><h1>{0}</h1>{1}<p><a href=\"/login\">Back to sign-in</a></p></main></body></html>",
        escape(title),
        body
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn view(state: &AppState, settings: idp::Settings, scim_token_set: bool) -> SsoSettings {
    SsoSettings {
        client_secret_set: settings.client_secret.is_some(),
        input: settings.input,
        redirect_url: state.notify.link(CALLBACK_PATH),
        scim_token_set,
        scim_base_url: state.notify.link("/scim/v2"),
    }
}

async fn current_view(state: &AppState) -> Result<SsoSettings, AppError> {
    let secrets = state.secrets.clone();
    let (settings, scim) = state
        .db
        .call(move |conn| {
            Ok((
                idp::load(conn, &secrets)?,
                store::notifications::setting(conn, idp::SCIM_TOKEN_KEY)?
                    .is_some_and(|t| !t.is_empty()),
            ))
        })
        .await?;
    Ok(view(state, settings, scim))
}

/// The identity provider's settings (the client secret is never shown).
#[utoipa::path(get, path = "/api/v1/admin/sso", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "The settings", body = SsoSettings),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn get_sso_settings(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<SsoSettings>, AppError> {
    admin.require_admin()?;
    Ok(Json(current_view(&state).await?))
}

/// Change the identity provider's settings; a left-out client secret stays.
#[utoipa::path(put, path = "/api/v1/admin/sso", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])), request_body = SsoSettingsInput,
    responses((status = 200, description = "Saved", body = SsoSettings),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "A setting that cannot work, named in `field`", body = ApiError)))]
pub async fn set_sso_settings(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<SsoSettingsInput>,
) -> Result<Json<SsoSettings>, AppError> {
    admin.require_admin()?;
    // Passwords off must leave the admin doing it a way back in.
    if input.enabled
        && !input.password_login
        && !input.break_glass_admins.contains(&admin.username)
        && admin.method == auth::AuthMethod::SessionCookie
        && !signed_in_with_provider(&state, admin.id).await?
    {
        return Err(AppError::invalid(
            "break_glass_admins",
            "You signed in with a password: name yourself a break-glass admin, or sign in with the identity provider first, before turning passwords off.",
        ));
    }
    let now = state.now().unix_timestamp();
    let secrets = state.secrets.clone();
    let admin_id = admin.id;
    let saved = state
        .db
        .write(move |tx| {
            let saved = idp::save(tx, &secrets, input.clone())?;
            let mut audited = serde_json::to_value(&saved.input)?;
            audited["client_secret_set"] = json!(saved.client_secret.is_some());
            store::audit::record(tx, now, Some(admin_id), None, "admin.sso.saved", audited)?;
            Ok(saved)
        })
        .await?;
    let mut view = current_view(&state).await?;
    view.input = saved.input;
    Ok(Json(view))
}

async fn signed_in_with_provider(state: &AppState, user_id: i64) -> Result<bool, AppError> {
    state
        .db
        .call(move |conn| store::identity::has_identity(conn, user_id))
        .await
}

/// Make (or rotate) the SCIM bearer token: shown once; the old one stops working.
#[utoipa::path(post, path = "/api/v1/admin/scim-token", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 201, description = "The new token, shown once", body = CreatedScimToken),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn rotate_scim_token(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<(StatusCode, Json<CreatedScimToken>), AppError> {
    admin.require_admin()?;
    let token = format!("scim_{}", auth::new_secret());
    let hash = crate::hex::encode(&auth::secret_hash(&token));
    let now = state.now().unix_timestamp();
    let admin_id = admin.id;
    state
        .db
        .write(move |tx| {
            store::notifications::set_setting(tx, idp::SCIM_TOKEN_KEY, &hash)?;
            store::audit::record(
                tx,
                now,
                Some(admin_id),
                None,
                "admin.scim_token.rotated",
                json!({}),
            )
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedScimToken {
            token,
            scim_base_url: state.notify.link("/scim/v2"),
        }),
    ))
}

/// Turn SCIM off: the token stops working.
#[utoipa::path(delete, path = "/api/v1/admin/scim-token", tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 204, description = "SCIM is off"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)))]
pub async fn delete_scim_token(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<StatusCode, AppError> {
    admin.require_admin()?;
    let now = state.now().unix_timestamp();
    let admin_id = admin.id;
    state
        .db
        .write(move |tx| {
            store::notifications::set_setting(tx, idp::SCIM_TOKEN_KEY, "")?;
            store::audit::record(
                tx,
                now,
                Some(admin_id),
                None,
                "admin.scim_token.deleted",
                json!({}),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_paths_are_returned_to() {
        assert_eq!(safe_return_to(Some("/requests?x=1")), "/requests?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "requests",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(
            escape("<b a=\"x\">&'"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
