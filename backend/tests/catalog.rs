//! The By Resource list: search, Resource Type and Permission filters, stable paging, Select all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::Value;

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn type_id(app: &TestApp, cookie: &str, integration: &str, name: &str) -> i64 {
    let types = app.get("/api/v1/resource-types", cookie).await;
    types
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["integration_name"] == integration && t["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_demo_catalog_has_sixty_resources_across_three_integrations() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let page = app.get("/api/v1/resources", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body["total"].as_u64().unwrap() >= 60);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 50);
    let integrations = app.get("/api/v1/integrations", &cookie).await;
    assert!(integrations.body.as_array().unwrap().len() >= 3);
}

#[tokio::test]
async fn search_matches_name_path_and_tags_case_insensitively() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let page = app
        .get("/api/v1/resources?search=BILLING.inv", &cookie)
        .await;
    assert_eq!(names(&page.body), vec!["billing.invoices"]);
    assert_eq!(page.body["total"], 1);

    let by_path = app
        .get("/api/v1/resources?search=acme%2Fdocs", &cookie)
        .await;
    assert_eq!(names(&by_path.body), vec!["docs"]);

    let by_tag = app
        .get("/api/v1/resources?search=pii&limit=100", &cookie)
        .await;
    // billing and customers databases, 5 tables each.
    assert_eq!(by_tag.body["total"], 12);
}

#[tokio::test]
async fn search_treats_like_wildcards_as_text() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let percent = app.get("/api/v1/resources?search=%25", &cookie).await;
    assert_eq!(percent.body["total"], 0);
    let underscore = app
        .get("/api/v1/resources?search=line_items&limit=100", &cookie)
        .await;
    assert_eq!(underscore.body["total"], 5);
}

#[tokio::test]
async fn resource_type_filter_keeps_only_those_types() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let buckets = type_id(&app, &cookie, "AWS Production", "S3 bucket").await;
    let roles = type_id(&app, &cookie, "AWS Production", "IAM role").await;
    let page = app
        .get(
            &format!(
                "/api/v1/resources?resource_type_id={buckets}&resource_type_id={roles}&limit=100"
            ),
            &cookie,
        )
        .await;
    assert_eq!(page.body["total"], 18);
    for item in page.body["items"].as_array().unwrap() {
        assert_eq!(item["integration_name"], "AWS Production");
    }
}

#[tokio::test]
async fn permission_filter_keeps_resources_offering_it_and_narrows_their_permissions() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let page = app
        .get("/api/v1/resources?permission=assume&limit=100", &cookie)
        .await;
    assert_eq!(page.body["total"], 6);
    let carol = app.login("carol").await;
    let admin = app
        .get(
            "/api/v1/resources?permission=admin&limit=100&all=true",
            &carol,
        )
        .await;
    // 5 databases, 12 buckets, 15 repositories offer admin.
    assert_eq!(admin.body["total"], 32);
    for item in admin.body["items"].as_array().unwrap() {
        let permissions: Vec<&str> = item["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(permissions, vec!["admin"]);
    }
}

#[tokio::test]
async fn filters_combine() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let tables = type_id(&app, &cookie, "Prod PostgreSQL", "table").await;
    let page = app
        .get(
            &format!(
                "/api/v1/resources?search=orders&resource_type_id={tables}&permission=read-write"
            ),
            &cookie,
        )
        .await;
    assert_eq!(page.body["total"], 5);
    assert!(names(&page.body).iter().all(|n| n.starts_with("orders.")));
    let none = app
        .get(
            &format!("/api/v1/resources?resource_type_id={tables}&permission=admin"),
            &cookie,
        )
        .await;
    assert_eq!(none.body["total"], 0);
}

#[tokio::test]
async fn paging_is_stable_and_covers_every_resource_once() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let all = app.get("/api/v1/resources?limit=1000", &cookie).await;
    let total = all.body["total"].as_u64().unwrap();
    let mut paged = Vec::new();
    let mut offset = 0;
    while offset < total {
        let page = app
            .get(
                &format!("/api/v1/resources?limit=7&offset={offset}"),
                &cookie,
            )
            .await;
        paged.extend(names(&page.body));
        offset += 7;
    }
    assert_eq!(paged, names(&all.body));
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(paged, sorted, "ordered by name");
    // Asking for the same page twice gives the same items.
    let first = app
        .get("/api/v1/resources?limit=7&offset=14", &cookie)
        .await;
    let again = app
        .get("/api/v1/resources?limit=7&offset=14", &cookie)
        .await;
    assert_eq!(first.body, again.body);
}

#[tokio::test]
async fn select_all_returns_every_matching_id() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let ids = app.get("/api/v1/resources/ids?search=acme-", &cookie).await;
    assert_eq!(ids.status, StatusCode::OK);
    let page = app
        .get("/api/v1/resources?search=acme-&limit=100", &cookie)
        .await;
    let page_ids: Vec<i64> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let all_ids: Vec<i64> = ids.body["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect();
    assert_eq!(all_ids, page_ids);
    assert_eq!(ids.body["total"], 12);
}

#[tokio::test]
async fn out_of_range_paging_and_bad_filters_are_refused_by_name() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let zero = app.get("/api/v1/resources?limit=0", &cookie).await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(zero.body["field"], "limit");
    let huge = app.get("/api/v1/resources?limit=1001", &cookie).await;
    assert_eq!(huge.body["field"], "limit");
    let long = "x".repeat(201);
    let search = app
        .get(&format!("/api/v1/resources?search={long}"), &cookie)
        .await;
    assert_eq!(search.body["field"], "search");
    let not_a_number = app
        .get("/api/v1/resources?resource_type_id=abc", &cookie)
        .await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_number.body["code"], "bad_request");
    let negative = app.get("/api/v1/resources?offset=-1", &cookie).await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn requesters_see_only_what_their_access_flows_let_them_request() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    // alice may ask for admin only on S3 buckets (AWS production allows every permission).
    let admin = app
        .get("/api/v1/resources?permission=admin&limit=100", &alice)
        .await;
    assert_eq!(admin.body["total"], 12);
    // Repositories offer read, write, admin; GitHub self-service allows read only.
    let docs = app
        .get("/api/v1/resources?search=acme%2Fdocs", &alice)
        .await;
    let permissions: Vec<&str> = docs.body["items"][0]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(permissions, vec!["read"]);
    let database = app
        .get("/api/v1/resources?search=inventory&limit=1", &alice)
        .await;
    let permissions: Vec<&str> = database.body["items"][0]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(permissions, vec!["read-only", "read-write"]);

    // dave is in no group: production databases are not his to ask for.
    app.add_user("dave").await;
    let dave = app.login("dave").await;
    let everything = app.get("/api/v1/resources?limit=1000", &dave).await;
    assert!(
        everything.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["integration_name"] != "Prod PostgreSQL")
    );
    assert_eq!(
        app.get("/api/v1/resources/ids?search=billing%2Fpublic", &dave)
            .await
            .body["total"],
        0
    );
    assert_eq!(everything.body["total"], 38, "GitHub (20) and AWS (18)");

    // On behalf of someone else, only flows allowing it count: no AWS.
    let dave_id = app.user_id("dave").await;
    let for_dave = app
        .get(
            &format!("/api/v1/resources?limit=1000&grantee_id={dave_id}"),
            &alice,
        )
        .await;
    assert!(
        for_dave.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["integration_name"] != "AWS Production")
    );

    // Only admins may see the whole catalog.
    assert_eq!(
        app.get("/api/v1/resources?all=true", &alice).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn by_app_lists_requestable_integrations_types_and_permissions() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let apps = app.get("/api/v1/apps", &alice).await;
    assert_eq!(apps.status, StatusCode::OK);
    let names: Vec<&str> = apps
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["integration"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["AWS Production", "GitHub", "Prod PostgreSQL"]);
    let github = &apps.body[1];
    let repository = github["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "repository")
        .unwrap();
    let permissions: Vec<&str> = repository["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        permissions,
        vec!["read"],
        "write and admin are in no flow of alice's"
    );

    app.add_user("dave").await;
    let dave = app.login("dave").await;
    let for_dave = app.get("/api/v1/apps", &dave).await;
    let names: Vec<&str> = for_dave
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["integration"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["AWS Production", "GitHub"]);
}

#[tokio::test]
async fn demo_seeding_twice_adds_nothing() {
    let app = TestApp::with_demo().await;
    let counts = |db: gatehouse::db::Db| async move {
        db.call(|conn| {
            let mut counts = Vec::new();
            for table in [
                "users",
                "integrations",
                "resources",
                "bundles",
                "bundle_items",
                "access_flows",
                "flow_scope",
                "groups",
                "group_members",
            ] {
                counts.push(
                    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                );
            }
            Ok(counts)
        })
        .await
        .unwrap()
    };
    let before = counts(app.db.clone()).await;
    gatehouse::demo::seed(&app.db, 0).await.unwrap();
    assert_eq!(counts(app.db.clone()).await, before);
    assert_eq!(before[5], 4, "four access flows");
    assert_eq!(before[3], 3, "three bundles");
}
