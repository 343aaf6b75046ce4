//! SCIM 2.0 provisioning: a third-party conformance checker (scim2-tester)
//! against a real server on loopback, the request sequences Okta and Entra
//! ID send, and offboarding — a deactivated user loses sessions, tokens,
//! waiting requests and live access at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode, header};
use common::{Answer, TestApp, scim_send, scim_token};
use serde_json::{Value, json};

/// A SCIM request with a JSON body, if any.
async fn scim(
    app: &TestApp,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    scim_send(app, method, uri, token, body.map(|json| json.to_string())).await
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_third_party_conformance_checker_finds_no_failure() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = gatehouse::app(app.state().with_notify(gatehouse::notify::NotifyConfig {
        public_url: url.clone(),
        ..Default::default()
    }));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = format!("{root}/.venv/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "scim2-tester lives in the repository's .venv: run scripts/setup-test"
    );
    let script = format!("{root}/backend/tests/scim/conformance.py");
    let base = format!("{url}/scim/v2");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(base)
            .arg(token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    server.abort();
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "scim2-tester found failures:\n{report}"
    );
    let passed = report.lines().filter(|l| l.starts_with("SUCCESS")).count();
    assert!(passed >= 30, "only {passed} checks passed:\n{report}");
}

#[tokio::test]
async fn without_the_token_or_with_a_rotated_one_scim_answers_401() {
    let app = TestApp::with_demo().await;
    let nothing = app.call(Method::GET, "/scim/v2/Users", None, None).await;
    assert_eq!(nothing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        nothing.headers[header::CONTENT_TYPE],
        "application/scim+json"
    );
    assert_eq!(
        nothing.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(nothing.body["status"], "401");
    // Before a token exists, none works.
    let guess = scim(&app, Method::GET, "/scim/v2/Users", "scim_guess", None).await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    let old = scim_token(&app).await;
    assert_eq!(
        scim(&app, Method::GET, "/scim/v2/Users", &old, None)
            .await
            .status,
        StatusCode::OK
    );
    let new = scim_token(&app).await;
    assert_eq!(
        scim(&app, Method::GET, "/scim/v2/Users", &old, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        scim(&app, Method::GET, "/scim/v2/Users", &new, None)
            .await
            .status,
        StatusCode::OK
    );
    // A personal API token is not a SCIM token, even an admin's.
    let carol = app.login("carol").await;
    let personal = app
        .post("/api/v1/tokens", &carol, json!({"name": "mine"}))
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        scim(&app, Method::GET, "/scim/v2/Users", &personal, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let off = app
        .call(
            Method::DELETE,
            "/api/v1/admin/scim-token",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    assert_eq!(
        scim(&app, Method::GET, "/scim/v2/Users", &new, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn okta_creates_finds_deactivates_and_reactivates_a_user() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    // Okta looks the user up first, then creates them.
    let search = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=userName%20eq%20%22dana%40example.com%22&startIndex=1&count=100",
        &token,
        None,
    )
    .await;
    assert_eq!(search.status, StatusCode::OK);
    assert_eq!(search.body["totalResults"], 0);
    let created = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "dana@example.com",
            "name": {"givenName": "Dana", "familyName": "Scully"},
            "emails": [{"primary": true, "value": "dana@example.com", "type": "work"}],
            "displayName": "Dana Scully", "locale": "en-US", "externalId": "00u1dana",
            "groups": [], "password": "ignored", "active": true
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["userName"], "dana@example.com");
    assert!(
        created.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    // Gatehouse's own username comes from it.
    let carol = app.login("carol").await;
    let users = app.get("/api/v1/admin/users", &carol).await.body;
    let dana = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"].as_i64() == id.parse::<i64>().ok())
        .unwrap();
    assert_eq!(dana["username"], "dana");
    assert_eq!(dana["display_name"], "Dana Scully");
    assert_eq!(dana["email"], "dana@example.com");
    // A second create with the same userName, whatever its case: 409.
    let again = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &token,
        Some(json!({"userName": "DANA@example.com"})),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["scimType"], "uniqueness");
    for filter in [
        "userName%20eq%20%22DANA%40EXAMPLE.COM%22",
        "externalId%20eq%20%2200u1dana%22",
    ] {
        let found = scim(
            &app,
            Method::GET,
            &format!("/scim/v2/Users?filter={filter}"),
            &token,
            None,
        )
        .await;
        assert_eq!(found.body["totalResults"], 1, "{filter}: {}", found.body);
        assert_eq!(found.body["Resources"][0]["id"], id.as_str());
    }
    let unsupported = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=title%20co%20%22x%22",
        &token,
        None,
    )
    .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert_eq!(unsupported.body["scimType"], "invalidFilter");

    // Okta deactivates with a pathless replace.
    let off = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch(
            json!([{"op": "replace", "value": {"active": false}}]),
        )),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["active"], false);
    let on = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch(json!([{"op": "replace", "value": {"active": true}}]))),
    )
    .await;
    assert_eq!(on.body["active"], true);
    let actions: Vec<String> = common::audit_log(&app)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for action in [
        "scim.user.created",
        "user_deactivated_by_provider",
        "user_reactivated_by_provider",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    // Deleted: gone from SCIM, kept for history.
    let deleted = scim(
        &app,
        Method::DELETE,
        &format!("/scim/v2/Users/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        scim(
            &app,
            Method::GET,
            &format!("/scim/v2/Users/{id}"),
            &token,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        scim(
            &app,
            Method::DELETE,
            &format!("/scim/v2/Users/{id}"),
            &token,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // A re-hire with the same userName is a new user.
    let rehired = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &token,
        Some(json!({"userName": "dana@example.com"})),
    )
    .await;
    assert_eq!(rehired.status, StatusCode::CREATED, "{}", rehired.body);
    assert_ne!(rehired.body["id"], id.as_str());
}

#[tokio::test]
async fn entra_id_patches_users_and_group_members_its_way() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let created = scim(&app, Method::POST, "/scim/v2/Users", &token, Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "erin", "userName": "erin@contoso.com", "active": true,
        "displayName": "Erin Contoso",
        "emails": [{"primary": true, "type": "work", "value": "erin@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Erin Contoso", "familyName": "Contoso", "givenName": "Erin"}
    }))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let erin = created.body["id"].as_str().unwrap().to_owned();
    let changed = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{erin}"),
        &token,
        Some(patch(json!([
            {"op": "Replace", "path": "displayName", "value": "Erin C."},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "erin.c@contoso.com"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]))),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["active"], false);
    assert_eq!(changed.body["displayName"], "Erin C.");
    assert_eq!(changed.body["emails"][0]["value"], "erin.c@contoso.com");

    let alice = app.user_id("alice").await;
    let group = scim(&app, Method::POST, "/scim/v2/Groups", &token, Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "8aa1", "displayName": "dba", "members": []
    }))).await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let dba = group.body["id"].as_str().unwrap().to_owned();
    let added = scim(&app, Method::PATCH, &format!("/scim/v2/Groups/{dba}"), &token, Some(patch(json!([
        {"op": "Add", "path": "members", "value": [{"value": alice.to_string()}, {"value": erin}]}
    ])))).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(added.body["members"].as_array().unwrap().len(), 2);
    let removed = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Groups/{dba}"),
        &token,
        Some(patch(json!([
            {"op": "Remove", "path": "members", "value": [{"value": erin}]}
        ]))),
    )
    .await;
    assert_eq!(
        removed.body["members"],
        json!([{"value": alice.to_string(),
        "$ref": format!("http://127.0.0.1:8080/scim/v2/Users/{alice}")}])
    );
    let unknown = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Groups/{dba}"),
        &token,
        Some(patch(json!([
            {"op": "Add", "path": "members", "value": [{"value": "999999"}]}
        ]))),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["scimType"], "invalidValue");
    let found = scim(
        &app,
        Method::GET,
        "/scim/v2/Groups?filter=displayName%20eq%20%22DBA%22",
        &token,
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1);
    let bad = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Groups/{dba}"),
        &token,
        Some(json!({"Operations": "no"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let malformed = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/scim/v2/Users")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["scimType"], "invalidSyntax");
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_tokens_waiting_requests_and_live_access() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let alice = app.login("alice").await;
    let personal = app
        .post("/api/v1/tokens", &alice, json!({"name": "laptop"}))
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = common::pending_orders_request(&app, &alice).await;
    let live = common::active_docs_request(&app, &alice).await;
    let found = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=userName%20eq%20%22alice%22",
        &token,
        None,
    )
    .await;
    let id = found.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let off = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);

    // Every way in is closed at once.
    assert_eq!(
        app.get("/api/v1/me", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );
    let with_token = app
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {personal}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(with_token.status, StatusCode::UNAUTHORIZED);
    let password = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "alice", "password": gatehouse::demo::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(password.status, StatusCode::UNAUTHORIZED);

    // What waited is cancelled; the live access is being removed.
    let carol = app.login("carol").await;
    let request = |id: i64| {
        let app = &app;
        let carol = carol.clone();
        async move {
            app.get(&format!("/api/v1/requests/{id}"), &carol)
                .await
                .body
        }
    };
    let cancelled = request(waiting).await;
    assert_eq!(cancelled["status"], "Revoked", "{cancelled}");
    assert_eq!(
        cancelled["revoke_reason"],
        "deprovisioned by the identity provider"
    );
    assert_eq!(request(live).await["status"], "Revoking");
    app.tick().await;
    let ended = request(live).await;
    assert_eq!(ended["status"], "Revoked", "{ended}");
    assert_eq!(
        ended["revoke_reason"],
        "deprovisioned by the identity provider"
    );
    let entries = common::audit_log(&app).await;
    let deactivated = entries
        .iter()
        .find(|(a, _)| a == "user_deactivated_by_provider")
        .unwrap();
    assert_eq!(deactivated.1["cancelled"], json!([waiting]));
    assert_eq!(deactivated.1["revoking"], json!([live]));
}

#[tokio::test]
async fn access_that_goes_live_after_a_deactivation_is_removed_by_the_worker() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let waiting = common::pending_orders_request(&app, &alice).await;
    // bob approves: Granting, before the worker grants it.
    let approved = app
        .post(
            &format!("/api/v1/requests/{waiting}/approve"),
            &bob,
            json!({}),
        )
        .await;
    assert!(approved.status.is_success(), "{}", approved.body);
    let found = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=userName%20eq%20%22alice%22",
        &token,
        None,
    )
    .await;
    let id = found.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        &token,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    )
    .await;
    // The grant under way finishes, then the sweep takes it away.
    app.tick().await;
    app.tick().await;
    let carol = app.login("carol").await;
    let ended = app
        .get(&format!("/api/v1/requests/{waiting}"), &carol)
        .await
        .body;
    assert_eq!(ended["status"], "Revoked", "{ended}");
}

#[tokio::test]
async fn group_changes_from_the_provider_decide_who_may_request_from_then_on() {
    let app = TestApp::with_demo().await;
    let token = scim_token(&app).await;
    let alice = app.login("alice").await;
    common::pending_orders_request(&app, &alice).await;
    // engineering (alice, bob) lets its members ask for the orders database.
    let groups = scim(
        &app,
        Method::GET,
        "/scim/v2/Groups?filter=displayName%20eq%20%22engineering%22",
        &token,
        None,
    )
    .await;
    let engineering = groups.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice_id = app.user_id("alice").await;
    let removed = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Groups/{engineering}"),
        &token,
        Some(patch(json!([
            {"op": "remove", "path": format!("members[value eq \"{alice_id}\"]")}
        ]))),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let orders = app.resource("orders").await;
    let refused = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": common::GOOD_WHY}),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.body);
}
