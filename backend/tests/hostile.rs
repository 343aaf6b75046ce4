//! Hostile input: oversized bodies, wrong types, foreign ids, and injection in
//! every text field — each refused or stored inert, nothing partly written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::TestApp;
use serde_json::json;

const SQL: &str = "'); DROP TABLE requests; --";
const SCRIPT: &str = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>";

async fn request_count(app: &TestApp) -> i64 {
    app.db
        .call(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let huge = format!(
        r#"{{"items":[],"duration_seconds":3600,"justification":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let request = Request::post("/api/v1/requests")
        .header(header::COOKIE, &alice)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(huge))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body["code"], "payload_too_large");
    assert_eq!(request_count(&app).await, 0);
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_bad_requests() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    for body in [
        json!({"items": "all of them", "duration_seconds": 3600}),
        json!({"items": [{"resource_id": "1", "permission": "read"}], "duration_seconds": 3600}),
        json!({"items": [], "duration_seconds": "an hour"}),
        json!({"items": []}),
        json!([1, 2, 3]),
        json!(null),
    ] {
        let answer = app.post("/api/v1/requests", &alice, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["code"], "bad_request");
    }
    let not_json = Request::post("/api/v1/requests")
        .header(header::COOKIE, &alice)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    assert_eq!(app.send(not_json).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(request_count(&app).await, 0);
}

#[tokio::test]
async fn injection_in_text_fields_is_stored_inert_and_returned_as_text() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let bucket = app.resource("s3://acme-logs").await;
    let justification = format!("{SQL} {SCRIPT} because OPS-1 needs it");
    let made = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": 3600,
                   "justification": justification, "ticket_type": "Jira", "ticket_id": SQL}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["requests"][0]["id"].as_i64().unwrap();
    let reason = format!("{SCRIPT}{SQL}");
    app.post(
        &format!("/api/v1/requests/{id}/reject"),
        &bob,
        json!({"reason": reason}),
    )
    .await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["justification"], justification);
    assert_eq!(detail.body["ticket_id"], SQL);
    assert_eq!(detail.body["rejection_reason"], reason);
    assert!(
        detail.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // The tables are all still there.
    assert_eq!(request_count(&app).await, 1);

    // Search and filters treat it as text too.
    let search = app
        .get(
            &format!("/api/v1/resources?search={}", urlencoding(SQL)),
            &alice,
        )
        .await;
    assert_eq!(search.status, StatusCode::OK);
    assert_eq!(search.body["total"], 0);
    let permission = app
        .get(
            &format!("/api/v1/resources?permission={}", urlencoding(SQL)),
            &alice,
        )
        .await;
    assert_eq!(permission.body["total"], 0);
}

#[tokio::test]
async fn injection_in_admin_names_is_stored_inert() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let made = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": format!("{SCRIPT}{SQL}"), "kind": "demo", "admin_message": SCRIPT}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let listed = app.get("/api/v1/integrations", &carol).await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["admin_message"] == SCRIPT)
    );
    let group = app
        .post("/api/v1/admin/groups", &carol, json!({"name": SQL}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED);
    assert_eq!(
        app.get("/api/v1/admin/groups", &carol)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn foreign_and_unknown_ids_are_refused_without_revealing_anything() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    app.add_user("dave").await;
    let dave = app.login("dave").await;
    let docs = app.resource("acme/docs").await;
    let made = app.post("/api/v1/requests", &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})).await;
    let id = made.body["requests"][0]["id"].as_i64().unwrap();
    // Someone else's request and one that does not exist answer the same.
    for uri in [
        format!("/api/v1/requests/{id}"),
        "/api/v1/requests/999999".to_owned(),
    ] {
        let answer = app.get(&uri, &dave).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(!answer.body.to_string().contains("acme"), "{}", answer.body);
    }
    for action in ["revoke", "cancel", "extend", "approve", "request-again"] {
        let answer = app
            .post(
                &format!("/api/v1/requests/{id}/{action}"),
                &dave,
                json!({"justification": "x", "reason": "x"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/favorite"),
            Some(&dave),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    for bad in ["-1", "abc", "99999999999999999999", "1.5"] {
        let answer = app.get(&format!("/api/v1/requests/{bad}"), &alice).await;
        assert!(
            answer.status == StatusCode::BAD_REQUEST || answer.status == StatusCode::NOT_FOUND,
            "{bad}: {}",
            answer.status
        );
        assert!(answer.body["code"].is_string(), "{bad}");
    }
    // Still Active, untouched.
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &alice)
            .await
            .body["status"],
        "Active"
    );
}

#[tokio::test]
async fn a_refused_submission_in_a_multi_flow_form_writes_nothing() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let orders = app.resource("orders").await;
    let bucket = app.resource("s3://acme-logs").await;
    // Two flows would accept their parts; the AWS part lacks its ticket: nothing at all is written.
    let answer = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": docs, "permission": "read"}, {"resource_id": orders, "permission": "read-only"}, {"resource_id": bucket, "permission": "read-only"}],
                   "duration_seconds": 3600, "justification": "Fixing OPS-3 because it is broken"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "ticket_id");
    assert_eq!(request_count(&app).await, 0);
    let audit: i64 = app
        .db
        .call(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM audit_log WHERE request_id IS NOT NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(audit, 0);
}

fn urlencoding(text: &str) -> String {
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

#[tokio::test]
async fn text_with_a_nul_character_is_refused_on_every_store() {
    // PostgreSQL cannot keep NUL in text; SQLite could. Both refuse it the same way.
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let groups_before = app.get("/api/v1/admin/groups", &carol).await.body;
    let made = app
        .post(
            "/api/v1/admin/groups",
            &carol,
            json!({"name": "on\u{0}call", "member_ids": []}),
        )
        .await;
    assert_eq!(made.status, StatusCode::BAD_REQUEST, "{}", made.body);
    assert!(made.body["message"].as_str().unwrap().contains("NUL"));
    assert_eq!(
        app.get("/api/v1/admin/groups", &carol).await.body,
        groups_before
    );
    let search = app.get("/api/v1/resources?search=a%00b", &carol).await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST, "{}", search.body);
    // An escaped backslash before "u0000" is ordinary text.
    let fine = app
        .post(
            "/api/v1/admin/groups",
            &carol,
            json!({"name": "back\\u0000slash", "member_ids": []}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.body);
    assert_eq!(fine.body["name"], "back\\u0000slash");
}
