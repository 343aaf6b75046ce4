//! Liveness and readiness as a load balancer sees them: `/healthz` answers
//! while the process runs; `/readyz` answers 503 once the server drains for
//! shutdown and while its database is down (a PostgreSQL server of the
//! test's own, stopped and started again), and 200 again once it is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::{
    TestApp,
    pg_server::{ADMIN, ADMIN_PASSWORD, PgServer, sync},
};
use gatehouse::db::Db;

#[tokio::test]
async fn readiness_answers_ok_while_taking_requests_and_503_once_draining() {
    let app = TestApp::with_demo().await;
    let state = app.state();
    let router = gatehouse::app(state.clone());
    let ready = common::send(&router, common::request(Method::GET, "/readyz", None, None)).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ok");

    state.ops.stop_taking_requests();
    let draining = common::send(&router, common::request(Method::GET, "/readyz", None, None)).await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(draining.body["code"], "not_ready");
    assert!(
        draining.body["message"]
            .as_str()
            .unwrap()
            .contains("shutting down")
    );
    // Still alive: an orchestrator must not kill it while it drains.
    let alive = common::send(
        &router,
        common::request(Method::GET, "/healthz", None, None),
    )
    .await;
    assert_eq!(alive.status, StatusCode::OK);
}

#[tokio::test]
async fn while_starting_liveness_answers_and_everything_else_waits() {
    let starting = gatehouse::app::starting_app();
    let alive = common::send(
        &starting,
        common::request(Method::GET, "/healthz", None, None),
    )
    .await;
    assert_eq!(alive.status, StatusCode::OK);
    for uri in ["/readyz", "/api/v1/me", "/", "/metrics"] {
        let waiting = common::send(&starting, common::request(Method::GET, uri, None, None)).await;
        assert_eq!(waiting.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(waiting.body["code"], "not_ready", "{uri}");
    }
}

async fn status_of(router: &axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let answer = common::send(router, common::request(Method::GET, uri, None, None)).await;
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_postgresql_is_down_and_recovers_by_itself() {
    let server = PgServer::start();
    sync(|| {
        server
            .admin("postgres")
            .batch_execute("CREATE DATABASE gatehouse")
            .unwrap()
    });
    let url = format!(
        "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/gatehouse?sslmode=disable",
        server.port
    );
    let app = TestApp::on(Db::open_postgres(&url).unwrap()).await;
    let router = app.router.clone();
    assert_eq!(status_of(&router, "/readyz").await.0, StatusCode::OK);

    sync(|| server.down());
    let started = Instant::now();
    let (status, body) = status_of(&router, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "not_ready");
    assert!(
        !body.to_string().contains("postgres"),
        "opaque to the caller: {body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "readiness answers promptly: {:?}",
        started.elapsed()
    );
    assert_eq!(status_of(&router, "/healthz").await.0, StatusCode::OK);
    let metrics = common::send(
        &router,
        common::request(Method::GET, "/metrics", None, None),
    )
    .await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains("gatehouse_database_up 0"), "{text}");
    assert!(
        !text.contains("gatehouse_access_requests{"),
        "no stale database gauges while it is down"
    );
    assert!(text.contains("gatehouse_http_requests_total{"));

    sync(|| server.up());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _) = status_of(&router, "/readyz").await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = common::send(
        &router,
        common::request(Method::GET, "/metrics", None, None),
    )
    .await;
    assert!(
        metrics
            .body
            .as_str()
            .unwrap()
            .contains("gatehouse_database_up 1")
    );
}
