//! Admin API and authorization across every documented route.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{Value, json};

/// Every operation of the OpenAPI document, with path parameters filled in.
fn operations() -> Vec<(Method, String)> {
    let doc = serde_json::to_value(gatehouse::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_uppercase().parse().unwrap(), concrete.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_documented_route_but_log_in_and_health_requires_authentication() {
    let app = TestApp::with_demo().await;
    let public = [
        (Method::POST, "/api/v1/session"),
        (Method::GET, "/healthz"),
        (Method::GET, "/livez"),
        (Method::GET, "/readyz"),
        // Open unless the server has a metrics token (tests/metrics.rs).
        (Method::GET, "/metrics"),
        // Signing in with the identity provider happens signed out (tests/sso.rs).
        (Method::GET, "/api/v1/sso"),
        (Method::GET, "/api/v1/sso/start"),
        (Method::GET, "/api/v1/sso/callback"),
        (Method::POST, "/api/v1/sso/cli-token"),
        // Hosts fetch the SSH revocation list without a credential.
        (Method::GET, "/api/v1/ssh/revoked-keys"),
    ];
    let mut checked = 0;
    for (method, uri) in operations() {
        if public.iter().any(|(m, u)| *m == method && *u == uri) {
            continue;
        }
        let answer = app.call(method.clone(), &uri, None, Some(json!({}))).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            answer.body
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} routes checked");
}

#[tokio::test]
async fn only_admins_reach_admin_routes() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let mut checked = 0;
    for (method, uri) in operations()
        .into_iter()
        .filter(|(_, uri)| uri.starts_with("/api/v1/admin/"))
    {
        let answer = app
            .call(method.clone(), &uri, Some(&alice), Some(json!({})))
            .await;
        // A body that does not parse is refused before authorization can be; send a valid shape where needed.
        assert!(
            answer.status == StatusCode::FORBIDDEN
                || answer.status == StatusCode::UNPROCESSABLE_ENTITY
                || answer.status == StatusCode::BAD_REQUEST,
            "{method} {uri}: {}",
            answer.status
        );
        if answer.status == StatusCode::FORBIDDEN {
            checked += 1;
        }
    }
    // Routes without a body (lists, deletes) must all say forbidden.
    for uri in [
        "/api/v1/admin/users",
        "/api/v1/admin/groups",
        "/api/v1/admin/access-flows",
    ] {
        assert_eq!(
            app.get(uri, &alice).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    for uri in [
        "/api/v1/admin/integrations/1",
        "/api/v1/admin/resources/1",
        "/api/v1/admin/users/2",
        "/api/v1/admin/access-flows/1",
    ] {
        assert_eq!(
            app.call(Method::DELETE, uri, Some(&alice), None)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    assert!(checked >= 10, "{checked}");
    // And nothing was deleted.
    let carol = app.login("carol").await;
    assert_eq!(
        app.get("/api/v1/admin/access-flows", &carol)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

async fn created(answer: common::Answer) -> Value {
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

#[tokio::test]
async fn an_admin_builds_a_catalog_and_flow_that_a_requester_can_use() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let integration = created(app.post("/api/v1/admin/integrations", &carol, json!({"name": "Staging PostgreSQL", "kind": "postgresql", "admin_message": "Use the VPN", "connection_options": ["terminal"]})).await).await;
    let integration_id = integration["id"].as_i64().unwrap();
    let rtype = created(app.post("/api/v1/admin/resource-types", &carol, json!({"integration_id": integration_id, "name": "database", "permissions": ["read-only", "read-write"]})).await).await;
    assert_eq!(rtype["permissions"].as_array().unwrap().len(), 2);
    let resource = created(app.post("/api/v1/admin/resources", &carol, json!({"resource_type_id": rtype["id"], "name": "staging-main", "path": "staging-main", "tags": ["staging"]})).await).await;
    assert_eq!(resource["integration_name"], "Staging PostgreSQL");
    let bundle = created(app.post("/api/v1/admin/bundles", &carol, json!({"name": "Staging kit", "items": [{"resource_id": resource["id"], "permission": "read-only"}]})).await).await;
    assert_eq!(bundle["resource_count"], 1);
    let alice_id = app.user_id("alice").await;
    let flow = created(app.post("/api/v1/admin/access-flows", &carol, json!({
        "name": "Staging for alice", "grantees": [{"kind": "user", "id": alice_id}], "scope": [{"kind": "tag", "tag": "staging"}],
        "permissions": ["read-only"], "auto_approve": true, "durations_seconds": [1800, 900], "max_duration_seconds": 1800
    })).await).await;
    assert_eq!(flow["durations_seconds"], json!([900, 1800]));

    let answer = app.post("/api/v1/requests", &alice, json!({"items": [{"resource_id": resource["id"], "permission": "read-only"}], "duration_seconds": 900})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["requests"][0]["flow_name"], "Staging for alice");
    assert_eq!(answer.body["requests"][0]["status"], "Active");
    let write = app.post("/api/v1/requests", &alice, json!({"items": [{"resource_id": resource["id"], "permission": "read-write"}], "duration_seconds": 900})).await;
    assert_eq!(
        write.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "read-write is outside the flow"
    );

    // In use: refused with what uses it.
    let resource_uri = format!("/api/v1/admin/resources/{}", resource["id"]);
    let in_use = app
        .call(Method::DELETE, &resource_uri, Some(&carol), None)
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert!(
        in_use.body["message"]
            .as_str()
            .unwrap()
            .contains("requests"),
        "{}",
        in_use.body
    );
    let flow_uri = format!("/api/v1/admin/access-flows/{}", flow["id"]);
    assert_eq!(
        app.call(Method::DELETE, &flow_uri, Some(&carol), None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let integration_uri = format!("/api/v1/admin/integrations/{integration_id}");
    assert_eq!(
        app.call(Method::DELETE, &integration_uri, Some(&carol), None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    // A bundle no flow scopes can go.
    let bundle_uri = format!("/api/v1/admin/bundles/{}", bundle["id"]);
    assert_eq!(
        app.call(Method::DELETE, &bundle_uri, Some(&carol), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &bundle_uri, Some(&carol), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let renamed = app
        .call(
            Method::PUT,
            &integration_uri,
            Some(&carol),
            Some(json!({"name": "Staging DB", "kind": "postgresql"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["name"], "Staging DB");
}

#[tokio::test]
async fn admin_input_is_checked_and_named() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let duplicate = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "GitHub", "kind": "github"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert!(
        duplicate.body["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    let bad_option = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "X", "kind": "x", "connection_options": ["telepathy"]}),
        )
        .await;
    assert_eq!(bad_option.body["field"], "connection_options");
    let no_type = app
        .post(
            "/api/v1/admin/resources",
            &carol,
            json!({"resource_type_id": 9999, "name": "x", "path": "x"}),
        )
        .await;
    assert_eq!(no_type.body["field"], "resource_type_id");
    let flow = json!({"name": "F", "grantees": [{"kind": "user", "id": 9999}], "scope": [{"kind": "integration", "id": 1}],
        "auto_approve": true, "durations_seconds": [60], "max_duration_seconds": 60});
    let missing_user = app.post("/api/v1/admin/access-flows", &carol, flow).await;
    assert_eq!(missing_user.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_user.body["field"], "grantees");
    let no_approvers = app.post("/api/v1/admin/access-flows", &carol, json!({"name": "F", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "integration", "id": 1}],
        "auto_approve": false, "durations_seconds": [60], "max_duration_seconds": 60})).await;
    assert_eq!(no_approvers.body["field"], "approver_steps");
    let short_password = app.post("/api/v1/admin/users", &carol, json!({"username": "erin", "display_name": "Erin", "email": "erin@example.com", "password": "short"})).await;
    assert_eq!(short_password.body["field"], "password");
    let permission_in_use = {
        let types = app.get("/api/v1/resource-types", &carol).await;
        let database = types
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "database" && t["integration_name"] == "Prod PostgreSQL")
            .unwrap()
            .clone();
        let alice = app.login("alice").await;
        let orders = app.resource("orders").await;
        let made = app.post("/api/v1/requests", &alice, json!({"items": [{"resource_id": orders, "permission": "read-write"}], "duration_seconds": 3600, "justification": "x"})).await;
        assert_eq!(made.status, StatusCode::CREATED);
        app.call(Method::PUT, &format!("/api/v1/admin/resource-types/{}", database["id"]), Some(&carol),
            Some(json!({"integration_id": database["integration_id"], "name": "database", "permissions": ["read-only", "admin"]}))).await
    };
    assert_eq!(permission_in_use.status, StatusCode::CONFLICT);
    assert!(
        permission_in_use.body["message"]
            .as_str()
            .unwrap()
            .contains("read-write")
    );
}

#[tokio::test]
async fn admins_manage_users_and_groups() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let erin = created(app.post("/api/v1/admin/users", &carol, json!({"username": "erin", "display_name": "Erin", "email": "erin@example.com", "password": "long enough pw"})).await).await;
    let erin_id = erin["id"].as_i64().unwrap();
    let group = created(
        app.post(
            "/api/v1/admin/groups",
            &carol,
            json!({"name": "sre", "member_ids": [erin_id]}),
        )
        .await,
    )
    .await;
    assert_eq!(group["member_ids"], json!([erin_id]));
    let users = app.get("/api/v1/admin/users", &carol).await;
    let listed = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "erin")
        .unwrap()
        .clone();
    assert_eq!(listed["group_ids"], json!([group["id"]]));
    assert!(listed.get("password").is_none() && listed.get("password_hash").is_none());

    // erin can log in, and is found in the directory.
    let login = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "erin", "password": "long enough pw"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let found = app.get("/api/v1/users?search=eri", &carol).await;
    assert_eq!(found.body[0]["username"], "erin");

    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/admin/groups/{}", group["id"]),
            Some(&carol),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // erin has logged in: she is in the audit trail and is kept.
    let erin_deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/users/{erin_id}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(erin_deleted.status, StatusCode::CONFLICT);
    assert!(
        erin_deleted.body["message"]
            .as_str()
            .unwrap()
            .contains("audit")
    );
    // frank never did anything: he can go.
    let frank = created(app.post("/api/v1/admin/users", &carol, json!({"username": "frank", "display_name": "Frank", "email": "frank@example.com", "password": "long enough pw"})).await).await;
    let frank_deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}", frank["id"]),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(
        frank_deleted.status,
        StatusCode::NO_CONTENT,
        "{}",
        frank_deleted.body
    );
    let carol_id = app.user_id("carol").await;
    let self_delete = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/users/{carol_id}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(self_delete.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn admins_keep_the_ticket_types_that_requesters_choose_from() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let names = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let listed = app.get("/api/v1/admin/ticket-types", &carol).await;
    assert_eq!(names(&listed.body), ["Jira", "ServiceNow"]);

    let linear = created(
        app.post(
            "/api/v1/admin/ticket-types",
            &carol,
            json!({"name": "  Linear "}),
        )
        .await,
    )
    .await;
    assert_eq!(linear["name"], "Linear");
    let again = app
        .post(
            "/api/v1/admin/ticket-types",
            &carol,
            json!({"name": "Linear"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let blank = app
        .post("/api/v1/admin/ticket-types", &carol, json!({"name": " "}))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["field"], "name");

    // The new type is offered to requesters (preview lists the known types).
    let alice = app.login("alice").await;
    let orders = app.resource("orders").await;
    let preview = app
        .post(
            "/api/v1/requests/preview",
            &alice,
            json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 0, "justification": ""}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body["ticket_types"]
            .as_array()
            .unwrap()
            .contains(&json!("Linear")),
        "{}",
        preview.body
    );

    let service_now = listed.body[1]["id"].as_i64().unwrap();
    let renamed = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/ticket-types/{service_now}"),
            Some(&carol),
            Some(json!({"name": "ServiceNow ITSM"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "ServiceNow ITSM");
    let taken = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/ticket-types/{service_now}"),
            Some(&carol),
            Some(json!({"name": "Linear"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    let jira = listed.body[0]["id"].as_i64().unwrap();
    let jira_uri = format!("/api/v1/admin/ticket-types/{jira}");
    let delete_jira = || app.call(Method::DELETE, &jira_uri, Some(&carol), None);
    assert_eq!(delete_jira().await.status, StatusCode::NO_CONTENT);
    let listed = app.get("/api/v1/admin/ticket-types", &carol).await;
    assert_eq!(names(&listed.body), ["Linear", "ServiceNow ITSM"]);
    assert_eq!(delete_jira().await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_read_any_resource_by_id() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let orders = app.resource("orders").await;
    let one = app
        .get(&format!("/api/v1/admin/resources/{orders}"), &carol)
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["id"], orders);
    assert_eq!(one.body["name"], "orders");
    let missing = app.get("/api/v1/admin/resources/999999", &carol).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let docs = app.resource("acme/docs").await;
    let several = app
        .get(
            &format!("/api/v1/admin/resources?id={docs}&id=999999&id={orders}"),
            &carol,
        )
        .await;
    assert_eq!(several.status, StatusCode::OK, "{}", several.body);
    let ids: Vec<i64> = several
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [docs, orders],
        "in the order asked, unknown ids left out"
    );
    let too_many = (0..1001).map(|i| format!("id={i}")).collect::<Vec<_>>();
    let refused = app
        .get(
            &format!("/api/v1/admin/resources?{}", too_many.join("&")),
            &carol,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["field"], "id");
}
