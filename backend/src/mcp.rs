//! The MCP server: AI assistants (Claude, VS Code, Copilot) request access
//! for the person whose personal API token they hold.
//!
//! Streamable HTTP at `/mcp` (JSON-RPC 2.0 over POST, answered as JSON;
//! protocol versions 2025-06-18, 2025-03-26 and 2024-11-05), the OAuth
//! protected-resource metadata at `/.well-known/oauth-protected-resource`,
//! and the same tools over stdio (`gatehouse mcp`, in [`stdio`]).
//!
//! Each tool is one REST operation called as the token's user through the
//! API's own router ([`crate::app::api_app`]): the same authorization,
//! validation and audit as the portal, so a tool can do nothing the person
//! could not do with their token. The call carries an [`Assistant`] mark
//! (a request extension, which no client can set) naming the MCP client,
//! so the request shows "via assistant" and the audit names the client.
//! There is no approve or reject tool and none that reveals a credential.

pub mod stdio;
pub mod tools;

use axum::{
    Json, Router,
    body::Body,
    extract::{FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::{
    auth::{AuthMethod, CurrentUser},
    extract::Assistant,
    state::AppState,
};

/// Protocol versions served, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];
pub const SESSION_HEADER: &str = "mcp-session-id";
const PROTOCOL_HEADER: &str = "mcp-protocol-version";
const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
/// Longest client name kept for the audit trail.
const MAX_CLIENT_NAME: usize = 100;

/// JSON-RPC 2.0 error codes.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// The REST API as tools call it (see [`crate::app::app`], which hands it over).
#[derive(Clone)]
pub struct Api(pub Router);

/// Largest JSON-RPC message accepted, in bytes (as the REST API's bodies).
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Most messages one batch may hold: each may be a tool call, that is an
/// API call, answered one after the other.
pub const MAX_BATCH_MESSAGES: usize = 50;

/// The MCP routes; `api` is the REST API they call as the token's user.
pub fn router(api: Router) -> Router<AppState> {
    Router::new()
        .route(
            "/mcp",
            get(stream_not_offered)
                .post(post_message)
                .delete(end_session),
        )
        .route(METADATA_PATH, get(protected_resource_metadata))
        .layer(axum::Extension(Api(api)))
}

/// The address clients reached this server by: the configured public URL
/// when the Host matches it, else `http://` and the Host.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let public = state.notify.public_url.trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if host.is_empty() || public.ends_with(&format!("//{host}")) {
        public.to_owned()
    } else {
        format!("http://{host}")
    }
}

/// RFC 9728 metadata: where the MCP resource is and how to present a token.
/// Gatehouse issues personal API tokens itself (Profile → API tokens), so
/// it names itself as the authorization server.
async fn protected_resource_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&state, &headers);
    Json(json!({
        "resource": format!("{base}/mcp"),
        "authorization_servers": [base],
        "bearer_methods_supported": ["header"],
        "resource_name": "Gatehouse",
        "resource_documentation": format!("{base}/api/docs"),
    }))
    .into_response()
}

/// A browser page may not drive the endpoint from another site (DNS
/// rebinding): an `Origin`, when sent, must be this server's own.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    origin == state.notify.public_url.trim_end_matches('/')
        || (!host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}")))
}

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn rpc_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// 401 pointing at the metadata, as the MCP authorization spec asks.
fn unauthorized(state: &AppState, headers: &HeaderMap, why: &str) -> Response {
    let base = base_url(state, headers);
    let challenge = format!(
        "Bearer resource_metadata=\"{base}{METADATA_PATH}\", error=\"invalid_token\", error_description=\"{why}\""
    );
    let mut response = rpc_response(
        StatusCode::UNAUTHORIZED,
        json!({"code": "unauthenticated", "message": why}),
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Who the bearer token belongs to, or the response refusing the call.
async fn authenticate(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(CurrentUser, HeaderMap), Response> {
    let (mut parts, _) = request.into_parts();
    let headers = parts.headers.clone();
    if !origin_allowed(state, &headers) {
        tracing::info!("refused MCP call: foreign Origin");
        return Err(rpc_response(
            StatusCode::FORBIDDEN,
            json!({"code": "forbidden", "message": "This Origin may not use the MCP endpoint."}),
        ));
    }
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(unauthorized(
            state,
            &headers,
            "A personal API token is required as a Bearer token.",
        ));
    }
    match CurrentUser::from_request_parts(&mut parts, state).await {
        Ok(user) if user.method == AuthMethod::BearerToken => Ok((user, headers)),
        Ok(_) | Err(_) => Err(unauthorized(state, &headers, "The token is not valid.")),
    }
}

/// A session id carrying the client's name, so any replica can read it back
/// without shared state: `<random>.<base64url(name)>`.
fn session_id(client: &str) -> String {
    let nonce: u64 = rand::random();
    format!("{nonce:016x}.{}", URL_SAFE_NO_PAD.encode(client.as_bytes()))
}

fn client_of(headers: &HeaderMap) -> String {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once('.'))
        .and_then(|(_, name)| URL_SAFE_NO_PAD.decode(name).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|name| clean_client_name(&name))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "an MCP client".into())
}

fn clean_client_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(MAX_CLIENT_NAME)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// GET opens a server-to-client stream in the spec; this server sends
/// nothing unprompted, so it offers none (405, as the spec allows).
async fn stream_not_offered() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST, DELETE")],
        Json(json!({"code": "method_not_allowed", "message": "This server offers no event stream; POST JSON-RPC messages."})),
    )
        .into_response()
}

/// Sessions hold no state here: ending one always succeeds.
async fn end_session(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    match authenticate(&state, request).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refusal,
    }
}

/// One JSON-RPC message (or a batch, for 2025-03-26 clients) in, the
/// responses out; notifications and responses alone get 202.
async fn post_message(
    State(state): State<AppState>,
    axum::Extension(api): axum::Extension<Api>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_MESSAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return rpc_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                rpc_error(Value::Null, INVALID_REQUEST, "The message is too large."),
            );
        }
    };
    let (user, headers) = match authenticate(
        &state,
        axum::extract::Request::from_parts(parts, Body::empty()),
    )
    .await
    {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    if let Some(version) = headers.get(PROTOCOL_HEADER).and_then(|v| v.to_str().ok())
        && !PROTOCOL_VERSIONS.contains(&version)
    {
        return rpc_response(
            StatusCode::BAD_REQUEST,
            rpc_error(
                Value::Null,
                INVALID_REQUEST,
                &format!(
                    "Unsupported MCP-Protocol-Version {version}; this server speaks {}.",
                    PROTOCOL_VERSIONS.join(", ")
                ),
            ),
        );
    }
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(message) => message,
        Err(_) => {
            return rpc_response(
                StatusCode::BAD_REQUEST,
                rpc_error(
                    Value::Null,
                    PARSE_ERROR,
                    "Parse error: the body is not JSON.",
                ),
            );
        }
    };
    let session = Session {
        api,
        state: state.clone(),
        user,
        token: headers.get(header::AUTHORIZATION).cloned(),
        client: client_of(&headers),
    };
    let mut new_session = None;
    let answer = match message {
        Value::Array(batch) if batch.is_empty() => Some(rpc_error(
            Value::Null,
            INVALID_REQUEST,
            "Invalid Request: an empty batch.",
        )),
        Value::Array(batch) if batch.len() > MAX_BATCH_MESSAGES => Some(rpc_error(
            Value::Null,
            INVALID_REQUEST,
            &format!(
                "Invalid Request: a batch holds at most {MAX_BATCH_MESSAGES} messages; {} were sent.",
                batch.len()
            ),
        )),
        Value::Array(batch) => {
            let mut answers = Vec::new();
            for message in batch {
                if let Some(answer) = session.handle(message, &mut new_session).await {
                    answers.push(answer);
                }
            }
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        message => session.handle(message, &mut new_session).await,
    };
    let mut response = match answer {
        Some(answer) => {
            let status = match answer
                .get("error")
                .and_then(|e| e.get("code"))
                .and_then(Value::as_i64)
            {
                Some(PARSE_ERROR | INVALID_REQUEST)
                    if answer.get("id").is_some_and(Value::is_null) =>
                {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::OK,
            };
            rpc_response(status, answer)
        }
        None => StatusCode::ACCEPTED.into_response(),
    };
    if let Some(id) = new_session
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    response
}

/// One caller's MCP conversation: who they are and which client speaks.
pub struct Session {
    pub api: Api,
    pub state: AppState,
    pub user: CurrentUser,
    /// The caller's own `Authorization` header, passed to the API.
    pub token: Option<HeaderValue>,
    pub client: String,
}

impl Session {
    /// Answer one JSON-RPC message; None for notifications and responses.
    pub async fn handle(&self, message: Value, new_session: &mut Option<String>) -> Option<Value> {
        let Value::Object(object) = message else {
            return Some(rpc_error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: not a JSON-RPC object.",
            ));
        };
        let id = object.get("id").cloned();
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Some(rpc_error(
                id.unwrap_or(Value::Null),
                INVALID_REQUEST,
                "Invalid Request: jsonrpc must be \"2.0\".",
            ));
        }
        if let Some(id) = &id
            && !(id.is_string() || id.is_i64() || id.is_u64())
        {
            return Some(rpc_error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: the id must be a string or an integer.",
            ));
        }
        let Some(method) = object.get("method").and_then(Value::as_str) else {
            // A response from the client (we send no requests), or garbage.
            return if object.contains_key("result") || object.contains_key("error") {
                None
            } else {
                Some(rpc_error(
                    id.unwrap_or(Value::Null),
                    INVALID_REQUEST,
                    "Invalid Request: no method.",
                ))
            };
        };
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        let Some(id) = id else {
            // Notifications (initialized, cancelled, …) need no answer.
            return None;
        };
        let result = match method {
            "initialize" => {
                let client = params
                    .pointer("/clientInfo/name")
                    .and_then(Value::as_str)
                    .map(clean_client_name)
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| "an MCP client".into());
                *new_session = Some(session_id(&client));
                let asked = params
                    .get("protocolVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let version = if PROTOCOL_VERSIONS.contains(&asked) {
                    asked
                } else {
                    PROTOCOL_VERSIONS[0]
                };
                Ok(json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "gatehouse", "title": "Gatehouse", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Request time-boxed access for the signed-in person. Start with suggest_access, check a draft with preview_request, then create_access_request with a justification that names the task and why the level is needed. Approvers decide; no tool approves or reveals credentials.",
                }))
            }
            "ping" => Ok(json!({})),
            "tools/list" => Ok(json!({"tools": tools::definitions()})),
            "tools/call" => self.call_tool(&params).await,
            _ => Err((METHOD_NOT_FOUND, format!("Method not found: {method}"))),
        };
        Some(match result {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, message)) => rpc_error(id, code, &message),
        })
    }

    async fn call_tool(&self, params: &Value) -> Result<Value, (i64, String)> {
        let Some(name) = params.get("name").and_then(Value::as_str) else {
            return Err((
                INVALID_PARAMS,
                "Invalid params: tools/call needs a tool name.".into(),
            ));
        };
        let arguments = params
            .get("arguments")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if !arguments.is_object() {
            return Err((
                INVALID_PARAMS,
                "Invalid params: arguments must be an object.".into(),
            ));
        }
        let call =
            tools::api_call(name, &arguments).map_err(|message| (INVALID_PARAMS, message))?;
        tracing::info!(user = %self.user.username, client = %self.client, tool = name, "MCP tool call");
        let changes = call.method != axum::http::Method::GET && !tools::READS.contains(&name);
        let (status, body) = self.call_api(call).await;
        let is_error = !status.is_success();
        if changes && !is_error {
            self.audit(name, &arguments, &body).await;
        }
        let text = if is_error {
            format!(
                "Refused ({}): {}",
                status.as_u16(),
                body.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the call failed")
            )
        } else {
            serde_json::to_string_pretty(&body).unwrap_or_default()
        };
        let mut result = json!({"content": [{"type": "text", "text": text}], "isError": is_error});
        if body.is_object() {
            result["structuredContent"] = body;
        } else if !body.is_null() {
            result["structuredContent"] = json!({"items": body});
        }
        Ok(result)
    }

    /// One audit entry per request a tool changed, naming the client and
    /// the tool (the change itself is audited by the operation as usual).
    async fn audit(&self, tool: &str, arguments: &Value, body: &Value) {
        let mut ids: Vec<i64> = body
            .get("requests")
            .and_then(Value::as_array)
            .map(|requests| requests.iter().filter_map(|r| r["id"].as_i64()).collect())
            .unwrap_or_default();
        if let Some(id) = body.get("id").and_then(Value::as_i64) {
            ids.push(id);
        }
        if let Some(id) = arguments.get("request_id").and_then(Value::as_i64)
            && !ids.contains(&id)
        {
            ids.push(id);
        }
        let now = self.state.now().unix_timestamp();
        let actor = self.user.id;
        let detail = json!({"client": self.client, "tool": tool});
        let written = self
            .state
            .db
            .write(move |tx| {
                for id in &ids {
                    crate::engine::record(
                        tx,
                        now,
                        Some(actor),
                        Some(*id),
                        "via_assistant",
                        detail.clone(),
                    )?;
                }
                Ok(())
            })
            .await;
        if let Err(error) = written {
            tracing::error!(%error, tool, "could not audit an MCP tool call");
        }
    }

    /// Call the REST API as the token's user, marked as through this assistant.
    async fn call_api(&self, call: tools::ApiCall) -> (StatusCode, Value) {
        use tower::ServiceExt;
        let mut builder = axum::http::Request::builder()
            .method(call.method)
            .uri(&call.uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            builder = builder.header(header::AUTHORIZATION, token.clone());
        }
        let body = call.body.map(|b| b.to_string()).unwrap_or_default();
        let Ok(mut request) = builder.body(Body::from(body)) else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"message": "internal error"}),
            );
        };
        request
            .extensions_mut()
            .insert(Assistant(self.client.clone()));
        let Ok(response) = self.api.0.clone().oneshot(request).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }
}
