//! The same action raced from many tasks at once: exactly one wins, the
//! others are told why, nothing is doubled and the audit chain stays one
//! chain. On SQLite writers queue; on PostgreSQL (scripts/test runs this file
//! against it too) the transactions really overlap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::{Answer, TestApp, active_docs_request, pending_orders_request};
use gatehouse::store::audit::{Verdict, verify};
use serde_json::{Value, json};

const RACERS: usize = 12;
const HOUR: i64 = 3600;

/// Send the same call from `RACERS` tasks at once; every answer.
async fn race(
    app: &TestApp,
    method: Method,
    uri: &str,
    cookie: &str,
    body: Option<Value>,
) -> Vec<Answer> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let router = app.router.clone();
        let (method, uri, cookie, body) = (
            method.clone(),
            uri.to_owned(),
            cookie.to_owned(),
            body.clone(),
        );
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            common::send(&router, common::request(method, &uri, Some(&cookie), body)).await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    for answer in &answers {
        assert!(
            answer.status.is_success() || answer.status == StatusCode::CONFLICT,
            "a racer got {}: {}",
            answer.status,
            answer.body
        );
    }
    answers
}

fn winners(answers: &[Answer]) -> usize {
    answers.iter().filter(|a| a.status.is_success()).count()
}

async fn count(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app.db
        .call(move |conn| Ok(conn.query_row(sql, [id], |row| row.get(0))?))
        .await
        .unwrap()
}

async fn assert_one_audit_chain(app: &TestApp) {
    let verdict = app.db.call(verify).await.unwrap();
    assert!(matches!(verdict, Verdict::Intact { .. }), "{verdict:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_approval_of_many_at_once_counts() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    let answers = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/approve"),
        &bob,
        Some(json!({})),
    )
    .await;
    assert_eq!(winners(&answers), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM approvals WHERE request_id = ?1",
            id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE request_id = ?1 AND action = 'approved'",
            id
        )
        .await,
        1
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_quorum_raced_by_two_approvers_counts_each_once() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let dan = app.add_user("dan").await;
    let group = app.join_group(&carol, "approvers", dan).await;
    app.edit_flow(&carol, "Production databases", |flow| {
        flow["approver_steps"] = json!([[{"kind": "group", "id": group}]]);
        flow["step_rules"] = json!([{"required_approvals": 2}]);
    })
    .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let dan = app.login("dan").await;
    let id = pending_orders_request(&app, &alice).await;
    let uri = format!("/api/v1/requests/{id}/approve");
    let (for_bob, for_dan) = tokio::join!(
        race(&app, Method::POST, &uri, &bob, None),
        race(&app, Method::POST, &uri, &dan, None)
    );
    assert_eq!(winners(&for_bob), 1, "bob's approval counts once");
    assert_eq!(winners(&for_dan), 1, "dan's approval counts once");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM approvals WHERE request_id = ?1",
            id
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE request_id = ?1 AND action = 'approval_counted'",
            id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE request_id = ?1 AND action = 'approved'",
            id
        )
        .await,
        1
    );
    assert_ne!(
        app.get(&format!("/api/v1/requests/{id}"), &alice)
            .await
            .body["status"],
        "Pending Approval"
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approve_and_reject_at_once_leave_one_decision() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = pending_orders_request(&app, &alice).await;
    let (approve_uri, reject_uri) = (
        format!("/api/v1/requests/{id}/approve"),
        format!("/api/v1/requests/{id}/reject"),
    );
    let (approve, reject) = tokio::join!(
        race(&app, Method::POST, &approve_uri, &bob, Some(json!({}))),
        race(
            &app,
            Method::POST,
            &reject_uri,
            &bob,
            Some(json!({"reason": "not now"}))
        ),
    );
    assert_eq!(
        winners(&approve) + winners(&reject),
        1,
        "exactly one decision"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM approvals WHERE request_id = ?1",
            id
        )
        .await,
        1
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_cancel_and_one_revoke_of_many_count() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let pending = pending_orders_request(&app, &alice).await;
    let cancels = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{pending}/cancel"),
        &alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(winners(&cancels), 1);
    let active = active_docs_request(&app, &alice).await;
    let revokes = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{active}/revoke"),
        &alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(winners(&revokes), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE request_id = ?1 AND action = 'revoke_started'",
            active
        )
        .await,
        1
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn extensions_raced_never_pass_the_maximum() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    // GitHub self-service: window 15 minutes, +1 hour, at most twice.
    app.clock.advance(time::Duration::minutes(50));
    let answers = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/extend"),
        &alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        winners(&answers),
        1,
        "the first extension moves expiry out of the window"
    );
    app.clock.advance(time::Duration::minutes(60));
    let answers = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/extend"),
        &alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(winners(&answers), 1);
    app.clock.advance(time::Duration::minutes(60));
    let answers = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/extend"),
        &alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(winners(&answers), 0, "the maximum is two");
    assert_eq!(
        count(&app, "SELECT extensions FROM requests WHERE id = ?1", id).await,
        2
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secret_raced_for_is_revealed_once() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let details = app
        .get(&format!("/api/v1/requests/{id}/access"), &alice)
        .await;
    let integration = details.body[0]["integration_id"].as_i64().unwrap();
    let answers = race(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/access/{integration}/reveal"),
        &alice,
        None,
    )
    .await;
    let secrets: Vec<&Value> = answers
        .iter()
        .filter(|a| a.status.is_success())
        .map(|a| &a.body["secret"])
        .filter(|s| s.is_string())
        .collect();
    assert_eq!(
        secrets.len(),
        1,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.body.clone()))
            .collect::<Vec<_>>()
    );
    assert_one_audit_chain(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn favorites_and_tokens_raced_are_not_doubled() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    app.tick().await;
    let stars = race(
        &app,
        Method::PUT,
        &format!("/api/v1/requests/{id}/favorite"),
        &alice,
        None,
    )
    .await;
    assert_eq!(winners(&stars), RACERS, "starring is idempotent");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM favorites WHERE request_id = ?1",
            id
        )
        .await,
        1
    );

    let tokens = race(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &alice,
        Some(json!({"name": "ci"})),
    )
    .await;
    let mut secrets: Vec<String> = tokens
        .iter()
        .filter(|a| a.status.is_success())
        .map(|a| a.body["secret"].as_str().unwrap().to_owned())
        .collect();
    let made = secrets.len();
    secrets.sort();
    secrets.dedup();
    assert_eq!(secrets.len(), made, "every token is its own");
    let alice_id = app.user_id("alice").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = ?1",
            alice_id
        )
        .await,
        i64::try_from(made).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submissions_raced_keep_one_audit_chain() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let answers = race(
        &app,
        Method::POST,
        "/api/v1/requests",
        &alice,
        // The same access each time, asked for on purpose.
        Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR, "allow_duplicate": true})),
    )
    .await;
    assert_eq!(
        winners(&answers),
        RACERS,
        "independent submissions all succeed"
    );
    // Provisioning passes are shared between submissions arriving together,
    // yet each answer comes after a pass that covered it.
    for answer in &answers {
        assert_eq!(
            answer.body["requests"][0]["status"], "Active",
            "{}",
            answer.body
        );
    }
    let mut ids: Vec<i64> = answers
        .iter()
        .map(|a| a.body["requests"][0]["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RACERS);
    assert_one_audit_chain(&app).await;
}
