//! Block Kit for the Slack app: the builders and notice messages of
//! [`crate::notify::slack::blocks`], and requests as lines of a list with
//! their buttons.

use gatehouse_shared::{duration::format_duration, requests::AccessRequest};
use serde_json::Value;

pub use crate::notify::slack::blocks::*;

/// One request as a line of a list: status, id, what, when.
pub fn request_line(request: &AccessRequest) -> String {
    let mut what: Vec<String> = request
        .items
        .iter()
        .map(|item| format!("{} ({})", item.resource_name, item.permission))
        .collect();
    let more = request.item_count - request.items.len() as i64;
    if more > 0 {
        what.push(format!("{more} more"));
    }
    let integrations: Vec<&str> = {
        let mut names: Vec<&str> = request
            .items
            .iter()
            .map(|i| i.integration_name.as_str())
            .collect();
        names.dedup();
        names
    };
    let mut line = format!(
        "*#{}* · *{}* · {} · {}",
        request.id,
        request.status,
        escape(&integrations.join(", ")),
        escape(&what.join(", "))
    );
    if request.grantee.id != request.requester.id {
        line.push_str(&format!(" · for {}", escape(&request.grantee.display_name)));
    }
    match (request.expires_at, request.starts_at) {
        (Some(at), _) if request.status == gatehouse_shared::RequestStatus::Active => {
            line.push_str(&format!(" · ends {}", when(at.unix_timestamp())));
        }
        (_, Some(at)) if request.status == gatehouse_shared::RequestStatus::Scheduled => {
            line.push_str(&format!(
                " · {} · starts {}",
                format_duration(request.duration_seconds),
                when(at.unix_timestamp())
            ));
        }
        _ => line.push_str(&format!(" · {}", format_duration(request.duration_seconds))),
    }
    line
}

/// The buttons a request offers its reader in lists.
pub fn request_buttons(request: &AccessRequest, details: bool) -> Vec<Value> {
    let mut buttons = Vec::new();
    if details {
        buttons.push(button("More details", action::MORE_DETAILS, request.id));
    }
    if request.status == gatehouse_shared::RequestStatus::Active {
        buttons.push(button("Access Details", action::ACCESS_DETAILS, request.id));
    }
    if request.actions.extend {
        buttons.push(extend_button(request.id));
    }
    if request.actions.request_again {
        buttons.push(button("Request again", action::REQUEST_AGAIN, request.id));
    }
    if request.actions.revoke {
        buttons.push(revoke_button(request.id));
    }
    buttons
}

/// The justification checks, as the portal shows them while typing.
pub fn feedback(text: &str) -> Value {
    let verdict = gatehouse_shared::justification::evaluate(text);
    let mark = |ok: bool| {
        if ok {
            ":white_check_mark:"
        } else {
            ":white_circle:"
        }
    };
    let summary = if verdict.complete {
        ":large_green_circle: Strong justification"
    } else {
        "A good justification does all three:"
    };
    context(&format!(
        "{summary}  {} Describes the task  {} Explains why this level of access  {} Includes a ticket ID",
        mark(verdict.describes_task),
        mark(verdict.explains_access_level),
        mark(verdict.includes_ticket)
    ))
}
