//! The catalog listing is cached per catalog generation: every change that
//! alters what someone may request shows in the very next listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{Value, json};

async fn created(answer: common::Answer) -> Value {
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

fn permissions(page: &Value) -> Vec<String> {
    page["items"][0]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A new integration, type (read-only, read-write) and resource `name` tagged `tag`.
async fn staging_resource(app: &TestApp, admin: &str, name: &str, tag: &str) -> Value {
    let integration = created(
        app.post(
            "/api/v1/admin/integrations",
            admin,
            json!({"name": format!("Staging {name}"), "kind": "postgresql"}),
        )
        .await,
    )
    .await;
    let rtype = created(
        app.post(
            "/api/v1/admin/resource-types",
            admin,
            json!({"integration_id": integration["id"], "name": "database", "permissions": ["read-only", "read-write"]}),
        )
        .await,
    )
    .await;
    created(
        app.post(
            "/api/v1/admin/resources",
            admin,
            json!({"resource_type_id": rtype["id"], "name": name, "path": name, "tags": [tag]}),
        )
        .await,
    )
    .await
}

fn flow(name: &str, grantees: Value, tag: &str, permissions: &[&str]) -> Value {
    json!({
        "name": name, "grantees": grantees, "scope": [{"kind": "tag", "tag": tag}],
        "permissions": permissions, "auto_approve": true,
        "durations_seconds": [900], "max_duration_seconds": 900
    })
}

#[tokio::test]
async fn a_resource_an_admin_adds_renames_or_deletes_shows_in_the_next_listing() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let all = app.get("/api/v1/resources?all=true", &carol).await;
    let before = all.body["total"].as_u64().unwrap();
    let search = "/api/v1/resources?all=true&search=cachetest";
    let empty = app.get(search, &carol).await;
    assert_eq!(empty.body["total"], 0);
    // Asked twice, so the empty answer is certainly cached.
    assert_eq!(app.get(search, &carol).await.body["total"], 0);

    let resource = staging_resource(&app, &carol, "cachetest-main", "staging").await;
    let found = app.get(search, &carol).await;
    assert_eq!(names(&found.body), vec!["cachetest-main"]);
    assert_eq!(found.body["total"], 1);
    assert_eq!(
        app.get("/api/v1/resources?all=true", &carol).await.body["total"],
        before + 1
    );

    let uri = format!("/api/v1/admin/resources/{}", resource["id"]);
    let renamed = app
        .call(
            Method::PUT,
            &uri,
            Some(&carol),
            Some(json!({"resource_type_id": resource["resource_type_id"], "name": "renamed-db", "path": "renamed-db", "tags": ["staging"]})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(app.get(search, &carol).await.body["total"], 0);
    let by_new_name = app
        .get("/api/v1/resources?all=true&search=renamed-db", &carol)
        .await;
    assert_eq!(names(&by_new_name.body), vec!["renamed-db"]);

    let deleted = app.call(Method::DELETE, &uri, Some(&carol), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = app
        .get("/api/v1/resources?all=true&search=renamed-db", &carol)
        .await;
    assert_eq!(gone.body["total"], 0);
    assert!(names(&gone.body).is_empty());
}

#[tokio::test]
async fn a_flow_an_admin_adds_or_changes_shows_in_the_requesters_next_listing() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let alice_id = app.user_id("alice").await;
    staging_resource(&app, &carol, "flowcache-db", "flowcache").await;
    let search = "/api/v1/resources?search=flowcache";
    assert_eq!(app.get(search, &alice).await.body["total"], 0);
    assert_eq!(app.get(search, &alice).await.body["total"], 0);

    let created_flow = created(
        app.post(
            "/api/v1/admin/access-flows",
            &carol,
            flow(
                "Flow cache",
                json!([{"kind": "user", "id": alice_id}]),
                "flowcache",
                &["read-only"],
            ),
        )
        .await,
    )
    .await;
    let page = app.get(search, &alice).await;
    assert_eq!(names(&page.body), vec!["flowcache-db"]);
    assert_eq!(page.body["total"], 1);
    assert_eq!(permissions(&page.body), vec!["read-only"]);
    let ids = app
        .get("/api/v1/resources/ids?search=flowcache", &alice)
        .await;
    assert_eq!(ids.body["total"], 1);

    // The flow now allows read-write only: the listing says so at once.
    let uri = format!("/api/v1/admin/access-flows/{}", created_flow["id"]);
    let changed = app
        .call(
            Method::PUT,
            &uri,
            Some(&carol),
            Some(flow(
                "Flow cache",
                json!([{"kind": "user", "id": alice_id}]),
                "flowcache",
                &["read-write"],
            )),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        permissions(&app.get(search, &alice).await.body),
        vec!["read-write"]
    );

    // And once it no longer covers alice, she no longer sees the resource.
    let bob_id = app.user_id("bob").await;
    let moved = app
        .call(
            Method::PUT,
            &uri,
            Some(&carol),
            Some(flow(
                "Flow cache",
                json!([{"kind": "user", "id": bob_id}]),
                "flowcache",
                &["read-write"],
            )),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let page = app.get(search, &alice).await;
    assert_eq!(page.body["total"], 0);
    assert!(names(&page.body).is_empty());
    let ids = app
        .get("/api/v1/resources/ids?search=flowcache", &alice)
        .await;
    assert_eq!(ids.body["total"], 0);
}

#[tokio::test]
async fn joining_a_granted_group_shows_in_the_next_listing() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let dave_id = app.add_user("dave").await;
    let dave = app.login("dave").await;
    staging_resource(&app, &carol, "groupcache-db", "groupcache").await;
    let group = created(
        app.post(
            "/api/v1/admin/groups",
            &carol,
            json!({"name": "cache-group", "member_ids": []}),
        )
        .await,
    )
    .await;
    created(
        app.post(
            "/api/v1/admin/access-flows",
            &carol,
            flow(
                "Group cache",
                json!([{"kind": "group", "id": group["id"]}]),
                "groupcache",
                &[],
            ),
        )
        .await,
    )
    .await;
    let search = "/api/v1/resources?search=groupcache";
    assert_eq!(app.get(search, &dave).await.body["total"], 0);
    assert_eq!(app.get(search, &dave).await.body["total"], 0);

    let uri = format!("/api/v1/admin/groups/{}", group["id"]);
    let joined = app
        .call(
            Method::PUT,
            &uri,
            Some(&carol),
            Some(json!({"name": "cache-group", "member_ids": [dave_id]})),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(
        names(&app.get(search, &dave).await.body),
        vec!["groupcache-db"]
    );

    let left = app
        .call(
            Method::PUT,
            &uri,
            Some(&carol),
            Some(json!({"name": "cache-group", "member_ids": []})),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.body);
    assert_eq!(app.get(search, &dave).await.body["total"], 0);
}

#[tokio::test]
async fn a_catalog_write_outside_the_api_shows_in_the_next_listing() {
    // A connector's catalog sync, the CLI or another process writes the
    // tables directly: the triggers move the generation all the same.
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let search = "/api/v1/resources?all=true&search=synced-table";
    assert_eq!(app.get(search, &carol).await.body["total"], 0);
    assert_eq!(app.get(search, &carol).await.body["total"], 0);
    app.db
        .write(|tx| {
            let integration =
                gatehouse::store::catalog::ensure_integration(tx, "Synced", "demo", None, &[])?;
            let rtype = gatehouse::store::catalog::ensure_resource_type(
                tx,
                integration,
                "table",
                &["read-only"],
            )?;
            gatehouse::store::catalog::ensure_resource(
                tx,
                integration,
                rtype,
                "synced-table",
                "synced-table",
                &[],
            )
        })
        .await
        .unwrap();
    let page = app.get(search, &carol).await;
    assert_eq!(names(&page.body), vec!["synced-table"]);
    assert_eq!(page.body["total"], 1);
}
