//! Notifications: the outbox is written with the change it tells about, the
//! worker delivers it by e-mail (to a local SMTP server) and Slack (to a fake
//! of Slack's Web API), retries with backoff while they are down, honours each
//! user's channels, warns before access expires, and survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes;

use axum::http::{Method, StatusCode};
use fakes::world::{World, text_of};
use serde_json::{Value, json};

async fn submit_db_request(world: &World, cookie: &str) -> i64 {
    let billing = world.resource("billing").await;
    let answer = world
        .call(
            Method::POST,
            "/api/v1/requests",
            Some(cookie),
            Some(json!({"items": [{"resource_id": billing, "permission": "read-only"}], "duration_seconds": 3600,
                "justification": "Investigating failed invoice exports for OPS-1423 because the job logs point at this table"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["requests"][0]["id"].as_i64().unwrap()
}

async fn outbox(world: &World, condition: &str) -> i64 {
    world
        .query_i64(&format!("SELECT COUNT(*) FROM outbox WHERE {condition}"))
        .await
}

#[tokio::test]
async fn the_outbox_is_written_with_the_change_and_delivered_by_email_and_slack() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let id = submit_db_request(&world, &alice).await;
    // Written by the submission itself, before any delivery: alice is told the
    // status, bob (the approver) what waits on him, on both channels each.
    assert_eq!(
        outbox(&world, &format!("request_id = {id} AND state = 'pending'")).await,
        4
    );
    assert_eq!(
        outbox(&world, "kind = 'approval' AND channel = 'email'").await,
        1
    );
    assert!(world.smtp.mails().is_empty());

    let report = world.deliver().await;
    assert_eq!(report.delivered, 4, "{report:?}");
    let to_bob = world.smtp.mails_to("bob@example.com");
    assert_eq!(to_bob.len(), 1);
    assert!(
        to_bob[0]
            .subject()
            .contains(&format!("request #{id} waits on your approval")),
        "{}",
        to_bob[0].subject()
    );
    assert!(
        to_bob[0]
            .data
            .contains("You approve the access flow \"Production databases\""),
        "{}",
        to_bob[0].data
    );
    assert!(
        to_bob[0]
            .data
            .contains("https://gatehouse.example.com/approvals")
    );
    assert!(to_bob[0].from.contains("gatehouse@example.com"));
    let to_alice = world.smtp.mails_to("alice@example.com");
    assert_eq!(to_alice.len(), 1);
    assert!(to_alice[0].subject().contains("Pending Approval"));

    // Slack: a direct message to each, looked up by e-mail; bob's has Approve and Reject.
    let bob_messages = world.slack.messages_to("UBOB");
    assert_eq!(bob_messages.len(), 1);
    let text = text_of(&bob_messages[0]);
    for expected in [
        "Approve",
        "Reject",
        "Alice Requester",
        "Prod PostgreSQL",
        "database",
        "1 hour",
        "OPS-1423",
        "You approve the access flow",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
    assert_eq!(world.slack.messages_to("UALICE").len(), 1);
    assert_eq!(outbox(&world, "state = 'delivered'").await, 4);

    // Nothing is delivered twice.
    assert_eq!(world.deliver().await.delivered, 0);
    assert_eq!(world.smtp.mails().len(), 2);
}

#[tokio::test]
async fn every_status_change_reaches_the_requester() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let bob = world.login("bob").await;
    let id = submit_db_request(&world, &alice).await;
    world.deliver().await;
    let answer = world
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/approve"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let answer = world
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/revoke"),
            Some(&alice),
            Some(json!({})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    world.deliver().await;
    let subjects: Vec<String> = world
        .smtp
        .mails_to("alice@example.com")
        .iter()
        .map(|m| m.subject())
        .collect();
    for status in [
        "Pending Approval",
        "Granting",
        "Active",
        "Revoking",
        "Revoked",
    ] {
        assert!(
            subjects.iter().any(|s| s.contains(status)),
            "{status} missing from {subjects:?}"
        );
    }
    // Bob's approval message in Slack was updated once it no longer waited on him.
    let updates = world.slack.calls_of("chat.update");
    assert!(
        updates
            .iter()
            .any(|u| text_of(u).contains(&format!("Request #{id} is now Granting"))),
        "{updates:?}"
    );
}

#[tokio::test]
async fn a_refused_change_writes_no_notice() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let id = submit_db_request(&world, &alice).await;
    let before = outbox(&world, "1 = 1").await;
    // Alice cannot approve her own request: nothing changes, nothing is told.
    let answer = world
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/approve"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(outbox(&world, "1 = 1").await, before);
}

#[tokio::test]
async fn delivery_retries_with_backoff_while_the_services_are_down() {
    let world = World::new().await;
    world.smtp.set_failing(true);
    world.slack.set_down(true);
    let alice = world.login("alice").await;
    submit_db_request(&world, &alice).await;
    let report = world.deliver().await;
    assert_eq!(report.retried, 4, "{report:?}");
    assert_eq!(
        outbox(&world, "state = 'pending' AND attempts = 1").await,
        4
    );
    let next: i64 = world
        .query_i64("SELECT MIN(next_attempt_at) FROM outbox")
        .await;
    assert_eq!(next, world.now() + 30);
    let error = world
        .query_text("SELECT last_error FROM outbox WHERE channel = 'slack' LIMIT 1")
        .await;
    assert!(error.contains("503"), "{error}");

    // Not due yet: nothing is tried.
    assert_eq!(world.deliver().await, Default::default());
    // Second failure: the wait doubles.
    world.clock.advance(time::Duration::seconds(30));
    assert_eq!(world.deliver().await.retried, 4);
    assert_eq!(
        world
            .query_i64("SELECT MIN(next_attempt_at) FROM outbox")
            .await,
        world.now() + 60
    );

    world.smtp.set_failing(false);
    world.slack.set_down(false);
    world.clock.advance(time::Duration::seconds(60));
    assert_eq!(world.deliver().await.delivered, 4);
    assert_eq!(world.smtp.mails().len(), 2);
    assert_eq!(
        outbox(&world, "state = 'delivered' AND attempts = 3").await,
        4
    );
}

#[tokio::test]
async fn delivery_survives_a_restart_with_messages_still_in_the_outbox() {
    let world = World::new().await;
    world.smtp.set_failing(true);
    world.slack.set_down(true);
    let alice = world.login("alice").await;
    submit_db_request(&world, &alice).await;
    world.deliver().await;
    assert_eq!(outbox(&world, "state = 'pending'").await, 4);

    // A new server process on the same database file, once the services are back.
    let restarted = world.restarted();
    drop(world.state.clone());
    world.smtp.set_failing(false);
    world.slack.set_down(false);
    world.clock.advance(time::Duration::minutes(5));
    let report = gatehouse::notify::deliver::deliver_due(&restarted)
        .await
        .unwrap();
    assert_eq!(report.delivered, 4, "{report:?}");
    assert_eq!(world.smtp.mails().len(), 2);
    assert_eq!(world.slack.calls_of("chat.postMessage").len(), 2);
}

#[tokio::test]
async fn each_user_chooses_their_channels() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let bob = world.login("bob").await;
    let answer = world
        .call(Method::GET, "/api/v1/me/notifications", Some(&bob), None)
        .await;
    assert_eq!(
        answer.body,
        json!({"slack": true, "email": true, "slack_available": true, "email_available": true})
    );
    let answer = world
        .call(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&bob),
            Some(json!({"slack": true, "email": false})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["email"], false);
    let answer = world
        .call(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&bob),
            Some(json!({"slack": "yes"})),
        )
        .await;
    assert!(
        answer.status.is_client_error(),
        "{answer:?}",
        answer = answer.body
    );

    submit_db_request(&world, &alice).await;
    world.deliver().await;
    assert!(world.smtp.mails_to("bob@example.com").is_empty());
    assert_eq!(world.slack.messages_to("UBOB").len(), 1);
    assert_eq!(world.smtp.mails_to("alice@example.com").len(), 1);
}

#[tokio::test]
async fn a_user_without_a_slack_account_is_skipped_not_retried() {
    let world = World::new().await;
    let carol = world.login("carol").await;
    // Dave has an e-mail address no Slack user has.
    let answer = world
        .call(Method::POST, "/api/v1/admin/users", Some(&carol),
            Some(json!({"username": "dave", "display_name": "Dave", "email": "dave@nowhere.example", "password": "gatehouse-demo"})))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let dave = world.login("dave").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&dave),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    world.deliver().await;
    let skipped = world
        .query_text(
            "SELECT last_error FROM outbox WHERE channel = 'slack' AND state = 'skipped' LIMIT 1",
        )
        .await;
    assert!(skipped.contains("no Slack user"), "{skipped}");
    assert_eq!(outbox(&world, "state = 'pending'").await, 0);
    assert!(!world.smtp.mails_to("dave@nowhere.example").is_empty());
}

#[tokio::test]
async fn access_about_to_expire_is_announced_once_with_extend() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    world.tick().await;
    world.deliver().await;
    world.slack.clear();
    // GitHub self-service offers Extend 15 minutes before expiry.
    world.clock.advance(time::Duration::minutes(44));
    world.tick().await;
    assert_eq!(outbox(&world, "kind = 'expiring'").await, 0);
    world.clock.advance(time::Duration::minutes(2));
    world.tick().await;
    world.tick().await;
    assert_eq!(outbox(&world, "kind = 'expiring'").await, 2);
    world.deliver().await;
    let messages = world.slack.messages_to("UALICE");
    assert_eq!(messages.len(), 1);
    let text = text_of(&messages[0]);
    assert!(
        text.contains(&format!(
            "Your access from request #{id} ends in 14 minutes"
        )),
        "{text}"
    );
    assert!(
        text.contains("Extend Access") && text.contains("Extend this request?"),
        "{text}"
    );
    let mail = world.smtp.mails_to("alice@example.com").pop().unwrap();
    assert!(mail.subject().contains("ends in 14 minutes"));
}

#[tokio::test]
async fn admins_turn_chat_approval_off() {
    let world = World::new().await;
    let carol = world.login("carol").await;
    let alice = world.login("alice").await;
    let answer = world
        .call(
            Method::GET,
            "/api/v1/admin/settings/slack",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = world
        .call(
            Method::GET,
            "/api/v1/admin/settings/slack",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(
        answer.body,
        json!({"chat_approval": true, "configured": true})
    );
    let answer = world
        .call(
            Method::PUT,
            "/api/v1/admin/settings/slack",
            Some(&carol),
            Some(json!({"chat_approval": false})),
        )
        .await;
    assert_eq!(
        answer.body,
        json!({"chat_approval": false, "configured": true})
    );
    submit_db_request(&world, &alice).await;
    world.deliver().await;
    let message: Value = world.slack.messages_to("UBOB").pop().unwrap();
    let text = text_of(&message);
    assert!(!text.contains("\nApprove\n"), "{text}");
    assert!(
        text.contains("Review in Gatehouse") && text.contains("turned off by your admin"),
        "{text}"
    );
}
