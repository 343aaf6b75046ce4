//! Assist: plain-language descriptions answered with what the caller may
//! request, ranked, with the permission that fits and a reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::{GOOD_WHY, TestApp};
use serde_json::{Value, json};

const DEMO_SET: &str = include_str!("data/assist_demo.tsv");
const RECALL_GOAL: f64 = 0.9;

async fn ask(app: &TestApp, cookie: &str, text: &str) -> Vec<Value> {
    let answer = app
        .post("/api/v1/assist", cookie, json!({"text": text, "limit": 5}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{text}: {}", answer.body);
    answer.body["suggestions"].as_array().unwrap().clone()
}

fn label(suggestion: &Value) -> String {
    let name = suggestion["name"].as_str().unwrap();
    match suggestion["kind"].as_str().unwrap() {
        "bundle" => format!("bundle:{name}"),
        _ => name.to_owned(),
    }
}

#[tokio::test]
async fn recall_at_five_over_the_demo_catalog_reaches_the_goal() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let mut recalls = Vec::new();
    let mut misses = Vec::new();
    for line in DEMO_SET
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (query, expected) = line.split_once('\t').unwrap();
        let expected: Vec<&str> = expected.split('|').collect();
        let top: Vec<String> = ask(&app, &alice, query).await.iter().map(label).collect();
        let found = expected
            .iter()
            .filter(|e| top.iter().any(|t| t == *e))
            .count();
        recalls.push(found as f64 / expected.len() as f64);
        if found < expected.len() {
            misses.push(format!("{query}: expected {expected:?}, got {top:?}"));
        }
    }
    assert!(recalls.len() >= 60, "the set holds at least 60 queries");
    let recall = recalls.iter().sum::<f64>() / recalls.len() as f64;
    println!("recall@5 over {} demo queries: {recall:.3}", recalls.len());
    println!("misses:\n{}", misses.join("\n"));
    assert!(
        recall >= RECALL_GOAL,
        "recall@5 is {recall:.3}; misses:\n{}",
        misses.join("\n")
    );
}

#[tokio::test]
async fn reading_last_months_invoices_puts_billing_invoices_read_only_on_top() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let top = ask(&app, &alice, "I need to read last month's invoices").await;
    assert_eq!(top[0]["name"], "billing.invoices", "{top:#?}");
    assert_eq!(top[0]["kind"], "resource");
    assert_eq!(top[0]["permission"], "read-only");
    let reason = top[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("'invoices'") && reason.contains("billing.invoices"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_words_choose_the_permission_among_those_the_flows_allow() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let fix = ask(&app, &alice, "fix wrong rows in the orders accounts table").await;
    let accounts = fix.iter().find(|s| s["name"] == "orders.accounts").unwrap();
    assert_eq!(accounts["permission"], "read-write");
    // GitHub self-service allows read and member only: "fix" still gets read,
    // and the reason says it is the most the flows allow.
    let scripts = ask(&app, &alice, "fix the deploy scripts").await;
    assert_eq!(scripts[0]["name"], "deploy-scripts");
    assert_eq!(scripts[0]["permission"], "read");
    assert!(
        scripts[0]["reason"]
            .as_str()
            .unwrap()
            .contains("most your access flows allow")
    );
}

#[tokio::test]
async fn suggestions_never_include_what_the_callers_flows_forbid() {
    let app = TestApp::with_demo().await;
    // dave is in no group: Production databases (engineering) is not his.
    app.add_user("dave").await;
    let dave = app.login("dave").await;
    let alice = app.login("alice").await;
    for text in [
        "I need to read last month's invoices",
        "month-end close for billing",
        "look at the orders database",
        "on call incident",
    ] {
        let for_alice = ask(&app, &alice, text).await;
        let for_dave = ask(&app, &dave, text).await;
        assert!(!for_alice.is_empty(), "{text}");
        for suggestion in &for_dave {
            assert!(
                !suggestion["source"]
                    .as_str()
                    .unwrap()
                    .starts_with("Prod PostgreSQL"),
                "{text}: dave was offered {suggestion}"
            );
            assert_ne!(
                suggestion["kind"], "bundle",
                "{text}: dave was offered {suggestion}"
            );
        }
    }
    let alice_top = ask(&app, &alice, "I need to read last month's invoices").await;
    assert_eq!(alice_top[0]["name"], "billing.invoices");
    // Whatever dave is offered, the server lets him request.
    for suggestion in ask(&app, &dave, "invoices in S3").await {
        let made = app
            .post(
                "/api/v1/requests/preview",
                &dave,
                json!({"items": [{"resource_id": suggestion["id"], "permission": suggestion["permission"]}], "duration_seconds": 3600}),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{suggestion}: {}", made.body);
    }
}

#[tokio::test]
async fn a_past_request_is_named_in_the_reason_and_prefills_its_duration() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let invoices = app.resource("billing/public/invoices").await;
    let made = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": invoices, "permission": "read-only"}], "duration_seconds": 4 * 3600, "justification": GOOD_WHY}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let top = ask(&app, &alice, "invoices").await;
    assert_eq!(top[0]["name"], "billing.invoices");
    assert!(
        top[0]["reason"]
            .as_str()
            .unwrap()
            .contains("you requested it on 2 Nov"),
        "{}",
        top[0]["reason"]
    );
    assert_eq!(top[0]["duration_seconds"], 4 * 3600);
}

#[tokio::test]
async fn typos_and_aliases_still_find_the_resource() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let typo = ask(&app, &alice, "biling invoces").await;
    assert_eq!(typo[0]["name"], "billing.invoices", "{typo:#?}");
    assert!(typo[0]["reason"].as_str().unwrap().contains("read as"));
    let alias = ask(&app, &alice, "stock db").await;
    assert_eq!(alias[0]["name"], "inventory", "{alias:#?}");
}

#[tokio::test]
async fn admins_edit_the_alias_table_and_assist_uses_it() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let before = app.get("/api/v1/admin/assist/aliases", &carol).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        before.body["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["term"] == "db")
    );
    assert!(ask(&app, &alice, "zebra").await.is_empty());
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/admin/assist/aliases",
            Some(&carol),
            Some(json!({"aliases": [{"term": "Zebra", "means": ["inventory"]}]})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["aliases"][0]["term"], "zebra");
    assert_eq!(ask(&app, &alice, "zebra").await[0]["name"], "inventory");
    let refused = app
        .call(
            Method::PUT,
            "/api/v1/admin/assist/aliases",
            Some(&alice),
            Some(json!({"aliases": []})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let twice = app
        .call(
            Method::PUT,
            "/api/v1/admin/assist/aliases",
            Some(&carol),
            Some(
                json!({"aliases": [{"term": "a", "means": ["b"]}, {"term": "A", "means": ["c"]}]}),
            ),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(twice.body["field"], "aliases");
    // Nothing of the refused table was written.
    assert_eq!(ask(&app, &alice, "zebra").await[0]["name"], "inventory");
}

#[tokio::test]
async fn an_empty_or_oversized_description_is_refused_by_name() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    for body in [
        json!({"text": "   "}),
        json!({"text": "x".repeat(501)}),
        json!({"text": "orders", "limit": 0}),
        json!({"text": "orders", "limit": 21}),
    ] {
        let answer = app.post("/api/v1/assist", &alice, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(answer.body["field"].is_string());
    }
    let anonymous = app
        .post("/api/v1/assist", "", json!({"text": "orders"}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// The demo catalog buried in 100,000 generated resources of the same
/// integrations and types (tables named invoices, buckets named logs…),
/// ranked for alice with her real flows: the same labelled queries.
#[tokio::test]
async fn recall_at_five_with_the_demo_catalog_among_a_hundred_thousand_resources() {
    use gatehouse::{
        engine::assist::{AssistIndex, Caller, aliases_in_force, rank},
        store::{self, assist::ResourceDocument},
    };
    let app = TestApp::with_demo().await;
    let alice = app.user_id("alice").await;
    let (demo, bundles, permissions, flows, aliases) = app
        .db
        .call(move |conn| {
            let mut permissions: std::collections::HashMap<i64, Vec<String>> = Default::default();
            for (type_id, name) in store::catalog::permission_index(conn)? {
                permissions.entry(type_id).or_default().push(name);
            }
            Ok((
                store::assist::resource_documents(conn)?,
                store::assist::bundle_documents(conn)?,
                permissions,
                store::catalog::requestable_flows(conn, alice, false)?,
                aliases_in_force(conn)?,
            ))
        })
        .await
        .unwrap();
    let kind_of = |integration: &str, kind: &str| {
        demo.iter()
            .find(|d| d.integration_name == integration && d.resource_type_name == kind)
            .map(|d| {
                (
                    d.integration_id,
                    d.integration_kind.clone(),
                    d.resource_type_id,
                )
            })
            .unwrap()
    };
    let mut documents = demo.clone();
    for (at, (integration, kind, name, path, tags)) in
        common::synthetic::catalog(100_000).into_iter().enumerate()
    {
        let (integration_id, integration_kind, resource_type_id) = kind_of(integration, kind);
        documents.push(ResourceDocument {
            id: 1_000_000 + at as i64,
            name,
            path,
            tags,
            integration_id,
            integration_name: integration.to_owned(),
            integration_kind,
            resource_type_id,
            resource_type_name: kind.to_owned(),
        });
    }
    let index = AssistIndex::from_documents(documents, bundles, permissions);
    assert_eq!(index.resource_count(), demo.len() + 100_000);
    let caller = Caller {
        flows,
        history: Vec::new(),
        aliases,
    };
    let db = app.db.clone();
    let mut bundle_items = std::collections::HashMap::new();
    for bundle in db.call(store::assist::bundle_documents).await.unwrap() {
        let id = bundle.id;
        bundle_items.insert(
            id,
            db.call(move |conn| store::flows::bundle_candidates(conn, id))
                .await
                .unwrap(),
        );
    }
    let mut recalls = Vec::new();
    let mut misses = Vec::new();
    for line in DEMO_SET
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (query, expected) = line.split_once('\t').unwrap();
        let expected: Vec<&str> = expected.split('|').collect();
        let answer = rank(&index, &caller, query, 5, |id| {
            Ok(bundle_items.get(&id).cloned().unwrap_or_default())
        })
        .unwrap();
        let top: Vec<String> = answer
            .suggestions
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .map(|s| label(&s))
            .collect();
        let found = expected
            .iter()
            .filter(|e| top.iter().any(|t| t == *e))
            .count();
        recalls.push(found as f64 / expected.len() as f64);
        if found < expected.len() {
            misses.push(format!("{query}: expected {expected:?}, got {top:?}"));
        }
    }
    let recall = recalls.iter().sum::<f64>() / recalls.len() as f64;
    println!(
        "recall@5 over {} queries at 100k resources: {recall:.3}",
        recalls.len()
    );
    println!("misses:\n{}", misses.join("\n"));
    // The goal is set on the demo catalog; here the figure is recorded
    // (BENCHMARKS.md) and held above a floor so a regression shows.
    assert!(
        recall >= 0.75,
        "recall@5 at 100k is {recall:.3}; misses:\n{}",
        misses.join("\n")
    );
}
