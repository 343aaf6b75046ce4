//! The MCP endpoint in process: authentication and its challenge, Origin,
//! JSON-RPC errors, and the tools acting only as the token's user.
//! (`tests/mcp_client.rs` drives the real binary with the Python MCP SDK.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::{Answer, GOOD_WHY, TestApp};
use serde_json::{Value, json};

async fn token(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let created = app
        .post("/api/v1/tokens", &cookie, json!({"name": "assistant"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["secret"].as_str().unwrap().to_owned()
}

async fn mcp(
    app: &TestApp,
    token: Option<&str>,
    session: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/mcp")
        .header(header::HOST, "gatehouse.test")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(session) = session {
        builder = builder.header("mcp-session-id", session);
    }
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    app.send(builder.body(Body::from(body.to_owned())).unwrap())
        .await
}

/// initialize as `client`; the session id that names it.
async fn initialize(app: &TestApp, token: &str, client: &str) -> String {
    let answer = mcp(
        app,
        Some(token),
        None,
        &[],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": client, "version": "1.0"}}})
        .to_string(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["result"]["protocolVersion"], "2025-06-18");
    answer.headers["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn call_tool(
    app: &TestApp,
    token: &str,
    session: &str,
    name: &str,
    arguments: Value,
) -> Value {
    let answer = mcp(
        app,
        Some(token),
        Some(session),
        &[("mcp-protocol-version", "2025-06-18")],
        &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}).to_string(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["result"].clone()
}

#[tokio::test]
async fn without_a_token_the_answer_is_401_pointing_at_the_metadata() {
    let app = TestApp::with_demo().await;
    let answer = mcp(
        &app,
        None,
        None,
        &[],
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let challenge = answer.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains(
                "resource_metadata=\"http://gatehouse.test/.well-known/oauth-protected-resource\""
            ),
        "{challenge}"
    );
    let wrong = mcp(
        &app,
        Some("gh_not_a_token"),
        None,
        &[],
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A session cookie is not enough: assistants hold a token.
    let cookie = app.login("alice").await;
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/mcp")
        .header(header::COOKIE, cookie);
    builder = builder.header(header::CONTENT_TYPE, "application/json");
    let by_cookie = app
        .send(
            builder
                .body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(by_cookie.status, StatusCode::UNAUTHORIZED);

    let metadata = app
        .send(
            Request::builder()
                .uri("/.well-known/oauth-protected-resource")
                .header(header::HOST, "gatehouse.test")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(metadata.body["resource"], "http://gatehouse.test/mcp");
    assert_eq!(metadata.body["bearer_methods_supported"], json!(["header"]));
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_the_servers_own_is_not() {
    let app = TestApp::with_demo().await;
    let alice = token(&app, "alice").await;
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let foreign = mcp(
        &app,
        Some(&alice),
        None,
        &[("origin", "https://evil.example")],
        ping,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let own = mcp(
        &app,
        Some(&alice),
        None,
        &[("origin", "http://gatehouse.test")],
        ping,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.body["result"], json!({}));
}

#[tokio::test]
async fn malformed_messages_get_the_json_rpc_error_codes() {
    let app = TestApp::with_demo().await;
    let alice = token(&app, "alice").await;
    let parse = mcp(&app, Some(&alice), None, &[], "{not json").await;
    assert_eq!(parse.status, StatusCode::BAD_REQUEST);
    assert_eq!(parse.body["error"]["code"], -32700);
    assert_eq!(parse.body["id"], Value::Null);
    let invalid = mcp(
        &app,
        Some(&alice),
        None,
        &[],
        r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#,
    )
    .await;
    assert_eq!(invalid.body["error"]["code"], -32600);
    let no_method = mcp(&app, Some(&alice), None, &[], r#"{"jsonrpc":"2.0","id":3}"#).await;
    assert_eq!(no_method.body["error"]["code"], -32600);
    let unknown = mcp(
        &app,
        Some(&alice),
        None,
        &[],
        r#"{"jsonrpc":"2.0","id":4,"method":"resources/destroy"}"#,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body["error"]["code"], -32601);
    assert_eq!(unknown.body["id"], 4);
    let bad_params = mcp(&app, Some(&alice), None, &[], r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"approve_request","arguments":{}}}"#).await;
    assert_eq!(bad_params.body["error"]["code"], -32602);
    let notification = mcp(
        &app,
        Some(&alice),
        None,
        &[],
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    )
    .await;
    assert_eq!(notification.status, StatusCode::ACCEPTED);
    let old_version = mcp(
        &app,
        Some(&alice),
        None,
        &[("mcp-protocol-version", "2023-01-01")],
        r#"{"jsonrpc":"2.0","id":6,"method":"ping"}"#,
    )
    .await;
    assert_eq!(old_version.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn older_clients_get_the_version_they_speak() {
    let app = TestApp::with_demo().await;
    let alice = token(&app, "alice").await;
    for (asked, served) in [
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("2099-01-01", "2025-06-18"),
    ] {
        let answer = mcp(&app, Some(&alice), None, &[], &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "old", "version": "0"}}}).to_string()).await;
        assert_eq!(answer.body["result"]["protocolVersion"], served);
    }
}

#[tokio::test]
async fn an_assistant_files_a_request_for_its_user_and_another_token_sees_none_of_it() {
    let app = TestApp::with_demo().await;
    let alice = token(&app, "alice").await;
    let session = initialize(&app, &alice, "claude-desktop").await;
    let listed = mcp(
        &app,
        Some(&alice),
        Some(&session),
        &[],
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    )
    .await;
    let names: Vec<&str> = listed.body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 11);
    assert!(
        !names
            .iter()
            .any(|n| n.contains("approve") || n.contains("reject") || n.contains("reveal"))
    );

    let suggested = call_tool(
        &app,
        &alice,
        &session,
        "suggest_access",
        json!({"text": "I need to read last month's invoices"}),
    )
    .await;
    assert_eq!(suggested["isError"], false);
    let top = &suggested["structuredContent"]["suggestions"][0];
    assert_eq!(top["name"], "billing.invoices");
    assert_eq!(top["permission"], "read-only");
    let items = json!([{"resource_id": top["id"], "permission": "read-only"}]);

    let preview = call_tool(
        &app,
        &alice,
        &session,
        "preview_request",
        json!({"items": items}),
    )
    .await;
    assert_eq!(preview["isError"], false, "{preview}");
    let created = call_tool(
        &app,
        &alice,
        &session,
        "create_access_request",
        json!({"items": items, "duration_seconds": 3600, "justification": GOOD_WHY}),
    )
    .await;
    assert_eq!(created["isError"], false, "{created}");
    let request = &created["structuredContent"]["requests"][0];
    assert_eq!(request["status"], "Pending Approval");
    assert_eq!(request["via_assistant"], "claude-desktop");
    let id = request["id"].as_i64().unwrap();
    // In the portal the request says it came through an assistant, and the
    // audit trail names the client.
    let portal = app
        .get(&format!("/api/v1/requests/{id}"), &app.login("alice").await)
        .await;
    assert_eq!(
        portal.body["via_assistant"], "claude-desktop",
        "{}",
        portal.body
    );
    let carol = app.login("carol").await;
    let audit = app
        .get(&format!("/api/v1/admin/audit?request_id={id}"), &carol)
        .await;
    let entries = audit.body["items"].as_array().unwrap();
    let submitted = entries.iter().find(|e| e["action"] == "submitted").unwrap();
    assert_eq!(
        submitted["detail"]["via_assistant"], "claude-desktop",
        "{submitted}"
    );
    assert!(
        entries.iter().any(|e| e["action"] == "via_assistant"
            && e["detail"]["client"] == "claude-desktop"
            && e["detail"]["tool"] == "create_access_request"),
        "{entries:#?}"
    );

    let mine = call_tool(
        &app,
        &alice,
        &session,
        "list_my_requests",
        json!({"status": ["Pending Approval"]}),
    )
    .await;
    assert!(
        mine["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id)
    );

    // bob's token: none of alice's request through his assistant.
    let bob = token(&app, "bob").await;
    let bobs = initialize(&app, &bob, "vscode").await;
    let theirs = call_tool(&app, &bob, &bobs, "list_my_requests", json!({})).await;
    assert!(
        !theirs["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id)
    );
    let peek = call_tool(&app, &bob, &bobs, "get_request", json!({"request_id": id})).await;
    // bob approves this request, so he may see it: but he may not cancel it.
    let cancel_by_bob = call_tool(
        &app,
        &bob,
        &bobs,
        "cancel_request",
        json!({"request_id": id}),
    )
    .await;
    assert_eq!(cancel_by_bob["isError"], true, "{cancel_by_bob} {peek}");
    let erin = {
        app.add_user("erin").await;
        token(&app, "erin").await
    };
    let erins = initialize(&app, &erin, "vscode").await;
    let hidden = call_tool(
        &app,
        &erin,
        &erins,
        "get_request",
        json!({"request_id": id}),
    )
    .await;
    assert_eq!(hidden["isError"], true);
    assert!(
        hidden["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("404")
    );

    let cancelled = call_tool(
        &app,
        &alice,
        &session,
        "cancel_request",
        json!({"request_id": id}),
    )
    .await;
    assert_eq!(cancelled["isError"], false, "{cancelled}");
    // Cancelling a pending request closes it as Revoked (PRODUCT.md).
    assert_eq!(cancelled["structuredContent"]["status"], "Revoked");
}

#[tokio::test]
async fn a_flow_can_refuse_requests_made_through_assistants() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let flows = app.get("/api/v1/admin/access-flows", &carol).await;
    let mut flow = flows
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Production databases")
        .unwrap()
        .clone();
    assert_eq!(
        flow["assistants_allowed"], true,
        "flows take assistants unless told otherwise"
    );
    let id = flow["id"].as_i64().unwrap();
    flow["assistants_allowed"] = json!(false);
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/access-flows/{id}"),
            Some(&carol),
            Some(flow),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["assistants_allowed"], false);

    let alice = token(&app, "alice").await;
    let session = initialize(&app, &alice, "claude-desktop").await;
    let orders = app.resource("orders").await;
    let items = json!([{"resource_id": orders, "permission": "read-only"}]);
    let preview = call_tool(
        &app,
        &alice,
        &session,
        "preview_request",
        json!({"items": items, "duration_seconds": 3600, "justification": GOOD_WHY}),
    )
    .await;
    let problems = preview["structuredContent"]["problems"].to_string();
    assert!(
        problems.contains("does not take requests made through an AI assistant"),
        "{preview}"
    );
    let refused = call_tool(
        &app,
        &alice,
        &session,
        "create_access_request",
        json!({"items": items, "duration_seconds": 3600, "justification": GOOD_WHY}),
    )
    .await;
    assert_eq!(refused["isError"], true);
    assert!(
        refused["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Production databases"),
        "{refused}"
    );
    // Nothing was written, and the portal still takes the same request.
    let mine = call_tool(&app, &alice, &session, "list_my_requests", json!({})).await;
    assert!(
        mine["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let cookie = app.login("alice").await;
    let by_hand = app
        .post(
            "/api/v1/requests",
            &cookie,
            json!({"items": items, "duration_seconds": 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::CREATED, "{}", by_hand.body);
    assert!(by_hand.body["requests"][0].get("via_assistant").is_none());
}
