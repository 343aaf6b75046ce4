//! What several processes on one database share, in one test process: two
//! servers over two handles of the same store (two pools, two memos, two
//! replica names). Leases on background work, fencing of a holder that was
//! taken over, sessions, log-outs and failed log-ins across replicas. On
//! SQLite and on PostgreSQL (the kill and freeze tests of real processes are
//! in replicas.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{TestApp, request, send};
use gatehouse::{
    error::AppError,
    lease::{self, Held},
    store::leases::{OUTBOX, PROVISIONING},
};
use serde_json::json;

#[tokio::test]
async fn one_holder_at_a_time_and_the_next_taker_moves_the_epoch_on() {
    let app = TestApp::with_demo().await;
    let other = app.db.reopen().unwrap();
    let first = Held::try_take(&app.db, &app.clock(), PROVISIONING, "replica-1")
        .await
        .unwrap()
        .expect("a free lease is taken");
    assert!(
        Held::try_take(&other, &app.clock(), PROVISIONING, "replica-2")
            .await
            .unwrap()
            .is_none(),
        "a held lease is not taken by another process"
    );
    // Leases are independent of each other.
    let outbox = Held::try_take(&other, &app.clock(), OUTBOX, "replica-2")
        .await
        .unwrap()
        .expect("the outbox lease is free");
    let epoch = first.fence().epoch;
    first.release().await;
    let second = Held::try_take(&other, &app.clock(), PROVISIONING, "replica-2")
        .await
        .unwrap()
        .expect("a released lease is taken at once");
    assert_eq!(second.fence().epoch, epoch + 1);
    second.release().await;
    outbox.release().await;
}

#[tokio::test]
async fn a_holder_that_was_taken_over_stops_acting_and_cannot_write() {
    let app = TestApp::with_demo().await;
    let other = app.db.reopen().unwrap();
    let paused = Held::try_take(&app.db, &app.clock(), PROVISIONING, "paused")
        .await
        .unwrap()
        .unwrap();
    assert!(paused.alive().check());
    // As if "paused" had stopped renewing: the lease's time passes.
    app.clock
        .advance(time::Duration::try_from(lease::TTL).unwrap() + time::Duration::seconds(1));
    let successor = Held::try_take(&other, &app.clock(), PROVISIONING, "successor")
        .await
        .unwrap()
        .expect("an expired lease is taken over");
    assert_eq!(successor.fence().epoch, paused.fence().epoch + 1);

    // The paused holder's writes are fenced off, and nothing of them stays.
    let fence = paused.fence();
    let before: i64 = count(&app, "SELECT COUNT(*) FROM audit_log").await;
    let written = app
        .db
        .write(move |tx| {
            gatehouse::store::audit::record(tx, 0, None, None, "stale_write", json!({}))?;
            lease::check(tx, &fence)
        })
        .await;
    assert!(
        matches!(written, Err(AppError::Unavailable(_))),
        "{written:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, before);
    // Its successor's pass so.
    let fence = successor.fence();
    app.db
        .write(move |tx| lease::check(tx, &fence))
        .await
        .unwrap();

    // The paused holder learns it lost the lease at its next renewal.
    tokio::time::sleep(lease::RENEW_EVERY + Duration::from_millis(500)).await;
    assert!(!paused.alive().check(), "a holder taken over stops acting");
    assert!(
        successor.alive().check(),
        "the successor renews and goes on"
    );
    // Freeing a lease one no longer holds leaves the successor holding it.
    paused.release().await;
    assert!(
        Held::try_take(&app.db, &app.clock(), PROVISIONING, "third")
            .await
            .unwrap()
            .is_none()
    );
    successor.release().await;
}

#[tokio::test]
async fn provisioning_waits_for_the_process_holding_the_lease() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    let other = app.db.reopen().unwrap();
    let busy = Held::try_take(&other, &app.clock(), PROVISIONING, "another-replica")
        .await
        .unwrap()
        .unwrap();
    // Submitted while another process provisions: the action waits for it
    // (up to the lease's length), then leaves the work to the workers.
    let docs = app.resource("acme/docs").await;
    let answer = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["requests"][0]["status"], "Granting");
    let id = answer.body["requests"][0]["id"].as_i64().unwrap();
    // This process's worker leaves it too while the lease is held elsewhere.
    app.tick().await;
    assert_eq!(status_of(&app, id).await, "Granting");
    busy.release().await;
    app.tick().await;
    assert_eq!(status_of(&app, id).await, "Active");
}

#[tokio::test]
async fn sessions_log_outs_and_failed_log_ins_count_across_replicas() {
    let app = TestApp::with_demo().await;
    let replica = app.router_over(app.db.reopen().unwrap());

    // A session made on one replica works on the other; its log-out ends
    // it on both, although each keeps sign-ins in memory.
    let cookie = app.login("alice").await;
    for _ in 0..2 {
        let me = send(
            &replica,
            request(Method::GET, "/api/v1/me", Some(&cookie), None),
        )
        .await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["username"], "alice");
    }
    // A list kept in memory on one replica is not served after a write on the other.
    let list = |router: axum::Router, cookie: String| async move {
        send(
            &router,
            request(
                Method::GET,
                "/api/v1/requests?limit=50",
                Some(&cookie),
                None,
            ),
        )
        .await
    };
    let before = list(replica.clone(), cookie.clone()).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(
        list(replica.clone(), cookie.clone()).await.body,
        before.body
    );
    let id = common::active_docs_request(&app, &cookie).await;
    let after = list(replica.clone(), cookie.clone()).await;
    assert_eq!(after.body["items"][0]["id"], id, "{}", after.body);
    let out = app
        .call(Method::DELETE, "/api/v1/session", Some(&cookie), None)
        .await;
    assert!(out.status.is_success(), "{}", out.body);
    let me = send(
        &replica,
        request(Method::GET, "/api/v1/me", Some(&cookie), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);

    // Five failures, spread over both, lock the name on both.
    let wrong = |router: axum::Router| async move {
        send(
            &router,
            request(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": "bob", "password": "not-the-password"})),
            ),
        )
        .await
    };
    for n in 0..5 {
        let router = if n % 2 == 0 {
            app.router.clone()
        } else {
            replica.clone()
        };
        assert_eq!(wrong(router).await.status, StatusCode::UNAUTHORIZED);
    }
    for router in [app.router.clone(), replica.clone()] {
        let locked = send(
            &router,
            request(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": "bob", "password": gatehouse::demo::DEMO_PASSWORD})),
            ),
        )
        .await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            locked.body
        );
    }
    // Another name is not locked.
    common::login(&replica, "carol").await;
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app.db
        .call(move |conn| Ok(conn.query_row(sql, [], |r| r.get(0))?))
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, id: i64) -> String {
    app.db
        .call(move |conn| {
            Ok(
                conn.query_row("SELECT status FROM requests WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_balancer_failed_log_ins_count_per_forwarded_client() {
    let app = TestApp::with_demo().await;
    let state = app
        .state()
        .with_trusted_proxies(gatehouse::proxy::TrustedProxies::parse("10.0.0.0/8").unwrap());
    let router = gatehouse::app(state);
    let attempt = |peer: &'static str, forwarded: Option<&'static str>, username: String| {
        let router = router.clone();
        async move {
            let mut request = request(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": username, "password": "not-the-password"})),
            );
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                format!("{peer}:40000")
                    .parse::<std::net::SocketAddr>()
                    .unwrap(),
            ));
            if let Some(forwarded) = forwarded {
                request
                    .headers_mut()
                    .insert("x-forwarded-for", forwarded.parse().unwrap());
            }
            send(&router, request).await.status
        }
    };
    // Twenty failures from one client behind the balancer, each on another
    // name: that client is locked out, another behind the same balancer is not.
    for n in 0..20 {
        let status = attempt("10.0.0.2", Some("198.51.100.7"), format!("nobody{n}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt("10.0.0.2", Some("198.51.100.7"), "someone".into()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt("10.0.0.3", Some("198.51.100.8"), "someone".into()).await,
        StatusCode::UNAUTHORIZED
    );
    // A client connecting directly cannot pick its address with the header.
    for n in 0..20 {
        let forged: &'static str = Box::leak(format!("192.0.2.{n}").into_boxed_str());
        attempt("203.0.113.5", Some(forged), format!("other{n}")).await;
    }
    assert_eq!(
        attempt("203.0.113.5", Some("192.0.2.200"), "someone-else".into()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_process_shutting_down_frees_its_leases_for_the_next_at_once() {
    let app = TestApp::with_demo().await;
    let other = app.db.reopen().unwrap();
    let provisioning = Held::try_take(&app.db, &app.clock(), PROVISIONING, "stopping")
        .await
        .unwrap()
        .unwrap();
    let outbox = Held::try_take(&app.db, &app.clock(), OUTBOX, "stopping")
        .await
        .unwrap()
        .unwrap();
    // The workers stop (their leases are no longer renewed), then the process frees them.
    drop((provisioning, outbox));
    assert_eq!(lease::release_all(&app.db, "stopping").await.unwrap(), 2);
    for name in [PROVISIONING, OUTBOX] {
        Held::try_take(&other, &app.clock(), name, "next")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is free at once"))
            .release()
            .await;
    }
}
