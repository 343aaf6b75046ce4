//! `GET /metrics` on a real server on loopback, read with an independent
//! parser of the Prometheus text format: requests counted by route template
//! and status, gauges that follow the database, the token, and the address
//! of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::net::SocketAddr;

use axum::Router;
use common::{TestApp, prometheus::Scrape};
use gatehouse::{AppState, ops::Ops};
use serde_json::{Value, json};

/// Serve `router` on a free loopback port; its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    url
}

struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

/// A blocking HTTP call from inside the test's runtime.
fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
    tokio::task::block_in_place(|| {
        let mut request = ureq::request(method, url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let answer = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let response = match answer {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {url}: {error}"),
        };
        Reply {
            status: response.status(),
            content_type: response.content_type().to_owned(),
            body: response.into_string().unwrap(),
        }
    })
}

fn scrape(url: &str, headers: &[(&str, &str)]) -> Scrape {
    let reply = call("GET", &format!("{url}/metrics"), headers, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type, "text/plain");
    Scrape::parse(&reply.body)
}

fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.value(metric, labels)
}

fn gauge(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape.get(metric, labels)
}

/// A state over the app's database and clock, with these ops settings; the
/// worker's passes run on it too, so its metrics see them.
fn state_with(app: &TestApp, ops: Ops) -> AppState {
    app.state().with_ops(ops)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_counted_and_timed_by_route_template_and_status_never_by_raw_path() {
    let app = TestApp::with_demo().await;
    let url = serve(app.router.clone()).await;
    let alice = app.login("alice").await;
    let before = scrape(&url, &[]);
    let template = [
        ("route", "/api/v1/requests/{request_id}"),
        ("method", "GET"),
        ("status", "404"),
    ];
    let earlier = value(&before, "gatehouse_http_requests_total", &template).unwrap_or(0.0);

    for _ in 0..3 {
        let missing = call(
            "GET",
            &format!("{url}/api/v1/requests/424242"),
            &[("Cookie", &alice)],
            None,
        );
        assert_eq!(missing.status, 404);
    }
    let anonymous = call("GET", &format!("{url}/api/v1/me"), &[], None);
    assert_eq!(anonymous.status, 401);
    let portal = call("GET", &format!("{url}/some/page/9f8e7d"), &[], None);
    assert_eq!(portal.status, 200);

    let after = scrape(&url, &[]);
    assert_eq!(
        gauge(&after, "gatehouse_http_requests_total", &template) - earlier,
        3.0
    );
    assert_eq!(
        gauge(
            &after,
            "gatehouse_http_request_duration_seconds_count",
            &template
        ) - value(
            &before,
            "gatehouse_http_request_duration_seconds_count",
            &template
        )
        .unwrap_or(0.0),
        3.0,
        "the latency histogram counts the same requests"
    );
    let mut bucket = template.to_vec();
    bucket.push(("le", "+Inf"));
    assert_eq!(
        gauge(
            &after,
            "gatehouse_http_request_duration_seconds_bucket",
            &bucket
        ),
        gauge(
            &after,
            "gatehouse_http_request_duration_seconds_count",
            &template
        )
    );
    let sum = gauge(
        &after,
        "gatehouse_http_request_duration_seconds_sum",
        &template,
    );
    assert!(sum > 0.0 && sum < 10.0, "latency sum {sum}");
    assert_eq!(
        gauge(
            &after,
            "gatehouse_http_requests_total",
            &[("route", "/api/v1/me"), ("status", "401")]
        ),
        1.0
    );
    assert!(
        gauge(
            &after,
            "gatehouse_http_requests_total",
            &[("route", "unmatched"), ("status", "200")]
        ) >= 1.0
    );
    for sample in &after.samples {
        let labels = format!("{:?}", sample.labels);
        assert!(
            !labels.contains("424242") && !labels.contains("9f8e7d"),
            "a raw path became a label: {} {labels}",
            sample.name
        );
    }
    // The scrape itself is in flight while it is rendered.
    assert_eq!(gauge(&after, "gatehouse_http_requests_in_flight", &[]), 1.0);
    let size = gauge(&after, "gatehouse_db_pool_connections", &[]);
    let in_use = gauge(&after, "gatehouse_db_pool_connections_in_use", &[]);
    assert!(
        size >= 1.0 && (0.0..=size).contains(&in_use),
        "{in_use}/{size}"
    );
    assert_eq!(gauge(&after, "gatehouse_database_up", &[]), 1.0);
}

/// Requests by status as the database counts them.
async fn count_status(app: &TestApp, status: &'static str) -> f64 {
    app.db
        .call(move |conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM requests WHERE status = ?1",
                [status],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .await
        .unwrap() as f64
}

/// An integration with `connector`, a resource in it and an auto-approving
/// flow over it; the resource's id.
async fn integration(app: &TestApp, carol: &str, connector: &str, settings: Value) -> i64 {
    let created = app
        .post(
            "/api/v1/admin/integrations",
            carol,
            json!({"name": format!("Billing ({connector})"), "kind": "billing", "connector": connector,
                   "settings": settings, "connection_options": ["browser"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let integration = created.body["id"].as_i64().unwrap();
    let kind = app
        .post(
            "/api/v1/admin/resource-types",
            carol,
            json!({"integration_id": integration, "name": "account", "permissions": ["viewer"]}),
        )
        .await;
    assert_eq!(kind.status, 201, "{}", kind.body);
    let resource = app
        .post(
            "/api/v1/admin/resources",
            carol,
            json!({"resource_type_id": kind.body["id"], "name": format!("Invoices {connector}"), "path": format!("billing/{connector}")}),
        )
        .await;
    assert_eq!(resource.status, 201, "{}", resource.body);
    let flow = app
        .post(
            "/api/v1/admin/access-flows",
            carol,
            json!({"name": format!("Billing {connector}"), "grantees": [{"kind": "everyone"}],
                   "scope": [{"kind": "integration", "id": integration}], "auto_approve": true,
                   "durations_seconds": [3600], "max_duration_seconds": 3600}),
        )
        .await;
    assert_eq!(flow.status, 201, "{}", flow.body);
    resource.body["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gauges_read_at_scrape_time_follow_requests_grants_and_the_outbox() {
    let app = TestApp::with_demo().await;
    let url = serve(app.router.clone()).await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;

    let before = scrape(&url, &[]);
    let pending = [("status", "Pending Approval")];
    assert_eq!(
        gauge(&before, "gatehouse_access_requests", &pending),
        count_status(&app, "Pending Approval").await
    );
    common::pending_orders_request(&app, &alice).await;
    let after = scrape(&url, &[]);
    assert_eq!(
        gauge(&after, "gatehouse_access_requests", &pending)
            - gauge(&before, "gatehouse_access_requests", &pending),
        1.0
    );
    // Every status is reported, those without requests as 0.
    assert_eq!(
        gauge(
            &after,
            "gatehouse_access_requests",
            &[("status", "Revoking")]
        ),
        0.0
    );
    let outbox: i64 = app
        .db
        .call(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(outbox > 0, "the approver is told about the request");
    assert_eq!(
        gauge(&after, "gatehouse_outbox_pending", &[]),
        outbox as f64
    );
    assert_eq!(gauge(&after, "gatehouse_outbox_due", &[]), outbox as f64);

    // A manual grant waits on a person; a webhook that cannot be reached fails and is retried.
    let manual = integration(&app, &carol, "manual", json!({"fulfillers": ["bob"]})).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let webhook = integration(
        &app,
        &carol,
        "webhook",
        json!({"url": format!("http://{closed}/hook"), "secret": "webhook-signing-secret-0123", "timeout_seconds": 1}),
    )
    .await;
    for resource in [manual, webhook] {
        let submitted = app
            .post(
                "/api/v1/requests",
                &alice,
                json!({"items": [{"resource_id": resource, "permission": "viewer"}], "duration_seconds": 3600,
                       "justification": common::GOOD_WHY}),
            )
            .await;
        assert_eq!(submitted.status, 201, "{}", submitted.body);
        assert_eq!(submitted.body["requests"][0]["status"], "Granting");
    }
    let work = scrape(&url, &[]);
    let of = |connector, metric| {
        gauge(
            &work,
            metric,
            &[("connector", connector), ("work", "grant")],
        )
    };
    assert_eq!(of("manual", "gatehouse_grants_waiting"), 1.0);
    assert_eq!(of("manual", "gatehouse_grants_failing"), 0.0);
    assert_eq!(of("webhook", "gatehouse_grants_waiting"), 1.0);
    assert_eq!(of("webhook", "gatehouse_grants_failing"), 1.0);
    assert_eq!(of("demo", "gatehouse_grants_waiting"), 0.0);
    assert_eq!(
        gauge(
            &work,
            "gatehouse_access_requests",
            &[("status", "Granting")]
        ),
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_lag_shows_until_a_background_pass_expires_the_access() {
    let app = TestApp::with_demo().await;
    let state = state_with(&app, Ops::default());
    let url = serve(gatehouse::app(state.clone())).await;
    let alice = app.login("alice").await;
    common::active_docs_request(&app, &alice).await;

    let fresh = scrape(&url, &[]);
    assert_eq!(gauge(&fresh, "gatehouse_expiry_overdue_seconds", &[]), 0.0);
    assert!(
        gauge(&fresh, "gatehouse_worker_last_pass_age_seconds", &[]).is_nan(),
        "no pass has run on this state yet"
    );

    // The access was due 90 s ago and no pass has run since.
    app.clock.advance(time::Duration::seconds(3600 + 90));
    let late = scrape(&url, &[]);
    assert_eq!(gauge(&late, "gatehouse_expiry_overdue_seconds", &[]), 90.0);
    assert_eq!(
        gauge(&late, "gatehouse_access_requests", &[("status", "Active")]),
        1.0
    );

    gatehouse::worker::tick(&state).await.unwrap();
    let caught_up = scrape(&url, &[]);
    assert_eq!(
        gauge(&caught_up, "gatehouse_expiry_overdue_seconds", &[]),
        0.0
    );
    assert_eq!(
        gauge(
            &caught_up,
            "gatehouse_access_requests",
            &[("status", "Active")]
        ),
        0.0,
        "open statuses are counted at every scrape"
    );
    // Ended requests are recounted at most every 5 minutes (of the server's clock).
    let expired = [("status", "Expired")];
    assert_eq!(
        gauge(&caught_up, "gatehouse_access_requests", &expired),
        0.0
    );
    app.clock.advance(time::Duration::seconds(
        gatehouse::metrics::ENDED_RECOUNT_SECONDS,
    ));
    let recounted = scrape(&url, &[]);
    assert_eq!(
        gauge(&recounted, "gatehouse_access_requests", &expired),
        1.0
    );
    assert_eq!(
        gauge(&caught_up, "gatehouse_worker_expiry_lateness_seconds", &[]),
        90.0
    );
    let age = gauge(&caught_up, "gatehouse_worker_last_pass_age_seconds", &[]);
    assert!((0.0..5.0).contains(&age), "{age}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_token_is_asked_for_when_the_server_has_one() {
    let app = TestApp::with_demo().await;
    let state = state_with(
        &app,
        Ops::default().with_metrics_token(Some("m3trics-t0ken")),
    );
    let url = serve(gatehouse::app(state)).await;
    let metrics = format!("{url}/metrics");
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "m3trics-t0ken")],
    ] {
        let refused = call("GET", &metrics, &headers, None);
        assert_eq!(refused.status, 401, "{headers:?}");
        let body: Value = serde_json::from_str(&refused.body).unwrap();
        assert_eq!(body["code"], "unauthenticated");
        assert!(!refused.body.contains("gatehouse_"));
    }
    let scraped = scrape(&url, &[("Authorization", "Bearer m3trics-t0ken")]);
    assert_eq!(gauge(&scraped, "gatehouse_database_up", &[]), 1.0);
    // A personal API token is not a metrics token.
    let alice = app.login("alice").await;
    let with_session = call("GET", &metrics, &[("Cookie", &alice)], None);
    assert_eq!(with_session.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_an_address_of_their_own_are_not_on_the_main_one() {
    let app = TestApp::with_demo().await;
    let state = state_with(&app, Ops::default().with_metrics_elsewhere());
    let main = serve(gatehouse::app(state.clone())).await;
    let own = serve(gatehouse::app::ops_app(state)).await;

    let hidden = call("GET", &format!("{main}/metrics"), &[], None);
    assert_eq!(hidden.status, 404);
    let body: Value = serde_json::from_str(&hidden.body).unwrap();
    assert_eq!(body["code"], "not_found");

    assert_eq!(
        call("GET", &format!("{main}/api/v1/me"), &[], None).status,
        401
    );
    let scraped = scrape(&own, &[]);
    // The main address's requests are counted on the other.
    assert_eq!(
        gauge(
            &scraped,
            "gatehouse_http_requests_total",
            &[("route", "/metrics"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(call("GET", &format!("{own}/readyz"), &[], None).status, 200);
    assert_eq!(
        call("GET", &format!("{own}/healthz"), &[], None).status,
        200
    );
    assert_eq!(
        call("GET", &format!("{own}/api/v1/me"), &[], None).status,
        404,
        "the API is not served on the metrics address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id_kept_from_the_caller_when_sane() {
    let app = TestApp::with_demo().await;
    let url = serve(app.router.clone()).await;
    let id_of = |headers: &[(&str, &str)], path: &str| {
        tokio::task::block_in_place(|| {
            let mut request = ureq::get(&format!("{url}{path}"));
            for (name, value) in headers {
                request = request.set(name, value);
            }
            let response = match request.call() {
                Ok(response) => response,
                Err(ureq::Error::Status(_, response)) => response,
                Err(error) => panic!("{error}"),
            };
            response
                .header("x-request-id")
                .unwrap_or_default()
                .to_owned()
        })
    };
    let kept = id_of(&[("X-Request-Id", "lb-7f3a-0001")], "/healthz");
    assert_eq!(kept, "lb-7f3a-0001");
    let on_error = id_of(&[("X-Request-Id", "lb-7f3a-0002")], "/api/v1/me");
    assert_eq!(on_error, "lb-7f3a-0002", "errors carry the id too");
    let made = id_of(&[], "/healthz");
    let other = id_of(&[], "/healthz");
    assert_eq!(made.len(), 32);
    assert_ne!(made, other);
    for insane in ["has space", "<b>x</b>", &"x".repeat(200)] {
        let replaced = id_of(&[("X-Request-Id", insane)], "/healthz");
        assert_eq!(replaced.len(), 32, "{insane:?} -> {replaced}");
        assert_ne!(replaced, insane);
    }
}
