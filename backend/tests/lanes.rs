//! Lanes of the connection pool: readers that take every connection of the
//! pool neither hold back a request that changes something (the write lane)
//! nor the background work (its own lane). On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

/// More calls than either store's pool has connections, each holding its
/// connection for `hold`.
fn crowd(app: &TestApp, hold: Duration) -> Vec<tokio::task::JoinHandle<()>> {
    (0..24)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move {
                db.call(move |_| {
                    std::thread::sleep(hold);
                    Ok(())
                })
                .await
                .unwrap();
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_submission_is_not_held_back_by_readers_holding_every_connection() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;
    let crowd = crowd(&app, Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let answer = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(
        took < Duration::from_millis(1500),
        "the submission waited {took:?} behind readers"
    );
    // A read, meanwhile, waits its turn in the pool.
    let started = Instant::now();
    let list = app.get("/api/v1/requests?limit=5", &alice).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        started.elapsed() > Duration::from_millis(1000),
        "reads share the crowded pool (answered in {:?})",
        started.elapsed()
    );
    for call in crowd {
        call.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn background_work_is_not_held_back_by_readers_holding_every_connection() {
    let app = TestApp::with_demo().await;
    let crowd = crowd(&app, Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let background = app.state().background();
    let started = Instant::now();
    gatehouse::worker::tick(&background).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "a background pass waited {:?}",
        started.elapsed()
    );
    for call in crowd {
        call.await.unwrap();
    }
}
