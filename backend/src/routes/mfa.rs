//! Step-up MFA with a TOTP authenticator app: enrol, confirm a code. A
//! confirmation lasts one hour and moves my Pending MFA requests on.

use axum::{Json, extract::State, http::StatusCode};
use gatehouse_shared::{
    ApiError,
    auth::{MfaCode, MfaEnrolment, MfaStatus},
};
use rand::RngCore;

use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    extract::AppJson,
    state::AppState,
    store::{self, tokens::timestamp},
    totp,
};

/// How long a confirmed code counts.
pub const CONFIRMATION: i64 = 3600;
/// Wrong codes allowed per window before confirming is refused for a while.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW: i64 = 15 * 60;

fn status(row: Option<store::mfa::MfaRow>, now: i64) -> Result<MfaStatus, AppError> {
    let enrolled = row.as_ref().is_some_and(|r| r.enabled);
    let confirmed_until = row
        .filter(|r| r.enabled && r.confirmed_until > now)
        .map(|r| timestamp(r.confirmed_until))
        .transpose()?;
    Ok(MfaStatus {
        enrolled,
        confirmed_until,
    })
}

/// Am I enrolled, and until when does my last confirmation count?
#[utoipa::path(get, path = "/api/v1/mfa", tag = "session",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 200, description = "My MFA state", body = MfaStatus), (status = 401, description = "Not signed in", body = ApiError)))]
pub async fn get_mfa(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<MfaStatus>, AppError> {
    let now = state.now().unix_timestamp();
    let row = state
        .db
        .call(move |conn| store::mfa::get(conn, user.id))
        .await?;
    Ok(Json(status(row, now)?))
}

/// Start enrolment: a new seed for an authenticator app (shown once). MFA is
/// on once a code from it is confirmed. Enrolling again replaces the seed.
#[utoipa::path(post, path = "/api/v1/mfa/enrolment", tag = "session",
    security(("session_cookie" = []), ("api_token" = [])),
    responses((status = 201, description = "The seed and its otpauth URI", body = MfaEnrolment), (status = 401, description = "Not signed in", body = ApiError)))]
pub async fn enrol_mfa(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<(StatusCode, Json<MfaEnrolment>), AppError> {
    let mut seed = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let sealed = state.secrets.seal(&seed)?;
    let now = state.now().unix_timestamp();
    let user_id = user.id;
    state
        .db
        .write(move |tx| {
            store::mfa::begin_enrolment(tx, user_id, &sealed)?;
            store::audit::record(
                tx,
                now,
                Some(user_id),
                None,
                "mfa_enrolment_started",
                serde_json::json!({}),
            )
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MfaEnrolment {
            secret: totp::base32(&seed),
            otpauth_uri: totp::otpauth_uri("Gatehouse", &user.username, &seed),
        }),
    ))
}

/// Confirm a code: completes enrolment, counts for an hour, and moves my
/// requests waiting in Pending MFA on (to approval, or straight to access).
#[utoipa::path(post, path = "/api/v1/mfa/confirm", tag = "session",
    security(("session_cookie" = []), ("api_token" = [])), request_body = MfaCode,
    responses((status = 200, description = "Confirmed", body = MfaStatus), (status = 401, description = "Not signed in", body = ApiError),
        (status = 409, description = "Not enrolled", body = ApiError), (status = 422, description = "Wrong code", body = ApiError),
        (status = 429, description = "Too many wrong codes; the message says when to retry", body = ApiError)))]
pub async fn confirm_mfa(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(body): AppJson<MfaCode>,
) -> Result<Json<MfaStatus>, AppError> {
    let now = state.now().unix_timestamp();
    let user_id = user.id;
    let Some(row) = state
        .db
        .call(move |conn| store::mfa::get(conn, user_id))
        .await?
    else {
        return Err(AppError::Conflict(
            "Set up MFA first (POST /api/v1/mfa/enrolment).".into(),
        ));
    };
    if row.failures >= MAX_FAILURES && row.failures_since > now - FAILURE_WINDOW {
        let minutes = (row.failures_since + FAILURE_WINDOW - now + 59) / 60;
        return Err(AppError::TooManyAttempts(format!(
            "Too many wrong codes. Try again in {minutes} minutes."
        )));
    }
    let seed = state.secrets.open(&row.sealed_secret)?;
    if !totp::verify(&seed, &body.code, now) {
        state
            .db
            .write(move |tx| {
                store::mfa::failed(tx, user_id, now, FAILURE_WINDOW)?;
                store::audit::record(
                    tx,
                    now,
                    Some(user_id),
                    None,
                    "mfa_failed",
                    serde_json::json!({}),
                )
            })
            .await?;
        return Err(AppError::invalid(
            "code",
            "That code is not right. Use the current code from your authenticator app.",
        ));
    }
    let until = now + CONFIRMATION;
    state
        .db
        .write(move |tx| {
            store::mfa::confirmed(tx, user_id, until)?;
            store::audit::record(
                tx,
                now,
                Some(user_id),
                None,
                "mfa_confirmed",
                serde_json::json!({}),
            )?;
            engine::release_pending_mfa(tx, user_id, now)
        })
        .await?;
    engine::provision_now(&state.engine()).await;
    let row = state
        .db
        .call(move |conn| store::mfa::get(conn, user_id))
        .await?;
    Ok(Json(status(row, now)?))
}
