//! `gatehouse db copy`: a running install moves to another store (on the
//! PostgreSQL run: SQLite into PostgreSQL) with every row, an intact audit
//! chain and the same answers; a target holding rows is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::process::Command;

use axum::http::{Method, StatusCode};
use common::TestApp;
use gatehouse::store::{
    audit::{Verdict, verify},
    copy::copy,
};
use serde_json::json;

/// Requests in every state, approvals, a favorite, a token and sessions.
async fn install_with_history() -> (TestApp, String) {
    let app = TestApp::on_sqlite().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let orders = app.resource("orders").await;
    let docs = app.resource("acme/docs").await;
    // Three requests for the same access (each a deliberate duplicate).
    for _ in 0..3 {
        let made = app
            .post("/api/v1/requests", &alice, json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": common::GOOD_WHY, "allow_duplicate": true}))
            .await;
        let id = made.body["requests"][0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/requests/{id}/approve"), &bob, json!({}))
            .await;
    }
    let made = app
        .post("/api/v1/requests", &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}))
        .await;
    let id = made.body["requests"][0]["id"].as_i64().unwrap();
    app.tick().await;
    app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    app.tick().await;
    let star = app
        .call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/favorite"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(star.status, StatusCode::NO_CONTENT, "{}", star.body);
    app.post("/api/v1/tokens", &alice, json!({"name": "ci"}))
        .await;
    (app, alice)
}

#[tokio::test]
async fn a_copied_install_verifies_and_answers_the_same() {
    let (app, alice) = install_with_history().await;
    let dir = tempfile::tempdir().unwrap();
    let target = common::test_db(dir.path());
    let report = app.db.with_source_and_target(&target, copy).await.unwrap();
    assert!(report.rows() > 50, "{report:?}");
    let requests = report
        .tables
        .iter()
        .find(|(t, _)| *t == "requests")
        .unwrap()
        .1;
    assert_eq!(requests, 4);

    let before = app.db.call(verify).await.unwrap();
    let after = target.call(verify).await.unwrap();
    let (
        Verdict::Intact { entries, head },
        Verdict::Intact {
            entries: copied,
            head: copied_head,
        },
    ) = (before, after)
    else {
        panic!("the copy's audit chain is broken");
    };
    assert_eq!((entries, head), (copied, copied_head));

    // Alice's session cookie, her lists and the catalog answer the same on the copy.
    let moved = app.router_over(target.clone());
    for uri in [
        "/api/v1/requests",
        "/api/v1/favorites",
        "/api/v1/my-access",
        "/api/v1/resources?search=orders",
        "/api/v1/tokens",
    ] {
        let here = app.get(uri, &alice).await;
        let there = common::send(
            &moved,
            common::request(Method::GET, uri, Some(&alice), None),
        )
        .await;
        assert_eq!(there.status, StatusCode::OK, "{uri}: {}", there.body);
        assert_eq!(here.body, there.body, "{uri}");
    }
    // New rows get new ids after the copied ones.
    let docs = app.resource("acme/docs").await;
    let made = common::send(
        &moved,
        common::request(Method::POST, "/api/v1/requests", Some(&alice), Some(json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}))),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["requests"][0]["id"], 5);

    // A second copy into the same target is refused, naming what is there.
    let again = app
        .db
        .with_source_and_target(&target, copy)
        .await
        .unwrap_err();
    let message = again.to_string();
    assert!(
        message.contains("not empty") && message.contains("requests (5 rows)"),
        "{message}"
    );
}

#[test]
fn the_command_copies_once_and_refuses_a_filled_target() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, _) = runtime.block_on(install_with_history());
    let dir = tempfile::tempdir().unwrap();
    let target = common::test_db(dir.path());
    let source = app.db.location().to_owned();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["db", "copy", "--from", &source, "--to", target.location()])
            .output()
            .unwrap()
    };
    let first = run();
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("requests: 4 rows"), "{out}");
    let verified = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["audit", "verify", "--db", target.location()])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("not empty") && said.lines().count() == 1,
        "{said}"
    );
    drop(app);
}
