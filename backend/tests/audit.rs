//! The audit log is hash-chained: `gatehouse audit verify` finds edits and removals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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

fn verify_with_binary(app: &TestApp) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["audit", "verify", "--db"])
        .arg(app.db.path())
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
    let verdict = app.db.call(|conn| verify(conn)).await.unwrap();
    let Verdict::Intact { entries, .. } = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(
        entries, 13,
        "a log-in, then submitted, granted, revoke_started, revoked × 3"
    );
    let (code, out) = verify_with_binary(&app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 13 entries"), "{out}");
}

#[tokio::test]
async fn an_edited_entry_is_detected() {
    let app = app_with_history().await;
    app.db
        .call(|conn| {
            conn.execute_batch(
                "DROP TRIGGER audit_log_no_update;
                 UPDATE audit_log SET detail = '{\"reason\":\"nothing to see\"}' WHERE id = 7;",
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let verdict = app.db.call(|conn| verify(conn)).await.unwrap();
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
            conn.execute_batch(
                "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 4;",
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let verdict = app.db.call(|conn| verify(conn)).await.unwrap();
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
            conn.execute_batch("DROP TRIGGER audit_log_no_update;")?;
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
    let verdict = app.db.call(|conn| verify(conn)).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken { at_id: 4, .. }),
        "{verdict:?}"
    );
}
