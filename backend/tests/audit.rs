//! The audit log is hash-chained: `gatehouse audit verify` finds edits and removals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::process::Command;

use common::TestApp;
use gatehouse::store::audit::{Verdict, verify};
use serde_json::json;

async fn app_with_history() -> TestApp {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    for _ in 0..3 {
        let made = app.post("/api/v1/requests", &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})).await;
        let id = made.body["requests"][0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
            .await;
    }
    app
}

/// What a tamperer with database access runs first.
fn drop_trigger(conn: gatehouse::store::Conn<'_>, name: &str) -> String {
    match conn.dialect() {
        gatehouse::store::sql::Dialect::Sqlite => format!("DROP TRIGGER {name};"),
        gatehouse::store::sql::Dialect::Postgres => format!("DROP TRIGGER {name} ON audit_log;"),
    }
}

fn verify_with_binary(app: &TestApp) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["audit", "verify", "--db"])
        .arg(app.db.location())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn an_untouched_audit_log_verifies() {
    let app = app_with_history().await;
    let verdict = app.db.call(verify).await.unwrap();
    let Verdict::Intact { entries, .. } = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(
        entries, 19,
        "a log-in, then submitted, access_granted, granted, revoke_started, access_removed, revoked × 3"
    );
    let (code, out) = verify_with_binary(&app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 19 entries"), "{out}");
}

#[tokio::test]
async fn an_edited_entry_is_detected() {
    let app = app_with_history().await;
    app.db
        .call(|conn| {
            conn.execute_batch(
                &format!(
                    "{} UPDATE audit_log SET detail = '{{\"reason\":\"nothing to see\"}}' WHERE id = 7;",
                    drop_trigger(conn, "audit_log_no_update")
                ),
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let verdict = app.db.call(verify).await.unwrap();
    assert!(
        matches!(
            verdict,
            Verdict::Broken {
                at_id: 7,
                entries_checked: 6,
                ..
            }
        ),
        "{verdict:?}"
    );
    let (code, out) = verify_with_binary(&app);
    assert_eq!(code, 1);
    assert!(out.contains("BROKEN at entry 7"), "{out}");
}

#[tokio::test]
async fn a_removed_entry_is_detected() {
    let app = app_with_history().await;
    app.db
        .call(|conn| {
            conn.execute_batch(&format!(
                "{} DELETE FROM audit_log WHERE id = 4;",
                drop_trigger(conn, "audit_log_no_delete")
            ))?;
            Ok(())
        })
        .await
        .unwrap();
    let verdict = app.db.call(verify).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken { at_id: 5, .. }),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn a_rewritten_chain_from_an_edit_onwards_still_breaks_at_the_next_untouched_entry() {
    let app = app_with_history().await;
    // Editing entry 3 and recomputing only its own hash leaves entry 4 pointing at the old one.
    app.db
        .call(|conn| {
            conn.execute_batch(&drop_trigger(conn, "audit_log_no_update"))?;
            let previous: Vec<u8> =
                conn.query_row("SELECT hash FROM audit_log WHERE id = 2", [], |r| r.get(0))?;
            let (at, actor, request, action): (i64, Option<i64>, Option<i64>, String) = conn
                .query_row(
                    "SELECT at, actor_id, request_id, action FROM audit_log WHERE id = 3",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
            let forged = gatehouse::store::audit::entry_hash(
                &previous, 3, at, actor, request, &action, "{}",
            );
            conn.execute(
                "UPDATE audit_log SET detail = '{}', hash = ?1 WHERE id = 3",
                [forged],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let verdict = app.db.call(verify).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken { at_id: 4, .. }),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn admins_read_and_export_the_audit_log_filtered() {
    let app = app_with_history().await;
    let carol = app.login("carol").await;
    let alice_id = app.user_id("alice").await;
    let page = app
        .get(
            &format!("/api/v1/admin/audit?actor_id={alice_id}&limit=4"),
            &carol,
        )
        .await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|e| e["actor"]["username"] == "alice"));
    let cursor = page.body["next_cursor"].as_i64().unwrap();
    let next = app
        .get(
            &format!("/api/v1/admin/audit?actor_id={alice_id}&cursor={cursor}&limit=100"),
            &carol,
        )
        .await;
    assert_eq!(
        next.body["items"].as_array().unwrap().len(),
        3,
        "log-in + 3 submissions + 3 revokes by alice"
    );
    assert!(next.body.get("next_cursor").is_none());

    let csv = app
        .get("/api/v1/admin/audit?format=csv&request_id=1", &carol)
        .await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let text = csv.body.as_str().unwrap().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,at,actor_id,actor,request_id,action,detail");
    assert_eq!(lines.len(), 7, "{text}");
    assert!(lines[1].contains("\"submitted\""));

    let jsonl = app
        .get("/api/v1/admin/audit?format=jsonl&request_id=1", &carol)
        .await;
    let text = jsonl.body.as_str().unwrap().to_owned();
    assert_eq!(text.lines().count(), 6);
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["request_id"], 1);
    }

    // Newest first, paged backwards: the same entries in reverse.
    let oldest = app
        .get(&format!("/api/v1/admin/audit?actor_id={alice_id}"), &carol)
        .await;
    let ids = |body: &serde_json::Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let mut newest = Vec::new();
    let mut uri = format!("/api/v1/admin/audit?actor_id={alice_id}&order=newest&limit=3");
    loop {
        let page = app.get(&uri, &carol).await;
        newest.extend(ids(&page.body));
        match page.body["next_cursor"].as_i64() {
            Some(cursor) => {
                uri = format!(
                    "/api/v1/admin/audit?actor_id={alice_id}&order=newest&limit=3&cursor={cursor}"
                )
            }
            None => break,
        }
    }
    let mut expected = ids(&oldest.body);
    expected.reverse();
    assert_eq!(newest, expected);
    let sideways = app.get("/api/v1/admin/audit?order=sideways", &carol).await;
    assert_eq!(
        sideways.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(sideways.body["field"], "order");

    let future = app
        .get("/api/v1/admin/audit?from=2030-01-01T00:00:00Z", &carol)
        .await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let bad = app.get("/api/v1/admin/audit?from=yesterday", &carol).await;
    assert_eq!(bad.body["field"], "from");
    let alice = app.login("alice").await;
    assert_eq!(
        app.get("/api/v1/admin/audit", &alice).await.status,
        axum::http::StatusCode::FORBIDDEN
    );
}
