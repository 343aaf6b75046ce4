//! Scheduled and recurring access: a request that starts later waits as
//! Scheduled and the worker grants it at its start; a recurring request is
//! approved once and granted and removed at each window, in its flow's time
//! zone across daylight-saving changes. Driven by the injected clock. On
//! SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::{GOOD_WHY, TestApp};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::datetime};

const HOUR: i64 = 3600;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap()
}

fn now(app: &TestApp) -> OffsetDateTime {
    use gatehouse::clock::Clock;
    app.clock.now()
}

/// Request `id` as alice sees it now (signed in afresh: the clock moves
/// past sessions' lifetimes).
async fn request(app: &TestApp, id: i64) -> Value {
    let alice = app.login("alice").await;
    let answer = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

/// How many audit entries of the request have this action.
fn count(detail: &Value, action: &str) -> usize {
    detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == action)
        .count()
}

/// alice asks for the orders database (Production databases, bob approves)
/// with `extra` fields in the form; the answer.
async fn ask_for_orders(app: &TestApp, alice: &str, extra: Value) -> common::Answer {
    let orders = app.resource("orders").await;
    let mut form = json!({"items": [{"resource_id": orders, "permission": "read-only"}],
        "duration_seconds": HOUR, "justification": GOOD_WHY});
    for (key, value) in extra.as_object().unwrap() {
        form[key] = value.clone();
    }
    app.post("/api/v1/requests", alice, form).await
}

/// alice's auto-approved read access to the docs repository, starting at `start`.
async fn docs_from(app: &TestApp, alice: &str, start: OffsetDateTime) -> Value {
    let docs = app.resource("acme/docs").await;
    let answer = app
        .post(
            "/api/v1/requests",
            alice,
            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR,
                "starts_at": rfc3339(start)}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["requests"][0].clone()
}

#[tokio::test]
async fn a_scheduled_request_is_granted_at_its_start() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let start = now(&app) + time::Duration::days(2);
    let answer = ask_for_orders(&app, &alice, json!({"starts_at": rfc3339(start)})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    assert_eq!(answer.body["requests"][0]["status"], "Pending Approval");
    assert_eq!(answer.body["requests"][0]["starts_at"], rfc3339(start));

    // Approved ahead: it waits for its start.
    let approved = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Scheduled");
    assert_eq!(count(&detail, "access_granted"), 0, "nothing granted early");

    // The worker comes by ten minutes after the start: the hour still
    // counts from the start.
    app.clock.set(start + time::Duration::minutes(10));
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Active");
    assert_eq!(
        detail["expires_at"],
        rfc3339(start + time::Duration::hours(1))
    );
    assert_eq!(count(&detail, "start_reached"), 1);
    assert_eq!(count(&detail, "access_granted"), 1);

    app.clock.set(start + time::Duration::hours(1));
    app.tick().await;
    assert_eq!(request(&app, id).await["status"], "Expired");
}

#[tokio::test]
async fn an_auto_approved_request_that_starts_later_is_scheduled_at_once() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let start = now(&app) + time::Duration::minutes(30);
    let created = docs_from(&app, &alice, start).await;
    assert_eq!(created["status"], "Scheduled");
    assert_eq!(created["starts_at"], rfc3339(start));
    let counts = app.get("/api/v1/requests/counts", &alice).await;
    assert_eq!(counts.body["scheduled"], 1);
    let listed = app.get("/api/v1/requests?status=Scheduled", &alice).await;
    assert_eq!(listed.body["items"][0]["id"], created["id"]);
    // Slack's lists say when it starts.
    let wire: gatehouse_shared::requests::AccessRequest =
        serde_json::from_value(created.clone()).unwrap();
    let line = gatehouse::slack::blocks::request_line(&wire);
    assert!(
        line.contains(&format!("starts <!date^{}^", start.unix_timestamp())),
        "{line}"
    );

    app.clock.set(start);
    app.tick().await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(request(&app, id).await["status"], "Active");
}

#[tokio::test]
async fn a_scheduled_request_can_be_cancelled_before_it_starts() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let start = now(&app) + time::Duration::days(1);
    let created = docs_from(&app, &alice, start).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["actions"]["cancel"], true);
    assert_eq!(created["actions"]["revoke"], false, "the requester cancels");

    let cancelled = app
        .post(&format!("/api/v1/requests/{id}/cancel"), &alice, json!({}))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    app.clock.set(start);
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Revoked");
    assert_eq!(count(&detail, "access_granted"), 0, "never granted");

    // Another one: alice may not revoke it, an admin may.
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let other = docs_from(&app, &alice, start + time::Duration::days(1)).await;
    let other = other["id"].as_i64().unwrap();
    let refused = app
        .post(
            &format!("/api/v1/requests/{other}/revoke"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let revoked = app
        .post(
            &format!("/api/v1/requests/{other}/revoke"),
            &carol,
            json!({"reason": "change freeze"}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let detail = request(&app, other).await;
    assert_eq!(detail["status"], "Revoked");
    assert_eq!(detail["revoke_reason"], "change freeze");
}

#[tokio::test]
async fn a_start_in_the_past_or_more_than_90_days_ahead_is_refused() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    for start in [
        now(&app) - time::Duration::minutes(1),
        now(&app),
        now(&app) + time::Duration::days(91),
    ] {
        let answer = ask_for_orders(&app, &alice, json!({"starts_at": rfc3339(start)})).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{start}");
        assert_eq!(answer.body["field"], "starts_at", "{}", answer.body);
    }
    let soon = ask_for_orders(
        &app,
        &alice,
        json!({"starts_at": rfc3339(now(&app) + time::Duration::seconds(5))}),
    )
    .await;
    assert_eq!(
        soon.status,
        StatusCode::CREATED,
        "a few seconds ahead is fine"
    );
}

/// alice asks for `weeks` of the Tuesday window of Production databases and
/// bob approves; the request's id.
async fn approved_recurring_orders(app: &TestApp, weeks: i64) -> i64 {
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let answer = ask_for_orders(app, &alice, json!({"recurring_weeks": weeks})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let created = &answer.body["requests"][0];
    assert_eq!(created["duration_seconds"], 4 * HOUR, "the window's length");
    assert_eq!(created["recurrence"]["windows"], weeks);
    let id = created["id"].as_i64().unwrap();
    let approved = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    id
}

#[tokio::test]
async fn a_recurring_window_is_granted_and_removed_each_week() {
    // Monday 2 November 2026: Berlin is on CET (UTC+1).
    let app = TestApp::with_demo().await;
    let id = approved_recurring_orders(&app, 2).await;
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Scheduled");
    assert_eq!(
        detail["starts_at"], "2026-11-03T21:00:00Z",
        "Tuesday 22:00 in Berlin"
    );
    assert_eq!(detail["recurrence"]["window"], 1);

    for (week, start) in [
        (1, datetime!(2026-11-03 21:00 UTC)),
        (2, datetime!(2026-11-10 21:00 UTC)),
    ] {
        app.clock.set(start - time::Duration::seconds(1));
        app.tick().await;
        assert_eq!(request(&app, id).await["status"], "Scheduled");
        app.clock.set(start);
        app.tick().await;
        let detail = request(&app, id).await;
        assert_eq!(detail["status"], "Active", "window {week}");
        assert_eq!(detail["recurrence"]["window"], week);
        assert_eq!(
            detail["expires_at"],
            rfc3339(start + time::Duration::hours(4))
        );
        assert_eq!(
            detail["actions"]["extend"], false,
            "windows are not extended"
        );
        assert_eq!(count(&detail, "access_granted"), week as usize);

        app.clock.set(start + time::Duration::hours(4));
        app.tick().await;
        let detail = request(&app, id).await;
        assert_eq!(
            count(&detail, "access_removed"),
            week as usize,
            "removed through the connector"
        );
        if week == 1 {
            assert_eq!(detail["status"], "Scheduled");
            assert_eq!(detail["starts_at"], "2026-11-10T21:00:00Z");
            assert_eq!(detail["recurrence"]["window"], 2);
        } else {
            assert_eq!(detail["status"], "Expired", "after the last window");
        }
    }
}

#[tokio::test]
async fn a_recurring_window_stays_at_local_time_across_a_daylight_saving_change() {
    // Berlin leaves summer time on Sunday 25 October 2026.
    let app = TestApp::starting_at(datetime!(2026-10-19 09:00 UTC)).await;
    let id = approved_recurring_orders(&app, 2).await;
    let detail = request(&app, id).await;
    assert_eq!(detail["starts_at"], "2026-10-20T20:00:00Z", "22:00 CEST");
    app.clock.set(datetime!(2026-10-20 20:00 UTC));
    app.tick().await;
    assert_eq!(request(&app, id).await["status"], "Active");
    app.clock.set(datetime!(2026-10-21 00:00 UTC));
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Scheduled");
    assert_eq!(
        detail["starts_at"], "2026-10-27T21:00:00Z",
        "22:00 CET: an hour later in UTC"
    );
    app.clock.set(datetime!(2026-10-27 21:00 UTC));
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Active");
    assert_eq!(detail["expires_at"], "2026-10-28T01:00:00Z");
}

#[tokio::test]
async fn windows_that_passed_while_nobody_ran_the_worker_are_skipped() {
    let app = TestApp::with_demo().await;
    let id = approved_recurring_orders(&app, 3).await;
    // The server was down for the whole first window and into the second.
    app.clock.set(datetime!(2026-11-10 22:00 UTC));
    app.tick().await;
    let detail = request(&app, id).await;
    assert_eq!(detail["status"], "Active");
    assert_eq!(detail["recurrence"]["window"], 2);
    assert_eq!(detail["expires_at"], "2026-11-11T01:00:00Z");
    // …and after the last window's end, it ends without granting.
    app.clock.set(datetime!(2026-12-01 00:00 UTC));
    app.tick().await;
    assert_eq!(request(&app, id).await["status"], "Expired");
}

#[tokio::test]
async fn recurring_windows_must_be_offered_and_asked_for_within_the_offer() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let too_long = ask_for_orders(&app, &alice, json!({"recurring_weeks": 9})).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_long.body["field"], "recurring_weeks");
    let both = ask_for_orders(
        &app,
        &alice,
        json!({"recurring_weeks": 2, "starts_at": rfc3339(now(&app) + time::Duration::days(1))}),
    )
    .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(both.body["field"], "starts_at");
    let docs = app.resource("acme/docs").await;
    let not_offered = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": HOUR,
                "recurring_weeks": 1}),
        )
        .await;
    assert_eq!(not_offered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_offered.body["field"], "recurring_weeks");
}

#[tokio::test]
async fn an_access_flow_offers_recurring_windows_in_a_real_time_zone() {
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
    assert_eq!(flow["recurrence"]["time_zone"], "Europe/Berlin");
    let id = flow["id"].as_i64().unwrap();
    flow["recurrence"]["time_zone"] = json!("Europe/Atlantis");
    let uri = format!("/api/v1/admin/access-flows/{id}");
    let refused = app
        .call(Method::PUT, &uri, Some(&carol), Some(flow.clone()))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["field"], "recurrence.time_zone");
    flow["recurrence"] = json!({"weekdays": ["Monday", "Thursday"], "start_time": "06:30",
        "length_seconds": 2 * HOUR, "time_zone": "America/New_York", "max_weeks": 4});
    let saved = app.call(Method::PUT, &uri, Some(&carol), Some(flow)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(
        saved.body["recurrence"]["weekdays"],
        json!(["Monday", "Thursday"])
    );
    // The New Request page learns of it from the preview.
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let preview = app
        .post(
            "/api/v1/requests/preview",
            &alice,
            json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 0}),
        )
        .await;
    assert_eq!(preview.body["groups"][0]["recurrence"]["max_weeks"], 4);
}
