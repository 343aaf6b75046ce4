//! Block Kit: small builders, the action ids of buttons, and a notice about a
//! request as a message (with the buttons its reader may use). The Slack app
//! builds its views with the same builders.

use serde_json::{Value, json};

use crate::notify::{NotifyConfig, notice::Notice};

/// Action ids of the buttons and inputs.
pub mod action {
    pub const APPROVE: &str = "approve";
    pub const REJECT: &str = "reject";
    pub const EXTEND: &str = "extend";
    pub const REVOKE: &str = "revoke";
    pub const REQUEST_AGAIN: &str = "request_again";
    pub const ACCESS_DETAILS: &str = "access_details";
    pub const MORE_DETAILS: &str = "more_details";
    pub const OPEN_REQUEST: &str = "open_request";
    /// An Assist suggestion's Request button: `r:<resource>:<permission>` or `b:<bundle>`.
    pub const ASSIST_REQUEST: &str = "assist_request";
    pub const FAVORITE_SELECT: &str = "favorite_select";
    pub const LINK: &str = "link";
    pub const REVEAL: &str = "reveal";
}

/// Slack caps texts; longer ones are cut with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Text that Slack would otherwise read as markup.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": clip(text, 150), "emoji": true})
}

pub fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": clip(text, 3000)})
}

pub fn section(text: &str) -> Value {
    json!({"type": "section", "text": mrkdwn(text)})
}

pub fn header(text: &str) -> Value {
    json!({"type": "header", "text": plain(text)})
}

pub fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [mrkdwn(text)]})
}

pub fn divider() -> Value {
    json!({"type": "divider"})
}

pub fn button(text: &str, action_id: &str, value: impl ToString) -> Value {
    json!({"type": "button", "text": plain(text), "action_id": action_id, "value": value.to_string()})
}

pub fn link_button(text: &str, url: &str) -> Value {
    json!({"type": "button", "text": plain(text), "action_id": action::LINK, "url": url})
}

pub fn option(text: &str, value: impl ToString) -> Value {
    json!({"text": plain(&clip(text, 75)), "value": value.to_string()})
}

pub fn actions(elements: Vec<Value>) -> Value {
    json!({"type": "actions", "elements": elements})
}

/// "Extend Access", asking "Extend this request?" first.
pub fn extend_button(request_id: i64) -> Value {
    let mut button = button("Extend Access", action::EXTEND, request_id);
    button["style"] = json!("primary");
    button["confirm"] = json!({
        "title": plain("Extend this request?"),
        "text": mrkdwn("Your access is extended by the time your access flow allows. You keep the same credentials and session."),
        "confirm": plain("Extend"),
        "deny": plain("Cancel"),
    });
    button
}

pub fn revoke_button(request_id: i64) -> Value {
    let mut button = button("Revoke access", action::REVOKE, request_id);
    button["style"] = json!("danger");
    button["confirm"] = json!({
        "title": plain("Revoke this access?"),
        "text": mrkdwn("The access is removed now."),
        "confirm": plain("Revoke"),
        "deny": plain("Cancel"),
        "style": "danger",
    });
    button
}

/// A time as Slack shows it to each reader.
pub fn when(unix: i64) -> String {
    // Slack shows the time in the reader's own time zone.
    format!("<!date^{unix}^{{date_short_pretty}} at {{time}}|{unix}>")
}

/// The facts of a notice as a section with fields.
fn facts(notice: &Notice) -> Vec<Value> {
    let mut fields = vec![
        mrkdwn(&format!("*Request*\n#{}", notice.request_id)),
        mrkdwn(&format!("*Status*\n{}", notice.status)),
        mrkdwn(&format!("*Requester*\n{}", escape(&notice.requester))),
        mrkdwn(&format!("*Grantee*\n{}", escape(&notice.grantee))),
        mrkdwn(&format!(
            "*Integrations*\n{}",
            escape(&notice.integrations.join(", "))
        )),
        mrkdwn(&format!(
            "*Resource types*\n{}",
            escape(&notice.resource_types.join(", "))
        )),
        mrkdwn(&format!("*Duration*\n{}", notice.duration)),
    ];
    if let Some(expires_at) = notice.expires_at {
        fields.push(mrkdwn(&format!("*Ends*\n{}", when(expires_at))));
    }
    let mut resources = notice.resources.join(", ");
    let more = notice.item_count - notice.resources.len() as i64;
    if more > 0 {
        resources.push_str(&format!(" and {more} more"));
    }
    let mut blocks = vec![json!({"type": "section", "fields": fields})];
    blocks.push(section(&format!("*Resources*\n{}", escape(&resources))));
    let justification = if notice.justification.is_empty() {
        "_none given_".to_owned()
    } else {
        escape(&notice.justification)
    };
    let mut text = format!("*Justification*\n{justification}");
    if let Some(ticket) = &notice.ticket {
        text.push_str(&format!("\n*Ticket* {}", escape(ticket)));
    }
    blocks.push(section(&text));
    if let Some(reason) = &notice.reason {
        blocks.push(section(&format!("*Reason*\n{}", escape(reason))));
    }
    blocks
}

/// A notice as a Slack message: (fallback text, blocks).
/// `chat_approval`: whether approvers may decide from Slack.
pub fn notice_message(
    notice: &Notice,
    config: &NotifyConfig,
    chat_approval: bool,
) -> (String, Vec<Value>) {
    let mut blocks = vec![section(&format!("*{}*", escape(&notice.headline)))];
    if let Some(why) = &notice.why_you {
        blocks.push(context(&escape(why)));
    }
    blocks.extend(facts(notice));
    let mut buttons = Vec::new();
    let id = notice.request_id;
    if notice.actions.decide {
        if notice.mfa_required {
            blocks.push(context("This access flow requires MFA: approve or reject in the portal, where you confirm a code from your authenticator app."));
            buttons.push(link_button(
                "Review in Gatehouse",
                &config.link("/approvals"),
            ));
        } else if !chat_approval {
            blocks.push(context("Approving from Slack is turned off by your admin: approve or reject in the portal."));
            buttons.push(link_button(
                "Review in Gatehouse",
                &config.link("/approvals"),
            ));
        } else {
            let mut approve = button("Approve", action::APPROVE, id);
            approve["style"] = json!("primary");
            let mut reject = button("Reject", action::REJECT, id);
            reject["style"] = json!("danger");
            buttons.push(approve);
            buttons.push(reject);
        }
    }
    if notice.actions.access_details {
        buttons.push(button("Access Details", action::ACCESS_DETAILS, id));
    }
    if notice.actions.extend {
        buttons.push(extend_button(id));
    }
    if notice.actions.request_again {
        buttons.push(button("Request again", action::REQUEST_AGAIN, id));
    }
    if notice.actions.revoke {
        buttons.push(revoke_button(id));
    }
    if !buttons.is_empty() {
        blocks.push(
            json!({"type": "actions", "block_id": format!("request:{id}"), "elements": buttons}),
        );
    }
    (notice.headline.clone(), blocks)
}

/// A message whose buttons are replaced by an outcome line.
pub fn closed_message(notice: &Notice, outcome: &str) -> (String, Vec<Value>) {
    let mut blocks = vec![section(&format!("*{}*", escape(&notice.headline)))];
    blocks.extend(facts(notice));
    blocks.push(context(outcome));
    (outcome.to_owned(), blocks)
}
