//! `/slack/interactions`: buttons, menus and modal submissions (approve,
//! reject, revoke, extend, request again, the Request Access modal).

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use gatehouse_shared::{RequestStatus, rules::Actor};
use serde_json::{Value, json};

use super::{
    SlackConfig,
    blocks::{self, action},
    identity::{self, Identity},
    messages, modal,
};
use crate::store::Conn;
use crate::{engine, error::AppError, state::AppState, store, store::users::UserRecord};

use super::endpoint::*;

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

pub(super) async fn interaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (config, payload) = match verified_payload(&state, &headers, &body).await {
        Ok(verified) => verified,
        Err(response) => return response,
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
