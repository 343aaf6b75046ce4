//! Notification settings: each user's channels, and the admin's Slack settings.

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError,
    notifications::{
        NotificationPreferences, NotificationPreferencesInput, SlackSettings, SlackSettingsInput,
    },
};

use crate::{
    auth::CurrentUser, error::AppError, extract::AppJson, state::AppState, store,
    store::notifications::CHAT_APPROVAL,
};

fn preferences(state: &AppState, (slack, email): (bool, bool)) -> NotificationPreferences {
    NotificationPreferences {
        slack,
        email,
        slack_available: state.notify.slack.is_some(),
        email_available: state.notify.email.is_some(),
    }
}

/// Where I am told about my requests and what waits on my approval.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "My channels, and which this server can use", body = NotificationPreferences),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn get_notification_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<NotificationPreferences>, AppError> {
    let chosen = state
        .db
        .call(move |conn| store::notifications::preferences(conn, user.id))
        .await?;
    Ok(Json(preferences(&state, chosen)))
}

/// Turn Slack messages and e-mail on or off for me.
#[utoipa::path(
    put,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = NotificationPreferencesInput,
    responses(
        (status = 200, description = "Saved", body = NotificationPreferences),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Invalid body", body = ApiError),
    )
)]
pub async fn set_notification_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NotificationPreferencesInput>,
) -> Result<Json<NotificationPreferences>, AppError> {
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            store::notifications::set_preferences(tx, user.id, input.slack, input.email, now)?;
            store::audit::record(
                tx,
                now,
                Some(user.id),
                None,
                "notification_preferences_changed",
                serde_json::json!({"slack": input.slack, "email": input.email}),
            )
        })
        .await?;
    Ok(Json(preferences(&state, (input.slack, input.email))))
}

/// The Slack app's settings (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/admin/settings/slack",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "The settings", body = SlackSettings),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
    )
)]
pub async fn get_slack_settings(
    State(state): State<AppState>,
    admin: CurrentUser,
) -> Result<Json<SlackSettings>, AppError> {
    admin.require_admin()?;
    let chat_approval = state.db.call(store::notifications::chat_approval).await?;
    Ok(Json(SlackSettings {
        chat_approval,
        configured: state.notify.slack.is_some(),
    }))
}

/// Turn approving and rejecting from Slack on or off (admins only). Off,
/// approvers' messages link to the portal and Slack decisions are refused.
#[utoipa::path(
    put,
    path = "/api/v1/admin/settings/slack",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = SlackSettingsInput,
    responses(
        (status = 200, description = "Saved", body = SlackSettings),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "Invalid body", body = ApiError),
    )
)]
pub async fn set_slack_settings(
    State(state): State<AppState>,
    admin: CurrentUser,
    AppJson(input): AppJson<SlackSettingsInput>,
) -> Result<Json<SlackSettings>, AppError> {
    admin.require_admin()?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            store::notifications::set_setting(
                tx,
                CHAT_APPROVAL,
                if input.chat_approval { "true" } else { "false" },
            )?;
            store::audit::record(
                tx,
                now,
                Some(admin.id),
                None,
                "slack_settings_changed",
                serde_json::json!({"chat_approval": input.chat_approval}),
            )
        })
        .await?;
    Ok(Json(SlackSettings {
        chat_approval: input.chat_approval,
        configured: state.notify.slack.is_some(),
    }))
}
