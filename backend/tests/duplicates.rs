//! No duplicate access: a request for access the grantee already has Active
//! or already waits for is refused with 409 naming the covering request,
//! unless the form asks for a new one anyway (which is audited).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::{GOOD_WHY, TestApp, active_docs_request, audit_log, pending_orders_request};
use serde_json::{Value, json};

fn orders_form(orders: i64, permission: &str) -> Value {
    json!({"items": [{"resource_id": orders, "permission": permission}],
        "duration_seconds": 3600, "justification": GOOD_WHY})
}

async fn my_request_count(app: &TestApp, cookie: &str) -> usize {
    app.get("/api/v1/requests", cookie).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_second_identical_request_is_refused_with_the_covering_one() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let first = pending_orders_request(&app, &alice).await;
    let orders = app.resource("orders").await;

    let again = app
        .post("/api/v1/requests", &alice, orders_form(orders, "read-only"))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.body["code"], "duplicate_request");
    assert_eq!(again.body["field"], "items");
    let covering = &again.body["covering"][0];
    assert_eq!(covering["request_id"], first);
    assert_eq!(covering["status"], "Pending Approval");
    assert_eq!(covering["resource_id"], orders);
    assert_eq!(covering["covering_permission"], "read-only");
    assert_eq!(
        covering["can_extend"], false,
        "a waiting request cannot be extended"
    );
    let message = again.body["message"].as_str().unwrap();
    assert!(message.contains(&format!("request {first}")), "{message}");
    assert_eq!(
        my_request_count(&app, &alice).await,
        1,
        "nothing was created"
    );

    // The preview says the same before anything is submitted.
    let preview = app
        .post(
            "/api/v1/requests/preview",
            &alice,
            orders_form(orders, "read-only"),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["covered_by"][0]["request_id"], first);
    assert_eq!(
        preview.body["problems"],
        json!([]),
        "overridable, not a problem"
    );

    // Once that request is closed (cancelled), the access may be asked for again.
    let cancelled = app
        .post(
            &format!("/api/v1/requests/{first}/cancel"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let fresh = app
        .post("/api/v1/requests", &alice, orders_form(orders, "read-only"))
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
}

#[tokio::test]
async fn a_waiting_stronger_permission_covers_a_weaker_one_but_not_the_reverse() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let write = app
        .post(
            "/api/v1/requests",
            &alice,
            orders_form(orders, "read-write"),
        )
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{}", write.body);
    let write_id = write.body["requests"][0]["id"].as_i64().unwrap();

    let read = app
        .post("/api/v1/requests", &alice, orders_form(orders, "read-only"))
        .await;
    assert_eq!(read.status, StatusCode::CONFLICT, "{}", read.body);
    assert_eq!(read.body["covering"][0]["request_id"], write_id);
    assert_eq!(read.body["covering"][0]["permission"], "read-only");
    assert_eq!(
        read.body["covering"][0]["covering_permission"],
        "read-write"
    );

    // Another resource in the same form is not what makes it a duplicate,
    // but the whole form is refused: nothing half-submitted.
    let billing = app.resource("billing").await;
    let mixed = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": billing, "permission": "read-only"},
                             {"resource_id": orders, "permission": "read-only"}],
                "duration_seconds": 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(mixed.status, StatusCode::CONFLICT, "{}", mixed.body);
    assert_eq!(mixed.body["covering"].as_array().unwrap().len(), 1);
    assert_eq!(my_request_count(&app, &alice).await, 1);

    // bob approves read-only for alice on billing; read-write there is more
    // than she holds, so it is not a duplicate.
    let bob = app.login("bob").await;
    let billing_read = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": billing, "permission": "read-only"}],
                "duration_seconds": 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(
        billing_read.status,
        StatusCode::CREATED,
        "{}",
        billing_read.body
    );
    let id = billing_read.body["requests"][0]["id"].as_i64().unwrap();
    let approved = app
        .post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let stronger = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": billing, "permission": "read-write"}],
                "duration_seconds": 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(stronger.status, StatusCode::CREATED, "{}", stronger.body);
}

#[tokio::test]
async fn a_forced_duplicate_is_created_and_audited_with_what_covered_it() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let first = pending_orders_request(&app, &alice).await;
    let orders = app.resource("orders").await;
    let mut form = orders_form(orders, "read-only");
    form["allow_duplicate"] = json!(true);
    let forced = app.post("/api/v1/requests", &alice, form).await;
    assert_eq!(forced.status, StatusCode::CREATED, "{}", forced.body);
    let second = forced.body["requests"][0]["id"].as_i64().unwrap();
    assert_ne!(second, first);
    assert_eq!(my_request_count(&app, &alice).await, 2);

    let log = audit_log(&app).await;
    let forced_entries: Vec<&Value> = log
        .iter()
        .filter(|(action, _)| action == "duplicate_forced")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(forced_entries.len(), 1, "{log:?}");
    assert_eq!(forced_entries[0]["covered_by"][0]["request_id"], first);
    assert_eq!(
        forced_entries[0]["covered_by"][0]["status"],
        "Pending Approval"
    );
    let detail = app.get(&format!("/api/v1/requests/{second}"), &alice).await;
    assert!(
        detail.body["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["action"] == "duplicate_forced"),
        "{}",
        detail.body
    );
    // A submission covering nothing records no such entry.
    let docs = active_docs_request(&app, &alice).await;
    let log = audit_log(&app).await;
    assert_eq!(
        log.iter().filter(|(a, _)| a == "duplicate_forced").count(),
        1,
        "request {docs} duplicated nothing"
    );
}

#[tokio::test]
async fn active_access_is_the_covering_request_and_offers_extend_near_expiry() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let id = active_docs_request(&app, &alice).await;
    let docs = app.resource("acme/docs").await;
    let form =
        json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600});

    let early = app.post("/api/v1/requests", &alice, form.clone()).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.body["covering"][0]["request_id"], id);
    assert_eq!(early.body["covering"][0]["status"], "Active");
    assert_eq!(
        early.body["covering"][0]["can_extend"], false,
        "not near expiry yet"
    );
    assert!(early.body["covering"][0]["expires_at"].is_string());

    // GitHub self-service offers Extend 15 minutes before expiry.
    app.clock.advance(time::Duration::minutes(50));
    let preview = app
        .post("/api/v1/requests/preview", &alice, form.clone())
        .await;
    assert_eq!(preview.body["covered_by"][0]["request_id"], id);
    assert_eq!(preview.body["covered_by"][0]["can_extend"], true);
    let late = app.post("/api/v1/requests", &alice, form).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(
        late.body["message"].as_str().unwrap().contains("Extend"),
        "{}",
        late.body
    );
}

#[tokio::test]
async fn another_grantees_access_is_no_duplicate() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    active_docs_request(&app, &alice).await;
    // bob asks for the same docs access for himself: his own, not alice's.
    let docs = app.resource("acme/docs").await;
    let answer = app
        .post(
            "/api/v1/requests",
            &bob,
            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    // But asking on alice's behalf is covered by her Active request.
    let on_behalf = app
        .post(
            "/api/v1/requests",
            &bob,
            json!({"grantee_id": app.user_id("alice").await,
                "items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}),
        )
        .await;
    assert_eq!(on_behalf.status, StatusCode::CONFLICT, "{}", on_behalf.body);
    assert_eq!(
        on_behalf.body["covering"][0]["can_extend"], false,
        "only her or its requester may extend it"
    );
}
