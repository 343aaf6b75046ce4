//! The access-request engine through its REST API, a test per rule of PRODUCT.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::{GOOD_WHY, TestApp, active_docs_request, pending_orders_request};
use gatehouse::connector::{Connector, Credentials, Grant, Outcome};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

async fn submit(app: &TestApp, cookie: &str, body: Value) -> common::Answer {
    app.post("/api/v1/requests", cookie, body).await
}

async fn status_of(app: &TestApp, cookie: &str, id: i64) -> String {
    let answer = app.get(&format!("/api/v1/requests/{id}"), cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["status"].as_str().unwrap().to_owned()
}

async fn my_request_count(app: &TestApp, cookie: &str) -> usize {
    app.get("/api/v1/requests", cookie).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn submission_is_split_per_access_flow() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let docs = app.resource("acme/docs").await;
    let api = app.resource("acme/api-gateway").await;
    let answer = submit(
        &app,
        &alice,
        json!({
            "items": [
                {"resource_id": orders, "permission": "read-only"},
                {"resource_id": docs, "permission": "read"},
                {"resource_id": api, "permission": "read"}
            ],
            "duration_seconds": HOUR,
            "justification": GOOD_WHY
        }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let requests = answer.body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    let by_flow = |name: &str| {
        requests
            .iter()
            .find(|r| r["flow_name"] == name)
            .unwrap()
            .clone()
    };
    let github = by_flow("GitHub self-service");
    assert_eq!(github["item_count"], 2);
    assert_eq!(
        github["status"], "Active",
        "auto-approved flows go straight to Active"
    );
    let databases = by_flow("Production databases");
    assert_eq!(databases["item_count"], 1);
    assert_eq!(databases["status"], "Pending Approval");
    assert_eq!(databases["justification_feedback"]["complete"], true);
}

#[tokio::test]
async fn auto_approved_requests_go_through_granting_to_active() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["status"], "Active");
    let actions: Vec<&str> = detail.body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["submitted", "access_granted", "granted"]);
    assert_eq!(detail.body["audit"][0]["detail"]["status"], "Granting");
    let granted = time::OffsetDateTime::parse(
        detail.body["granted_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        detail.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - granted).whole_seconds(), HOUR);
}

#[tokio::test]
async fn submission_is_all_or_nothing() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let orders = app.resource("orders").await;
    // admin on a database is in no flow of alice's.
    let answer = submit(
        &app,
        &alice,
        json!({"items": [{"resource_id": docs, "permission": "read"}, {"resource_id": orders, "permission": "admin"}],
               "duration_seconds": HOUR, "justification": GOOD_WHY}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "items");
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("orders (admin)"),
        "{}",
        answer.body
    );
    assert_eq!(
        my_request_count(&app, &alice).await,
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn more_than_a_thousand_resources_are_refused() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let items: Vec<Value> = (1..=1001)
        .map(|id| json!({"resource_id": id, "permission": "read"}))
        .collect();
    let answer = submit(
        &app,
        &alice,
        json!({"items": items, "duration_seconds": HOUR}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "items");
    assert!(answer.body["message"].as_str().unwrap().contains("1000"));
}

#[tokio::test]
async fn unknown_resources_and_permissions_are_named() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let missing = submit(
        &app,
        &alice,
        json!({"items": [{"resource_id": 999999, "permission": "read"}], "duration_seconds": HOUR}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["field"], "items[0]");
    let docs = app.resource("acme/docs").await;
    let wrong = submit(
        &app,
        &alice,
        json!({"items": [{"resource_id": docs, "permission": "assume"}], "duration_seconds": HOUR}),
    )
    .await;
    assert!(
        wrong.body["message"]
            .as_str()
            .unwrap()
            .contains("does not offer")
    );
    let empty = submit(&app, &alice, json!({"items": [], "duration_seconds": HOUR})).await;
    assert_eq!(empty.body["field"], "items");
}

#[tokio::test]
async fn a_duration_the_flow_does_not_offer_is_refused() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let answer = submit(&app, &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 2 * HOUR})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "duration_seconds");
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("Offered: 1 hour, 8 hours, 1 day"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_missing_required_justification_or_ticket_is_refused() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let no_why = submit(&app, &alice, json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": HOUR, "justification": "  "})).await;
    assert_eq!(no_why.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_why.body["field"], "justification");

    let bucket = app.resource("s3://acme-logs").await;
    let no_ticket = submit(&app, &alice, json!({"items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY})).await;
    assert_eq!(no_ticket.body["field"], "ticket_id");
    let bad_type = submit(&app, &alice, json!({"items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY, "ticket_id": "OPS-1", "ticket_type": "Trello"})).await;
    assert_eq!(bad_type.body["field"], "ticket_type");
    let ok = submit(&app, &alice, json!({"items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY, "ticket_id": "OPS-1", "ticket_type": "Jira"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.body["requests"][0]["ticket_id"], "OPS-1");
}

#[tokio::test]
async fn preview_names_flows_approvers_and_durations_and_writes_nothing() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let bucket = app.resource("s3://acme-logs").await;
    let answer = app
        .post(
            "/api/v1/requests/preview",
            &alice,
            json!({"items": [{"resource_id": orders, "permission": "read-only"}, {"resource_id": bucket, "permission": "read-only"}], "duration_seconds": 0, "justification": ""}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let groups = answer.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let aws = groups
        .iter()
        .find(|g| g["flow_name"] == "AWS production")
        .unwrap();
    assert_eq!(aws["approver_steps"][0][0]["username"], "bob");
    assert_eq!(aws["approver_steps"][1][0]["username"], "carol");
    assert_eq!(aws["ticket_required"], true);
    assert_eq!(
        answer.body["durations_seconds"],
        json!([HOUR, 4 * HOUR]),
        "only what every flow offers"
    );
    assert!(
        !answer.body["problems"].as_array().unwrap().is_empty(),
        "missing justification is reported"
    );
    assert_eq!(my_request_count(&app, &alice).await, 0);
}

#[tokio::test]
async fn an_approver_sees_what_waits_on_them_and_approval_grants_access() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let id = pending_orders_request(&app, &alice).await;

    let waiting = app.get("/api/v1/approvals", &bob).await;
    assert_eq!(waiting.body["items"][0]["id"], id);
    assert_eq!(waiting.body["items"][0]["actions"]["approve"], true);
    assert_eq!(
        app.get("/api/v1/approvals", &carol).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/approvals", &alice).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["waiting_on"][0]["username"], "bob");

    let approved = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["status"], "Active");
    let again = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_requester_never_approves_their_own_request() {
    let app = TestApp::with_demo().await;
    let bob = app.login("bob").await;
    // bob is in engineering, so he may request production databases — which bob approves.
    let id = pending_orders_request(&app, &bob).await;
    let own = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(
        own.body["message"]
            .as_str()
            .unwrap()
            .contains("your own request")
    );
    assert_eq!(
        app.get("/api/v1/approvals", &bob).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(status_of(&app, &bob, id).await, "Pending Approval");
}

#[tokio::test]
async fn a_grantee_never_approves_a_request_made_on_their_behalf() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let bob_id = app.user_id("bob").await;
    let orders = app.resource("orders").await;
    let answer = submit(&app, &alice, json!({"grantee_id": bob_id, "items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    let refused = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ordered_steps_advance_in_order() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let bucket = app.resource("s3://acme-logs").await;
    let answer = submit(&app, &alice, json!({"items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY, "ticket_id": "OPS-9", "ticket_type": "Jira"})).await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();

    let early = app
        .post(&format!("/api/v1/requests/{id}/approve"), &carol, json!({}))
        .await;
    assert_eq!(
        early.status,
        StatusCode::FORBIDDEN,
        "carol decides the second step only"
    );
    let first = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(first.body["status"], "Pending Approval");
    assert_eq!(
        app.get("/api/v1/approvals", &carol).await.body["items"][0]["id"],
        id
    );
    let second = app
        .post(&format!("/api/v1/requests/{id}/approve"), &carol, json!({}))
        .await;
    assert_eq!(second.body["status"], "Active");
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    let approvers: Vec<&str> = detail.body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approver"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, vec!["bob", "carol"]);
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_shows_it_to_the_requester() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    let no_reason = app
        .post(
            &format!("/api/v1/requests/{id}/reject"),
            &bob,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.body["field"], "reason");
    let rejected = app
        .post(
            &format!("/api/v1/requests/{id}/reject"),
            &bob,
            json!({"reason": "Use the analytics replica"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "Rejected");
    let seen = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(seen.body["rejection_reason"], "Use the analytics replica");
    assert_eq!(
        seen.body["approvals"][0]["reason"],
        "Use the analytics replica"
    );
    assert_eq!(seen.body["approvals"][0]["decision"], "rejected");
}

#[tokio::test]
async fn pending_for_more_than_seven_days_fails() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = pending_orders_request(&app, &alice).await;
    app.clock
        .advance(time::Duration::days(7) - time::Duration::seconds(1));
    app.tick().await;
    let alice = app.login("alice").await;
    assert_eq!(status_of(&app, &alice, id).await, "Pending Approval");
    app.clock.advance(time::Duration::seconds(1));
    app.tick().await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["status"], "Failed");
    assert_eq!(
        detail.body["failure_reason"],
        "Pending approval for more than 7 days"
    );
    assert_eq!(
        detail.body["audit"].as_array().unwrap().last().unwrap()["action"],
        "failed"
    );
}

/// Records every call, optionally failing grants or the first removals.
#[derive(Debug, Default)]
struct RecordingConnector {
    calls: Mutex<Vec<String>>,
    fail_grants: bool,
    failing_removals: Mutex<u32>,
}

impl Connector for RecordingConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("grant {}", grant.request_id));
        if self.fail_grants {
            Err("target system refused: role limit reached".into())
        } else {
            Ok(Outcome::Done(Credentials::default()))
        }
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("revoke {}", grant.request_id));
        let mut failing = self.failing_removals.lock().unwrap();
        if *failing > 0 {
            *failing -= 1;
            Err("target system down".into())
        } else {
            Ok(Outcome::Done(Credentials::default()))
        }
    }
}

#[tokio::test]
async fn active_access_expires_through_revoking_and_is_removed() {
    let connector = Arc::new(RecordingConnector::default());
    let app = TestApp::with_connector(connector.clone()).await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    app.clock.advance(time::Duration::seconds(HOUR - 1));
    app.tick().await;
    assert_eq!(status_of(&app, &alice, id).await, "Active");
    app.clock.advance(time::Duration::seconds(1));
    app.tick().await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["status"], "Expired");
    let actions: Vec<&str> = detail.body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "submitted",
            "access_granted",
            "granted",
            "expiry_started",
            "access_removed",
            "expired"
        ]
    );
    assert_eq!(
        *connector.calls.lock().unwrap(),
        vec![format!("grant {id}"), format!("revoke {id}")]
    );
}

#[tokio::test]
async fn expired_access_is_removed_after_restart() {
    let connector = Arc::new(RecordingConnector::default());
    let app = TestApp::with_connector(connector.clone()).await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    // The server is down for a day; a new process opens the same file.
    app.clock.advance(time::Duration::days(1));
    let reopened = app.db.reopen().unwrap();
    let state = gatehouse::AppState::new(reopened, Arc::new(app.clock.clone()))
        .with_connector(connector.clone());
    gatehouse::worker::tick(&state).await.unwrap();
    let alice = app.login("alice").await;
    assert_eq!(status_of(&app, &alice, id).await, "Expired");
    assert!(
        connector
            .calls
            .lock()
            .unwrap()
            .contains(&format!("revoke {id}"))
    );
}

#[tokio::test]
async fn a_connector_error_fails_the_grant_with_its_reason() {
    let connector = Arc::new(RecordingConnector {
        fail_grants: true,
        ..Default::default()
    });
    let app = TestApp::with_connector(connector).await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["status"], "Failed");
    let reason = detail.body["failure_reason"].as_str().unwrap();
    assert!(
        reason.ends_with(": target system refused: role limit reached"),
        "the reason names the integration and the connector's words: {reason}"
    );
}

#[tokio::test]
async fn a_failed_removal_stays_revoking_and_is_retried() {
    let connector = Arc::new(RecordingConnector {
        failing_removals: Mutex::new(2),
        ..Default::default()
    });
    let app = TestApp::with_connector(connector.clone()).await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let revoked = app
        .post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(revoked.body["status"], "Revoking");
    let removals = || {
        connector
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.starts_with("revoke"))
            .count()
    };
    assert_eq!(removals(), 1);
    // Backoff: nothing is tried again before 2 s have passed.
    app.tick().await;
    assert_eq!(removals(), 1);
    app.clock.advance(time::Duration::seconds(2));
    app.tick().await;
    assert_eq!(removals(), 2);
    assert_eq!(status_of(&app, &alice, id).await, "Revoking");
    // The second failure waits 4 s.
    app.clock.advance(time::Duration::seconds(3));
    app.tick().await;
    assert_eq!(removals(), 2);
    app.clock.advance(time::Duration::seconds(1));
    app.tick().await;
    assert_eq!(status_of(&app, &alice, id).await, "Revoked");
    assert_eq!(removals(), 3);
}

#[tokio::test]
async fn the_grantee_revokes_their_own_access_and_others_cannot() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = active_docs_request(&app, &alice).await;
    let foreign = app
        .post(&format!("/api/v1/requests/{id}/revoke"), &bob, json!({}))
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "bob cannot even see it"
    );
    let own = app
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/revoke"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.body["status"], "Revoked");
    assert_eq!(own.body["revoked_by"]["username"], "alice");
    // Without a body (above), with `null` and with `{}` alike, as the API
    // document says: the body is not required.
    let again = active_docs_request(&app, &alice).await;
    let null = app
        .post(
            &format!("/api/v1/requests/{again}/revoke"),
            &alice,
            json!(null),
        )
        .await;
    assert_eq!(null.status, StatusCode::OK, "{}", null.body);
    let document = serde_json::to_value(gatehouse::openapi()).unwrap();
    let body = &document["paths"]["/api/v1/requests/{request_id}/revoke"]["post"]["requestBody"];
    assert_ne!(body["required"], true, "{body}");
}

#[tokio::test]
async fn only_the_requester_can_revoke_a_delegated_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let bob_id = app.user_id("bob").await;
    let docs = app.resource("acme/docs").await;
    let answer = submit(&app, &alice, json!({"grantee_id": bob_id, "items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR})).await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    assert_eq!(answer.body["requests"][0]["status"], "Active");
    let by_grantee = app
        .post(&format!("/api/v1/requests/{id}/revoke"), &bob, json!({}))
        .await;
    assert_eq!(by_grantee.status, StatusCode::FORBIDDEN);
    assert!(
        by_grantee.body["message"]
            .as_str()
            .unwrap()
            .contains("only the requester")
    );
    let delegated = app.get("/api/v1/delegated-requests", &alice).await;
    assert_eq!(delegated.body["items"][0]["id"], id);
    assert_eq!(delegated.body["items"][0]["actions"]["revoke"], true);
    let by_requester = app
        .post(
            &format!("/api/v1/requests/{id}/revoke"),
            &alice,
            json!({"reason": "done"}),
        )
        .await;
    assert_eq!(by_requester.body["status"], "Revoked");
    assert_eq!(by_requester.body["revoke_reason"], "done");
}

#[tokio::test]
async fn an_admin_can_revoke_anyones_access() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let id = active_docs_request(&app, &alice).await;
    let revoked = app
        .post(
            &format!("/api/v1/requests/{id}/revoke"),
            &carol,
            json!({"reason": "offboarding"}),
        )
        .await;
    assert_eq!(revoked.body["status"], "Revoked");
    assert_eq!(revoked.body["revoked_by"]["username"], "carol");
}

#[tokio::test]
async fn on_behalf_requests_need_a_flow_that_allows_them() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob_id = app.user_id("bob").await;
    let bucket = app.resource("s3://acme-logs").await;
    let answer = submit(&app, &alice, json!({"grantee_id": bob_id, "items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY, "ticket_id": "OPS-1", "ticket_type": "Jira"})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("on behalf")
    );
    let nobody = submit(&app, &alice, json!({"grantee_id": 424242, "items": [{"resource_id": bucket, "permission": "read-only"}], "duration_seconds": HOUR})).await;
    assert_eq!(nobody.body["field"], "grantee_id");
}

#[tokio::test]
async fn extend_is_offered_near_expiry_and_refused_after_the_maximum() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let early = app
        .post(&format!("/api/v1/requests/{id}/extend"), &alice, json!({}))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(
        early.body["message"]
            .as_str()
            .unwrap()
            .contains("nears expiry")
    );

    // GitHub self-service: window 15 minutes, +1 hour, at most twice.
    app.clock.advance(time::Duration::minutes(50));
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &alice)
            .await
            .body["actions"]["extend"],
        true
    );
    let first = app
        .post(&format!("/api/v1/requests/{id}/extend"), &alice, json!({}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["extensions_used"], 1);
    assert_eq!(first.body["status"], "Active");
    app.clock.advance(time::Duration::minutes(60));
    let second = app
        .post(&format!("/api/v1/requests/{id}/extend"), &alice, json!({}))
        .await;
    assert_eq!(second.body["extensions_used"], 2);
    app.clock.advance(time::Duration::minutes(60));
    let third = app
        .post(&format!("/api/v1/requests/{id}/extend"), &alice, json!({}))
        .await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    assert!(third.body["message"].as_str().unwrap().contains("maximum"));
    // Three hours after the grant it is still active: two extensions of an hour.
    app.tick().await;
    assert_eq!(status_of(&app, &alice, id).await, "Active");
    app.clock.advance(time::Duration::minutes(10));
    app.tick().await;
    assert_eq!(status_of(&app, &alice, id).await, "Expired");
}

#[tokio::test]
async fn a_closed_request_can_be_requested_again_with_a_new_justification() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    let pending = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &alice,
            json!({"justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(pending.status, StatusCode::CONFLICT);
    app.post(
        &format!("/api/v1/requests/{id}/reject"),
        &bob,
        json!({"reason": "not now"}),
    )
    .await;
    let again = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &alice,
            json!({"justification": "Second try for OPS-77 because the export still fails"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    let new = &again.body["requests"][0];
    assert_ne!(new["id"], id);
    assert_eq!(new["status"], "Pending Approval");
    assert_eq!(
        new["justification"],
        "Second try for OPS-77 because the export still fails"
    );
    assert_eq!(new["items"][0]["resource_name"], "orders");
    let foreign = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &bob,
            json!({"justification": "x"}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_grantee_without_a_flow_of_their_own_cannot_request_again() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let dave_id = app.add_user("dave").await;
    let dave = app.login("dave").await;
    let orders = app.resource("orders").await;
    let bob = app.login("bob").await;
    let made = submit(&app, &alice, json!({"grantee_id": dave_id, "items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": HOUR, "justification": GOOD_WHY})).await;
    let id = made.body["requests"][0]["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/requests/{id}/reject"),
        &bob,
        json!({"reason": "no"}),
    )
    .await;
    // dave is not in engineering: only alice can request it again for him.
    let by_dave = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &dave,
            json!({"justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(
        by_dave.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        by_dave.body
    );
    let by_alice = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &alice,
            json!({"justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(by_alice.status, StatusCode::CREATED, "{}", by_alice.body);
    assert_eq!(by_alice.body["requests"][0]["grantee"]["username"], "dave");
}

#[tokio::test]
async fn favorites_are_own_expired_or_revoked_requests_and_idempotent() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let uri = format!("/api/v1/requests/{id}/favorite");
    let too_early = app.call(Method::PUT, &uri, Some(&alice), None).await;
    assert_eq!(too_early.status, StatusCode::CONFLICT);
    app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    for _ in 0..2 {
        assert_eq!(
            app.call(Method::PUT, &uri, Some(&alice), None).await.status,
            StatusCode::NO_CONTENT
        );
    }
    let favorites = app.get("/api/v1/favorites", &alice).await;
    assert_eq!(favorites.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(favorites.body["items"][0]["is_favorite"], true);
    let again = app
        .post(
            &format!("/api/v1/requests/{id}/request-again"),
            &alice,
            json!({"justification": "again"}),
        )
        .await;
    assert_eq!(
        again.body["requests"][0]["status"], "Active",
        "a favorite is requested again in one step"
    );
    for _ in 0..2 {
        assert_eq!(
            app.call(Method::DELETE, &uri, Some(&alice), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        app.get("/api/v1/favorites", &alice).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_request_made_for_someone_else_cannot_be_a_favorite() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob_id = app.user_id("bob").await;
    let docs = app.resource("acme/docs").await;
    let made = submit(&app, &alice, json!({"grantee_id": bob_id, "items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR})).await;
    let id = made.body["requests"][0]["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    let star = app
        .call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/favorite"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(star.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_requester_may_cancel_their_own_pending_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    let by_bob = app
        .post(&format!("/api/v1/requests/{id}/cancel"), &bob, json!({}))
        .await;
    assert_eq!(by_bob.status, StatusCode::FORBIDDEN);
    let cancelled = app
        .post(&format!("/api/v1/requests/{id}/cancel"), &alice, json!({}))
        .await;
    assert_eq!(cancelled.body["status"], "Revoked");
    assert_eq!(cancelled.body["revoke_reason"], "cancelled by requester");
    assert_eq!(
        app.get("/api/v1/approvals", &bob).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_user_sees_only_requests_they_asked_for_receive_or_decide() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    app.add_user("dave").await;
    let dave = app.login("dave").await;
    let carol = app.login("carol").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &dave)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &bob)
            .await
            .status,
        StatusCode::OK,
        "bob decides it"
    );
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &carol)
            .await
            .status,
        StatusCode::OK,
        "carol is an admin"
    );
    assert_eq!(
        app.get("/api/v1/requests", &dave).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    for action in ["approve", "cancel", "extend"] {
        let answer = app
            .post(&format!("/api/v1/requests/{id}/{action}"), &dave, json!({}))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
}

#[tokio::test]
async fn my_requests_filter_by_status_page_by_cursor_and_count_for_widgets() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    for _ in 0..3 {
        pending_orders_request(&app, &alice).await;
    }
    for _ in 0..2 {
        active_docs_request(&app, &alice).await;
    }
    let counts = app.get("/api/v1/requests/counts", &alice).await;
    assert_eq!(
        counts.body,
        json!({"active": 2, "pending_approval": 3, "pending_mfa": 0, "scheduled": 0})
    );
    let active = app.get("/api/v1/requests?status=Active", &alice).await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 2);
    let both = app
        .get(
            "/api/v1/requests?status=Active&status=Pending%20Approval",
            &alice,
        )
        .await;
    assert_eq!(both.body["items"].as_array().unwrap().len(), 5);
    let bad = app.get("/api/v1/requests?status=Sleeping", &alice).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let mut seen = Vec::new();
    let mut uri = "/api/v1/requests?limit=2".to_owned();
    loop {
        let page = app.get(&uri, &alice).await;
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap()),
        );
        match page.body["next_cursor"].as_i64() {
            Some(cursor) => uri = format!("/api/v1/requests?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
}

/// Lists are kept in memory for repeated reads (crate::memo): a change, or the
/// clock moving on, must show on the very next read, within the same second.
#[tokio::test]
async fn a_list_read_again_shows_every_change_and_the_time_since() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let pending = pending_orders_request(&app, &alice).await;
    let first = |list: &Value| list["items"][0].clone();
    for _ in 0..2 {
        let mine = app.get("/api/v1/requests", &alice).await;
        assert_eq!(first(&mine.body)["status"], "Pending Approval");
        let waiting = app.get("/api/v1/approvals", &bob).await;
        assert_eq!(first(&waiting.body)["id"], pending);
    }

    let approved = app
        .post(
            &format!("/api/v1/requests/{pending}/approve"),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let mine = app.get("/api/v1/requests", &alice).await;
    assert_eq!(first(&mine.body)["status"], "Active");
    assert_eq!(first(&mine.body)["actions"]["revoke"], true);
    let waiting = app.get("/api/v1/approvals", &bob).await;
    assert_eq!(waiting.body["items"], json!([]));

    // No write, only time: Extend is offered once the window opens
    // (GitHub self-service: 15 minutes before the end of an hour).
    let docs = active_docs_request(&app, &alice).await;
    let docs_first = app.get("/api/v1/requests", &alice).await;
    assert_eq!(first(&docs_first.body)["id"], docs);
    assert_eq!(first(&docs_first.body)["actions"]["extend"], false);
    app.clock.advance(time::Duration::minutes(50));
    let later = app.get("/api/v1/requests", &alice).await;
    assert_eq!(first(&later.body)["actions"]["extend"], true);

    // A write by another process (here, the same store opened again).
    let outside = app.db.reopen().unwrap();
    outside
        .write(move |tx| {
            tx.execute(
                "UPDATE requests SET justification = 'edited outside' WHERE id = ?1",
                [docs],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let edited = app.get("/api/v1/requests", &alice).await;
    assert_eq!(first(&edited.body)["justification"], "edited outside");
}
#[tokio::test]
async fn my_access_shows_sessions_three_recent_closed_and_favorites() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let active = active_docs_request(&app, &alice).await;
    for _ in 0..4 {
        let id = active_docs_request(&app, &alice).await;
        app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
            .await;
        app.call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/favorite"),
            Some(&alice),
            None,
        )
        .await;
    }
    let access = app.get("/api/v1/my-access", &alice).await;
    assert_eq!(access.body["sessions"][0]["id"], active);
    assert_eq!(access.body["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(access.body["closed"].as_array().unwrap().len(), 3);
    assert_eq!(access.body["favorites"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bundles_can_be_requested_whole_or_in_part() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bundles = app.get("/api/v1/bundles?search=on-call", &alice).await;
    assert_eq!(bundles.body["total"], 1);
    let bundle = &bundles.body["items"][0];
    assert_eq!(bundle["resource_count"], 3);
    let bundle_id = bundle["id"].as_i64().unwrap();
    let whole = submit(&app, &alice, json!({"bundle": {"bundle_id": bundle_id}, "duration_seconds": HOUR, "justification": GOOD_WHY})).await;
    assert_eq!(whole.status, StatusCode::CREATED, "{}", whole.body);
    assert_eq!(whole.body["requests"][0]["item_count"], 3);
    assert_eq!(
        whole.body["requests"][0]["flow_name"],
        "On-call break-glass"
    );
    let logs = app.resource("s3://acme-logs").await;
    // Part of the bundle again, on purpose: the whole is already Active.
    let part = submit(&app, &alice, json!({"bundle": {"bundle_id": bundle_id, "resource_ids": [logs]}, "duration_seconds": HOUR, "justification": GOOD_WHY, "allow_duplicate": true})).await;
    assert_eq!(part.body["requests"][0]["item_count"], 1);
    let docs = app.resource("acme/docs").await;
    let stranger = submit(&app, &alice, json!({"bundle": {"bundle_id": bundle_id, "resource_ids": [docs]}, "duration_seconds": HOUR})).await;
    assert_eq!(stranger.body["field"], "bundle.resource_ids");
}

#[tokio::test]
async fn justification_feedback_is_served_and_stored_with_the_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let verdict = app
        .post(
            "/api/v1/justification-feedback",
            &alice,
            json!({"text": GOOD_WHY}),
        )
        .await;
    assert_eq!(verdict.body["complete"], true);
    let weak = app
        .post(
            "/api/v1/justification-feedback",
            &alice,
            json!({"text": "pls"}),
        )
        .await;
    assert_eq!(
        weak.body,
        json!({"describes_task": false, "explains_access_level": false, "includes_ticket": false, "complete": false})
    );
    let docs = app.resource("acme/docs").await;
    let made = submit(&app, &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR, "justification": "pls"})).await;
    assert_eq!(
        made.body["requests"][0]["justification_feedback"]["complete"],
        false
    );
}

#[tokio::test]
async fn the_audit_log_cannot_be_edited_or_deleted() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    active_docs_request(&app, &alice).await;
    let update = app
        .db
        .call(|conn| Ok(conn.execute("UPDATE audit_log SET action = 'x'", [])?))
        .await;
    assert!(update.is_err());
    let delete = app
        .db
        .call(|conn| Ok(conn.execute("DELETE FROM audit_log", [])?))
        .await;
    assert!(delete.is_err());
}
