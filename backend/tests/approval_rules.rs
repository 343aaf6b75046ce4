//! Approvals for real teams: quorum steps, approving with changes, and the
//! break-glass lane with its after-the-fact review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::{GOOD_WHY, TestApp, audit_log};
use serde_json::{Value, json};

async fn edit_flow(app: &TestApp, carol: &str, name: &str, edit: impl FnOnce(&mut Value)) {
    app.edit_flow(carol, name, edit).await;
}

/// The demo's "approvers" group (bob, carol) with dan added.
async fn approvers_with_dan(app: &TestApp, carol: &str) -> i64 {
    let dan = app.add_user("dan").await;
    app.join_group(carol, "approvers", dan).await
}

async fn submit(app: &TestApp, cookie: &str, form: Value) -> (StatusCode, Value) {
    let answer = app.post("/api/v1/requests", cookie, form).await;
    (answer.status, answer.body)
}

async fn orders_request(app: &TestApp, cookie: &str, permission: &str, duration: i64) -> i64 {
    let orders = app.resource("orders").await;
    let (status, body) = submit(
        app,
        cookie,
        json!({"items": [{"resource_id": orders, "permission": permission}], "duration_seconds": duration, "justification": GOOD_WHY}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["requests"][0]["status"], "Pending Approval");
    body["requests"][0]["id"].as_i64().unwrap()
}

async fn approve(app: &TestApp, cookie: &str, id: i64) -> common::Answer {
    app.call(
        axum::http::Method::POST,
        &format!("/api/v1/requests/{id}/approve"),
        Some(cookie),
        None,
    )
    .await
}

#[tokio::test]
async fn a_quorum_step_needs_two_distinct_approvers() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let group = approvers_with_dan(&app, &carol).await;
    let bob_id = app.user_id("bob").await;
    // Two ordered steps: 2 of the approvers group, then bob alone.
    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["approver_steps"] =
            json!([[{"kind": "group", "id": group}], [{"kind": "user", "id": bob_id}]]);
        flow["step_rules"] = json!([{"required_approvals": 2}]);
    })
    .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let dan = app.login("dan").await;
    let id = orders_request(&app, &alice, "read-only", 3600).await;

    let first = approve(&app, &bob, id).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["status"], "Pending Approval");
    // The same approver twice is one approval, not two.
    let again = approve(&app, &bob, id).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("already decided")
    );
    let waiting_on_bob = app.get("/api/v1/approvals", &bob).await;
    assert!(
        waiting_on_bob.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != id),
        "bob decided his part: it no longer waits on him"
    );
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    let progress = &detail.body["step_progress"];
    assert_eq!(progress["step"], 0);
    assert_eq!(progress["required_approvals"], 2);
    assert_eq!(progress["approvals_needed"], 1);
    assert_eq!(progress["approved_by"][0]["username"], "bob");
    let waiting: Vec<&str> = detail.body["waiting_on"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, ["carol", "dan"]);

    let second = approve(&app, &dan, id).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(
        second.body["status"], "Pending Approval",
        "the ordered second step waits"
    );
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["step_progress"]["step"], 1);
    assert_eq!(detail.body["step_progress"]["approvals_needed"], 1);
    // bob already approved step 1 but step 2 is his again.
    let last = approve(&app, &bob, id).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert!(
        ["Granting", "Active"].contains(&last.body["status"].as_str().unwrap()),
        "{}",
        last.body
    );
    let actions: Vec<String> = audit_log(&app)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .filter(|a| ["approval_counted", "step_approved", "approved"].contains(&a.as_str()))
        .collect();
    assert_eq!(actions, ["approval_counted", "step_approved", "approved"]);
}

#[tokio::test]
async fn the_requester_and_grantee_never_count_towards_a_quorum() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let group = approvers_with_dan(&app, &carol).await;
    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["approver_steps"] = json!([[{"kind": "group", "id": group}]]);
        flow["step_rules"] = json!([{"required_approvals": 2}]);
    })
    .await;
    // bob is in engineering and in approvers: he asks for himself.
    let bob = app.login("bob").await;
    let dan = app.login("dan").await;
    let id = orders_request(&app, &bob, "read-only", 3600).await;
    let own = approve(&app, &bob, id).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    let detail = app.get(&format!("/api/v1/requests/{id}"), &bob).await;
    let waiting: Vec<&str> = detail.body["waiting_on"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, ["carol", "dan"], "bob never waits on himself");
    assert_eq!(detail.body["step_progress"]["approvals_needed"], 2);
    assert_eq!(
        approve(&app, &dan, id).await.body["status"],
        "Pending Approval"
    );
    let last = approve(&app, &carol, id).await;
    assert_ne!(last.body["status"], "Pending Approval", "{}", last.body);
}

#[tokio::test]
async fn one_rejection_rejects_unless_the_step_asks_for_more() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let group = approvers_with_dan(&app, &carol).await;
    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["approver_steps"] = json!([[{"kind": "group", "id": group}]]);
        flow["step_rules"] = json!([{"required_approvals": 2}]);
    })
    .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let dan = app.login("dan").await;
    let reject = |cookie: String, id: i64| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/requests/{id}/reject"),
                &cookie,
                json!({"reason": "Not during the freeze."}),
            )
            .await
        }
    };
    let id = orders_request(&app, &alice, "read-only", 3600).await;
    assert_eq!(approve(&app, &bob, id).await.status, StatusCode::OK);
    let rejected = reject(dan.clone(), id).await;
    assert_eq!(
        rejected.body["status"], "Rejected",
        "one rejection rejects by default"
    );

    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["step_rules"] = json!([{"required_approvals": 2, "rejections_to_reject": 2}]);
    })
    .await;
    let id = orders_request(&app, &alice, "read-only", 3600).await;
    let first = reject(bob.clone(), id).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["status"], "Pending Approval");
    let second = reject(dan.clone(), id).await;
    assert_eq!(second.body["status"], "Rejected");
    let flows = app.get("/api/v1/admin/access-flows", &carol).await;
    let flow = flows
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Production databases")
        .unwrap()
        .clone();
    assert_eq!(
        flow["step_rules"],
        json!([{"required_approvals": 2, "rejections_to_reject": 2}])
    );
    // A rule the step cannot hold is refused with its field.
    let id = flow["id"].as_i64().unwrap();
    let mut broken = flow.clone();
    broken["step_rules"] = json!([{"required_approvals": 0}]);
    let answer = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/admin/access-flows/{id}"),
            Some(&carol),
            Some(broken),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "step_rules");
}

async fn approve_with_changes(app: &TestApp, cookie: &str, id: i64, body: Value) -> common::Answer {
    app.post(
        &format!("/api/v1/requests/{id}/approve-with-changes"),
        cookie,
        body,
    )
    .await
}

#[tokio::test]
async fn approve_with_changes_cannot_widen_the_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let orders = app.resource("orders").await;
    let billing = app.resource("billing").await;
    let id = orders_request(&app, &alice, "read-write", 4 * 3600).await;
    let refusals = [
        (
            json!({"duration_seconds": 8 * 3600, "note": "longer"}),
            "duration_seconds",
        ),
        (
            json!({"items": [{"resource_id": orders, "permission": "admin"}], "note": "more"}),
            "items[0]",
        ),
        (
            json!({"items": [{"resource_id": billing, "permission": "read-only"}], "note": "other"}),
            "items[0]",
        ),
        (json!({"items": [], "note": "none"}), "items"),
        (json!({"duration_seconds": 3600, "note": "  "}), "note"),
        (
            json!({"duration_seconds": 4 * 3600, "note": "same"}),
            "items",
        ),
    ];
    for (body, field) in refusals {
        let answer = approve_with_changes(&app, &bob, id, body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.body["field"], field, "{body}: {}", answer.body);
    }
    // Nothing of the refusals stuck.
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["duration_seconds"], 4 * 3600);
    assert_eq!(detail.body["items"][0]["permission"], "read-write");
    assert_eq!(detail.body["changes"], json!([]));
    assert_eq!(detail.body["approvals"], json!([]));

    let answer = approve_with_changes(
        &app,
        &alice,
        id,
        json!({"duration_seconds": 3600, "note": "self"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);

    let answer = approve_with_changes(
        &app,
        &bob,
        id,
        json!({"duration_seconds": 3600, "items": [{"resource_id": orders, "permission": "read-only"}],
               "note": "Read-only for an hour is enough to look at the exports."}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_ne!(answer.body["status"], "Pending Approval");
    assert_eq!(answer.body["changed_by_approver"], true);

    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["duration_seconds"], 3600);
    assert_eq!(detail.body["items"][0]["permission"], "read-only");
    let change = &detail.body["changes"][0];
    assert_eq!(change["approver"]["username"], "bob");
    assert_eq!(
        change["note"],
        "Read-only for an hour is enough to look at the exports."
    );
    assert_eq!(
        change["before"],
        json!({"duration_seconds": 4 * 3600, "items": [{"resource_id": orders, "permission": "read-write"}]})
    );
    assert_eq!(
        change["after"],
        json!({"duration_seconds": 3600, "items": [{"resource_id": orders, "permission": "read-only"}]})
    );
    let audit = audit_log(&app).await;
    let (_, detail) = audit
        .iter()
        .find(|(action, _)| action == "changed_by_approver")
        .unwrap();
    assert_eq!(detail["before"]["items"][0]["permission"], "read-write");
    assert_eq!(detail["after"]["items"][0]["permission"], "read-only");
    // What is granted is the narrowed request.
    app.tick().await;
    let granted = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(granted.body["status"], "Active");
    assert_eq!(granted.body["expires_at"], "2026-11-02T10:00:00Z");
}

#[tokio::test]
async fn later_steps_see_the_narrowed_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    // AWS production: bob approves, then carol; a ticket is required.
    let role = app
        .resource("arn:aws:iam::123456789012:role/IncidentResponder")
        .await;
    let logs = app.resource("s3://acme-logs").await;
    let (status, body) = submit(
        &app,
        &alice,
        json!({"items": [{"resource_id": role, "permission": "assume"}, {"resource_id": logs, "permission": "read-only"}],
               "duration_seconds": 3600, "justification": GOOD_WHY, "ticket_type": "Jira", "ticket_id": "OPS-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["requests"][0]["id"].as_i64().unwrap();
    assert_eq!(body["requests"][0]["item_count"], 2);
    let answer = approve_with_changes(
        &app,
        &bob,
        id,
        json!({"items": [{"resource_id": logs, "permission": "read-only"}], "note": "The logs are enough."}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "Pending Approval");
    let seen_by_carol = app.get(&format!("/api/v1/requests/{id}"), &carol).await;
    assert_eq!(seen_by_carol.body["item_count"], 1);
    assert_eq!(seen_by_carol.body["items"][0]["resource_id"], logs);
    assert_eq!(seen_by_carol.body["actions"]["approve"], true);
    let done = approve(&app, &carol, id).await;
    assert_ne!(done.body["status"], "Pending Approval");
}

#[tokio::test]
async fn break_glass_is_reviewed_after_the_fact() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["break_glass"] = json!({"enabled": true, "max_duration_seconds": 3600});
    })
    .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let orders = app.resource("orders").await;
    let (status, body) = submit(
        &app,
        &alice,
        json!({"items": [{"resource_id": orders, "permission": "read-write"}], "duration_seconds": 3600,
               "justification": GOOD_WHY, "break_glass_reason": "INC-4711: orders API down"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let request = &body["requests"][0];
    let id = request["id"].as_i64().unwrap();
    assert_ne!(request["status"], "Pending Approval", "{request}");
    assert_eq!(
        request["break_glass"]["reason"],
        "INC-4711: orders API down"
    );
    assert_eq!(request["break_glass"]["review_state"], "unreviewed");
    app.tick().await;
    let detail = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(detail.body["status"], "Active");
    assert_eq!(detail.body["actions"]["review"], false);

    // Every approver of the flow is told at once.
    let bob_id = app.user_id("bob").await;
    let told = app
        .db
        .call(move |conn| {
            let mut statement =
                conn.prepare("SELECT payload FROM outbox WHERE user_id = ?1 AND request_id = ?2")?;
            let rows = statement
                .query_map(gatehouse::store::sql::params![bob_id, id], |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert!(
        told.iter()
            .any(|payload| payload.contains("Break-glass") && payload.contains("INC-4711")),
        "{told:?}"
    );

    // It waits in bob's review queue and the admins' list, not in alice's.
    let queue = app.get("/api/v1/approvals/break-glass", &bob).await;
    assert_eq!(queue.body["items"][0]["id"], id, "{}", queue.body);
    let own = app.get("/api/v1/approvals/break-glass", &alice).await;
    assert_eq!(own.body["items"], json!([]));
    let admin = app.get("/api/v1/admin/break-glass", &carol).await;
    assert_eq!(admin.body["items"][0]["id"], id);
    assert_eq!(
        app.get("/api/v1/admin/break-glass", &bob).await.status,
        StatusCode::FORBIDDEN
    );
    let seen_by_bob = app.get(&format!("/api/v1/requests/{id}"), &bob).await;
    assert_eq!(seen_by_bob.status, StatusCode::OK);
    assert_eq!(seen_by_bob.body["actions"]["review"], true);

    let review = |cookie: String, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/api/v1/requests/{id}/review"), &cookie, body)
                .await
        }
    };
    let mine = review(alice.clone(), json!({"outcome": "reviewed"})).await;
    assert_eq!(mine.status, StatusCode::FORBIDDEN, "{}", mine.body);
    let dave = {
        app.add_user("dave").await;
        app.login("dave").await
    };
    let stranger = review(dave, json!({"outcome": "reviewed"})).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let unexplained = review(bob.clone(), json!({"outcome": "flagged"})).await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unexplained.body["field"], "note");
    let flagged = review(
        bob.clone(),
        json!({"outcome": "flagged", "note": "No incident INC-4711 on record."}),
    )
    .await;
    assert_eq!(flagged.status, StatusCode::OK, "{}", flagged.body);
    assert_eq!(flagged.body["break_glass"]["review_state"], "flagged");
    assert_eq!(
        flagged.body["break_glass"]["reviewed_by"]["username"],
        "bob"
    );
    let twice = review(carol.clone(), json!({"outcome": "reviewed"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(
        app.get("/api/v1/approvals/break-glass", &bob).await.body["items"],
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/admin/break-glass", &carol).await.body["items"],
        json!([])
    );
    let actions: Vec<String> = audit_log(&app)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .filter(|a| a.starts_with("break_glass"))
        .collect();
    assert_eq!(actions, ["break_glass_approved", "break_glass_flagged"]);
}

#[tokio::test]
async fn break_glass_needs_a_reason_a_short_duration_and_a_lane() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let form = |duration: i64, reason: &str| {
        json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": duration,
               "justification": GOOD_WHY, "break_glass_reason": reason})
    };
    let (status, body) = submit(&app, &alice, form(3600, "INC-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no break-glass lane")
    );
    edit_flow(&app, &carol, "Production databases", |flow| {
        flow["break_glass"] = json!({"enabled": true, "max_duration_seconds": 3600});
    })
    .await;
    let (status, body) = submit(&app, &alice, form(3600, "   ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "break_glass_reason");
    let (status, body) = submit(&app, &alice, form(4 * 3600, "INC-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "duration_seconds");
    let bob_id = app.user_id("bob").await;
    let mut for_bob = form(3600, "INC-1");
    for_bob["grantee_id"] = json!(bob_id);
    let (status, body) = submit(&app, &alice, for_bob).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "break_glass_reason");
    // None of the refusals wrote a request.
    let mine = app.get("/api/v1/requests", &alice).await;
    assert_eq!(mine.body["items"], json!([]));
    // The preview says what the lane allows.
    let preview = app
        .post("/api/v1/requests/preview", &alice, form(3600, "INC-1"))
        .await;
    assert_eq!(preview.body["groups"][0]["break_glass_max_seconds"], 3600);
    assert_eq!(preview.body["problems"], json!([]));
}
