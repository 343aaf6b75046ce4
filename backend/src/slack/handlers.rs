//! Slack's HTTP endpoints: `/slack/commands` (the slash command),
//! `/slack/interactions` (buttons, menus, modal submissions),
//! `/slack/options` (external-select search) and `/slack/events` (Home tab).
//! They answer Slack's protocol, not the REST API's, so they are not in the
//! OpenAPI document; each is authenticated by Slack's request signature.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use gatehouse_shared::{ApiError, RequestStatus, rules::Actor};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    SlackConfig,
    blocks::{self, action},
    home,
    identity::{self, Identity},
    messages, modal,
    verify::{self, Refusal},
};
use crate::store::Conn;
use crate::{engine, error::AppError, state::AppState, store, store::users::UserRecord};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/slack/commands", post(command))
        .route("/slack/interactions", post(interaction))
        .route("/slack/options", post(options))
        .route("/slack/events", post(event))
}

fn refuse(refusal: Refusal) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(ApiError::new("invalid_signature", refusal.message())),
    )
        .into_response()
}

/// Check the signature, the timestamp and that the request is not a replay.
async fn verified(
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

fn ephemeral(text: &str) -> Response {
    Json(json!({"response_type": "ephemeral", "text": text})).into_response()
}

fn user_message(error: &AppError) -> String {
    if let AppError::Internal(detail) = error {
        tracing::error!(%detail, "Slack action failed");
    }
    error.body().message
}

fn actor_of(user: &UserRecord) -> Actor {
    Actor {
        id: user.id,
        is_admin: user.is_admin,
    }
}

#[derive(Debug, Deserialize)]
struct Command {
    #[serde(default)]
    text: String,
    user_id: String,
    #[serde(default)]
    trigger_id: String,
}

async fn command(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let config = match verified(&state, &headers, &body).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let command: Command = match serde_urlencoded::from_bytes(&body) {
        Ok(command) => command,
        Err(error) => {
            return AppError::BadRequest(format!("Invalid slash command: {error}")).into_response();
        }
    };
    match run_command(&state, &config, command).await {
        Ok(response) => response,
        Err(error) => ephemeral(&user_message(&error)),
    }
}

fn help(command: &str) -> String {
    format!(
        "Use `{command} request` to request access, `{command} ask <what you need>` for suggestions (e.g. `{command} ask read last month's invoices`), `{command} my requests` to see your active requests and those of the last 7 days, `{command} favorites` to request a favorite again."
    )
}

async fn run_command(
    state: &AppState,
    config: &SlackConfig,
    command: Command,
) -> Result<Response, AppError> {
    let me = match identity::resolve(state, config, &command.user_id).await? {
        Identity::Known(user) => user,
        Identity::Unknown(message) => return Ok(ephemeral(&message)),
    };
    let words: Vec<String> = command
        .text
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let now = state.now().unix_timestamp();
    if words.first().is_some_and(|w| w == "ask") {
        let text = command.text.trim_start()[3..].trim().to_owned();
        return ask(state, &me, &config.command, text).await;
    }
    match words.join(" ").as_str() {
        "request" => {
            let view = state
                .db
                .call(move |conn| modal::request_view(conn, &me, &modal::Draft::default(), now))
                .await?;
            open_view(config, &command.trigger_id, view).await;
            Ok(StatusCode::OK.into_response())
        }
        "favorites" => {
            let notify = state.notify.clone();
            let view = state
                .db
                .call(move |conn| modal::favorites_view(conn, &me, None, "", &notify, now))
                .await?;
            open_view(config, &command.trigger_id, view).await;
            Ok(StatusCode::OK.into_response())
        }
        "my requests" | "my-requests" | "requests" => {
            let message = my_requests(state, &me, now).await?;
            match messages::post(config, &command.user_id, "Your requests", message).await {
                Ok(_) => Ok(ephemeral(
                    "Your requests are in your Messages with Gatehouse.",
                )),
                Err(error) => {
                    tracing::warn!(%error, "cannot post My Requests");
                    Ok(ephemeral(
                        "Gatehouse could not send you a message just now. Try again in a minute.",
                    ))
                }
            }
        }
        _ => Ok(ephemeral(&help(&config.command))),
    }
}

/// `/gatehouse ask <text>`: Assist's suggestions, each with a Request
/// button that opens the Request Access modal filled in with it.
async fn ask(
    state: &AppState,
    me: &UserRecord,
    command: &str,
    text: String,
) -> Result<Response, AppError> {
    let query = gatehouse_shared::assist::AssistQuery {
        text: text.clone(),
        grantee_id: None,
        limit: Some(5),
    };
    if engine::assist::validate_query(&query).is_err() {
        return Ok(ephemeral(&format!(
            "Say what you need after `{command} ask`, in up to 500 characters: e.g. `{command} ask read last month's invoices`."
        )));
    }
    let db = state.db.clone();
    let user_id = me.id;
    let answer = state
        .db
        .read(move |snapshot| {
            engine::assist::suggest(snapshot, db.catalog_cache(), user_id, &query)
        })
        .await?;
    let mut message = vec![blocks::section(&format!(
        "Suggestions for “{}”:",
        blocks::escape(&blocks::clip(&text, 200))
    ))];
    if answer.suggestions.is_empty() {
        message.push(blocks::section(&format!(
            "Nothing you may request matches. Try other words, or `{command} request` to browse."
        )));
    }
    for suggestion in &answer.suggestions {
        let (what, value) = match (&suggestion.kind, &suggestion.permission) {
            (gatehouse_shared::assist::SuggestionKind::Resource, Some(permission)) => (
                format!(
                    "*{}* ({permission}) · {}",
                    blocks::escape(&suggestion.name),
                    blocks::escape(&suggestion.source)
                ),
                format!("r:{}:{permission}", suggestion.id),
            ),
            _ => (
                format!("*{}* · bundle", blocks::escape(&suggestion.name)),
                format!("b:{}", suggestion.id),
            ),
        };
        message.push(blocks::section(&format!(
            "{what}\n_{}_",
            blocks::escape(&suggestion.reason)
        )));
        message.push(blocks::actions(vec![blocks::button(
            "Request",
            action::ASSIST_REQUEST,
            value,
        )]));
    }
    Ok(Json(json!({
        "response_type": "ephemeral",
        "text": format!("Suggestions for {text}"),
        "blocks": message,
    }))
    .into_response())
}

/// The Request Access modal's draft for an Assist suggestion's button value.
fn draft_for_suggestion(conn: Conn<'_>, value: &str) -> Result<modal::Draft, AppError> {
    let invalid = || AppError::BadRequest("Unknown suggestion.".into());
    match value.split_once(':') {
        Some(("b", id)) => Ok(modal::Draft {
            mode: modal::Mode::Bundle,
            bundle: Some(id.parse().map_err(|_| invalid())?),
            ..modal::Draft::default()
        }),
        Some(("r", rest)) => {
            let (id, permission) = rest.split_once(':').ok_or_else(invalid)?;
            let id: i64 = id.parse().map_err(|_| invalid())?;
            let resource = store::catalog::get_resource(conn, id)?.ok_or_else(invalid)?;
            Ok(modal::Draft {
                integration: Some(resource.integration_id),
                resource_type: Some(resource.resource_type_id),
                resources: vec![id],
                permission: Some(permission.to_owned()),
                ..modal::Draft::default()
            })
        }
        _ => Err(invalid()),
    }
}

/// Active requests, and every other request of the last seven days.
async fn my_requests(state: &AppState, me: &UserRecord, now: i64) -> Result<Vec<Value>, AppError> {
    let actor = actor_of(me);
    let since = now - 7 * 24 * 3600;
    let requests = state
        .db
        .call(move |conn| {
            let rows = store::requests::page(
                conn,
                actor.id,
                store::requests::RequestList::InvolvedActiveOrSince { since },
                &[],
                None,
                20,
            )?;
            engine::views(conn, rows, actor, Some(engine::ITEMS_IN_LISTS), now)
        })
        .await?;
    let mut message = vec![blocks::header("Your requests")];
    if requests.is_empty() {
        message.push(blocks::section(
            "No active requests, and none in the last 7 days.",
        ));
    }
    for request in &requests {
        message.push(blocks::section(&blocks::request_line(request)));
        let buttons = blocks::request_buttons(request, false);
        if !buttons.is_empty() {
            message.push(blocks::actions(buttons));
        }
    }
    message.push(blocks::context(&format!(
        "Active requests and requests of the last 7 days. All of them: {}",
        state.notify.link("/my-requests")
    )));
    Ok(message)
}

async fn open_view(config: &SlackConfig, trigger_id: &str, view: Value) {
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

async fn update_view(config: &SlackConfig, view_id: &str, view: Value) {
    if let Err(error) = config
        .api
        .call("views.update", json!({"view_id": view_id, "view": view}))
        .await
    {
        tracing::warn!(%error, "views.update failed");
    }
}

#[derive(Debug, Deserialize)]
struct Wrapped {
    payload: String,
}

fn payload_of(body: &Bytes) -> Result<Value, AppError> {
    let wrapped: Wrapped = serde_urlencoded::from_bytes(body).map_err(|error| {
        AppError::BadRequest(format!("Expected a form with a payload: {error}"))
    })?;
    serde_json::from_str(&wrapped.payload)
        .map_err(|error| AppError::BadRequest(format!("The payload is not JSON: {error}")))
}

async fn interaction(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let config = match verified(&state, &headers, &body).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let payload = match payload_of(&body) {
        Ok(payload) => payload,
        Err(error) => return error.into_response(),
    };
    let slack_user = identity::text(&payload["user"], "id").to_owned();
    let kind = identity::text(&payload, "type").to_owned();
    let me = match identity::resolve(&state, &config, &slack_user).await {
        Ok(Identity::Known(user)) => user,
        Ok(Identity::Unknown(message)) => {
            return unknown_user(&config, &payload, &slack_user, &message).await;
        }
        Err(error) => return error.into_response(),
    };
    let result = match kind.as_str() {
        "block_actions" => block_actions(&state, &config, &me, &slack_user, &payload).await,
        "view_submission" => view_submission(&state, &config, &me, &payload).await,
        _ => Ok(StatusCode::OK.into_response()),
    };
    match result {
        Ok(response) => response,
        Err(error) => {
            let message = user_message(&error);
            if kind == "view_submission" {
                let block = first_input(&payload["view"]);
                Json(json!({"response_action": "errors", "errors": {block: message}}))
                    .into_response()
            } else {
                messages::tell(&config, &slack_user, &format!(":warning: {message}")).await;
                StatusCode::OK.into_response()
            }
        }
    }
}

/// The first input block of a view (where a general error is shown).
fn first_input(view: &Value) -> String {
    view["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "input"))
        .and_then(|b| b["block_id"].as_str())
        .unwrap_or("justification")
        .to_owned()
}

async fn unknown_user(
    config: &SlackConfig,
    payload: &Value,
    slack_user: &str,
    message: &str,
) -> Response {
    if payload["type"] == "view_submission" {
        let block = first_input(&payload["view"]);
        return Json(json!({"response_action": "errors", "errors": {block: message}}))
            .into_response();
    }
    messages::tell(config, slack_user, message).await;
    StatusCode::OK.into_response()
}

fn request_id_of(action: &Value) -> Result<i64, AppError> {
    identity::text(action, "value")
        .parse()
        .map_err(|_| AppError::BadRequest("The button carries no request id.".into()))
}

async fn block_actions(
    state: &AppState,
    config: &SlackConfig,
    me: &UserRecord,
    slack_user: &str,
    payload: &Value,
) -> Result<Response, AppError> {
    let Some(action) = payload["actions"]
        .as_array()
        .and_then(|a| a.first())
        .cloned()
    else {
        return Ok(StatusCode::OK.into_response());
    };
    let action_id = identity::text(&action, "action_id").to_owned();
    let trigger_id = identity::text(payload, "trigger_id").to_owned();
    let view = &payload["view"];
    let callback = identity::text(view, "callback_id");
    let view_id = identity::text(view, "id").to_owned();
    let now = state.now().unix_timestamp();
    let actor = actor_of(me);
    let ok = || Ok(StatusCode::OK.into_response());
    // Choices inside a modal rebuild it.
    if action_id != action::MORE_DETAILS && action_id != action::LINK {
        match callback {
            modal::REQUEST_CALLBACK => {
                let draft = modal::parse_draft(&view["state"]["values"]);
                let me = me.clone();
                let view = state
                    .db
                    .call(move |conn| modal::request_view(conn, &me, &draft, now))
                    .await?;
                update_view(config, &view_id, view).await;
                return ok();
            }
            modal::FAVORITES_CALLBACK => {
                let mut selected = metadata(view)["selected"].as_i64();
                if action_id == action::FAVORITE_SELECT {
                    selected = Some(request_id_of(&action)?);
                }
                let justification = modal::justification_of(&view["state"]["values"]);
                let (me, notify) = (me.clone(), state.notify.clone());
                let view = state
                    .db
                    .call(move |conn| {
                        modal::favorites_view(conn, &me, selected, &justification, &notify, now)
                    })
                    .await?;
                update_view(config, &view_id, view).await;
                return ok();
            }
            modal::REQUEST_AGAIN_CALLBACK => {
                let id = metadata(view)["request_id"].as_i64().unwrap_or_default();
                let request = one_request(state, actor, id).await?;
                let justification = modal::justification_of(&view["state"]["values"]);
                update_view(
                    config,
                    &view_id,
                    modal::request_again_view(&request, &justification),
                )
                .await;
                return ok();
            }
            _ => {}
        }
    }
    let channel = payload["container"]["channel_id"]
        .as_str()
        .map(str::to_owned);
    let ts = payload["container"]["message_ts"]
        .as_str()
        .map(str::to_owned);
    match action_id.as_str() {
        action::ASSIST_REQUEST => {
            let value = identity::text(&action, "value").to_owned();
            let me = me.clone();
            let view = state
                .db
                .call(move |conn| {
                    let draft = draft_for_suggestion(conn, &value)?;
                    modal::request_view(conn, &me, &draft, now)
                })
                .await?;
            open_view(config, &trigger_id, view).await;
        }
        action::OPEN_REQUEST => {
            let me = me.clone();
            let view = state
                .db
                .call(move |conn| modal::request_view(conn, &me, &modal::Draft::default(), now))
                .await?;
            open_view(config, &trigger_id, view).await;
        }
        action::APPROVE => {
            let id = request_id_of(&action)?;
            if let Some(refusal) = chat_decision_refusal(state, id).await? {
                messages::tell(config, slack_user, &refusal).await;
                return ok();
            }
            let (c, t) = (channel.clone(), ts.clone());
            let user_id = me.id;
            let outcome = state
                .db
                .write(move |tx| {
                    if let (Some(c), Some(t)) = (&c, &t) {
                        store::notifications::forget_slack_message(tx, id, user_id, c, t)?;
                    }
                    engine::approve_in(tx, actor, id, now)
                })
                .await?;
            engine::provision_now(&state.engine()).await;
            let done = match outcome {
                engine::ApprovalOutcome::Counted {
                    approvals,
                    required,
                } => format!(
                    ":white_check_mark: You approved request #{id}: {approvals} of {required} approvals; it waits on the other approvers."
                ),
                _ => format!(":white_check_mark: You approved request #{id}."),
            };
            mark_message(config, payload, slack_user, &done).await;
        }
        action::REJECT => {
            let id = request_id_of(&action)?;
            if let Some(refusal) = chat_decision_refusal(state, id).await? {
                messages::tell(config, slack_user, &refusal).await;
                return ok();
            }
            // Same checks as rejecting, before asking for a reason.
            let request = one_request(state, actor, id).await?;
            if !request.actions.reject {
                return Err(AppError::Conflict(format!(
                    "Request #{id} is {} and does not wait on you.",
                    request.status
                )));
            }
            let view = modal::reject_view(
                id,
                channel.as_deref().unwrap_or_default(),
                ts.as_deref().unwrap_or_default(),
            );
            open_view(config, &trigger_id, view).await;
        }
        action::EXTEND => {
            let id = request_id_of(&action)?;
            let expires_at = state
                .db
                .write(move |tx| engine::extend_in(tx, actor, id, now))
                .await?;
            engine::provision_now(&state.engine()).await;
            mark_message(
                config,
                payload,
                slack_user,
                &format!(":white_check_mark: Request #{id} extended: your access now ends <!date^{expires_at}^{{date_short_pretty}} at {{time}}|{expires_at}>."),
            )
            .await;
        }
        action::REVOKE => {
            let id = request_id_of(&action)?;
            state
                .db
                .write(move |tx| engine::revoke_in(tx, actor, id, None, now))
                .await?;
            engine::provision_now(&state.engine()).await;
            let request = one_request(state, actor, id).await?;
            mark_message(
                config,
                payload,
                slack_user,
                &format!(
                    ":no_entry: You revoked request #{id}: it is {}.",
                    request.status
                ),
            )
            .await;
        }
        action::REQUEST_AGAIN => {
            let id = request_id_of(&action)?;
            let request = one_request(state, actor, id).await?;
            if !request.actions.request_again {
                return Err(AppError::Conflict(format!(
                    "Request #{id} is {}: it cannot be requested again.",
                    request.status
                )));
            }
            open_view(config, &trigger_id, modal::request_again_view(&request, "")).await;
        }
        action::ACCESS_DETAILS => {
            let id = request_id_of(&action)?;
            let request = one_request(state, actor, id).await?;
            if request.status != RequestStatus::Active || request.grantee.id != me.id {
                return Err(AppError::Conflict(format!(
                    "Request #{id} is {}: it gives you no access now.",
                    request.status
                )));
            }
            let notify = state.notify.clone();
            let view = state
                .db
                .call(move |conn| modal::access_details_view(conn, actor, &request, &notify))
                .await?;
            open_view(config, &trigger_id, view).await;
        }
        action::REVEAL => {
            let (id, integration_id) = identity::text(&action, "value")
                .split_once(':')
                .and_then(|(r, i)| Some((r.parse::<i64>().ok()?, i.parse::<i64>().ok()?)))
                .ok_or_else(|| AppError::BadRequest("The button carries no access id.".into()))?;
            let secrets = state.secrets.clone();
            let revealed = state
                .db
                .write(move |tx| engine::reveal_in(tx, &secrets, actor, id, integration_id, now))
                .await?;
            update_view(config, &view_id, modal::secret_view(&revealed)).await;
        }
        action::MORE_DETAILS => {
            let id = request_id_of(&action)?;
            let request = one_request(state, actor, id).await?;
            let mut message = vec![blocks::section(&blocks::request_line(&request))];
            message.push(blocks::section(&format!(
                "*Requester* {} · *Grantee* {} · *Access flow* {}\n*Justification* {}",
                blocks::escape(&request.requester.display_name),
                blocks::escape(&request.grantee.display_name),
                blocks::escape(&request.flow_name),
                blocks::escape(&request.justification)
            )));
            let buttons = blocks::request_buttons(&request, false);
            if !buttons.is_empty() {
                message.push(blocks::actions(buttons));
            }
            if let Err(error) =
                messages::post(config, slack_user, &format!("Request #{id}"), message).await
            {
                tracing::warn!(%error, "cannot post request details");
            }
        }
        _ => {}
    }
    ok()
}

/// Why an approver cannot decide this request from Slack, if so.
async fn chat_decision_refusal(state: &AppState, id: i64) -> Result<Option<String>, AppError> {
    let link = state.notify.link("/approvals");
    state
        .db
        .call(move |conn| {
            if !store::notifications::chat_approval(conn)? {
                return Ok(Some(format!("Approving from Slack is turned off by your admin. Decide request #{id} in the portal: {link}")));
            }
            let mfa = match store::requests::get(conn, id)? {
                Some(row) => store::flows::flow_by_id(conn, row.flow_id)?.is_some_and(|f| f.mfa_required),
                None => false,
            };
            Ok(mfa.then(|| format!("The access flow of request #{id} requires MFA: approve or reject it in the portal, where you confirm a code from your authenticator app: {link}")))
        })
        .await
}

fn metadata(view: &Value) -> Value {
    serde_json::from_str(identity::text(view, "private_metadata")).unwrap_or(Value::Null)
}

async fn one_request(
    state: &AppState,
    actor: Actor,
    id: i64,
) -> Result<gatehouse_shared::requests::AccessRequest, AppError> {
    engine::load_views(&state.engine(), actor, vec![id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("Request {id}")))
}

/// Replace the buttons of the message an action came from with an outcome
/// line (or, outside a message, send the outcome as a message).
async fn mark_message(config: &SlackConfig, payload: &Value, slack_user: &str, outcome: &str) {
    let channel = payload["container"]["channel_id"].as_str();
    let ts = payload["container"]["message_ts"].as_str();
    let (Some(channel), Some(ts)) = (channel, ts) else {
        messages::tell(config, slack_user, outcome).await;
        return;
    };
    let mut kept: Vec<Value> = payload["message"]["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter(|b| b["type"] != "actions")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    kept.push(blocks::context(outcome));
    if let Err(error) = config
        .api
        .call(
            "chat.update",
            json!({"channel": channel, "ts": ts, "text": outcome, "blocks": kept}),
        )
        .await
    {
        tracing::warn!(%error, "chat.update failed");
        messages::tell(config, slack_user, outcome).await;
    }
}

fn field_errors(errors: Vec<(String, String)>) -> Response {
    let map: serde_json::Map<String, Value> =
        errors.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Json(json!({"response_action": "errors", "errors": map})).into_response()
}

async fn view_submission(
    state: &AppState,
    config: &SlackConfig,
    me: &UserRecord,
    payload: &Value,
) -> Result<Response, AppError> {
    let view = &payload["view"];
    let values = &view["state"]["values"];
    let now = state.now().unix_timestamp();
    let actor = actor_of(me);
    let submitted = |requests: Vec<gatehouse_shared::requests::AccessRequest>| {
        Json(json!({"response_action": "update", "view": modal::submitted_view(&requests, &state.notify)})).into_response()
    };
    match identity::text(view, "callback_id") {
        modal::REQUEST_CALLBACK => {
            let draft = modal::parse_draft(values);
            let ids = modal::BlockIds::of(&draft, me.id);
            let Some(form) = modal::form_of(&draft, me.id) else {
                let (block, message) = match draft.mode {
                    modal::Mode::Single if draft.integration.is_none() => {
                        (ids.integration, "Choose an integration.")
                    }
                    modal::Mode::Single if draft.resource_type.is_none() => {
                        (ids.resource_type, "Choose a resource type.")
                    }
                    modal::Mode::Single if draft.resources.is_empty() => {
                        (ids.resources, "Choose at least one resource.")
                    }
                    modal::Mode::Single => (ids.permission, "Choose a permission."),
                    modal::Mode::Bundle if draft.bundle.is_none() => {
                        (ids.bundle, "Choose a bundle.")
                    }
                    modal::Mode::Bundle => (ids.bundle_resources, "Choose at least one resource."),
                };
                let block = if has_input(view, &block) {
                    block
                } else {
                    first_input(view)
                };
                return Ok(field_errors(vec![(block, message.into())]));
            };
            if form.duration_seconds <= 0 {
                let block = if has_input(view, "duration") {
                    "duration"
                } else {
                    "justification"
                };
                return Ok(field_errors(vec![(
                    block.into(),
                    "Choose a duration.".into(),
                )]));
            }
            let requester = me.id;
            match state
                .db
                .write(move |tx| engine::submit_in(tx, requester, &form, None, now))
                .await
            {
                Ok(created) => {
                    engine::provision_now(&state.engine()).await;
                    let requests = engine::load_views(&state.engine(), actor, created).await?;
                    Ok(submitted(requests))
                }
                Err(AppError::Internal(detail)) => Err(AppError::Internal(detail)),
                Err(AppError::Duplicate(duplicate)) => {
                    // Never a second request silently: say what covers it.
                    let block = modal::block_for_field(&draft, me.id, Some("items"), view);
                    Ok(field_errors(vec![(
                        block,
                        modal::duplicate_text(&duplicate.covering),
                    )]))
                }
                Err(error) => {
                    let body = error.body();
                    let block = modal::block_for_field(&draft, me.id, body.field.as_deref(), view);
                    Ok(field_errors(vec![(block, body.message)]))
                }
            }
        }
        modal::FAVORITES_CALLBACK => {
            let Some(selected) = metadata(view)["selected"].as_i64() else {
                return Ok(field_errors(vec![(
                    "justification".into(),
                    "Select a favorite first.".into(),
                )]));
            };
            let justification = modal::justification_of(values);
            again(state, actor, selected, justification, now)
                .await
                .map(|r| r.map_or_else(|e| e, submitted))
        }
        modal::REQUEST_AGAIN_CALLBACK => {
            let id = metadata(view)["request_id"].as_i64().unwrap_or_default();
            let justification = modal::justification_of(values);
            again(state, actor, id, justification, now)
                .await
                .map(|r| r.map_or_else(|e| e, submitted))
        }
        modal::REJECT_CALLBACK => {
            let meta = metadata(view);
            let id = meta["request_id"].as_i64().unwrap_or_default();
            let reason = values["reason"]["reason"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if let Some(refusal) = chat_decision_refusal(state, id).await? {
                return Ok(field_errors(vec![("reason".into(), refusal)]));
            }
            let channel = identity::text(&meta, "channel").to_owned();
            let ts = identity::text(&meta, "ts").to_owned();
            let (c, t) = (channel.clone(), ts.clone());
            let user_id = me.id;
            let reason_kept = reason.clone();
            let outcome = state
                .db
                .write(move |tx| {
                    store::notifications::forget_slack_message(tx, id, user_id, &c, &t)?;
                    engine::reject_in(tx, actor, id, &reason_kept, now)
                })
                .await;
            match outcome {
                Ok(outcome) => {
                    if !channel.is_empty() && !ts.is_empty() {
                        let counted = match outcome {
                            engine::RejectionOutcome::Counted {
                                rejections,
                                required,
                            } => format!(
                                " ({rejections} of {required} rejections needed; it waits on the other approvers)"
                            ),
                            engine::RejectionOutcome::Rejected => String::new(),
                        };
                        let done = format!(
                            ":x: You rejected request #{id}{counted}: {}",
                            blocks::escape(reason.trim())
                        );
                        if let Err(error) = config
                            .api
                            .call("chat.update", json!({"channel": channel, "ts": ts, "text": done, "blocks": [blocks::section(&done)]}))
                            .await
                        {
                            tracing::warn!(%error, "chat.update failed");
                        }
                    }
                    Ok(Json(json!({"response_action": "clear"})).into_response())
                }
                Err(AppError::Internal(detail)) => Err(AppError::Internal(detail)),
                Err(error) => Ok(field_errors(vec![("reason".into(), error.body().message)])),
            }
        }
        _ => Ok(StatusCode::OK.into_response()),
    }
}

fn has_input(view: &Value, block_id: &str) -> bool {
    view["blocks"].as_array().is_some_and(|blocks| {
        blocks
            .iter()
            .any(|b| b["type"] == "input" && b["block_id"].as_str() == Some(block_id))
    })
}

/// Request again: the new requests, or the refusal shown in the modal.
async fn again(
    state: &AppState,
    actor: Actor,
    id: i64,
    justification: String,
    now: i64,
) -> Result<Result<Vec<gatehouse_shared::requests::AccessRequest>, Response>, AppError> {
    match state
        .db
        .write(move |tx| engine::request_again_in(tx, actor, id, &justification, None, now))
        .await
    {
        Ok(created) => {
            engine::provision_now(&state.engine()).await;
            Ok(Ok(
                engine::load_views(&state.engine(), actor, created).await?
            ))
        }
        Err(AppError::Internal(detail)) => Err(AppError::Internal(detail)),
        Err(error) => Ok(Err(field_errors(vec![(
            "justification".into(),
            error.body().message,
        )]))),
    }
}

async fn options(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let config = match verified(&state, &headers, &body).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let payload = match payload_of(&body) {
        Ok(payload) => payload,
        Err(error) => return error.into_response(),
    };
    let slack_user = identity::text(&payload["user"], "id").to_owned();
    let me = match identity::resolve(&state, &config, &slack_user).await {
        Ok(Identity::Known(user)) => user,
        Ok(Identity::Unknown(_)) => return Json(json!({"options": []})).into_response(),
        Err(error) => return error.into_response(),
    };
    let action_id = identity::text(&payload, "action_id").to_owned();
    let block_id = identity::text(&payload, "block_id").to_owned();
    let query = identity::text(&payload, "value").to_owned();
    match state
        .db
        .call(move |conn| modal::options_for(conn, &me, &action_id, &block_id, &query))
        .await
    {
        Ok(options) => Json(json!({"options": options})).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn event(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let config = match verified(&state, &headers, &body).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(error) => {
            return AppError::BadRequest(format!("The event is not JSON: {error}")).into_response();
        }
    };
    match identity::text(&payload, "type") {
        "url_verification" => Json(json!({"challenge": payload["challenge"]})).into_response(),
        "event_callback" => {
            let event = &payload["event"];
            if identity::text(event, "type") == "app_home_opened"
                && identity::text(event, "tab") != "messages"
            {
                let slack_user = identity::text(event, "user").to_owned();
                if let Err(error) = publish_home(&state, &config, &slack_user).await {
                    tracing::warn!(%error, "cannot publish the Home tab");
                }
            }
            StatusCode::OK.into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}

async fn publish_home(
    state: &AppState,
    config: &SlackConfig,
    slack_user: &str,
) -> Result<(), AppError> {
    let view = match identity::resolve(state, config, slack_user).await? {
        Identity::Known(me) => {
            let notify = state.notify.clone();
            let now = state.now().unix_timestamp();
            state
                .db
                .call(move |conn| home::home_view(conn, &me, &notify, now))
                .await?
        }
        Identity::Unknown(message) => home::unknown_view(&message),
    };
    if let Err(error) = config
        .api
        .call(
            "views.publish",
            json!({"user_id": slack_user, "view": view}),
        )
        .await
    {
        tracing::warn!(%error, "views.publish failed");
    }
    Ok(())
}
