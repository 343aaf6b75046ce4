//! The MCP tools: their descriptions and input schemas, and the REST call
//! each one is. None approves, rejects or reveals a credential.

use axum::http::Method;
use serde_json::{Value, json};

/// A REST call a tool makes as the token's user.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub method: Method,
    pub uri: String,
    pub body: Option<Value>,
}

/// Tools that only read, though some POST (Assist, preview).
pub const READS: &[&str] = &[
    "suggest_access",
    "search_resources",
    "list_bundles",
    "preview_request",
    "list_my_requests",
    "get_request",
    "list_my_access",
];

/// Every tool's name, as `tools/list` answers them.
pub const NAMES: &[&str] = &[
    "suggest_access",
    "search_resources",
    "list_bundles",
    "preview_request",
    "create_access_request",
    "list_my_requests",
    "get_request",
    "list_my_access",
    "extend_access",
    "cancel_request",
    "request_again",
];

fn items_schema() -> Value {
    json!({
        "type": "array",
        "description": "Resources with a permission, e.g. [{\"resource_id\": 12, \"permission\": \"read-only\"}] (from suggest_access or search_resources).",
        "items": {
            "type": "object",
            "properties": {
                "resource_id": {"type": "integer"},
                "permission": {"type": "string"}
            },
            "required": ["resource_id", "permission"]
        }
    })
}

fn request_id_schema(description: &str) -> Value {
    json!({
        "type": "object",
        "properties": {"request_id": {"type": "integer", "description": description}},
        "required": ["request_id"]
    })
}

fn draft_properties() -> Value {
    json!({
        "items": items_schema(),
        "bundle_id": {"type": "integer", "description": "A whole bundle instead of (or besides) items (from list_bundles or suggest_access)."},
        "duration_seconds": {"type": "integer", "description": "One of the durations the access flow offers (preview_request lists them)."},
        "justification": {"type": "string", "description": "What the task is and why this level of access is needed, with a ticket ID when there is one."},
        "ticket_type": {"type": "string"},
        "ticket_id": {"type": "string"},
        "grantee_id": {"type": "integer", "description": "Request for someone else, where a flow allows it."},
        "allow_duplicate": {"type": "boolean", "description": "Only when the person confirms they want a second request for access they already have or wait for (otherwise that is refused, naming the covering request; extending it is usually what they want)."}
    })
}

/// The tool definitions for `tools/list`.
pub fn definitions() -> Value {
    let read_only = json!({"readOnlyHint": true, "openWorldHint": false});
    let writes = json!({"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false});
    json!([
        {
            "name": "suggest_access",
            "title": "Suggest access",
            "description": "Describe in plain words what the person needs (\"read last month's invoices\"); answers what they may request, best first, with the fitting permission and a reason.",
            "inputSchema": {"type": "object", "properties": {
                "text": {"type": "string", "description": "What the person needs to do."},
                "grantee_id": {"type": "integer"}
            }, "required": ["text"]},
            "annotations": read_only
        },
        {
            "name": "search_resources",
            "title": "Search resources",
            "description": "Search the resources the person may request by name, path or tag.",
            "inputSchema": {"type": "object", "properties": {
                "search": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100}
            }},
            "annotations": read_only
        },
        {
            "name": "list_bundles",
            "title": "List bundles",
            "description": "Bundles (named sets of resources with permissions), optionally searched by name.",
            "inputSchema": {"type": "object", "properties": {"search": {"type": "string"}}},
            "annotations": read_only
        },
        {
            "name": "preview_request",
            "title": "Preview a request",
            "description": "What a draft would get: the access flows, approvers, durations offered, and what submitting it now would be refused for. Writes nothing.",
            "inputSchema": {"type": "object", "properties": draft_properties()},
            "annotations": read_only
        },
        {
            "name": "create_access_request",
            "title": "Create an access request",
            "description": "Submit the request as the person. It waits for the approvers the access flow names (people decide, not the assistant), or is granted at once where the flow auto-approves. Marked as made via an assistant.",
            "inputSchema": {"type": "object", "properties": draft_properties(), "required": ["duration_seconds", "justification"]},
            "annotations": writes
        },
        {
            "name": "list_my_requests",
            "title": "List my requests",
            "description": "The person's requests, newest first, optionally only some statuses (e.g. [\"Pending Approval\", \"Active\"]).",
            "inputSchema": {"type": "object", "properties": {
                "status": {"type": "array", "items": {"type": "string"}},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100}
            }},
            "annotations": read_only
        },
        {
            "name": "get_request",
            "title": "Get a request",
            "description": "One request with its items, status, approvals and history.",
            "inputSchema": request_id_schema("The request's id."),
            "annotations": read_only
        },
        {
            "name": "list_my_access",
            "title": "List my access",
            "description": "The person's active access with expiry times, recent closed requests and favorites. Never credentials.",
            "inputSchema": {"type": "object", "properties": {}},
            "annotations": read_only
        },
        {
            "name": "extend_access",
            "title": "Extend access",
            "description": "Extend active access by the flow's extension length, when it nears expiry and the flow allows it.",
            "inputSchema": request_id_schema("The active request's id."),
            "annotations": writes
        },
        {
            "name": "cancel_request",
            "title": "Cancel a request",
            "description": "Cancel a request still waiting for approval.",
            "inputSchema": request_id_schema("The pending request's id."),
            "annotations": {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}
        },
        {
            "name": "request_again",
            "title": "Request again",
            "description": "Request an expired, revoked or rejected request's access again, with a new justification.",
            "inputSchema": {"type": "object", "properties": {
                "request_id": {"type": "integer"},
                "justification": {"type": "string"}
            }, "required": ["request_id", "justification"]},
            "annotations": writes
        }
    ])
}

fn integer(arguments: &Value, name: &str) -> Result<i64, String> {
    arguments
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("Invalid params: {name} must be an integer."))
}

fn optional_string(arguments: &Value, name: &str) -> Result<Option<String>, String> {
    match arguments.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("Invalid params: {name} must be a string.")),
    }
}

fn query(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        String::new()
    } else {
        format!(
            "?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// The draft a tool's arguments describe, as the REST API takes it.
fn draft(arguments: &Value) -> Result<Value, String> {
    let mut draft = json!({
        "items": arguments.get("items").cloned().unwrap_or_else(|| json!([])),
        "duration_seconds": arguments.get("duration_seconds").cloned().unwrap_or(json!(0)),
        "justification": arguments.get("justification").cloned().unwrap_or(json!("")),
    });
    if !draft["items"].is_array() {
        return Err("Invalid params: items must be an array.".into());
    }
    if let Some(bundle) = arguments.get("bundle_id").filter(|b| !b.is_null()) {
        draft["bundle"] = json!({"bundle_id": bundle});
    }
    for name in ["ticket_type", "ticket_id", "grantee_id", "allow_duplicate"] {
        if let Some(value) = arguments.get(name).filter(|v| !v.is_null()) {
            draft[name] = value.clone();
        }
    }
    Ok(draft)
}

/// The REST call a tool call is, or why its arguments are not valid.
pub fn api_call(name: &str, arguments: &Value) -> Result<ApiCall, String> {
    let post = |uri: String, body: Value| ApiCall {
        method: Method::POST,
        uri,
        body: Some(body),
    };
    let get = |uri: String| ApiCall {
        method: Method::GET,
        uri,
        body: None,
    };
    Ok(match name {
        "suggest_access" => {
            let text =
                optional_string(arguments, "text")?.ok_or("Invalid params: text is required.")?;
            let mut body = json!({"text": text});
            if let Some(grantee) = arguments.get("grantee_id").filter(|v| !v.is_null()) {
                body["grantee_id"] = grantee.clone();
            }
            post("/api/v1/assist".into(), body)
        }
        "search_resources" => {
            let mut pairs = Vec::new();
            if let Some(search) = optional_string(arguments, "search")? {
                pairs.push(("search", search));
            }
            pairs.push((
                "limit",
                arguments
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(20)
                    .to_string(),
            ));
            get(format!("/api/v1/resources{}", query(&pairs)))
        }
        "list_bundles" => {
            let mut pairs = Vec::new();
            if let Some(search) = optional_string(arguments, "search")? {
                pairs.push(("search", search));
            }
            get(format!("/api/v1/bundles{}", query(&pairs)))
        }
        "preview_request" => post("/api/v1/requests/preview".into(), draft(arguments)?),
        "create_access_request" => post("/api/v1/requests".into(), draft(arguments)?),
        "list_my_requests" => {
            let mut pairs = Vec::new();
            match arguments.get("status") {
                None | Some(Value::Null) => {}
                Some(Value::Array(statuses)) => {
                    for status in statuses {
                        let status = status
                            .as_str()
                            .ok_or("Invalid params: status holds strings.")?;
                        pairs.push(("status", status.to_owned()));
                    }
                }
                Some(_) => return Err("Invalid params: status must be an array of strings.".into()),
            }
            pairs.push((
                "limit",
                arguments
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(20)
                    .to_string(),
            ));
            get(format!("/api/v1/requests{}", query(&pairs)))
        }
        "get_request" => get(format!(
            "/api/v1/requests/{}",
            integer(arguments, "request_id")?
        )),
        "list_my_access" => get("/api/v1/my-access".into()),
        "extend_access" => post(
            format!(
                "/api/v1/requests/{}/extend",
                integer(arguments, "request_id")?
            ),
            json!({}),
        ),
        "cancel_request" => post(
            format!(
                "/api/v1/requests/{}/cancel",
                integer(arguments, "request_id")?
            ),
            json!({}),
        ),
        "request_again" => {
            let justification = optional_string(arguments, "justification")?.unwrap_or_default();
            post(
                format!(
                    "/api/v1/requests/{}/request-again",
                    integer(arguments, "request_id")?
                ),
                json!({"justification": justification}),
            )
        }
        other => return Err(format!("Invalid params: no tool named {other}.")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_defined_once_and_none_approves_or_reveals() {
        let definitions = definitions();
        let names: Vec<&str> = definitions
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, NAMES);
        for name in names {
            assert!(
                ![
                    "approve",
                    "reject",
                    "reveal",
                    "secret",
                    "credential",
                    "reset"
                ]
                .iter()
                .any(|w| name.contains(w))
            );
        }
    }

    #[test]
    fn no_tool_reaches_an_approval_or_a_secret() {
        for name in NAMES {
            let call = api_call(name, &json!({"request_id": 1, "text": "x"})).unwrap();
            assert!(!call.uri.contains("/approve") && !call.uri.contains("/reject"));
            assert!(
                !call.uri.contains("/reveal")
                    && !call.uri.contains("/reset")
                    && !call.uri.contains("/access")
            );
        }
    }
}
