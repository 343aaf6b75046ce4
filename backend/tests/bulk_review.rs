//! The bulk review console: one decision on many requests, answered per
//! request, each decided in its own transaction as its own call would be.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::{GOOD_WHY, TestApp, audit_log};
use gatehouse::store::sql::params;
use serde_json::{Value, json};

/// alice asks for read-only on a demo database (Production databases: bob approves).
async fn database_request(app: &TestApp, cookie: &str, path: &str) -> i64 {
    let resource = app.resource(path).await;
    let answer = app
        .post(
            "/api/v1/requests",
            cookie,
            json!({"items": [{"resource_id": resource, "permission": "read-only"}],
                "duration_seconds": 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["requests"][0]["status"], "Pending Approval");
    answer.body["requests"][0]["id"].as_i64().unwrap()
}

/// carol becomes a second approver of Production databases (any one decides).
async fn carol_approves_databases_too(app: &TestApp) {
    let carol = app.user_id("carol").await;
    app.db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO flow_approvers (flow_id, step, kind, subject_id)
                 SELECT id, 0, 'user', ?1 FROM access_flows WHERE name = 'Production databases'",
                params![carol],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn status_of(app: &TestApp, cookie: &str, id: i64) -> String {
    let answer = app.get(&format!("/api/v1/requests/{id}"), cookie).await;
    answer.body["status"].as_str().unwrap().to_owned()
}

fn result_of(body: &Value, id: i64) -> &Value {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}: {body}"))
}

#[tokio::test]
async fn a_bulk_approval_answers_per_request_and_decides_the_rest() {
    let app = TestApp::with_demo().await;
    carol_approves_databases_too(&app).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let billing = database_request(&app, &alice, "billing").await;
    let orders = database_request(&app, &alice, "orders").await;
    let analytics = database_request(&app, &alice, "analytics").await;
    let customers = database_request(&app, &alice, "customers").await;
    // bob's own request is not his to decide.
    let own = database_request(&app, &bob, "inventory").await;
    // carol decides analytics first.
    let by_carol = app
        .post(
            &format!("/api/v1/requests/{analytics}/approve"),
            &carol,
            json!({}),
        )
        .await;
    assert_eq!(by_carol.status, StatusCode::OK, "{}", by_carol.body);

    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "approve", "ids": [billing, orders, analytics, own, customers, 999_999, billing]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = &answer.body;
    let ids: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![billing, orders, analytics, own, customers, 999_999],
        "in the order sent, each once"
    );
    assert_eq!(body["succeeded"], 3);
    assert_eq!(body["failed"], 3);
    for id in [billing, orders, customers] {
        let result = result_of(body, id);
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["outcome"], "approved");
        assert_ne!(result["status"], "Pending Approval");
        assert_ne!(status_of(&app, &alice, id).await, "Pending Approval");
    }
    let decided = result_of(body, analytics);
    assert_eq!(decided["ok"], false);
    assert_eq!(decided["http_status"], 409, "already decided by carol");
    assert!(
        decided["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already decided by someone else: it is"),
        "{decided}"
    );
    let mine = result_of(body, own);
    assert_eq!(mine["http_status"], 403);
    assert_eq!(mine["status"], "Pending Approval", "untouched");
    let missing = result_of(body, 999_999);
    assert_eq!(missing["http_status"], 404);
    assert!(missing.get("status").is_none());

    // Each approval is audited as bob's, once; carol's stays hers.
    let log = audit_log(&app).await;
    assert_eq!(log.iter().filter(|(a, _)| a == "approved").count(), 4);
    let detail = app
        .get(&format!("/api/v1/requests/{billing}"), &alice)
        .await;
    let approvals = detail.body["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["approver"]["username"], "bob");
    assert_eq!(
        app.get("/api/v1/approvals/count", &bob).await.body["waiting"],
        0
    );
}

#[tokio::test]
async fn a_bulk_rejection_needs_one_reason_which_every_requester_sees() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let billing = database_request(&app, &alice, "billing").await;
    let orders = database_request(&app, &alice, "orders").await;
    for body in [
        json!({"action": "reject", "ids": [billing, orders]}),
        json!({"action": "reject", "ids": [billing, orders], "reason": "   "}),
    ] {
        let refused = app.post("/api/v1/approvals/bulk", &bob, body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.body["field"], "reason");
    }
    assert_eq!(status_of(&app, &alice, billing).await, "Pending Approval");

    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "reject", "ids": [billing, orders], "reason": "Use the reporting replica."}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["succeeded"], 2);
    for id in [billing, orders] {
        assert_eq!(result_of(&answer.body, id)["outcome"], "rejected");
        assert_eq!(result_of(&answer.body, id)["status"], "Rejected");
        let seen = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
        assert_eq!(seen.body["rejection_reason"], "Use the reporting replica.");
    }
    // Deciding again is a per-request conflict, not a failed call.
    let again = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "approve", "ids": [billing]}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(result_of(&again.body, billing)["http_status"], 409);
}

#[tokio::test]
async fn a_bulk_decision_is_capped_at_two_hundred_requests() {
    let app = TestApp::with_demo().await;
    let bob = app.login("bob").await;
    let too_many: Vec<i64> = (1..=201).collect();
    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "approve", "ids": too_many}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "ids");
    assert!(
        answer.body["message"].as_str().unwrap().contains("200"),
        "{}",
        answer.body
    );
    let none = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "approve", "ids": []}),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    // 200 distinct ids (none of them his) are decided one by one: all 404.
    let most: Vec<i64> = (100_001..=100_200).collect();
    let answer = app
        .post(
            "/api/v1/approvals/bulk",
            &bob,
            json!({"action": "approve", "ids": most}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["failed"], 200);
}
