//! Bounded under load: every expensive path has a limit, and past it the
//! input is refused with its status and code, naming what is too large, and
//! nothing is written. The audit log's answers stream a page of entries at a
//! time and still hold every entry, in order. (The README's *Bounds* table
//! lists each bound and the test that proves it.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::{Answer, GOOD_WHY, TestApp, pending_orders_request, scim_send as scim, scim_token};
use gatehouse_shared::requests::{AuditEntry, AuditPage};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

// ---------------------------------------------------------------- helpers

fn scim_user(user_name: &str) -> String {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
           "name": {"givenName": "Load", "familyName": "Test"},
           "emails": [{"value": user_name, "primary": true}], "active": true})
    .to_string()
}

fn patch(operations: Vec<Value>) -> String {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
        .to_string()
}

/// Users SCIM finds with `filter`.
async fn scim_total(app: &TestApp, token: &str, resource: &str, filter: &str) -> i64 {
    let uri = format!("/scim/v2/{resource}?filter={}", urlencode(filter));
    let found = scim(app, Method::GET, &uri, token, None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    found.body["totalResults"].as_i64().unwrap()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn mcp_token(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let created = app
        .post("/api/v1/tokens", &cookie, json!({"name": "assistant"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["secret"].as_str().unwrap().to_owned()
}

async fn mcp(app: &TestApp, token: &str, body: String) -> Answer {
    let request = Request::post("/mcp")
        .header(header::HOST, "gatehouse.test")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("mcp-protocol-version", "2025-03-26")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// alice's requests, as she lists them.
async fn my_request_count(app: &TestApp, alice: &str) -> usize {
    let mine = app.get("/api/v1/requests?limit=1000", alice).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    mine.body["items"].as_array().unwrap().len()
}

/// Every entry of the audit log, as the admin API's JSON page says.
async fn audit_entries(app: &TestApp, admin: &str) -> Vec<AuditEntry> {
    let page = app.get("/api/v1/admin/audit?limit=10000", admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page: AuditPage = serde_json::from_value(page.body).unwrap();
    assert!(page.next_cursor.is_none());
    page.items
}

// ------------------------------------------------ page sizes and searches

#[tokio::test]
async fn every_list_refuses_a_page_larger_than_its_maximum_and_serves_the_maximum() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    for (list, largest) in [
        ("/api/v1/requests", 1000),
        ("/api/v1/approvals", 1000),
        ("/api/v1/approvals/break-glass", 1000),
        ("/api/v1/admin/break-glass", 1000),
        ("/api/v1/delegated-requests", 1000),
        ("/api/v1/favorites", 1000),
        ("/api/v1/bundles", 1000),
        ("/api/v1/resources", 1000),
        ("/api/v1/users", 100),
        ("/api/v1/admin/audit", 10_000),
    ] {
        let over = app
            .get(&format!("{list}?limit={}", largest + 1), &carol)
            .await;
        assert_eq!(
            over.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{list}: {}",
            over.body
        );
        assert_eq!(over.body["code"], "validation_failed", "{list}");
        assert_eq!(over.body["field"], "limit", "{list}");
        let zero = app.get(&format!("{list}?limit=0"), &carol).await;
        assert_eq!(zero.body["field"], "limit", "{list}");
        let most = app.get(&format!("{list}?limit={largest}"), &carol).await;
        assert_eq!(most.status, StatusCode::OK, "{list}: {}", most.body);
    }
}

#[tokio::test]
async fn search_text_and_multi_select_filters_are_bounded() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let long = "x".repeat(201);
    for list in [
        "/api/v1/resources",
        "/api/v1/resources/ids",
        "/api/v1/bundles",
        "/api/v1/users",
    ] {
        let answer = app.get(&format!("{list}?search={long}"), &alice).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{list}");
        assert_eq!(answer.body["field"], "search", "{list}");
        let fine = app
            .get(&format!("{list}?search={}", "x".repeat(200)), &alice)
            .await;
        assert_eq!(fine.status, StatusCode::OK, "{list}: {}", fine.body);
    }
    for filter in ["resource_type_id", "permission"] {
        let values: Vec<String> = (1..=101).map(|i| format!("{filter}={i}")).collect();
        let answer = app
            .get(&format!("/api/v1/resources?{}", values.join("&")), &alice)
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{filter}");
        assert_eq!(answer.body["field"], filter);
        let hundred = values[..100].join("&");
        let fine = app
            .get(&format!("/api/v1/resources?{hundred}"), &alice)
            .await;
        assert_eq!(fine.status, StatusCode::OK, "{filter}: {}", fine.body);
    }
}

#[tokio::test]
async fn a_request_list_takes_each_status_at_most_once() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let statuses = ["status=Active"; 11].join("&");
    for list in ["/api/v1/requests", "/api/v1/approvals", "/api/v1/favorites"] {
        let answer = app.get(&format!("{list}?{statuses}"), &alice).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{list}");
        assert_eq!(answer.body["field"], "status", "{list}");
        let ten = ["status=Active"; 10].join("&");
        let fine = app.get(&format!("{list}?{ten}"), &alice).await;
        assert_eq!(fine.status, StatusCode::OK, "{list}: {}", fine.body);
    }
}

#[tokio::test]
async fn slacks_endpoints_refuse_a_body_over_a_mebibyte_before_reading_it() {
    let app = TestApp::with_demo().await;
    for path in [
        "/slack/commands",
        "/slack/interactions",
        "/slack/options",
        "/slack/events",
    ] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "payload={}",
                "x".repeat(2 * 1024 * 1024)
            )))
            .unwrap();
        let answer = app.send(request).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}

// ------------------------------------------------------- bulk decisions

#[tokio::test]
async fn a_bulk_rejection_with_too_long_a_reason_is_refused_once_and_decides_nothing() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let first = pending_orders_request(&app, &alice).await;
    let second = pending_orders_request(&app, &alice).await;
    let audit_before = audit_entries(&app, &carol).await.len();
    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "reject", "ids": [first, second], "reason": "x".repeat(1001)}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["field"], "reason");
    assert!(answer.body["message"].as_str().unwrap().contains("1000"));
    for id in [first, second] {
        let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
        assert_eq!(detail.body["status"], "Pending Approval");
    }
    assert_eq!(audit_entries(&app, &carol).await.len(), audit_before);
    // A reason of 1000 characters is taken.
    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "reject", "ids": [first, second], "reason": "x".repeat(1000)}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["succeeded"], 2, "{}", answer.body);
}

// -------------------------------------------------------- admin and assist

#[tokio::test]
async fn a_group_of_more_than_ten_thousand_members_is_refused_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let before = app.get("/api/v1/admin/groups", &carol).await.body;
    let members: Vec<i64> = (1..=10_001).collect();
    let made = app
        .post(
            "/api/v1/admin/groups",
            &carol,
            json!({"name": "everyone", "member_ids": members}),
        )
        .await;
    assert_eq!(
        made.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        made.body
    );
    assert_eq!(made.body["field"], "member_ids");
    assert!(made.body["message"].as_str().unwrap().contains("10000"));
    assert_eq!(app.get("/api/v1/admin/groups", &carol).await.body, before);
}

#[tokio::test]
async fn more_than_a_thousand_assist_aliases_are_refused_and_the_table_is_kept() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let before = app.get("/api/v1/admin/assist/aliases", &carol).await;
    assert_eq!(before.status, StatusCode::OK);
    let aliases: Vec<Value> = (0..1001)
        .map(|i| json!({"term": format!("term{i}"), "means": ["inventory"]}))
        .collect();
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/admin/assist/aliases",
            Some(&carol),
            Some(json!({"aliases": aliases})),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["field"], "aliases");
    assert_eq!(
        app.get("/api/v1/admin/assist/aliases", &carol).await.body,
        before.body
    );
}

#[tokio::test]
async fn a_person_holds_at_most_a_hundred_api_tokens() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    for i in 0..100 {
        let made = app
            .post("/api/v1/tokens", &alice, json!({"name": format!("t{i}")}))
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{i}: {}", made.body);
    }
    let refused = app
        .post("/api/v1/tokens", &alice, json!({"name": "one more"}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["code"], "conflict");
    assert!(refused.body["message"].as_str().unwrap().contains("100"));
    let listed = app.get("/api/v1/tokens", &alice).await;
    let tokens = listed.body.as_array().unwrap();
    assert_eq!(tokens.len(), 100);
    assert!(tokens.iter().all(|t| t["name"] != "one more"));
    // Revoking one makes room again.
    let id = tokens[0]["id"].as_i64().unwrap();
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let made = app
        .post("/api/v1/tokens", &alice, json!({"name": "one more"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

// ------------------------------------------------------------------- SCIM

#[tokio::test]
async fn a_scim_body_over_a_mebibyte_is_refused_with_413_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let huge = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "huge@example.com", "displayName": "x".repeat(2 * 1024 * 1024)})
    .to_string();
    let answer = scim(&app, Method::POST, "/scim/v2/Users", &token, Some(huge)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body["status"], "413");
    assert_eq!(
        scim_total(&app, &token, "Users", r#"userName eq "huge@example.com""#).await,
        0
    );
}

#[tokio::test]
async fn a_scim_list_answers_at_most_two_hundred_resources() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    for i in 0..205 {
        let made = scim(
            &app,
            Method::POST,
            "/scim/v2/Users",
            &token,
            Some(scim_user(&format!("load{i}@example.com"))),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let listed = scim(&app, Method::GET, "/scim/v2/Users?count=500", &token, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["itemsPerPage"], 200);
    assert_eq!(listed.body["Resources"].as_array().unwrap().len(), 200);
    assert!(listed.body["totalResults"].as_i64().unwrap() >= 205);
    let searched = scim(
        &app,
        Method::POST,
        "/scim/v2/Users/.search",
        &token,
        Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 100_000}).to_string()),
    )
    .await;
    assert_eq!(searched.body["itemsPerPage"], 200, "{}", searched.body);
    let config = scim(
        &app,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        &token,
        None,
    )
    .await;
    assert_eq!(config.body["filter"]["maxResults"], 200);
}

#[tokio::test]
async fn a_scim_filter_or_attribute_list_over_a_thousand_characters_is_refused() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let long_filter = format!(r#"userName eq "{}""#, "x".repeat(1000));
    let answer = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Users?filter={}", urlencode(&long_filter)),
        &token,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["scimType"], "invalidFilter");
    assert!(answer.body["detail"].as_str().unwrap().contains("1000"));
    let searched = scim(
        &app,
        Method::POST,
        "/scim/v2/Groups/.search",
        &token,
        Some(json!({"filter": long_filter.replace("userName", "displayName")}).to_string()),
    )
    .await;
    assert_eq!(
        searched.body["scimType"], "invalidFilter",
        "{}",
        searched.body
    );
    // At the bound, the filter is answered (and finds no one).
    let fitting = format!(r#"userName eq "{}""#, "x".repeat(1000 - 14));
    assert_eq!(fitting.chars().count(), 1000);
    assert_eq!(scim_total(&app, &token, "Users", &fitting).await, 0);

    let names = vec!["displayName"; 100].join(",");
    for parameter in ["attributes", "excludedAttributes"] {
        let answer = scim(
            &app,
            Method::GET,
            &format!("/scim/v2/Users?{parameter}={names}"),
            &token,
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(answer.body["scimType"], "invalidValue");
        assert!(answer.body["detail"].as_str().unwrap().contains(parameter));
    }
    let fine = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?attributes=userName,displayName",
        &token,
        None,
    )
    .await;
    assert_eq!(fine.status, StatusCode::OK);
}

#[tokio::test]
async fn a_scim_patch_of_more_than_a_thousand_operations_is_refused_and_changes_nothing() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let made = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &token,
        Some(scim_user("pat@example.com")),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let uri = format!("/scim/v2/Users/{}", made.body["id"].as_str().unwrap());
    let before = scim(&app, Method::GET, &uri, &token, None).await.body;
    let operations: Vec<Value> = (0..1001)
        .map(|i| json!({"op": "replace", "path": "displayName", "value": format!("Name {i}")}))
        .collect();
    let answer = scim(
        &app,
        Method::PATCH,
        &uri,
        &token,
        Some(patch(operations.clone())),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["scimType"], "invalidValue");
    assert!(answer.body["detail"].as_str().unwrap().contains("1000"));
    assert_eq!(
        scim(&app, Method::GET, &uri, &token, None).await.body,
        before
    );
    // A thousand are applied, in order.
    let answer = scim(
        &app,
        Method::PATCH,
        &uri,
        &token,
        Some(patch(operations[..1000].to_vec())),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["displayName"], "Name 999");
}

#[tokio::test]
async fn a_scim_group_of_more_than_ten_thousand_members_is_refused_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let members: Vec<Value> = (1..=10_001)
        .map(|i| json!({"value": i.to_string()}))
        .collect();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "all-staff", "members": members})
    .to_string();
    let answer = scim(&app, Method::POST, "/scim/v2/Groups", &token, Some(group)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["scimType"], "invalidValue");
    assert!(answer.body["detail"].as_str().unwrap().contains("10000"));
    assert_eq!(
        scim_total(&app, &token, "Groups", r#"displayName eq "all-staff""#).await,
        0
    );
    // Repeats count once: 10001 entries naming one user make a group of one.
    let alice = app.user_id("alice").await.to_string();
    let repeated: Vec<Value> = (0..10_001).map(|_| json!({"value": alice})).collect();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "all-alice", "members": repeated})
    .to_string();
    let made = scim(&app, Method::POST, "/scim/v2/Groups", &token, Some(group)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["members"].as_array().unwrap().len(), 1);
    // A PATCH that would take the group past the bound changes nothing.
    let uri = format!("/scim/v2/Groups/{}", made.body["id"].as_str().unwrap());
    let more: Vec<Value> = (1_000_000..1_010_001)
        .map(|i| json!({"value": i.to_string()}))
        .collect();
    let answer = scim(
        &app,
        Method::PATCH,
        &uri,
        &token,
        Some(patch(vec![
            json!({"op": "add", "path": "members", "value": more}),
        ])),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body["detail"].as_str().unwrap().contains("10000"));
    let now = scim(&app, Method::GET, &uri, &token, None).await;
    assert_eq!(now.body["members"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_scim_user_with_more_than_sixteen_kib_of_attributes_is_refused() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let emails: Vec<Value> = (0..1000)
        .map(|i| json!({"value": format!("alias{i}@example.com"), "type": "other"}))
        .collect();
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "many@example.com", "emails": emails})
    .to_string();
    let answer = scim(&app, Method::POST, "/scim/v2/Users", &token, Some(user)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["scimType"], "invalidValue");
    assert!(answer.body["detail"].as_str().unwrap().contains("16 KiB"));
    assert_eq!(
        scim_total(&app, &token, "Users", r#"userName eq "many@example.com""#).await,
        0
    );
    // The same user with a few addresses is made.
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "many@example.com", "emails": emails[..5]})
    .to_string();
    let made = scim(&app, Method::POST, "/scim/v2/Users", &token, Some(user)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

// -------------------------------------------------------------------- MCP

#[tokio::test]
async fn an_mcp_batch_of_more_than_fifty_messages_is_refused_whole() {
    let app = TestApp::with_demo().await;
    let token = mcp_token(&app, "alice").await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let before = my_request_count(&app, &alice).await;
    let create = json!({"jsonrpc": "2.0", "id": 0, "method": "tools/call", "params": {
        "name": "create_access_request",
        "arguments": {"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "justification": GOOD_WHY, "allow_duplicate": true}}});
    let mut batch = vec![create.clone()];
    batch.extend((1..=50).map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "ping"})));
    let answer = mcp(&app, &token, Value::Array(batch.clone()).to_string()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], -32600);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("50")
    );
    assert_eq!(
        my_request_count(&app, &alice).await,
        before,
        "nothing was made"
    );
    // Fifty are answered, each.
    batch.pop();
    let answer = mcp(&app, &token, Value::Array(batch).to_string()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answers = answer.body.as_array().unwrap();
    assert_eq!(answers.len(), 50);
    assert_eq!(answers[0]["result"]["isError"], false, "{}", answers[0]);
    assert_eq!(my_request_count(&app, &alice).await, before + 1);
}

#[tokio::test]
async fn an_mcp_message_over_a_mebibyte_is_refused_with_413_and_does_nothing() {
    let app = TestApp::with_demo().await;
    let token = mcp_token(&app, "alice").await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let before = my_request_count(&app, &alice).await;
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "create_access_request",
        "arguments": {"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600,
                      "justification": GOOD_WHY, "ticket_id": "x".repeat(1024 * 1024)}}});
    let answer = mcp(&app, &token, message.to_string()).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["error"]["code"], -32600);
    assert_eq!(my_request_count(&app, &alice).await, before);
}

// ------------------------------------------------------- audit log export

/// Append `count` entries to the audit log through the store, with text
/// that CSV must quote (commas, quotes, new lines, a leading `=`).
async fn grow_audit_log(app: &TestApp, count: usize) {
    let alice = app.user_id("alice").await;
    let start = {
        use gatehouse::clock::Clock;
        app.clock.now().unix_timestamp()
    };
    app.db
        .write(move |tx| {
            for i in 0..count {
                let actor = (i % 3 != 0).then_some(alice);
                let request = (i % 2 == 0).then_some(i as i64 + 1);
                gatehouse::store::audit::record(
                    tx,
                    start + i as i64,
                    actor,
                    request,
                    &format!("bounds.test.{i}"),
                    json!({"n": i, "note": format!("=SUM(A{i}), \"quoted\"\nline two")}),
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// The answer to `uri` as `cookie`, as its status, content type, body
/// bytes and the number of data frames it came in.
async fn raw(app: &TestApp, uri: &str, cookie: &str) -> (StatusCode, String, Vec<u8>, usize) {
    let request = Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut frames = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            assert!(
                !data.is_empty(),
                "an empty chunk would end a chunked answer"
            );
            frames += 1;
            bytes.extend_from_slice(&data);
        }
    }
    (status, content_type, bytes, frames)
}

/// A CSV field as the export writes it: quoted, a leading formula
/// character made inert.
fn csv_field(text: &str) -> String {
    let inert = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

fn csv_line(entry: &AuditEntry) -> String {
    let at = entry
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        "{},{},{},{},{},{},{}\n",
        entry.id,
        csv_field(&at),
        entry
            .actor
            .as_ref()
            .map(|a| a.id.to_string())
            .unwrap_or_default(),
        csv_field(
            entry
                .actor
                .as_ref()
                .map_or("gatehouse", |a| a.username.as_str())
        ),
        entry
            .request_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        csv_field(&entry.action),
        csv_field(&entry.detail.to_string()),
    )
}

#[tokio::test]
async fn a_large_audit_log_streams_every_entry_in_order_in_each_format() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let seeded = audit_entries(&app, &carol).await.len();
    grow_audit_log(&app, 1234).await;
    let total = seeded + 1234;

    // JSON lines: every entry, oldest first, in pages (several chunks).
    let (status, content_type, jsonl, frames) =
        raw(&app, "/api/v1/admin/audit?format=jsonl&limit=10000", &carol).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/x-ndjson");
    assert!(
        frames >= 3,
        "1234+ entries in pages of 500 came in {frames} chunk(s)"
    );
    let text = String::from_utf8(jsonl).unwrap();
    let entries: Vec<AuditEntry> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(entries.len(), total);
    assert!(
        entries.windows(2).all(|w| w[1].id == w[0].id + 1),
        "in order, none missing"
    );
    assert_eq!(entries[total - 1].action, "bounds.test.1233");
    assert_eq!(entries[seeded].action, "bounds.test.0");
    // Byte for byte what serializing each entry whole gives.
    let expected: String = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    assert_eq!(text, expected);

    // The JSON page: the same entries, byte for byte one AuditPage.
    let (status, content_type, json_body, _) =
        raw(&app, "/api/v1/admin/audit?limit=10000", &carol).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    let page = AuditPage {
        items: entries.clone(),
        next_cursor: None,
    };
    assert_eq!(
        String::from_utf8(json_body).unwrap(),
        serde_json::to_string(&page).unwrap()
    );

    // CSV: the header, then one line per entry, in the same order.
    let (status, content_type, csv, _) =
        raw(&app, "/api/v1/admin/audit?format=csv&limit=10000", &carol).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let expected: String =
        std::iter::once("id,at,actor_id,actor,request_id,action,detail\n".to_owned())
            .chain(entries.iter().map(csv_line))
            .collect();
    assert_eq!(String::from_utf8(csv).unwrap(), expected);

    // Newest first: the same entries reversed.
    let (_, _, newest, _) = raw(
        &app,
        "/api/v1/admin/audit?format=jsonl&order=newest&limit=10000",
        &carol,
    )
    .await;
    let newest: Vec<i64> = String::from_utf8(newest)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<AuditEntry>(line).unwrap().id)
        .collect();
    let mut oldest: Vec<i64> = entries.iter().map(|e| e.id).collect();
    oldest.reverse();
    assert_eq!(newest, oldest);
}

#[tokio::test]
async fn audit_pages_across_reads_carry_the_right_cursor() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    grow_audit_log(&app, 1234).await;
    let all = audit_entries(&app, &carol).await;
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    // Limits below, at and past a read of 500, and at the end of the log.
    for limit in [1, 499, 500, 501, 700, 1000, ids.len() - 1, ids.len()] {
        let mut seen = Vec::new();
        let mut uri = format!("/api/v1/admin/audit?limit={limit}");
        loop {
            let page = app.get(&uri, &carol).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let page: AuditPage = serde_json::from_value(page.body).unwrap();
            assert!(page.items.len() <= limit);
            seen.extend(page.items.iter().map(|e| e.id));
            match page.next_cursor {
                Some(cursor) => {
                    assert_eq!(page.items.len(), limit, "a full page before a cursor");
                    assert_eq!(Some(cursor), page.items.last().map(|e| e.id));
                    uri = format!("/api/v1/admin/audit?limit={limit}&cursor={cursor}");
                }
                None => break,
            }
            if limit == 1 && seen.len() >= 3 {
                break;
            }
        }
        if limit == 1 {
            assert_eq!(seen, ids[..3]);
        } else {
            assert_eq!(seen, ids, "limit {limit}");
        }
    }
}

#[tokio::test]
async fn an_audit_answer_over_ten_thousand_entries_is_refused() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    for format in ["json", "jsonl", "csv"] {
        let answer = app
            .get(
                &format!("/api/v1/admin/audit?format={format}&limit=10001"),
                &carol,
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{format}");
        assert_eq!(answer.body["field"], "limit");
        assert!(answer.body["message"].as_str().unwrap().contains("10000"));
    }
}
