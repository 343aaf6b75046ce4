//! What every Slack endpoint does with a request before and after its own
//! work: check Slack's signature and that it is not a replay, read the
//! payload, answer in Slack's shapes, and open or update a modal.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use gatehouse_shared::{ApiError, rules::Actor};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    SlackConfig,
    identity::{self},
    verify::{self, Refusal},
};
use crate::{error::AppError, state::AppState, store, store::users::UserRecord};

pub(super) fn refuse(refusal: Refusal) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(ApiError::new("invalid_signature", refusal.message())),
    )
        .into_response()
}

/// Check the signature, the timestamp and that the request is not a replay.
pub(super) async fn verified(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Arc<SlackConfig>, Response> {
    let Some(config) = state.notify.slack.clone() else {
        return Err(
            AppError::NotFound("The Slack app (not configured on this server)".into())
                .into_response(),
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = header("x-slack-signature");
    let now = state.now().unix_timestamp();
    if let Err(refusal) = verify::check(
        config.signing_secret.expose().as_bytes(),
        header("x-slack-request-timestamp"),
        signature,
        body,
        now,
    ) {
        tracing::warn!(?refusal, "refused a Slack request");
        return Err(refuse(refusal));
    }
    let signature = signature.unwrap_or_default().to_owned();
    let first = state
        .db
        .write(move |tx| {
            store::notifications::first_sight_of_signature(
                tx,
                &signature,
                now,
                now - 2 * verify::MAX_SKEW,
            )
        })
        .await
        .map_err(IntoResponse::into_response)?;
    if !first {
        tracing::warn!("refused a replayed Slack request");
        return Err(refuse(Refusal::Replayed));
    }
    Ok(config)
}

pub(super) fn ephemeral(text: &str) -> Response {
    Json(json!({"response_type": "ephemeral", "text": text})).into_response()
}

pub(super) fn user_message(error: &AppError) -> String {
    if let AppError::Internal(detail) = error {
        tracing::error!(%detail, "Slack action failed");
    }
    error.body().message
}

pub(super) fn actor_of(user: &UserRecord) -> Actor {
    Actor {
        id: user.id,
        is_admin: user.is_admin,
    }
}

pub(super) async fn open_view(config: &SlackConfig, trigger_id: &str, view: Value) {
    if let Err(error) = config
        .api
        .call(
            "views.open",
            json!({"trigger_id": trigger_id, "view": view}),
        )
        .await
    {
        tracing::warn!(%error, "views.open failed");
    }
}

pub(super) async fn update_view(config: &SlackConfig, view_id: &str, view: Value) {
    if let Err(error) = config
        .api
        .call("views.update", json!({"view_id": view_id, "view": view}))
        .await
    {
        tracing::warn!(%error, "views.update failed");
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Wrapped {
    payload: String,
}

/// A verified request's configuration and its `payload` form field, or the
/// answer that refuses it (the interactions and the options endpoints).
pub(super) async fn verified_payload(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Arc<SlackConfig>, Value), Response> {
    let config = verified(state, headers, body).await?;
    let payload = payload_of(body).map_err(IntoResponse::into_response)?;
    Ok((config, payload))
}

fn payload_of(body: &Bytes) -> Result<Value, AppError> {
    let wrapped: Wrapped = serde_urlencoded::from_bytes(body).map_err(|error| {
        AppError::BadRequest(format!("Expected a form with a payload: {error}"))
    })?;
    serde_json::from_str(&wrapped.payload)
        .map_err(|error| AppError::BadRequest(format!("The payload is not JSON: {error}")))
}

/// The first input block of a view (where a general error is shown).
pub(super) fn first_input(view: &Value) -> String {
    view["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "input"))
        .and_then(|b| b["block_id"].as_str())
        .unwrap_or("justification")
        .to_owned()
}

pub(super) fn request_id_of(action: &Value) -> Result<i64, AppError> {
    identity::text(action, "value")
        .parse()
        .map_err(|_| AppError::BadRequest("The button carries no request id.".into()))
}

pub(super) fn metadata(view: &Value) -> Value {
    serde_json::from_str(identity::text(view, "private_metadata")).unwrap_or(Value::Null)
}

pub(super) fn field_errors(errors: Vec<(String, String)>) -> Response {
    let map: serde_json::Map<String, Value> =
        errors.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Json(json!({"response_action": "errors", "errors": map})).into_response()
}

pub(super) fn has_input(view: &Value, block_id: &str) -> bool {
    view["blocks"].as_array().is_some_and(|blocks| {
        blocks
            .iter()
            .any(|b| b["type"] == "input" && b["block_id"].as_str() == Some(block_id))
    })
}
