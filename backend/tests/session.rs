//! Log-in, log-out, `GET /api/v1/me` and personal API tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn logging_in_sets_an_http_only_strict_session_cookie() {
    let app = TestApp::with_demo().await;
    let answer = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "alice", "password": "gatehouse-demo"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["username"], "alice");
    assert_eq!(answer.body["is_admin"], false);
    let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("gatehouse_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_json_error_and_no_cookie() {
    let app = TestApp::with_demo().await;
    for (username, password) in [("alice", "nope"), ("nobody", "gatehouse-demo")] {
        let answer = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["code"], "invalid_credentials");
        assert_eq!(answer.body["message"], "Wrong username or password.");
        assert!(answer.headers.get(header::SET_COOKIE).is_none());
    }
}

#[tokio::test]
async fn an_empty_username_names_the_field() {
    let app = TestApp::with_demo().await;
    let answer = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "  ", "password": "x"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["field"], "username");
}

#[tokio::test]
async fn malformed_json_gets_a_json_error() {
    let app = TestApp::with_demo().await;
    let request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"username\": 3"))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["code"], "bad_request");
}

#[tokio::test]
async fn without_a_cookie_or_token_every_api_route_answers_401() {
    let app = TestApp::with_demo().await;
    for (method, uri) in [
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/resources"),
        (Method::GET, "/api/v1/resources/ids"),
        (Method::GET, "/api/v1/resource-types"),
        (Method::GET, "/api/v1/integrations"),
        (Method::GET, "/api/v1/tokens"),
        (Method::POST, "/api/v1/tokens"),
        (Method::DELETE, "/api/v1/tokens/1"),
        (Method::DELETE, "/api/v1/session"),
    ] {
        let body = (method == Method::POST).then(|| json!({"name": "x"}));
        let answer = app.call(method.clone(), uri, None, body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(answer.body["code"], "unauthenticated", "{method} {uri}");
    }
}

#[tokio::test]
async fn me_answers_who_is_signed_in_until_log_out() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("carol").await;
    let me = app.get("/api/v1/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "carol");
    assert_eq!(me.body["is_admin"], true);

    let out = app
        .call(Method::DELETE, "/api/v1/session", Some(&cookie), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/api/v1/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_in_use_ends_after_twelve_hours() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    for _ in 0..11 {
        app.clock.advance(time::Duration::hours(1));
        assert_eq!(app.get("/api/v1/me", &cookie).await.status, StatusCode::OK);
    }
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(
        app.get("/api/v1/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_idle_session_ends_after_two_hours() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    app.clock.advance(time::Duration::minutes(119));
    assert_eq!(app.get("/api/v1/me", &cookie).await.status, StatusCode::OK);
    app.clock.advance(time::Duration::minutes(119));
    assert_eq!(
        app.get("/api/v1/me", &cookie).await.status,
        StatusCode::OK,
        "use keeps it alive"
    );
    app.clock.advance(time::Duration::minutes(121));
    assert_eq!(
        app.get("/api/v1/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logging_in_again_rotates_the_session_id() {
    let app = TestApp::with_demo().await;
    let first = app.login("alice").await;
    let answer = app
        .call(
            Method::POST,
            "/api/v1/session",
            Some(&first),
            Some(json!({"username": "alice", "password": "gatehouse-demo"})),
        )
        .await;
    let second = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert_eq!(
        app.get("/api/v1/me", &first).await.status,
        StatusCode::UNAUTHORIZED,
        "the old id is dead"
    );
    assert_eq!(app.get("/api/v1/me", &second).await.status, StatusCode::OK);
}

#[tokio::test]
async fn log_out_everywhere_ends_every_session_of_mine_only() {
    let app = TestApp::with_demo().await;
    let laptop = app.login("alice").await;
    let phone = app.login("alice").await;
    let bob = app.login("bob").await;
    let answer = app
        .call(Method::DELETE, "/api/v1/sessions", Some(&laptop), None)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &laptop).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", &phone).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", &bob).await.status, StatusCode::OK);
}

#[tokio::test]
async fn five_failed_log_ins_lock_the_user_out_for_a_while_with_a_clear_message() {
    let app = TestApp::with_demo().await;
    let attempt = |password: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "alice", "password": password})),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.status, StatusCode::UNAUTHORIZED);
    }
    let locked = attempt("gatehouse-demo").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.body["code"], "too_many_attempts");
    assert!(
        locked.body["message"]
            .as_str()
            .unwrap()
            .contains("Try again in 15 minutes"),
        "{}",
        locked.body
    );
    // Others are not affected; after the window alice can log in again.
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "bob", "password": "gatehouse-demo"}))
        )
        .await
        .status,
        StatusCode::OK
    );
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(attempt("gatehouse-demo").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_cross_origin_write_with_the_session_cookie_is_refused() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let request = Request::post("/api/v1/tokens")
        .header(header::COOKIE, &cookie)
        .header(header::HOST, "gatehouse.internal")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"stolen"}"#))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let tokens = app.get("/api/v1/tokens", &cookie).await;
    assert_eq!(tokens.body.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_api_token_works_as_bearer_until_revoked_and_is_shown_once() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("bob").await;
    let created = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(&cookie),
            Some(json!({"name": "deploy script"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("gh_"));
    let id = created.body["id"].as_i64().unwrap();

    let bearer = |token: &str| {
        Request::get("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let me = app.send(bearer(&secret)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "bob");

    let listed = app.get("/api/v1/tokens", &cookie).await;
    assert_eq!(listed.body[0]["name"], "deploy script");
    assert!(listed.body[0].get("secret").is_none());

    // Another user cannot revoke bob's token.
    let alice = app.login("alice").await;
    let foreign = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(bearer(&secret)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send(bearer("gh_made_up")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_api_token_with_an_expiry_stops_working_then() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    let created = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(&cookie),
            Some(json!({"name": "ci", "expires_in_days": 1})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.body["expires_at"].is_string());
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let me = |secret: String| {
        Request::get("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(app.send(me(secret.clone())).await.status, StatusCode::OK);
    app.clock.advance(time::Duration::days(1));
    assert_eq!(app.send(me(secret)).await.status, StatusCode::UNAUTHORIZED);
    let cookie = app.login("alice").await;
    let too_long = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(&cookie),
            Some(json!({"name": "x", "expires_in_days": 400})),
        )
        .await;
    assert_eq!(too_long.body["field"], "expires_in_days");
}

#[tokio::test]
async fn a_cross_site_form_post_with_the_cookie_is_refused_and_writes_nothing() {
    let app = TestApp::with_demo().await;
    let cookie = app.login("alice").await;
    // What a hostile page's auto-submitting form looks like to the server.
    let forged = Request::post("/api/v1/tokens")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"forged"}"#))
        .unwrap();
    let answer = app.send(forged).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let ours = Request::post("/api/v1/tokens")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"mine"}"#))
        .unwrap();
    assert_eq!(app.send(ours).await.status, StatusCode::CREATED);
    let tokens = app.get("/api/v1/tokens", &cookie).await;
    let names: Vec<&str> = tokens
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["mine"]);
}

/// Log in through `router`, the request marked as coming from `peer`.
async fn log_in_from(
    router: &axum::Router,
    peer: &str,
    forwarded_proto: Option<&str>,
) -> common::Answer {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(proto) = forwarded_proto {
        builder = builder.header("x-forwarded-proto", proto);
    }
    let mut request = builder
        .body(Body::from(
            json!({"username": "alice", "password": "gatehouse-demo"}).to_string(),
        ))
        .unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        peer.parse::<std::net::SocketAddr>().unwrap(),
    ));
    common::send(router, request).await
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_prefixed_with_hsts() {
    let app = TestApp::with_demo().await;
    let router = gatehouse::app(app.state().with_notify(gatehouse::notify::NotifyConfig {
        public_url: "https://gatehouse.example.com".into(),
        ..Default::default()
    }));
    let answer = log_in_from(&router, "198.51.100.7:40000", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-gatehouse_session="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    assert_eq!(
        answer.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
    // Only the prefixed name signs in over HTTPS.
    let secret = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let me = |name: &str| {
        Request::builder()
            .uri("/api/v1/me")
            .header(header::COOKIE, format!("{name}={secret}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        common::send(&router, me("__Host-gatehouse_session"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        common::send(&router, me("gatehouse_session")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn over_plain_http_the_cookie_is_not_secure_and_there_is_no_hsts() {
    let app = TestApp::with_demo().await;
    let answer = log_in_from(&app.router, "127.0.0.1:40000", Some("https")).await;
    let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("gatehouse_session="), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "a client's own X-Forwarded-Proto is ignored: {cookie}"
    );
    assert!(
        answer
            .headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}

#[tokio::test]
async fn only_a_trusted_proxy_can_say_the_request_came_over_https() {
    let app = TestApp::with_demo().await;
    let router = gatehouse::app(
        app.state()
            .with_trusted_proxies(gatehouse::proxy::TrustedProxies::parse("10.0.0.0/8").unwrap()),
    );
    let proxied = log_in_from(&router, "10.1.2.3:40000", Some("https")).await;
    let cookie = proxied.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-gatehouse_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(
        proxied
            .headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_some()
    );
    let direct = log_in_from(&router, "203.0.113.9:40000", Some("https")).await;
    let cookie = direct.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(
        direct
            .headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_in_that_would_wait_too_long_for_a_password_worker_gets_503_with_retry_after_and_writes_nothing()
 {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    // One password worker and a one-millisecond queue deadline: of log-ins
    // sent at once, those queued behind the first wait longer than that.
    let router = gatehouse::app(app.state().with_passwords(
        gatehouse::passwords::Passwords::start(1, std::time::Duration::from_millis(1)),
    ));
    let attempts: Vec<_> = (0..6)
        .map(|i| {
            let router = router.clone();
            // Half of them with a wrong password: busy or not, no failure is counted.
            let password = if i % 2 == 0 {
                "gatehouse-demo"
            } else {
                "wrong"
            };
            tokio::spawn(async move {
                common::send(
                    &router,
                    common::request(
                        Method::POST,
                        "/api/v1/session",
                        None,
                        Some(json!({"username": "alice", "password": password})),
                    ),
                )
                .await
            })
        })
        .collect();
    let (mut signed_in, mut refused, mut busy) = (0, 0, 0);
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        match answer.status {
            StatusCode::OK => signed_in += 1,
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(answer.body["code"], "busy");
                assert!(
                    answer.body["message"]
                        .as_str()
                        .unwrap()
                        .contains("Try again in 1 second"),
                    "{}",
                    answer.body
                );
                assert_eq!(answer.headers[header::RETRY_AFTER], "1");
                assert!(answer.headers.get(header::SET_COOKIE).is_none());
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert!(
        busy >= 1,
        "none refused as busy ({signed_in} in, {refused} refused)"
    );
    // The audit log holds exactly the log-ins that were decided.
    let audit = app.get("/api/v1/admin/audit?limit=1000", &carol).await.body["items"]
        .as_array()
        .unwrap()
        .clone();
    let logins = audit
        .iter()
        .filter(|e| e["action"] == "login" && e["actor"]["username"] == "alice")
        .count();
    assert_eq!(logins, signed_in, "{audit:?}");
    let failed = audit
        .iter()
        .filter(|e| e["action"] == "login_failed")
        .count();
    assert_eq!(failed, refused, "{audit:?}");
    // alice can still log in: busy answers counted no failures against her.
    app.login("alice").await;
}

#[tokio::test]
async fn an_over_long_username_or_password_is_refused_by_name_before_any_hashing() {
    let app = TestApp::with_demo().await;
    for (body, field) in [
        (
            json!({"username": "a".repeat(65), "password": "gatehouse-demo"}),
            "username",
        ),
        (
            json!({"username": "alice", "password": "p".repeat(257)}),
            "password",
        ),
    ] {
        let answer = app
            .call(Method::POST, "/api/v1/session", None, Some(body))
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.body["field"], field);
    }
    // The longest accepted are taken (and checked: a wrong password is 401).
    let answer = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "alice", "password": "p".repeat(256)})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_sent_at_once_are_checked_no_more_often_than_the_limit_allows() {
    let app = TestApp::with_demo().await;
    // Twelve wrong passwords for bob at the same moment: only five may be
    // checked (and counted) before the lock-out answers the rest.
    let attempts: Vec<_> = (0..12)
        .map(|_| {
            let router = app.router.clone();
            tokio::spawn(async move {
                common::send(
                    &router,
                    common::request(
                        Method::POST,
                        "/api/v1/session",
                        None,
                        Some(json!({"username": "bob", "password": "guess"})),
                    ),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, locked), (5, 7), "{statuses:?}");
}
