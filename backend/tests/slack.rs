//! The Slack app end to end, against a fake of Slack's Web API: signed and
//! wrongly signed requests, unmapped users, and each journey of the reference
//! (request, bundle, on behalf, favorites, my requests, extend, approve,
//! reject, request again, revoke, Home tab).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes;

use axum::http::{Method, StatusCode};
use fakes::{
    SIGNING_SECRET,
    world::{
        World, block, block_id, buttons, option_labels, selected, selected_many, text_of, typed,
    },
};
use gatehouse::slack::verify;
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn only_correctly_signed_fresh_requests_are_accepted() {
    let world = World::new().await;
    let body = World::command_body("UALICE", "help");
    let now = world.now().to_string();
    let good = verify::sign(SIGNING_SECRET.as_bytes(), &now, body.as_bytes());

    let answer = world
        .raw("/slack/commands", FORM, &body, Some(&now), Some(&good))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["response_type"], "ephemeral");
    assert!(
        answer.body["text"]
            .as_str()
            .unwrap()
            .contains("/gatehouse request")
    );

    // The same signed request again: a replay.
    let replay = world
        .raw("/slack/commands", FORM, &body, Some(&now), Some(&good))
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.body["code"], "invalid_signature");
    assert!(
        replay.body["message"]
            .as_str()
            .unwrap()
            .contains("already received")
    );

    // Signed with another secret, or over another body.
    let wrong = verify::sign(b"not the secret", &now, body.as_bytes());
    assert_eq!(
        world
            .raw("/slack/commands", FORM, &body, Some(&now), Some(&wrong))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let tampered = World::command_body("UALICE", "my requests");
    assert_eq!(
        world
            .raw("/slack/commands", FORM, &tampered, Some(&now), Some(&good))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Stale: signed six minutes ago (correctly), or six minutes ahead.
    for skew in [-360, 360] {
        let then = (world.now() + skew).to_string();
        let signature = verify::sign(SIGNING_SECRET.as_bytes(), &then, body.as_bytes());
        let answer = world
            .raw(
                "/slack/commands",
                FORM,
                &body,
                Some(&then),
                Some(&signature),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(
            answer.body["message"]
                .as_str()
                .unwrap()
                .contains("five minutes")
        );
    }
    // No headers, or garbage in them.
    assert_eq!(
        world
            .raw("/slack/commands", FORM, &body, None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .raw("/slack/commands", FORM, &body, Some("soon"), Some(&good))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .raw("/slack/commands", FORM, &body, Some(&now), Some("v0=00"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Interactions, options and events are checked the same way.
    let payload = World::payload_body(
        &json!({"type": "block_actions", "user": {"id": "UBOB"}, "actions": [{"action_id": "approve", "value": "1"}]}),
    );
    for path in ["/slack/interactions", "/slack/options", "/slack/events"] {
        let answer = world
            .raw(path, FORM, &payload, Some(&now), Some(&wrong))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Nothing refused reached Slack or changed anything.
    assert!(
        world.slack.calls_of("users.info").len() == 1,
        "{:?}",
        world.slack.calls()
    );
}

#[tokio::test]
async fn wrongly_signed_approvals_and_submissions_change_nothing() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let billing = world.resource("billing").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": billing, "permission": "read-only"}], "duration_seconds": 3600, "justification": "x"})))
        .await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    let now = world.now().to_string();
    for action in ["approve", "reject"] {
        let payload = World::payload_body(
            &json!({"type": "block_actions", "user": {"id": "UBOB"}, "trigger_id": "t",
            "actions": [{"action_id": action, "value": id.to_string()}]}),
        );
        let forged = verify::sign(b"guessed", &now, payload.as_bytes());
        assert_eq!(
            world
                .raw(
                    "/slack/interactions",
                    FORM,
                    &payload,
                    Some(&now),
                    Some(&forged)
                )
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let submission =
        World::payload_body(&json!({"type": "view_submission", "user": {"id": "UBOB"},
        "view": {"callback_id": "reject", "private_metadata": json!({"request_id": id}).to_string(),
                 "state": {"values": {"reason": {"reason": {"value": "no"}}}}}}));
    let forged = verify::sign(b"guessed", &now, submission.as_bytes());
    assert_eq!(
        world
            .raw(
                "/slack/interactions",
                FORM,
                &submission,
                Some(&now),
                Some(&forged)
            )
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Pending Approval"
    );
}

#[tokio::test]
async fn unmapped_slack_users_get_a_clear_message() {
    let world = World::new().await;
    let answer = world.slash("USTRANGER", "request").await;
    assert_eq!(answer.body["response_type"], "ephemeral");
    let text = answer.body["text"].as_str().unwrap();
    assert!(
        text.contains("not linked to a Gatehouse user") && text.contains("e-mail"),
        "{text}"
    );
    let answer = world.slash("UUNVERIFIED", "request").await;
    assert!(
        answer.body["text"]
            .as_str()
            .unwrap()
            .contains("not verified")
    );
    let answer = world.slash("UNOBODY", "favorites").await;
    assert!(
        answer.body["text"]
            .as_str()
            .unwrap()
            .contains("could not check who you are")
    );
    assert!(world.slack.calls_of("views.open").is_empty());

    // A button pressed by an unmapped user acts on nothing and says why.
    let answer = world
        .interact(
            json!({"type": "block_actions", "user": {"id": "USTRANGER"}, "trigger_id": "t",
            "actions": [{"action_id": "approve", "value": "1"}]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let told = world.slack.messages_to("USTRANGER");
    assert_eq!(told.len(), 1);
    assert!(text_of(&told[0]).contains("not linked"));
    // In a modal, the message shows on the form.
    let answer = world
        .interact(json!({"type": "view_submission", "user": {"id": "USTRANGER"},
            "view": {"callback_id": "request_access", "blocks": [{"type": "input", "block_id": "justification"}], "state": {"values": {}}}}))
        .await;
    assert_eq!(answer.body["response_action"], "errors");
    assert!(
        answer.body["errors"]["justification"]
            .as_str()
            .unwrap()
            .contains("not linked")
    );
    // The Home tab says so too.
    world.event(json!({"type": "event_callback", "event": {"type": "app_home_opened", "user": "USTRANGER", "tab": "home"}})).await;
    assert!(text_of(&world.last_view("views.publish")).contains("not linked"));
}

/// Open the Request Access modal as `user` and return its view.
async fn open_request_modal(world: &World, user: &str) -> Value {
    let answer = world.slash(user, "request").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let open = world.slack.calls_of("views.open");
    assert_eq!(open.last().unwrap()["trigger_id"], "trigger-1");
    let view = world.last_view("views.open");
    assert_eq!(view["callback_id"], "request_access");
    view
}

/// Change one input of a modal: Slack sends a block action with the new
/// state; Gatehouse answers with views.update.
async fn choose(world: &World, user: &str, view: &Value, values: &Value, action_id: &str) -> Value {
    let answer = world
        .modal_action(user, view, values.clone(), action_id, json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    world.last_view("views.update")
}

fn value_of(labels: &[(String, String)], label: &str) -> String {
    labels
        .iter()
        .find(|(_, l)| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {labels:?}"))
        .0
        .clone()
}

#[tokio::test]
async fn request_approve_journey() {
    let world = World::new().await;
    let view = open_request_modal(&world, "UALICE").await;
    let text = text_of(&view);
    assert!(
        text.contains("Single Request")
            && text.contains("Bundle")
            && text.contains("Request on behalf of"),
        "{text}"
    );
    // Integration → resource type → resources → permission, each offered from alice's flows.
    let integrations = option_labels(block(&view, "integration").unwrap());
    let labels: Vec<&str> = integrations.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        labels.contains(&"Prod PostgreSQL") && labels.contains(&"GitHub"),
        "{labels:?}"
    );
    let postgres = value_of(&integrations, "Prod PostgreSQL");
    let mut values = json!({"mode": {"mode": selected("single")}});
    values[block_id(&view, "integration")] = json!({"integration": selected(&postgres)});
    let view = choose(&world, "UALICE", &view, &values, "integration").await;
    let types = option_labels(block(&view, "resource_type").unwrap());
    let database = value_of(&types, "database");
    values[block_id(&view, "resource_type")] = json!({"resource_type": selected(&database)});
    let view = choose(&world, "UALICE", &view, &values, "resource_type").await;
    // Resources: an external select searched on the server.
    let resources_block = block_id(&view, "resources");
    let found = world
        .suggest("UALICE", "resources", &resources_block, "bill")
        .await;
    let options = found.body["options"].as_array().unwrap();
    assert_eq!(options.len(), 1, "{options:?}");
    assert!(
        options[0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("billing")
    );
    let billing = options[0]["value"].as_str().unwrap().to_owned();
    assert!(
        world
            .suggest("UALICE", "resources", &resources_block, "")
            .await
            .body["options"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
    values[resources_block.as_str()] =
        json!({"resources": selected_many(std::slice::from_ref(&billing))});
    let view = choose(&world, "UALICE", &view, &values, "resources").await;
    let permissions = option_labels(block(&view, "permission").unwrap());
    let names: Vec<&str> = permissions.iter().map(|(_, l)| l.as_str()).collect();
    // The flow allows read-only and read-write; admin is not offered.
    assert_eq!(names, ["read-only", "read-write"]);
    values[block_id(&view, "permission")] = json!({"permission": selected("read-only")});
    let view = choose(&world, "UALICE", &view, &values, "permission").await;
    let durations = option_labels(block(&view, "duration").unwrap());
    assert_eq!(
        durations
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>(),
        ["3600", "14400", "28800"]
    );
    assert!(text_of(&view).contains("needs approval (1 step)"));
    // Justification feedback as the user types.
    values["justification"] = json!({"justification": typed("fixing")});
    let view = choose(&world, "UALICE", &view, &values, "justification").await;
    let feedback = text_of(block(&view, "justification_feedback").unwrap());
    assert!(
        feedback.contains(":white_circle: Describes the task"),
        "{feedback}"
    );
    let justification = "Investigating failed invoice exports for OPS-1423 because the job logs point at this table";
    values["justification"] = json!({"justification": typed(justification)});
    let view = choose(&world, "UALICE", &view, &values, "justification").await;
    let feedback = text_of(block(&view, "justification_feedback").unwrap());
    assert!(feedback.contains("Strong justification"), "{feedback}");

    // Submitting without a duration is refused on the duration field.
    let answer = world.submit("UALICE", &view, values.clone()).await;
    assert_eq!(answer.body["response_action"], "errors");
    assert_eq!(answer.body["errors"]["duration"], "Choose a duration.");
    values["duration"] = json!({"duration": selected("3600")});
    let answer = world.submit("UALICE", &view, values.clone()).await;
    assert_eq!(
        answer.body["response_action"], "update",
        "{:?}",
        answer.body
    );
    let confirmation = text_of(&answer.body["view"]);
    assert!(
        confirmation.contains("Pending Approval") && confirmation.contains("billing (read-only)"),
        "{confirmation}"
    );
    let id = world.query_i64("SELECT MAX(id) FROM requests").await;
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Pending Approval"
    );
    assert_eq!(
        world
            .query_i64(&format!(
                "SELECT includes_ticket FROM requests WHERE id = {id}"
            ))
            .await,
        1
    );
    // The same form again is no silent second request: Slack names the
    // waiting one and creates nothing.
    let again = world.submit("UALICE", &view, values.clone()).await;
    assert_eq!(again.body["response_action"], "errors", "{:?}", again.body);
    let errors = again.body["errors"].as_object().unwrap();
    assert!(
        errors.values().any(|message| {
            let message = message.as_str().unwrap_or_default();
            message.contains(&format!(
                "request {id} for billing (read-only) is already waiting"
            ))
        }),
        "{errors:?}"
    );
    assert_eq!(world.query_i64("SELECT MAX(id) FROM requests").await, id);

    // Messages: alice sees the status; bob gets the approval message.
    world.deliver().await;
    let to_alice = world.slack.messages_to("UALICE");
    assert!(
        text_of(to_alice.last().unwrap()).contains(&format!("Request #{id} is Pending Approval"))
    );
    let approval = world.slack.messages_to("UBOB").pop().unwrap();
    let text = text_of(&approval);
    let id_text = format!("#{id}");
    for expected in [
        id_text.as_str(),
        "Alice Requester",
        "Prod PostgreSQL",
        "database",
        "1 hour",
        "OPS-1423",
        "You approve the access flow \"Production databases\"",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    // Alice cannot approve her own request from Slack either.
    let answer = world.click("UALICE", &approval, "approve").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        text_of(world.slack.messages_to("UALICE").last().unwrap()).contains("your own request")
    );
    // Bob approves: the request is granted, the message shows the outcome.
    let answer = world.click("UBOB", &approval, "approve").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Active"
    );
    let update = world.slack.calls_of("chat.update").pop().unwrap();
    assert!(text_of(&update).contains(&format!("You approved request #{id}")));
    assert!(buttons(&update).is_empty());
    // Approving twice is refused with the reason.
    world.click("UBOB", &approval, "approve").await;
    assert!(
        text_of(world.slack.messages_to("UBOB").last().unwrap()).contains("not Pending Approval")
    );
    world.deliver().await;
    let active = world
        .slack
        .messages_to("UALICE")
        .into_iter()
        .find(|m| text_of(m).contains("is Active"))
        .unwrap();
    let labels: Vec<Value> = buttons(&active)
        .iter()
        .map(|b| b["text"]["text"].clone())
        .collect();
    assert!(
        labels.contains(&json!("Access Details")) && labels.contains(&json!("Revoke access")),
        "{labels:?}"
    );

    // Access Details opens a modal with the admin's instructions.
    world.click("UALICE", &active, "access_details").await;
    let details = text_of(&world.last_view("views.open"));
    assert!(
        details.contains("Connect through the bastion") && details.contains("billing"),
        "{details}"
    );

    // Revoke from the message.
    world.click("UALICE", &active, "revoke").await;
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Revoked"
    );
    assert!(
        text_of(&world.slack.calls_of("chat.update").pop().unwrap())
            .contains(&format!("You revoked request #{id}"))
    );
    // Request again from the Revoked message, with a new justification.
    world.deliver().await;
    let revoked = world
        .slack
        .messages_to("UALICE")
        .into_iter()
        .rev()
        .find(|m| text_of(m).contains("is Revoked"))
        .unwrap();
    world.click("UALICE", &revoked, "request_again").await;
    let again = world.last_view("views.open");
    assert_eq!(again["callback_id"], "request_again");
    let answer = world.submit("UALICE", &again, json!({"justification": {"justification": typed("Still investigating OPS-1423 because exports fail")}})).await;
    assert_eq!(
        answer.body["response_action"], "update",
        "{:?}",
        answer.body
    );
    let newest = world.query_i64("SELECT MAX(id) FROM requests").await;
    assert_eq!(
        world
            .query_i64(&format!(
                "SELECT requested_again_from FROM requests WHERE id = {newest}"
            ))
            .await,
        id
    );
}

#[tokio::test]
async fn reject_with_a_reason_and_mfa_and_chat_approval_off() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let billing = world.resource("billing").await;
    let submit = |justification: &'static str| {
        let alice = alice.clone();
        let world = &world;
        async move {
            let answer = world
                .call(Method::POST, "/api/v1/requests", Some(&alice),
                    Some(json!({"items": [{"resource_id": billing, "permission": "read-only"}], "duration_seconds": 3600, "justification": justification})))
                .await;
            answer.body["requests"][0]["id"].as_i64().unwrap()
        }
    };
    let id = submit("first").await;
    world.deliver().await;
    let approval = world.slack.messages_to("UBOB").pop().unwrap();
    world.click("UBOB", &approval, "reject").await;
    let modal = world.last_view("views.open");
    assert_eq!(modal["callback_id"], "reject");
    // A reason is required.
    let answer = world
        .submit("UBOB", &modal, json!({"reason": {"reason": typed("  ")}}))
        .await;
    assert_eq!(answer.body["response_action"], "errors");
    assert!(
        answer.body["errors"]["reason"]
            .as_str()
            .unwrap()
            .contains("reason")
    );
    let answer = world
        .submit(
            "UBOB",
            &modal,
            json!({"reason": {"reason": typed("Use the replica instead")}}),
        )
        .await;
    assert_eq!(answer.body["response_action"], "clear", "{:?}", answer.body);
    assert_eq!(
        world
            .query_text(&format!(
                "SELECT status || ': ' || rejection_reason FROM requests WHERE id = {id}"
            ))
            .await,
        "Rejected: Use the replica instead"
    );
    assert!(
        text_of(&world.slack.calls_of("chat.update").pop().unwrap())
            .contains("You rejected request")
    );
    world.deliver().await;
    let rejected = world.slack.messages_to("UALICE").pop().unwrap();
    let text = text_of(&rejected);
    assert!(
        text.contains("Rejected")
            && text.contains("Use the replica instead")
            && text.contains("Request again"),
        "{text}"
    );

    // An admin turns chat approval off: buttons already sent are refused.
    let id = submit("second").await;
    world.deliver().await;
    let approval = world.slack.messages_to("UBOB").pop().unwrap();
    let carol = world.login("carol").await;
    world
        .call(
            Method::PUT,
            "/api/v1/admin/settings/slack",
            Some(&carol),
            Some(json!({"chat_approval": false})),
        )
        .await;
    world.click("UBOB", &approval, "approve").await;
    assert!(
        text_of(world.slack.messages_to("UBOB").last().unwrap())
            .contains("turned off by your admin")
    );
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Pending Approval"
    );
    world
        .call(
            Method::PUT,
            "/api/v1/admin/settings/slack",
            Some(&carol),
            Some(json!({"chat_approval": true})),
        )
        .await;

    // A flow requiring MFA sends the approver to the portal.
    world
        .db
        .write(|tx| {
            Ok(tx.execute(
                "UPDATE access_flows SET mfa_required = 1 WHERE name = 'Production databases'",
                [],
            )?)
        })
        .await
        .unwrap();
    world.click("UBOB", &approval, "approve").await;
    assert!(text_of(world.slack.messages_to("UBOB").last().unwrap()).contains("requires MFA"));
    world.click("UBOB", &approval, "reject").await;
    assert!(text_of(world.slack.messages_to("UBOB").last().unwrap()).contains("requires MFA"));
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Pending Approval"
    );
}

#[tokio::test]
async fn mfa_flows_send_approvers_to_the_portal_in_the_message() {
    let world = World::new().await;
    world
        .db
        .write(|tx| {
            Ok(tx.execute(
                "UPDATE access_flows SET mfa_required = 1 WHERE name = 'Production databases'",
                [],
            )?)
        })
        .await
        .unwrap();
    let alice = world.login("alice").await;
    // Alice confirms MFA so her request goes to approval: simulate a confirmation.
    world.db.write(|tx| Ok(tx.execute("INSERT INTO mfa (user_id, sealed_secret, enabled, confirmed_until) SELECT id, ?1, 1, 9999999999 FROM users WHERE username = 'alice'", [vec![0u8]])?)).await.unwrap();
    let billing = world.resource("billing").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": billing, "permission": "read-only"}], "duration_seconds": 3600, "justification": "x"})))
        .await;
    assert_eq!(
        answer.body["requests"][0]["status"], "Pending Approval",
        "{:?}",
        answer.body
    );
    world.deliver().await;
    let approval = world.slack.messages_to("UBOB").pop().unwrap();
    let text = text_of(&approval);
    assert!(
        text.contains("requires MFA") && text.contains("Review in Gatehouse"),
        "{text}"
    );
    assert!(
        !buttons(&approval)
            .iter()
            .any(|b| b["action_id"] == "approve")
    );
}

#[tokio::test]
async fn bundle_journey_starts_with_all_resources_selected() {
    let world = World::new().await;
    let view = open_request_modal(&world, "UALICE").await;
    let mut values = json!({"mode": {"mode": selected("bundle")}});
    let view = choose(&world, "UALICE", &view, &values, "mode").await;
    let bundles = option_labels(block(&view, "bundle").unwrap());
    let on_call = value_of(&bundles, "On-call responder");
    values[block_id(&view, "bundle")] = json!({"bundle": selected(&on_call)});
    let view = choose(&world, "UALICE", &view, &values, "bundle").await;
    let resources = block(&view, "bundle_resources").unwrap();
    let all: Vec<String> = resources["element"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 3);
    assert_eq!(
        resources["element"]["initial_options"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "all selected by default"
    );
    // Take two of the three.
    values[block_id(&view, "bundle_resources")] =
        json!({"bundle_resources": selected_many(&all[..2])});
    let view = choose(&world, "UALICE", &view, &values, "bundle_resources").await;
    values["duration"] = json!({"duration": selected("3600")});
    values["justification"] = json!({"justification": typed("On call tonight for INC-42 because the pager rotation needs it")});
    let answer = world.submit("UALICE", &view, values).await;
    assert_eq!(
        answer.body["response_action"], "update",
        "{:?}",
        answer.body
    );
    let id = world.query_i64("SELECT MAX(id) FROM requests").await;
    assert_eq!(
        world
            .query_i64(&format!("SELECT item_count FROM requests WHERE id = {id}"))
            .await,
        2
    );
    assert!(
        world
            .query_i64(&format!("SELECT bundle_id FROM requests WHERE id = {id}"))
            .await
            > 0
    );
}

#[tokio::test]
async fn on_behalf_journey() {
    let world = World::new().await;
    let view = open_request_modal(&world, "UALICE").await;
    // The grantee menu searches people.
    let people = world.suggest("UALICE", "grantee", "grantee", "car").await;
    let options = people.body["options"].as_array().unwrap();
    assert_eq!(options.len(), 1);
    let carol = options[0]["value"].as_str().unwrap().to_owned();
    let mut values =
        json!({"mode": {"mode": selected("single")}, "grantee": {"grantee": selected(&carol)}});
    let view = choose(&world, "UALICE", &view, &values, "grantee").await;
    assert!(text_of(&view).contains("Only the grantee will have access"));
    // Only flows allowing on-behalf count: GitHub and Prod PostgreSQL, not AWS.
    let integrations = option_labels(block(&view, "integration").unwrap());
    assert!(
        !integrations.iter().any(|(_, l)| l == "AWS Production"),
        "{integrations:?}"
    );
    let github = value_of(&integrations, "GitHub");
    values[block_id(&view, "integration")] = json!({"integration": selected(&github)});
    let view = choose(&world, "UALICE", &view, &values, "integration").await;
    let types = option_labels(block(&view, "resource_type").unwrap());
    let repository = value_of(&types, "repository");
    values[block_id(&view, "resource_type")] = json!({"resource_type": selected(&repository)});
    let view = choose(&world, "UALICE", &view, &values, "resource_type").await;
    let resources_block = block_id(&view, "resources");
    let docs = world
        .suggest("UALICE", "resources", &resources_block, "docs")
        .await
        .body["options"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    values[resources_block.as_str()] = json!({"resources": selected_many(&[docs])});
    let view = choose(&world, "UALICE", &view, &values, "resources").await;
    values[block_id(&view, "permission")] = json!({"permission": selected("read")});
    let view = choose(&world, "UALICE", &view, &values, "permission").await;
    values["duration"] = json!({"duration": selected("3600")});
    let answer = world.submit("UALICE", &view, values).await;
    assert_eq!(
        answer.body["response_action"], "update",
        "{:?}",
        answer.body
    );
    let id = world.query_i64("SELECT MAX(id) FROM requests").await;
    assert_eq!(world.query_text(&format!("SELECT u.username FROM requests r JOIN users u ON u.id = r.grantee_id WHERE r.id = {id}")).await, "carol");
    assert_eq!(world.query_text(&format!("SELECT u.username FROM requests r JOIN users u ON u.id = r.requester_id WHERE r.id = {id}")).await, "alice");
}

/// An expired GitHub request of alice's, starred.
async fn expired_favorite(world: &World) -> i64 {
    let alice = world.login("alice").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    world.tick().await;
    world.clock.advance(time::Duration::hours(2));
    world.tick().await;
    world.tick().await;
    assert_eq!(
        world
            .query_text(&format!("SELECT status FROM requests WHERE id = {id}"))
            .await,
        "Expired"
    );
    let alice = world.login("alice").await;
    let answer = world
        .call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/favorite"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    id
}

#[tokio::test]
async fn favorites_journey() {
    let world = World::new().await;
    let favorite = expired_favorite(&world).await;
    world.slash("UALICE", "favorites").await;
    let view = world.last_view("views.open");
    assert_eq!(view["callback_id"], "favorites");
    let text = text_of(&view);
    assert!(
        text.contains(&format!("#{favorite}"))
            && text.contains("More Details")
            && text.contains("View All Favorites"),
        "{text}"
    );
    assert!(text.contains("https://gatehouse.example.com/favorites"));
    // Submitting without selecting is refused.
    let answer = world.submit("UALICE", &view, json!({})).await;
    assert_eq!(
        answer.body["errors"]["justification"],
        "Select a favorite first."
    );
    // More Details goes to Messages.
    let answer = world
        .modal_action(
            "UALICE",
            &view,
            json!({}),
            "more_details",
            json!({"value": favorite.to_string()}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        text_of(world.slack.messages_to("UALICE").last().unwrap())
            .contains(&format!("#{favorite}"))
    );
    // Select turns the button green.
    world
        .modal_action(
            "UALICE",
            &view,
            json!({}),
            "favorite_select",
            json!({"value": favorite.to_string()}),
        )
        .await;
    let view = world.last_view("views.update");
    let select = buttons(&view)
        .into_iter()
        .find(|b| b["action_id"] == "favorite_select")
        .unwrap();
    assert_eq!(select["text"]["text"], "Selected");
    assert_eq!(select["style"], "primary");
    let answer = world.submit("UALICE", &view, json!({"justification": {"justification": typed("Reviewing the docs again for DOC-7")}})).await;
    assert_eq!(
        answer.body["response_action"], "update",
        "{:?}",
        answer.body
    );
    let newest = world.query_i64("SELECT MAX(id) FROM requests").await;
    assert_eq!(
        world
            .query_i64(&format!(
                "SELECT requested_again_from FROM requests WHERE id = {newest}"
            ))
            .await,
        favorite
    );
}

#[tokio::test]
async fn my_requests_lists_active_and_the_last_seven_days() {
    let world = World::new().await;
    let old = expired_favorite(&world).await;
    world.clock.advance(time::Duration::days(8));
    let alice = world.login("alice").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let recent = answer.body["requests"][0]["id"].as_i64().unwrap();
    let answer = world.slash("UALICE", "my requests").await;
    assert_eq!(answer.body["response_type"], "ephemeral");
    let message = world.slack.messages_to("UALICE").pop().unwrap();
    let text = text_of(&message);
    assert!(
        text.contains(&format!("#{recent}")) && text.contains("Active"),
        "{text}"
    );
    assert!(!text.contains(&format!("*#{old}*")), "{text}");
}

#[tokio::test]
async fn extend_journey() {
    let world = World::new().await;
    let alice = world.login("alice").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    world.tick().await;
    let before = world
        .query_i64(&format!("SELECT expires_at FROM requests WHERE id = {id}"))
        .await;
    world.clock.advance(time::Duration::minutes(50));
    world.tick().await;
    world.deliver().await;
    let warning = world
        .slack
        .messages_to("UALICE")
        .into_iter()
        .find(|m| text_of(m).contains("ends in"))
        .unwrap();
    let extend = buttons(&warning)
        .into_iter()
        .find(|b| b["action_id"] == "extend")
        .unwrap();
    assert_eq!(extend["confirm"]["title"]["text"], "Extend this request?");
    assert_eq!(extend["confirm"]["confirm"]["text"], "Extend");
    world.click("UALICE", &warning, "extend").await;
    assert_eq!(
        world
            .query_i64(&format!("SELECT expires_at FROM requests WHERE id = {id}"))
            .await,
        before + 3600
    );
    assert!(
        text_of(&world.slack.calls_of("chat.update").pop().unwrap())
            .contains(&format!("Request #{id} extended"))
    );
    // GitHub self-service allows two extensions; the third is refused with the reason.
    world.clock.advance(time::Duration::minutes(56));
    world.click("UALICE", &warning, "extend").await;
    assert_eq!(
        world
            .query_i64(&format!("SELECT extensions FROM requests WHERE id = {id}"))
            .await,
        2
    );
    world.clock.advance(time::Duration::minutes(56));
    world.click("UALICE", &warning, "extend").await;
    assert!(
        text_of(world.slack.messages_to("UALICE").last().unwrap())
            .contains("maximum number of times")
    );
}

#[tokio::test]
async fn home_tab() {
    let world = World::new().await;
    let answer = world
        .event(json!({"type": "url_verification", "challenge": "abc123"}))
        .await;
    assert_eq!(answer.body, json!({"challenge": "abc123"}));
    let favorite = expired_favorite(&world).await;
    let alice = world.login("alice").await;
    let docs = world.resource("acme/api-gateway").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let active = answer.body["requests"][0]["id"].as_i64().unwrap();
    world.event(json!({"type": "event_callback", "event": {"type": "app_home_opened", "user": "UALICE", "tab": "home"}})).await;
    let publish = world.slack.calls_of("views.publish").pop().unwrap();
    assert_eq!(publish["user_id"], "UALICE");
    let home = &publish["view"];
    assert_eq!(home["type"], "home");
    let text = text_of(home);
    for expected in [
        "Create New Request",
        "My Access",
        "Recent & Favorites",
        "My Sessions",
        "Access Details",
        "Request again",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    assert!(text.contains(&format!("#{favorite}")) && text.contains(&format!("#{active}")));
    // Create New Request opens the Request Access modal.
    let create = json!({"blocks": home["blocks"]});
    let answer = world
        .interact(
            json!({"type": "block_actions", "user": {"id": "UALICE"}, "trigger_id": "trigger-home",
            "container": {"type": "view", "view_id": "VHOME"},
            "actions": [{"action_id": "open_request", "value": buttons(&create)[0]["value"]}]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        world.slack.calls_of("views.open").pop().unwrap()["trigger_id"],
        "trigger-home"
    );
    assert_eq!(
        world.last_view("views.open")["callback_id"],
        "request_access"
    );
}

#[tokio::test]
async fn slack_endpoints_are_absent_when_slack_is_not_configured() {
    let app = {
        let dir = tempfile::tempdir().unwrap();
        let db = gatehouse::db::Db::open(&dir.path().join("g.db")).unwrap();
        let state =
            gatehouse::AppState::new(db, std::sync::Arc::new(gatehouse::clock::SystemClock));
        (gatehouse::app(state), dir)
    };
    use tower::ServiceExt;
    let request = axum::http::Request::post("/slack/commands")
        .body(axum::body::Body::from("text=request"))
        .unwrap();
    let response = app.0.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[test]
fn the_manifest_points_slack_at_the_endpoints_and_asks_for_the_scopes_used() {
    let manifest = include_str!("../../slack/manifest.yml");
    for needed in [
        "/slack/commands",
        "/slack/interactions",
        "/slack/options",
        "/slack/events",
        "app_home_opened",
        "command: /gatehouse",
        "- commands",
        "- chat:write",
        "- users:read.email",
        "home_tab_enabled: true",
        "messages_tab_enabled: true",
    ] {
        assert!(
            manifest.contains(needed),
            "{needed} missing from the manifest"
        );
    }
}

/// Hands out a user name and secret, as a database connector would.
#[derive(Debug)]
struct IssuingConnector;

impl gatehouse::connector::Connector for IssuingConnector {
    fn grant(
        &self,
        _grant: &gatehouse::connector::Grant,
    ) -> Result<gatehouse::connector::Outcome, String> {
        Ok(gatehouse::connector::Outcome::Done(
            gatehouse::connector::Credentials {
                username: Some("gh_alice_7".into()),
                secret: Some("s3cret-shown-once".into()),
                instructions: Some("psql -h db.internal -U gh_alice_7".into()),
                ..Default::default()
            },
        ))
    }

    fn revoke(
        &self,
        _grant: &gatehouse::connector::Grant,
    ) -> Result<gatehouse::connector::Outcome, String> {
        Ok(gatehouse::connector::Outcome::Done(Default::default()))
    }
}

#[tokio::test]
async fn access_details_show_the_secret_once_in_a_modal() {
    let world = World::with_connector(std::sync::Arc::new(IssuingConnector)).await;
    let alice = world.login("alice").await;
    let docs = world.resource("acme/docs").await;
    let answer = world
        .call(Method::POST, "/api/v1/requests", Some(&alice),
            Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})))
        .await;
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    world.tick().await;
    world.event(json!({"type": "event_callback", "event": {"type": "app_home_opened", "user": "UALICE", "tab": "home"}})).await;
    let home = world.last_view("views.publish");
    // My Sessions → Access Details.
    let answer = world
        .interact(
            json!({"type": "block_actions", "user": {"id": "UALICE"}, "trigger_id": "t-details",
            "container": {"type": "view", "view_id": "VHOME"},
            "actions": [{"action_id": "access_details", "value": id.to_string()}]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(text_of(&home).contains("Access Details"));
    let details = world.last_view("views.open");
    let text = text_of(&details);
    assert!(
        text.contains("gh_alice_7")
            && text.contains("psql -h db.internal")
            && !text.contains("s3cret"),
        "{text}"
    );
    let reveal = buttons(&details)
        .into_iter()
        .find(|b| b["action_id"] == "reveal")
        .unwrap();
    let answer = world
        .modal_action(
            "UALICE",
            &details,
            json!({}),
            "reveal",
            json!({"value": reveal["value"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let shown = text_of(&world.last_view("views.update"));
    assert!(
        shown.contains("s3cret-shown-once") && shown.contains("Shown once"),
        "{shown}"
    );
    // Once: a second reveal is refused, and the details no longer offer it.
    world
        .modal_action(
            "UALICE",
            &details,
            json!({}),
            "reveal",
            json!({"value": reveal["value"]}),
        )
        .await;
    assert!(
        text_of(world.slack.messages_to("UALICE").last().unwrap()).contains("shown once already")
    );
    world
        .interact(
            json!({"type": "block_actions", "user": {"id": "UALICE"}, "trigger_id": "t-details-2",
            "actions": [{"action_id": "access_details", "value": id.to_string()}]}),
        )
        .await;
    let again = world.last_view("views.open");
    assert!(!buttons(&again).iter().any(|b| b["action_id"] == "reveal"));
    assert!(text_of(&again).contains("shown once already"));
    // Bob is not the grantee: no details for him.
    world
        .interact(
            json!({"type": "block_actions", "user": {"id": "UBOB"}, "trigger_id": "t-bob",
            "actions": [{"action_id": "access_details", "value": id.to_string()}]}),
        )
        .await;
    assert_eq!(world.slack.calls_of("views.open").len(), 2);
}

#[tokio::test]
async fn ask_answers_suggestions_whose_request_button_opens_the_filled_modal() {
    let world = World::new().await;
    let answer = world
        .slash("UALICE", "ask I need to read last month's invoices")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["response_type"], "ephemeral");
    let text = text_of(&answer.body);
    assert!(text.contains("*billing.invoices* (read-only)"), "{text}");
    assert!(
        text.contains("matches 'invoices' in billing.invoices"),
        "{text}"
    );
    // The first Request button is billing.invoices's.
    let answer = world.click("UALICE", &answer.body, "assist_request").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let view = world.last_view("views.open");
    assert_eq!(view["callback_id"], "request_access");
    let resources = block(&view, "resources").unwrap();
    let chosen = text_of(&resources["element"]["initial_options"]);
    assert!(chosen.contains("billing.invoices"), "{resources:#}");
    let permission = block(&view, "permission").unwrap();
    assert!(
        text_of(&permission["element"]["initial_option"]).contains("read-only"),
        "{permission:#}"
    );
    // Without words, the command says how to use it.
    let empty = world.slash("UALICE", "ask").await;
    assert!(
        empty.body["text"]
            .as_str()
            .unwrap()
            .contains("Say what you need")
    );
}
