//! The modals: Request Access (Single Request or Bundle), Favorites, Request
//! again, Reject with a reason, and Access Details. Each is rebuilt from the
//! user's current input whenever a choice changes, so every menu offers only
//! what the user's access flows allow for what they picked so far.

use crate::store::{Conn, requests::RequestList};
use gatehouse_shared::{
    RequestStatus,
    duration::format_duration,
    requests::{AccessRequest, BundleSelection, ItemSelection, SubmitRequest},
    rules::Actor,
};
use serde_json::{Value, json};

use super::blocks::{
    self, action, button, context, divider, header, link_button, option, plain, section,
};
use crate::{engine, error::AppError, notify::NotifyConfig, store, store::users::UserRecord};

pub const REQUEST_CALLBACK: &str = "request_access";
pub const FAVORITES_CALLBACK: &str = "favorites";
pub const REQUEST_AGAIN_CALLBACK: &str = "request_again";
pub const REJECT_CALLBACK: &str = "reject";
pub const INFO_CALLBACK: &str = "info";

/// Slack shows at most 100 options in a menu.
const MAX_OPTIONS: usize = 100;
/// Favorites listed in the modal; the rest are in the portal.
const FAVORITES_SHOWN: u32 = 10;

/// Single Request or Bundle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Single,
    Bundle,
}

/// What the user has entered in the Request Access modal so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub mode: Mode,
    pub grantee: Option<i64>,
    pub integration: Option<i64>,
    pub resource_type: Option<i64>,
    pub resources: Vec<i64>,
    pub permission: Option<String>,
    pub bundle: Option<i64>,
    /// None until the user changes the bundle's selection (all resources).
    pub bundle_resources: Option<Vec<i64>>,
    pub duration: Option<i64>,
    pub ticket_type: Option<String>,
    pub ticket_id: Option<String>,
    pub justification: String,
}

fn selected(element: &Value) -> Option<String> {
    element["selected_option"]["value"]
        .as_str()
        .map(str::to_owned)
}

fn selected_many(element: &Value) -> Vec<String> {
    element["selected_options"]
        .as_array()
        .map(|options| {
            options
                .iter()
                .filter_map(|o| o["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every (block id, action id, element state) of a view's state.
fn elements(values: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(blocks) = values.as_object() {
        for (block_id, actions) in blocks {
            if let Some(actions) = actions.as_object() {
                for (action_id, element) in actions {
                    out.push((block_id.clone(), action_id.clone(), element.clone()));
                }
            }
        }
    }
    out
}

/// The text typed in the `justification` input of a view.
pub fn justification_of(values: &Value) -> String {
    values["justification"]["justification"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Read the draft from `view.state.values`. Ids are only parsed here; every
/// one is checked again by the engine on submit.
pub fn parse_draft(values: &Value) -> Draft {
    let mut draft = Draft::default();
    for (_, action_id, element) in elements(values) {
        let id = || selected(&element).and_then(|v| v.parse::<i64>().ok());
        match action_id.as_str() {
            "mode" if selected(&element).as_deref() == Some("bundle") => draft.mode = Mode::Bundle,
            "grantee" => draft.grantee = id(),
            "integration" => draft.integration = id(),
            "resource_type" => draft.resource_type = id(),
            "resources" => {
                draft.resources = selected_many(&element)
                    .iter()
                    .filter_map(|v| v.parse().ok())
                    .collect();
            }
            "permission" => draft.permission = selected(&element),
            "bundle" => draft.bundle = id(),
            "bundle_resources" => {
                draft.bundle_resources = Some(
                    selected_many(&element)
                        .iter()
                        .filter_map(|v| v.parse().ok())
                        .collect(),
                );
            }
            "duration" => draft.duration = id(),
            "ticket_type" => draft.ticket_type = selected(&element),
            "ticket_id" => {
                draft.ticket_id = element["value"]
                    .as_str()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
            }
            "justification" => {
                draft.justification = element["value"].as_str().unwrap_or_default().to_owned();
            }
            _ => {}
        }
    }
    draft
}

/// Block ids, which carry what a block depends on: when that changes, the
/// block id changes and Slack forgets the choice made under the old one.
pub struct BlockIds {
    pub grantee: String,
    pub integration: String,
    pub resource_type: String,
    pub resources: String,
    pub permission: String,
    pub bundle: String,
    pub bundle_resources: String,
}

impl BlockIds {
    pub fn of(draft: &Draft, me: i64) -> Self {
        let grantee = draft.grantee.unwrap_or(me);
        let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        Self {
            grantee: "grantee".into(),
            integration: format!("integration:{grantee}"),
            resource_type: format!("resource_type:{grantee}:{}", opt(draft.integration)),
            resources: format!("resources:{grantee}:{}", opt(draft.resource_type)),
            permission: format!("permission:{grantee}:{}", opt(draft.resource_type)),
            bundle: format!("bundle:{grantee}"),
            bundle_resources: format!("bundle_resources:{grantee}:{}", opt(draft.bundle)),
        }
    }
}

fn input(block_id: &str, label: &str, element: Value, optional: bool, dispatch: bool) -> Value {
    json!({
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
        "dispatch_action": dispatch,
    })
}

fn static_select(
    action_id: &str,
    placeholder: &str,
    options: Vec<Value>,
    initial: Option<Value>,
) -> Value {
    let mut element = json!({
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "options": options,
    });
    if let Some(initial) = initial {
        element["initial_option"] = initial;
    }
    element
}

/// The option among `options` whose value is `value`.
fn find_option(options: &[Value], value: Option<String>) -> Option<Value> {
    let value = value?;
    options
        .iter()
        .find(|o| o["value"].as_str() == Some(value.as_str()))
        .cloned()
}

fn justification_blocks(text: &str, hint: &str) -> Vec<Value> {
    let mut element = json!({
        "type": "plain_text_input",
        "action_id": "justification",
        "multiline": true,
        "max_length": 3000,
        "placeholder": plain(hint),
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    });
    if !text.is_empty() {
        element["initial_value"] = json!(text);
    }
    let mut feedback = blocks::feedback(text);
    feedback["block_id"] = json!("justification_feedback");
    vec![
        input("justification", "Justification", element, true, true),
        feedback,
    ]
}

fn modal(
    callback_id: &str,
    title: &str,
    submit: Option<&str>,
    metadata: Value,
    blocks: Vec<Value>,
) -> Value {
    let mut view = json!({
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(&blocks::clip(title, 24)),
        "close": plain("Cancel"),
        "private_metadata": metadata.to_string(),
        "blocks": blocks,
    });
    if let Some(submit) = submit {
        view["submit"] = plain(submit);
    }
    view
}

/// The draft as a submission form, without its duration when none is chosen.
pub fn form_of(draft: &Draft, me: i64) -> Option<SubmitRequest> {
    let grantee = draft.grantee.filter(|g| *g != me);
    let mut form = SubmitRequest {
        grantee_id: grantee,
        duration_seconds: draft.duration.unwrap_or(0),
        ticket_type: draft.ticket_type.clone(),
        ticket_id: draft.ticket_id.clone(),
        justification: draft.justification.clone(),
        ..SubmitRequest::default()
    };
    match draft.mode {
        Mode::Single => {
            let permission = draft.permission.clone()?;
            if draft.resources.is_empty() {
                return None;
            }
            form.items = draft
                .resources
                .iter()
                .map(|id| ItemSelection {
                    resource_id: *id,
                    permission: permission.clone(),
                })
                .collect();
        }
        Mode::Bundle => {
            form.bundle = Some(BundleSelection {
                bundle_id: draft.bundle?,
                resource_ids: draft.bundle_resources.clone(),
            });
        }
    }
    Some(form)
}

/// The Request Access modal for the draft.
pub fn request_view(
    conn: Conn<'_>,
    me: &UserRecord,
    draft: &Draft,
    now: i64,
) -> Result<Value, AppError> {
    let ids = BlockIds::of(draft, me.id);
    let grantee = draft.grantee.filter(|g| *g != me.id);
    let mut view_blocks = Vec::new();
    let single = option("Single Request", "single");
    let bundle = option("Bundle", "bundle");
    let mode_initial = if draft.mode == Mode::Bundle {
        bundle.clone()
    } else {
        single.clone()
    };
    view_blocks.push(input(
        "mode",
        "Request type",
        json!({"type": "radio_buttons", "action_id": "mode", "options": [single, bundle], "initial_option": mode_initial}),
        false,
        true,
    ));
    let flows = store::flows::flows_for_grantee(conn, me.id)?;
    if flows.is_empty() {
        view_blocks.push(section(
            ":warning: No access flow lets you request access yet. Ask your Gatehouse admin to add you to one.",
        ));
    }
    if flows.iter().any(|flow| flow.on_behalf_allowed) {
        let who = match grantee {
            Some(id) => user_option(conn, id)?,
            None => Some(option(&format!("{} (me)", me.display_name), me.id)),
        };
        let mut element = json!({
            "type": "external_select",
            "action_id": "grantee",
            "placeholder": plain("Search people"),
            "min_query_length": 0,
        });
        if let Some(who) = who {
            element["initial_option"] = who;
        }
        view_blocks.push(input(
            &ids.grantee,
            "Request on behalf of",
            element,
            true,
            true,
        ));
        if grantee.is_some() {
            view_blocks.push(context(
                "Only the grantee will have access once the request is approved.",
            ));
        }
    }
    let mut ready = false;
    match draft.mode {
        Mode::Single => {
            let apps = engine::requestable_apps(conn, me.id, grantee)?;
            let integrations: Vec<Value> = apps
                .iter()
                .take(MAX_OPTIONS)
                .map(|app| option(&app.integration.name, app.integration.id))
                .collect();
            if integrations.is_empty() {
                view_blocks.push(context("No integration can be requested for this grantee."));
            } else {
                let initial = find_option(&integrations, draft.integration.map(|i| i.to_string()));
                view_blocks.push(input(
                    &ids.integration,
                    "Select integration",
                    static_select(
                        "integration",
                        "Choose an integration",
                        integrations,
                        initial,
                    ),
                    false,
                    true,
                ));
            }
            let app = apps
                .iter()
                .find(|app| Some(app.integration.id) == draft.integration);
            if let Some(app) = app {
                let types: Vec<Value> = app
                    .resource_types
                    .iter()
                    .take(MAX_OPTIONS)
                    .map(|t| option(&t.name, t.id))
                    .collect();
                let initial = find_option(&types, draft.resource_type.map(|t| t.to_string()));
                view_blocks.push(input(
                    &ids.resource_type,
                    "Select resource type",
                    static_select("resource_type", "Choose a resource type", types, initial),
                    false,
                    true,
                ));
                if let Some(resource_type) = app
                    .resource_types
                    .iter()
                    .find(|t| Some(t.id) == draft.resource_type)
                {
                    let mut element = json!({
                        "type": "multi_external_select",
                        "action_id": "resources",
                        "placeholder": plain("Search resources"),
                        "min_query_length": 0,
                        "max_selected_items": MAX_OPTIONS,
                    });
                    let mut chosen = Vec::new();
                    for id in draft.resources.iter().take(MAX_OPTIONS) {
                        if let Some(resource) = store::catalog::get_resource(conn, *id)?
                            && resource.resource_type_id == resource_type.id
                        {
                            chosen.push(option(&resource.name, resource.id));
                        }
                    }
                    if !chosen.is_empty() {
                        element["initial_options"] = json!(chosen);
                    }
                    view_blocks.push(input(&ids.resources, "Resources", element, false, true));
                    // Only the permissions under which every chosen resource is requestable.
                    let mut permissions = Vec::new();
                    for permission in &resource_type.permissions {
                        let filter = engine::requestable_filter(
                            conn,
                            me.id,
                            grantee,
                            resource_type.id,
                            None,
                            Some(permission.name.clone()),
                        )?;
                        let offered = if draft.resources.is_empty() {
                            true
                        } else {
                            let ids = store::catalog::resource_ids(
                                conn,
                                &filter,
                                gatehouse_shared::limits::MAX_RESOURCES_PER_FORM,
                            )?;
                            draft.resources.iter().all(|r| ids.contains(r))
                        };
                        if offered {
                            permissions.push(option(&permission.name, &permission.name));
                        }
                    }
                    if permissions.is_empty() {
                        view_blocks.push(context(
                            ":warning: No single permission is offered for all the chosen resources: choose fewer.",
                        ));
                    } else {
                        let initial = find_option(&permissions, draft.permission.clone());
                        view_blocks.push(input(
                            &ids.permission,
                            "Select a permission",
                            static_select(
                                "permission",
                                "Choose a permission",
                                permissions,
                                initial,
                            ),
                            false,
                            true,
                        ));
                    }
                    ready = !draft.resources.is_empty() && draft.permission.is_some();
                }
            }
        }
        Mode::Bundle => {
            let (bundles, _) = store::bundles::search(conn, None, 0, MAX_OPTIONS as u32)?;
            let options: Vec<Value> = bundles.iter().map(|b| option(&b.name, b.id)).collect();
            if options.is_empty() {
                view_blocks.push(context("There are no bundles yet."));
            } else {
                let initial = find_option(&options, draft.bundle.map(|b| b.to_string()));
                view_blocks.push(input(
                    &ids.bundle,
                    "Select bundle",
                    static_select("bundle", "Choose a bundle", options, initial),
                    false,
                    true,
                ));
            }
            if let Some(bundle) = bundles.iter().find(|b| Some(b.id) == draft.bundle) {
                if !bundle.description.is_empty() {
                    view_blocks.push(context(&blocks::escape(&bundle.description)));
                }
                let mut resources: Vec<Value> = Vec::new();
                let mut seen = Vec::new();
                for item in &bundle.items {
                    if !seen.contains(&item.resource_id) {
                        seen.push(item.resource_id);
                        resources.push(option(
                            &format!("{} · {}", item.resource_name, item.integration_name),
                            item.resource_id,
                        ));
                    }
                }
                if resources.len() <= MAX_OPTIONS {
                    // All of the bundle's resources are selected to begin with.
                    let initial: Vec<Value> = match &draft.bundle_resources {
                        None => resources.clone(),
                        Some(chosen) => resources
                            .iter()
                            .filter(|o| {
                                o["value"]
                                    .as_str()
                                    .and_then(|v| v.parse::<i64>().ok())
                                    .is_some_and(|v| chosen.contains(&v))
                            })
                            .cloned()
                            .collect(),
                    };
                    let mut element = json!({
                        "type": "multi_static_select",
                        "action_id": "bundle_resources",
                        "placeholder": plain("Type a resource name"),
                        "options": resources,
                    });
                    if !initial.is_empty() {
                        element["initial_options"] = json!(initial);
                    }
                    view_blocks.push(input(
                        &ids.bundle_resources,
                        "Please select one or more resources",
                        element,
                        false,
                        true,
                    ));
                } else {
                    view_blocks.push(context(&format!(
                        "All {} resources of this bundle are requested; to take some of them, use the portal.",
                        resources.len()
                    )));
                }
                ready = draft
                    .bundle_resources
                    .as_ref()
                    .is_none_or(|r| !r.is_empty());
            }
        }
    }
    let mut ticket_types = store::flows::ticket_types(conn)?;
    if ready && let Some(form) = form_of(draft, me.id) {
        let preview = engine::preview(
            conn,
            me.id,
            &SubmitRequest {
                duration_seconds: 0,
                ..form
            },
            now,
        )?;
        if !preview.covered_by.is_empty() {
            view_blocks.push(context(&format!(
                ":warning: {}",
                blocks::escape(&duplicate_text(&preview.covered_by))
            )));
        }
        for problem in &preview.problems {
            let field = problem.field.as_deref().unwrap_or_default();
            if !matches!(
                field,
                "justification" | "ticket_id" | "ticket_type" | "duration_seconds"
            ) {
                view_blocks.push(context(&format!(
                    ":warning: {}",
                    blocks::escape(&problem.message)
                )));
            }
        }
        for group in &preview.groups {
            let how = if group.mfa_required {
                "needs your MFA confirmation in the portal".to_owned()
            } else if group.auto_approve {
                "is approved automatically".to_owned()
            } else {
                format!(
                    "needs approval ({} step{})",
                    group.approver_steps.len(),
                    if group.approver_steps.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                )
            };
            view_blocks.push(context(&format!(
                "{} item{} under the access flow \"{}\" {how}.",
                group.item_count,
                if group.item_count == 1 { "" } else { "s" },
                blocks::escape(&group.flow_name)
            )));
        }
        let durations: Vec<Value> = preview
            .durations_seconds
            .iter()
            .map(|d| option(&format_duration(*d), d))
            .collect();
        if durations.is_empty() {
            if preview.problems.is_empty() {
                view_blocks.push(context("No duration is offered by every access flow involved: request fewer items at once."));
            }
        } else {
            let initial = find_option(&durations, draft.duration.map(|d| d.to_string()));
            view_blocks.push(input(
                "duration",
                "Duration",
                static_select("duration", "Choose how long", durations, initial),
                false,
                false,
            ));
        }
        ticket_types = preview.ticket_types;
    } else {
        view_blocks.push(context(
            "The durations offered appear once you have chosen what to request.",
        ));
    }
    if !ticket_types.is_empty() {
        let options: Vec<Value> = ticket_types.iter().map(|t| option(t, t)).collect();
        let initial = find_option(&options, draft.ticket_type.clone());
        view_blocks.push(input(
            "ticket_type",
            "Ticket type",
            static_select("ticket_type", "Choose a ticket type", options, initial),
            true,
            false,
        ));
    }
    let mut ticket =
        json!({"type": "plain_text_input", "action_id": "ticket_id", "max_length": 100});
    if let Some(id) = &draft.ticket_id {
        ticket["initial_value"] = json!(id);
    }
    view_blocks.push(input("ticket_id", "Ticket ID", ticket, true, false));
    view_blocks.extend(justification_blocks(
        &draft.justification,
        "What are you working on, and why do you need this level of access? Add a ticket ID.",
    ));
    Ok(modal(
        REQUEST_CALLBACK,
        "Request Access",
        Some("Submit"),
        json!({}),
        view_blocks,
    ))
}

fn user_option(conn: Conn<'_>, id: i64) -> Result<Option<Value>, AppError> {
    Ok(store::users::user_ref(conn, id)?
        .map(|user| option(&format!("{} ({})", user.display_name, user.username), id)))
}

/// Options for an external select: people (grantee) or resources.
pub fn options_for(
    conn: Conn<'_>,
    me: &UserRecord,
    action_id: &str,
    block_id: &str,
    query: &str,
) -> Result<Vec<Value>, AppError> {
    let query = query.trim().to_lowercase();
    let query: String = query
        .chars()
        .take(gatehouse_shared::limits::MAX_SEARCH_LENGTH)
        .collect();
    match action_id {
        "grantee" => {
            let users = store::users::search(conn, &query, MAX_OPTIONS as u32)?;
            Ok(users
                .into_iter()
                .map(|user| {
                    let (id, username, name) = (user.id, user.username, user.display_name);
                    let label = if id == me.id {
                        format!("{name} (me)")
                    } else {
                        format!("{name} ({username})")
                    };
                    option(&label, id)
                })
                .collect())
        }
        "resources" => {
            // block id: resources:{grantee}:{resource type}
            let mut parts = block_id.split(':').skip(1);
            let grantee: Option<i64> = parts.next().and_then(|g| g.parse().ok());
            let Some(resource_type) = parts.next().and_then(|t| t.parse::<i64>().ok()) else {
                return Ok(Vec::new());
            };
            let grantee = grantee.filter(|g| *g != me.id);
            let search = (!query.is_empty()).then_some(query);
            let filter =
                engine::requestable_filter(conn, me.id, grantee, resource_type, search, None)?;
            let resources = store::catalog::list_resources(conn, &filter, 0, MAX_OPTIONS as u32)?;
            Ok(resources
                .iter()
                .map(|r| option(&format!("{} · {}", r.name, r.path), r.id))
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// Where a refusal of the engine is shown in the Request Access modal.
/// What Slack says when the access asked for is already held or waited
/// for: the covering request, and what to do instead (Slack submits no
/// duplicates; the portal can, after asking).
pub fn duplicate_text(covering: &[gatehouse_shared::requests::CoveringRequest]) -> String {
    let named: Vec<String> = covering
        .iter()
        .map(|c| {
            if c.status == gatehouse_shared::RequestStatus::Active {
                format!(
                    "you already have {} ({}) through request {}",
                    c.resource_name, c.covering_permission, c.request_id
                )
            } else {
                format!(
                    "request {} for {} ({}) is already waiting ({})",
                    c.request_id, c.resource_name, c.covering_permission, c.status
                )
            }
        })
        .collect();
    let instead = if covering.iter().any(|c| c.can_extend) {
        "Extend that request instead (Access Details or My Access), or request a new one in the portal."
    } else {
        "No second request was made; to make one anyway, use the portal."
    };
    format!("Already covered: {}. {instead}", named.join("; "))
}

pub fn block_for_field(draft: &Draft, me: i64, field: Option<&str>, view: &Value) -> String {
    let ids = BlockIds::of(draft, me);
    let wanted = match field.unwrap_or_default() {
        "grantee_id" => ids.grantee,
        "items" => match draft.mode {
            Mode::Single => ids.resources,
            Mode::Bundle => ids.bundle_resources,
        },
        f if f.starts_with("bundle") => ids.bundle_resources,
        "duration_seconds" => "duration".into(),
        "ticket_id" => "ticket_id".into(),
        "ticket_type" => "ticket_type".into(),
        _ => "justification".into(),
    };
    // Slack only shows errors on input blocks the view has.
    let present = view["blocks"].as_array().is_some_and(|blocks| {
        blocks
            .iter()
            .any(|b| b["block_id"].as_str() == Some(wanted.as_str()) && b["type"] == "input")
    });
    if present {
        wanted
    } else {
        "justification".into()
    }
}

/// After submitting: each request created with its status.
pub fn submitted_view(requests: &[AccessRequest], config: &NotifyConfig) -> Value {
    let mut view_blocks = vec![header("Request submitted")];
    for request in requests {
        view_blocks.push(section(&blocks::request_line(request)));
        let next = match request.status {
            RequestStatus::PendingApproval => {
                "Waiting for approval. You will get a message when it is decided."
            }
            RequestStatus::PendingMfa => {
                "Confirm with your authenticator app in the portal to continue."
            }
            RequestStatus::Scheduled => {
                "Approved: your access is granted at its start (see the request for when)."
            }
            RequestStatus::Granting | RequestStatus::Active => {
                "Approved: your access is being granted."
            }
            _ => "",
        };
        if !next.is_empty() {
            view_blocks.push(context(next));
        }
    }
    view_blocks.push(context(
        "Status updates arrive in your Messages with Gatehouse.",
    ));
    view_blocks.push(blocks::actions(vec![link_button(
        "My Requests in the portal",
        &config.link("/my-requests"),
    )]));
    modal(
        INFO_CALLBACK,
        "Request Access",
        None,
        json!({}),
        view_blocks,
    )
}

/// The favorites modal: each favorite with More Details and Select (one at a time).
pub fn favorites_view(
    conn: Conn<'_>,
    me: &UserRecord,
    selected: Option<i64>,
    justification: &str,
    config: &NotifyConfig,
    now: i64,
) -> Result<Value, AppError> {
    let actor = Actor {
        id: me.id,
        is_admin: me.is_admin,
    };
    let rows = store::requests::page(
        conn,
        me.id,
        RequestList::Favorites,
        &[],
        None,
        FAVORITES_SHOWN,
    )?;
    let favorites = engine::views(conn, rows, actor, Some(engine::ITEMS_IN_LISTS), now)?;
    let mut view_blocks = Vec::new();
    if favorites.is_empty() {
        view_blocks.push(section("You have no favorites yet. Star an expired or revoked request in the portal to add it here."));
    }
    for favorite in &favorites {
        view_blocks.push(section(&blocks::request_line(favorite)));
        let is_selected = selected == Some(favorite.id);
        let mut select = button(
            if is_selected { "Selected" } else { "Select" },
            action::FAVORITE_SELECT,
            favorite.id,
        );
        if is_selected {
            select["style"] = json!("primary");
        }
        view_blocks.push(json!({
            "type": "actions",
            "block_id": format!("favorite:{}", favorite.id),
            "elements": [button("More Details", action::MORE_DETAILS, favorite.id), select],
        }));
    }
    view_blocks.push(blocks::actions(vec![link_button(
        "View All Favorites",
        &config.link("/favorites"),
    )]));
    view_blocks.push(divider());
    view_blocks.extend(justification_blocks(
        justification,
        "Why do you need this access again? Add a ticket ID.",
    ));
    let submit = (!favorites.is_empty()).then_some("Submit");
    Ok(modal(
        FAVORITES_CALLBACK,
        "Favorites",
        submit,
        json!({"selected": selected}),
        view_blocks,
    ))
}

/// Request again: the request's summary and a new justification.
pub fn request_again_view(request: &AccessRequest, justification: &str) -> Value {
    let mut view_blocks = vec![section(&blocks::request_line(request))];
    view_blocks.extend(justification_blocks(
        justification,
        "Why do you need this access again? Add a ticket ID.",
    ));
    modal(
        REQUEST_AGAIN_CALLBACK,
        "Request again",
        Some("Submit"),
        json!({"request_id": request.id}),
        view_blocks,
    )
}

/// Reject: the reason the requester will see.
pub fn reject_view(request_id: i64, channel: &str, ts: &str) -> Value {
    let element = json!({"type": "plain_text_input", "action_id": "reason", "multiline": true, "max_length": engine::MAX_REASON_LENGTH});
    modal(
        REJECT_CALLBACK,
        "Reject request",
        Some("Reject"),
        json!({"request_id": request_id, "channel": channel, "ts": ts}),
        vec![
            section(&format!(
                "Reject request #{request_id}? The requester sees your reason."
            )),
            input("reason", "Reason", element, false, false),
        ],
    )
}

/// Access Details of active access, per integration: the admin's message,
/// instructions, how to connect, and Reveal credentials while a secret waits
/// to be shown (once, as in the portal).
pub fn access_details_view(
    conn: Conn<'_>,
    actor: Actor,
    request: &AccessRequest,
    config: &NotifyConfig,
) -> Result<Value, AppError> {
    let mut view_blocks = vec![section(&blocks::request_line(request))];
    for details in engine::access_details(conn, actor, request.id)? {
        let mut text = format!(
            "*{}* · {}",
            blocks::escape(&details.integration_name),
            details.state.label()
        );
        if let Some(message) = &details.admin_message {
            text.push_str(&format!("\n{}", blocks::escape(message)));
        }
        if let Some(instructions) = &details.instructions {
            text.push_str(&format!("\n{}", blocks::escape(instructions)));
        }
        if let Some(username) = &details.username {
            text.push_str(&format!("\n*User name* `{}`", blocks::escape(username)));
        }
        for (label, value) in [
            ("Terminal", &details.connect.terminal),
            ("Browser", &details.connect.browser),
            ("App", &details.connect.app),
        ] {
            if let Some(value) = value {
                text.push_str(&format!("\n*{label}* `{}`", blocks::escape(value)));
            }
        }
        if let Some(command) = &details.cli_command {
            text.push_str(&format!("\n*CLI* `{command}`"));
        }
        view_blocks.push(section(&text));
        if details.credentials_rotated {
            view_blocks.push(context(
                ":arrows_counterclockwise: Credentials rotated since you last saw them.",
            ));
        }
        if details.secret_available {
            let mut reveal = button(
                "Reveal credentials",
                action::REVEAL,
                format!("{}:{}", details.request_id, details.integration_id),
            );
            reveal["style"] = json!("primary");
            view_blocks.push(blocks::actions(vec![reveal]));
            view_blocks.push(context(
                "The secret is shown once: copy it when you reveal it.",
            ));
        } else if details.secret_shown {
            view_blocks.push(context("The secret was shown once already. For new credentials, use Reset Credentials in the portal."));
        }
    }
    view_blocks.push(blocks::actions(vec![link_button(
        "Open My Access",
        &config.link("/my-access"),
    )]));
    let mut view = modal(
        INFO_CALLBACK,
        "Access Details",
        None,
        json!({"request_id": request.id}),
        view_blocks,
    );
    view["close"] = plain("Close");
    Ok(view)
}

/// The secret, this once.
pub fn secret_view(revealed: &gatehouse_shared::access::RevealedSecret) -> Value {
    let mut view_blocks = Vec::new();
    if let Some(username) = &revealed.username {
        view_blocks.push(section(&format!(
            "*User name*\n`{}`",
            blocks::escape(username)
        )));
    }
    view_blocks.push(section(&format!(
        "*Secret*\n```{}```",
        blocks::escape(&revealed.secret)
    )));
    view_blocks.push(context(":warning: Shown once: Gatehouse will not show this secret again. For new credentials, use Reset Credentials in the portal."));
    let mut view = modal(
        INFO_CALLBACK,
        "Access Details",
        None,
        json!({"request_id": revealed.request_id}),
        view_blocks,
    );
    view["close"] = plain("Close");
    view
}
