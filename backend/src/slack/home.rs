//! The Home tab: Create New Request, and My Access with Recent & Favorites
//! (the last three of each) and My Sessions (active access with Access Details).

use crate::store::{Conn, requests::RequestList};
use gatehouse_shared::rules::Actor;
use serde_json::{Value, json};

use super::blocks::{self, action, button, context, divider, header, section};
use crate::{engine, error::AppError, notify::NotifyConfig, store, store::users::UserRecord};

const RECENT: u32 = 3;
/// Slack allows 100 blocks in a Home tab view.
const MAX_SESSIONS: u32 = 20;

pub fn home_view(
    conn: Conn<'_>,
    me: &UserRecord,
    config: &NotifyConfig,
    now: i64,
) -> Result<Value, AppError> {
    let actor = Actor {
        id: me.id,
        is_admin: me.is_admin,
    };
    let page = |list: RequestList,
                limit: u32|
     -> Result<Vec<gatehouse_shared::requests::AccessRequest>, AppError> {
        let rows = store::requests::page(conn, me.id, list, &[], None, limit)?;
        engine::views(conn, rows, actor, Some(engine::ITEMS_IN_LISTS), now)
    };
    let mut view_blocks = vec![
        header("Gatehouse"),
        section(&format!(
            "Hi {}: request time-boxed access, follow your requests and approve others'.",
            blocks::escape(&me.display_name)
        )),
        blocks::actions(vec![
            {
                let mut create = button("Create New Request", action::OPEN_REQUEST, "home");
                create["style"] = json!("primary");
                create
            },
            blocks::link_button("Open the portal", &config.link("/my-access")),
        ]),
        divider(),
        header("My Access"),
        section("*Recent & Favorites*"),
    ];
    let recent = page(RequestList::InvolvedClosed, RECENT)?;
    let favorites = page(RequestList::Favorites, RECENT)?;
    if recent.is_empty() && favorites.is_empty() {
        view_blocks.push(context("Closed requests and favorites appear here."));
    }
    for (label, list) in [("Recent", &recent), ("Favorite", &favorites)] {
        for request in list {
            view_blocks.push(section(&format!(
                "_{label}_ · {}",
                blocks::request_line(request)
            )));
            let mut buttons = vec![button("More details", action::MORE_DETAILS, request.id)];
            if request.actions.request_again {
                buttons.push(button("Request again", action::REQUEST_AGAIN, request.id));
            }
            view_blocks.push(blocks::actions(buttons));
        }
    }
    view_blocks.push(section("*My Sessions*"));
    let sessions = page(RequestList::GranteeActive, MAX_SESSIONS)?;
    if sessions.is_empty() {
        view_blocks.push(context("No active access right now."));
    }
    for request in &sessions {
        view_blocks.push(section(&blocks::request_line(request)));
        view_blocks.push(blocks::actions(blocks::request_buttons(request, false)));
    }
    Ok(json!({"type": "home", "blocks": view_blocks}))
}

/// The Home tab of someone Gatehouse does not know.
pub fn unknown_view(message: &str) -> Value {
    json!({"type": "home", "blocks": [header("Gatehouse"), section(&blocks::escape(message))]})
}
