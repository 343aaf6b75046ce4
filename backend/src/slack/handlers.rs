//! Slack's HTTP endpoints: `/slack/commands` (the slash command),
//! `/slack/interactions` (buttons, menus, modal submissions),
//! `/slack/options` (external-select search) and `/slack/events` (Home tab).
//! They answer Slack's protocol, not the REST API's, so they are not in the
//! OpenAPI document; each is authenticated by Slack's request signature.
//! The interactions are in `interactions.rs`; what every endpoint does
//! first and last (signature, payload, answers) in `endpoint.rs`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    SlackConfig,
    blocks::{self, action},
    home,
    identity::{self, Identity},
    messages, modal,
};
use crate::{engine, error::AppError, state::AppState, store, store::users::UserRecord};

use super::{endpoint::*, interactions::interaction};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/slack/commands", post(command))
        .route("/slack/interactions", post(interaction))
        .route("/slack/options", post(options))
        .route("/slack/events", post(event))
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

async fn options(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (config, payload) = match verified_payload(&state, &headers, &body).await {
        Ok(verified) => verified,
        Err(response) => return response,
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
