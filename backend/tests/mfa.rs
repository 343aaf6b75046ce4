//! Step-up MFA: enrolment, codes, Pending MFA, approvers confirming, limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use gatehouse::{clock::Clock, totp};
use serde_json::{Value, json};

fn base32_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.chars() {
        let value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// Enrol `cookie`'s user and confirm the first code; returns the seed.
async fn enrol(app: &TestApp, cookie: &str) -> Vec<u8> {
    let enrolment = app.post("/api/v1/mfa/enrolment", cookie, json!({})).await;
    assert_eq!(enrolment.status, StatusCode::CREATED);
    let seed = base32_decode(enrolment.body["secret"].as_str().unwrap());
    confirm(app, cookie, &seed).await;
    seed
}

async fn confirm(app: &TestApp, cookie: &str, seed: &[u8]) -> Value {
    let code = format!(
        "{:06}",
        totp::code_at(seed, app.clock.now().unix_timestamp())
    );
    let answer = app
        .post("/api/v1/mfa/confirm", cookie, json!({"code": code}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

async fn mfa_flow(app: &TestApp, carol: &str, auto_approve: bool) {
    let bob = app.user_id("bob").await;
    let steps = if auto_approve {
        json!([])
    } else {
        json!([[{"kind": "user", "id": bob}]])
    };
    let flow = app
        .post(
            "/api/v1/admin/access-flows",
            carol,
            json!({"name": "Sensitive", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "tag", "tag": "team"}],
                   "auto_approve": auto_approve, "approver_steps": steps, "durations_seconds": [3600], "max_duration_seconds": 3600, "mfa_required": true}),
        )
        .await;
    assert_eq!(flow.status, StatusCode::CREATED, "{}", flow.body);
}

/// Asks for the same team again each time: a deliberate duplicate.
async fn request_team(app: &TestApp, cookie: &str) -> Value {
    let team = app.resource("acme/teams/data").await;
    let answer = app.post("/api/v1/requests", cookie, json!({"items": [{"resource_id": team, "permission": "maintainer"}], "duration_seconds": 3600, "allow_duplicate": true})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["requests"][0].clone()
}

#[tokio::test]
async fn enrolment_gives_an_otpauth_uri_and_is_on_once_a_code_is_confirmed() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let enrolment = app.post("/api/v1/mfa/enrolment", &alice, json!({})).await;
    let uri = enrolment.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Gatehouse:alice?secret="),
        "{uri}"
    );
    assert_eq!(app.get("/api/v1/mfa", &alice).await.body["enrolled"], false);
    let wrong = app
        .post("/api/v1/mfa/confirm", &alice, json!({"code": "000000"}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["field"], "code");
    let seed = base32_decode(enrolment.body["secret"].as_str().unwrap());
    let status = confirm(&app, &alice, &seed).await;
    assert_eq!(status["enrolled"], true);
    assert!(status["confirmed_until"].is_string());
    // The seed is stored sealed, never as itself.
    let stored: Vec<u8> = app
        .db
        .call(|conn| Ok(conn.query_row("SELECT sealed_secret FROM mfa", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert!(!stored.windows(seed.len()).any(|w| w == seed.as_slice()));
}

#[tokio::test]
async fn a_flow_requiring_mfa_waits_in_pending_mfa_until_the_requester_confirms() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    mfa_flow(&app, &carol, true).await;
    let waiting = request_team(&app, &alice).await;
    assert_eq!(waiting["status"], "Pending MFA");
    assert_eq!(
        app.get("/api/v1/requests/counts", &alice).await.body["pending_mfa"],
        1
    );
    enrol(&app, &alice).await;
    let id = waiting["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/requests/{id}"), &alice)
            .await
            .body["status"],
        "Active"
    );
    // Within the hour, a new request of that flow does not ask again.
    assert_eq!(request_team(&app, &alice).await["status"], "Active");
    app.clock.advance(time::Duration::minutes(61));
    let alice = app.login("alice").await;
    assert_eq!(request_team(&app, &alice).await["status"], "Pending MFA");
}

#[tokio::test]
async fn an_approver_of_an_mfa_flow_confirms_a_code_before_approving() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    mfa_flow(&app, &carol, false).await;
    enrol(&app, &alice).await;
    let request = request_team(&app, &alice).await;
    assert_eq!(request["status"], "Pending Approval");
    let id = request["id"].as_i64().unwrap();
    let refused = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body["message"].as_str().unwrap().contains("MFA"));
    enrol(&app, &bob).await;
    let approved = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(approved.body["status"], "Active", "{}", approved.body);
}

#[tokio::test]
async fn wrong_codes_are_counted_and_limited() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let seed = enrol(&app, &alice).await;
    for _ in 0..5 {
        let wrong = app
            .post("/api/v1/mfa/confirm", &alice, json!({"code": "000000"}))
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let code = format!(
        "{:06}",
        totp::code_at(&seed, app.clock.now().unix_timestamp())
    );
    let locked = app
        .post("/api/v1/mfa/confirm", &alice, json!({"code": code}))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.body["message"]
            .as_str()
            .unwrap()
            .contains("Try again in 15 minutes")
    );
    app.clock.advance(time::Duration::minutes(15));
    confirm(&app, &alice, &seed).await;
}
