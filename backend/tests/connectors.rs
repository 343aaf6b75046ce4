//! The webhook connector against a local HTTP receiver that checks every
//! signature, and the manual connector with a named fulfiller.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::{Arc, Mutex},
};

use common::TestApp;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "webhook-signing-secret-0123";

/// One call the receiver got.
#[derive(Debug, Clone)]
struct Received {
    event: String,
    signature_ok: bool,
    /// The signed `X-Gatehouse-Timestamp`.
    timestamp: i64,
    body: Value,
}

/// A webhook receiver on loopback: verifies the HMAC-SHA256 signature of
/// each call with its own code, records it, and answers from a script
/// (then 200 with an empty body).
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::default();
        let (log, answers) = (received.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    headers.push(line.trim_end().to_owned());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find_map(|h| {
                            let (key, value) = h.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let timestamp = header("x-gatehouse-timestamp");
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(format!("{timestamp}.{body}").as_bytes());
                let expected: String = mac
                    .finalize()
                    .into_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let signature_ok = header("x-gatehouse-signature") == format!("sha256={expected}");
                log.lock().unwrap().push(Received {
                    event: header("x-gatehouse-event"),
                    signature_ok,
                    timestamp: timestamp.parse().unwrap_or(0),
                    body: serde_json::from_str(&body).unwrap(),
                });
                let (status, answer) = if signature_ok {
                    answers
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or((200, String::new()))
                } else {
                    (401, "bad signature".into())
                };
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .unwrap();
            }
        });
        Self {
            url,
            received,
            script,
        }
    }

    fn answer(&self, status: u16, body: Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        self.script.lock().unwrap().push_back((status, body));
    }

    /// The signed timestamps of the calls of `event`, in order.
    fn timestamps(&self, event: &str) -> Vec<i64> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.event == event)
            .map(|r| r.timestamp)
            .collect()
    }

    fn events(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.event.clone())
            .collect()
    }
}

/// An integration with `connector`, one resource type and resource, and an
/// auto-approving flow over it. Returns (integration id, resource id).
async fn integration(app: &TestApp, carol: &str, connector: &str, settings: Value) -> (i64, i64) {
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
            json!({"integration_id": integration, "name": "account", "permissions": ["viewer", "editor"]}),
        )
        .await;
    assert_eq!(kind.status, 201, "{}", kind.body);
    let resource = app
        .post(
            "/api/v1/admin/resources",
            carol,
            json!({"resource_type_id": kind.body["id"], "name": "Invoices", "path": "billing/invoices"}),
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
    (integration, resource.body["id"].as_i64().unwrap())
}

async fn submit(app: &TestApp, cookie: &str, resource: i64) -> Value {
    let submitted = app
        .post(
            "/api/v1/requests",
            cookie,
            json!({"items": [{"resource_id": resource, "permission": "viewer"}], "duration_seconds": 3600,
                   "justification": "Monthly billing review"}),
        )
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.body);
    submitted.body["requests"][0].clone()
}

async fn status(app: &TestApp, cookie: &str, id: &Value) -> String {
    app.get(&format!("/api/v1/requests/{id}"), cookie)
        .await
        .body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_calls_are_signed_retried_with_backoff_and_hand_over_credentials() {
    let receiver = Receiver::start();
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let (integration, resource) = integration(
        &app,
        &carol,
        "webhook",
        json!({"url": receiver.url, "secret": SECRET}),
    )
    .await;

    // The settings come back without the secret.
    let listed = app.get("/api/v1/admin/integrations", &carol).await;
    let shown = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == integration)
        .unwrap()
        .clone();
    assert_eq!(shown["settings"]["secret"], "(set)");
    assert!(!listed.body.to_string().contains(SECRET));
    // Changing the URL without retyping the secret keeps it.
    let updated = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/admin/integrations/{integration}"),
            Some(&carol),
            Some(json!({"name": "Billing (webhook)", "kind": "billing", "connection_options": ["browser"],
                        "settings": {"url": receiver.url}})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let ping = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/test"),
            &carol,
            json!(null),
        )
        .await;
    assert_eq!(ping.body["ok"], true, "{}", ping.body);

    // The first grant fails; the next is tried after the backoff.
    receiver.answer(503, json!({"error": "busy"}));
    receiver.answer(
        200,
        json!({"username": "alice@billing", "secret": "from-the-hook", "instructions": "Sign in at the billing console.",
               "connect": {"browser": "https://billing.example.com/login"}}),
    );
    let request = submit(&app, &alice, resource).await;
    let id = request["id"].clone();
    assert_eq!(request["status"], "Granting", "{request}");
    app.tick().await;
    assert_eq!(
        receiver.events(),
        vec!["ping", "grant"],
        "no retry before the backoff"
    );
    app.clock.advance(time::Duration::seconds(2));
    app.tick().await;
    assert_eq!(status(&app, &alice, &id).await, "Active");
    // Signed with the server's clock (the test's), not the machine's: the
    // retry is dated two seconds after the first try.
    let first = receiver.timestamps("grant")[0];
    assert_eq!(
        first,
        time::macros::datetime!(2026-11-02 09:00 UTC).unix_timestamp()
    );
    assert_eq!(receiver.timestamps("grant"), vec![first, first + 2]);

    let details = app
        .get(&format!("/api/v1/requests/{id}/access"), &alice)
        .await;
    assert_eq!(details.body[0]["username"], "alice@billing");
    assert_eq!(
        details.body[0]["instructions"],
        "Sign in at the billing console."
    );
    assert_eq!(
        details.body[0]["connect"]["browser"],
        "https://billing.example.com/login"
    );
    let revealed = app
        .post(
            &format!("/api/v1/requests/{id}/access/{integration}/reveal"),
            &alice,
            json!(null),
        )
        .await;
    assert_eq!(revealed.body["secret"], "from-the-hook");

    // While access is live, the integration cannot be pointed elsewhere.
    let moved = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/admin/integrations/{integration}"),
            Some(&carol),
            Some(json!({"name": "Billing (webhook)", "kind": "billing", "connection_options": ["browser"],
                        "settings": {"url": "http://127.0.0.1:9/elsewhere"}})),
        )
        .await;
    assert_eq!(moved.status, 409, "{}", moved.body);
    let switched = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/admin/integrations/{integration}"),
            Some(&carol),
            Some(json!({"name": "Billing (webhook)", "kind": "billing", "connector": "demo"})),
        )
        .await;
    assert_eq!(switched.status, 409, "{}", switched.body);

    // Removal fails once, then succeeds on the retry.
    receiver.answer(500, json!(null));
    let revoked = app
        .post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(revoked.body["status"], "Revoking");
    app.clock.advance(time::Duration::seconds(2));
    app.tick().await;
    assert_eq!(status(&app, &alice, &id).await, "Revoked");

    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(
        received
            .iter()
            .map(|r| r.event.as_str())
            .collect::<Vec<_>>(),
        vec!["ping", "grant", "grant", "revoke", "revoke"]
    );
    assert!(
        received.iter().all(|r| r.signature_ok),
        "every call is signed with the secret"
    );
    let grant = &received[1].body;
    assert_eq!(grant["grantee"]["username"], "alice");
    assert_eq!(grant["items"][0]["resource_path"], "billing/invoices");
    assert_eq!(grant["items"][0]["permission"], "viewer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_keeps_failing_ends_the_grant_failed_after_its_attempts() {
    let receiver = Receiver::start();
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let (_, resource) = integration(
        &app,
        &carol,
        "webhook",
        json!({"url": receiver.url, "secret": SECRET, "grant_attempts": 2}),
    )
    .await;
    // A redirect is not "done" (redirects are not followed either).
    receiver.answer(302, json!(null));
    receiver.answer(503, json!({"error": "still down"}));
    let request = submit(&app, &alice, resource).await;
    assert_eq!(
        request["status"], "Granting",
        "a 302 did not count as granted"
    );
    app.clock.advance(time::Duration::seconds(2));
    app.tick().await;
    let detail = app
        .get(&format!("/api/v1/requests/{}", request["id"]), &alice)
        .await;
    assert_eq!(detail.body["status"], "Failed");
    assert!(
        detail.body["failure_reason"]
            .as_str()
            .unwrap()
            .contains("webhook answered 503"),
        "{}",
        detail.body
    );
    // The failed grants may have half-happened on the other side: a revoke
    // follows, so nothing is left behind.
    assert_eq!(receiver.events(), vec!["grant", "grant", "revoke"]);
    app.tick().await;
    assert_eq!(
        receiver.events().len(),
        3,
        "the revoke was acknowledged, not repeated"
    );
}

/// The outbox's "do it by hand" notices: recipient, channel, and the
/// headline's first word.
async fn fulfil_notices(app: &TestApp) -> Vec<String> {
    app.db
        .call(|conn| {
            let mut statement = conn.prepare(
                "SELECT u.username, o.channel, o.payload FROM outbox o JOIN users u ON u.id = o.user_id
                 WHERE o.kind = 'fulfil' ORDER BY o.id",
            )?;
            let rows = statement.query_map([], |row| {
                let payload: String = row.get(2)?;
                let notice: Value = serde_json::from_str(&payload).unwrap();
                let headline = notice["headline"].as_str().unwrap().to_owned();
                assert!(headline.contains("by hand"), "{headline}");
                let verb = headline.split(' ').next().unwrap().to_owned();
                Ok(format!("{} {} {verb}", row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut told = rows.collect::<Result<Vec<_>, _>>()?;
            told.sort();
            Ok(told)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_manual_grant_waits_for_its_fulfiller_and_so_does_its_removal() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let unknown = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "Nobody", "kind": "x", "connector": "manual", "settings": {"fulfillers": ["zed"]}}),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.body["field"], "settings");

    let (integration, resource) =
        integration(&app, &carol, "manual", json!({"fulfillers": ["bob"]})).await;
    let request = submit(&app, &alice, resource).await;
    let id = request["id"].clone();
    assert_eq!(request["status"], "Granting");
    app.tick().await;
    assert_eq!(
        status(&app, &alice, &id).await,
        "Granting",
        "waits for a person"
    );

    // The admins and the named fulfiller are told, on each channel they keep.
    assert_eq!(
        fulfil_notices(&app).await,
        [
            "bob email Grant",
            "bob slack Grant",
            "carol email Grant",
            "carol slack Grant"
        ]
    );

    let waiting = app.get("/api/v1/fulfilments", &bob).await;
    assert_eq!(
        waiting.body.as_array().unwrap().len(),
        1,
        "{}",
        waiting.body
    );
    assert_eq!(waiting.body[0]["state"], "waiting");
    assert_eq!(waiting.body[0]["grantee"], "alice");
    assert_eq!(waiting.body[0]["items"][0], "billing/invoices: viewer");
    assert_eq!(app.get("/api/v1/fulfilments", &alice).await.body, json!([]));
    let path = format!("/api/v1/fulfilments/{id}/{integration}");
    assert_eq!(
        app.post(&path, &alice, json!({})).await.status,
        403,
        "alice is no fulfiller"
    );

    let done = app
        .post(&path, &bob, json!({"username": "alice", "secret": "temporary-pass", "instructions": "Sign in at the console."}))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(status(&app, &alice, &id).await, "Active");
    let revealed = app
        .post(
            &format!("/api/v1/requests/{id}/access/{integration}/reveal"),
            &alice,
            json!(null),
        )
        .await;
    assert_eq!(revealed.body["secret"], "temporary-pass");
    assert_eq!(
        app.post(&path, &bob, json!({})).await.status,
        404,
        "nothing waits any more"
    );

    let revoked = app
        .post(&format!("/api/v1/requests/{id}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(revoked.body["status"], "Revoking");
    let waiting = app.get("/api/v1/fulfilments", &bob).await;
    assert_eq!(waiting.body[0]["state"], "removing");
    let told = fulfil_notices(&app).await;
    assert_eq!(told.len(), 8, "{told:?}");
    assert!(
        told.iter().filter(|t| t.ends_with("Remove")).count() == 4,
        "{told:?}"
    );
    assert_eq!(app.post(&path, &bob, json!({})).await.status, 200);
    assert_eq!(status(&app, &alice, &id).await, "Revoked");
}
