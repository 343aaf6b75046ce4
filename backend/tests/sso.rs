//! Signing in with the company's identity provider: a real OpenID Provider
//! (oidc-provider, on loopback) and the full code flow — Gatehouse's
//! redirect, the provider's own sign-in form, the way back — with users made
//! and updated from claims, groups and admins from the provider, passwords
//! turned off, and every refusal audited with nobody signed in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode, header};
use common::{
    Answer, TestApp,
    oidc::{CALLBACK, CLIENT_ID, CLIENT_SECRET, OidcProvider, ProviderBrowser},
};
use serde_json::{Value, json};

/// Turn sign-in with `provider` on, as carol (the demo admin).
async fn configure(app: &TestApp, provider: &OidcProvider, extra: Value) -> Answer {
    let carol = app.login("carol").await;
    let mut settings = json!({
        "enabled": true,
        "display_name": "Test IdP",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ["email", "profile", "groups"],
        "admin_group": "gatehouse-admins",
    });
    for (key, value) in extra.as_object().unwrap() {
        settings[key] = value.clone();
    }
    app.call(
        Method::PUT,
        "/api/v1/admin/sso",
        Some(&carol),
        Some(settings),
    )
    .await
}

/// What the browser holds after Gatehouse's redirect: the provider's URL and
/// the binding cookie.
async fn start(app: &TestApp) -> (String, String) {
    let answer = app
        .call(
            Method::GET,
            "/api/v1/sso/start?return_to=/requests",
            None,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let binding = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(binding.starts_with("gatehouse_sso="), "{binding}");
    (location, binding)
}

/// The callback as Gatehouse sees it (the path and query of the URL).
async fn callback(app: &TestApp, back: &str, binding: Option<&str>) -> Answer {
    let path = back.strip_prefix("http://127.0.0.1:8080").unwrap();
    app.call(Method::GET, path, binding, None).await
}

fn session_of(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with("gatehouse_session=") && kv.len() > "gatehouse_session=".len())
        .map(str::to_owned)
}

/// The whole flow as `login` at the provider; the session cookie.
async fn sign_in(app: &TestApp, provider: &OidcProvider, login: &str) -> String {
    let (authorize, binding) = start(app).await;
    assert!(authorize.starts_with(&provider.issuer), "{authorize}");
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "PKCE: {authorize}"
    );
    assert!(authorize.contains("nonce="), "{authorize}");
    let login = login.to_owned();
    let back =
        tokio::task::spawn_blocking(move || ProviderBrowser::default().sign_in(&authorize, &login))
            .await
            .unwrap();
    let answer = callback(app, &back, Some(&binding)).await;
    if answer.status != StatusCode::OK {
        let refusals: Vec<_> = common::audit_log(app)
            .await
            .into_iter()
            .filter(|(a, _)| a == "sso_refused")
            .collect();
        panic!("sign-in refused ({}): {refusals:?}", answer.status);
    }
    assert_eq!(
        answer.headers["refresh"].to_str().unwrap(),
        "0;url=/requests",
        "the page goes on to where the person was going"
    );
    session_of(&answer).expect("a session cookie")
}

async fn me(app: &TestApp, cookie: &str) -> Value {
    let answer = app.get("/api/v1/me", cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

async fn groups_of(app: &TestApp, username: &str) -> Vec<String> {
    let carol = app.login("carol").await;
    let groups = app.get("/api/v1/admin/groups", &carol).await.body;
    let users = app.get("/api/v1/admin/users", &carol).await.body;
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no user {username}"));
    let mut names: Vec<String> = user["group_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            groups
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["id"] == *id)
                .unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn first_sign_in_makes_the_user_from_claims_and_their_groups_decide_what_they_may_request() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    let saved = configure(&app, &provider, json!({})).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["client_secret_set"], true);
    assert!(
        saved.body.get("client_secret").is_none(),
        "the secret is never shown"
    );
    assert_eq!(saved.body["redirect_url"], CALLBACK);

    let options = app.call(Method::GET, "/api/v1/sso", None, None).await;
    assert_eq!(options.body["provider"]["name"], "Test IdP");
    assert_eq!(options.body["passwords"], true);

    let dana = sign_in(&app, &provider, "dana").await;
    let who = me(&app, &dana).await;
    assert_eq!(who["username"], "dana");
    assert_eq!(who["display_name"], "Dana Scully");
    assert_eq!(who["email"], "dana@example.com");
    assert_eq!(who["is_admin"], false);
    assert_eq!(groups_of(&app, "dana").await, ["engineering"]);

    // engineering's flow lets dana ask for the orders database; bob approves.
    let id = common::pending_orders_request(&app, &dana).await;
    let bob = app.login("bob").await;
    let waiting = app.get("/api/v1/approvals", &bob).await;
    assert!(
        waiting.body.to_string().contains(&format!("\"id\":{id}")),
        "bob is asked: {}",
        waiting.body
    );

    // erin's provider groups are empty: no flow lets her ask for it.
    let erin = sign_in(&app, &provider, "erin").await;
    let orders = app.resource("orders").await;
    let refused = app
        .post(
            "/api/v1/requests",
            &erin,
            json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": common::GOOD_WHY}),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.body);

    let logins: Vec<Value> = common::audit_log(&app)
        .await
        .into_iter()
        .filter(|(a, d)| a == "login" && d["method"] == "sso")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(logins[0]["first_time"], true);
    assert_eq!(logins[0]["issuer"], provider.issuer.as_str());
}

#[tokio::test]
async fn later_sign_ins_follow_the_provider_by_subject_not_by_email() {
    // The claims in the ID token this time (the other path: not UserInfo).
    let provider = OidcProvider::start(true);
    let app = TestApp::with_demo().await;
    configure(&app, &provider, json!({})).await;
    let first = sign_in(&app, &provider, "dana").await;
    let id = me(&app, &first).await["id"].as_i64().unwrap();
    // An admin adds dana to a local group by hand: the provider leaves it alone.
    let carol = app.login("carol").await;
    let approvers = app.get("/api/v1/admin/groups", &carol).await.body;
    let approvers = approvers
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "approvers")
        .unwrap()
        .clone();
    let mut members: Vec<i64> = approvers["member_ids"]
        .as_array()
        .map(|m| m.iter().map(|v| v.as_i64().unwrap()).collect())
        .unwrap_or_default();
    members.push(id);
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/groups/{}", approvers["id"]),
            Some(&carol),
            Some(json!({"name": "approvers", "member_ids": members})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    provider.set_person(
        "dana",
        json!({"email": "dana.scully@example.org", "email_verified": true, "name": "Dana Katherine Scully",
               "preferred_username": "dana", "groups": ["oncall"]}),
    );
    let second = sign_in(&app, &provider, "dana").await;
    let who = me(&app, &second).await;
    assert_eq!(who["id"], id, "the same user: the subject is the key");
    assert_eq!(who["email"], "dana.scully@example.org");
    assert_eq!(who["display_name"], "Dana Katherine Scully");
    assert_eq!(
        groups_of(&app, "dana").await,
        ["approvers", "oncall"],
        "engineering left with the provider; the local group stays"
    );
}

#[tokio::test]
async fn the_admin_group_makes_admins_and_leaving_it_unmakes_them() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    configure(&app, &provider, json!({})).await;
    let rita = sign_in(&app, &provider, "root").await;
    assert_eq!(me(&app, &rita).await["is_admin"], true);
    assert_eq!(
        app.get("/api/v1/admin/users", &rita).await.status,
        StatusCode::OK
    );

    provider.set_person(
        "root",
        json!({"email": "root@example.com", "email_verified": true, "name": "Rita Root",
               "preferred_username": "rita", "groups": ["engineering"]}),
    );
    let again = sign_in(&app, &provider, "root").await;
    assert_eq!(me(&app, &again).await["is_admin"], false);
    assert_eq!(
        app.get("/api/v1/admin/users", &again).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_local_user_is_linked_only_when_the_provider_vouches_for_their_email() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    configure(&app, &provider, json!({})).await;
    // alice@example.com, verified: the demo's alice.
    let alice = sign_in(&app, &provider, "alice").await;
    assert_eq!(me(&app, &alice).await["id"], app.user_id("alice").await);
    // mallory calls herself "carol" with carol's address, unverified: she
    // gets a user of her own, not the admin's.
    let mallory = sign_in(&app, &provider, "mallory").await;
    let who = me(&app, &mallory).await;
    assert_eq!(who["username"], "carol-2");
    assert_ne!(who["id"], app.user_id("carol").await);
    assert_eq!(who["is_admin"], false);
}

#[tokio::test]
async fn refused_sign_ins_are_audited_and_sign_nobody_in() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    configure(&app, &provider, json!({})).await;

    // A state Gatehouse never made.
    let forged = app
        .call(
            Method::GET,
            "/api/v1/sso/callback?code=abc&state=forged",
            Some("gatehouse_sso=x"),
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged.body.as_str().unwrap().contains("Sign-in refused"),
        "{}",
        forged.body
    );
    assert!(session_of(&forged).is_none());

    // The way back in another browser (no binding cookie).
    let (authorize, _binding) = start(&app).await;
    let back =
        tokio::task::spawn_blocking(move || ProviderBrowser::default().sign_in(&authorize, "dana"))
            .await
            .unwrap();
    let elsewhere = callback(&app, &back, None).await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert!(elsewhere.body.as_str().unwrap().contains("another browser"));
    assert!(session_of(&elsewhere).is_none());

    // A good sign-in, then the same callback again (a replay).
    let (authorize, binding) = start(&app).await;
    let back =
        tokio::task::spawn_blocking(move || ProviderBrowser::default().sign_in(&authorize, "dana"))
            .await
            .unwrap();
    assert_eq!(
        callback(&app, &back, Some(&binding)).await.status,
        StatusCode::OK
    );
    let replay = callback(&app, &back, Some(&binding)).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(session_of(&replay).is_none());

    // The used code under a fresh state of this browser: the provider refuses it.
    let (authorize, binding) = start(&app).await;
    let fresh_state = authorize
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let used_code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let reused = app
        .call(
            Method::GET,
            &format!("/api/v1/sso/callback?code={used_code}&state={fresh_state}"),
            Some(&binding),
            None,
        )
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST, "{}", reused.body);
    assert!(session_of(&reused).is_none());

    // The provider's own refusal (the person pressed "cancel").
    let denied = app
        .call(
            Method::GET,
            "/api/v1/sso/callback?error=access_denied&state=x",
            None,
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST);
    assert!(denied.body.as_str().unwrap().contains("access denied"));

    let reasons: Vec<String> = common::audit_log(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "sso_refused")
        .map(|(_, d)| d["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "unknown_state",
            "other_browser",
            "unknown_state",
            "code_refused",
            "provider_refused"
        ]
    );
}

#[tokio::test]
async fn with_passwords_off_only_break_glass_admins_use_one() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    // carol signed in with a password: she must keep a way in.
    let locked_out = configure(&app, &provider, json!({"password_login": false})).await;
    assert_eq!(
        locked_out.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        locked_out.body
    );
    assert_eq!(locked_out.body["field"], "break_glass_admins");
    let saved = configure(
        &app,
        &provider,
        json!({"password_login": false, "break_glass_admins": ["carol"]}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let options = app.call(Method::GET, "/api/v1/sso", None, None).await;
    assert_eq!(options.body["passwords"], false);
    let refused = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "alice", "password": gatehouse::demo::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["code"], "passwords_off");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("Test IdP")
    );
    // The break-glass admin still can; alice signs in through the provider.
    app.login("carol").await;
    let alice = sign_in(&app, &provider, "alice").await;
    assert_eq!(me(&app, &alice).await["username"], "alice");

    // Turning the provider off with passwords off would lock people out.
    let carol = app.login("carol").await;
    let off = app
        .call(
            Method::PUT,
            "/api/v1/admin/sso",
            Some(&carol),
            Some(json!({"enabled": false, "display_name": "", "issuer": "", "client_id": "", "password_login": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(off.body["field"], "password_login");
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused_by_field_and_only_admins_see_them() {
    let app = TestApp::with_demo().await;
    let alice = app.login("alice").await;
    assert_eq!(
        app.get("/api/v1/admin/sso", &alice).await.status,
        StatusCode::FORBIDDEN
    );
    let carol = app.login("carol").await;
    for (settings, field) in [
        (
            json!({"enabled": true, "display_name": "", "issuer": "https://idp.example", "client_id": "x"}),
            "display_name",
        ),
        (
            json!({"enabled": true, "display_name": "Okta", "issuer": "not a url", "client_id": "x"}),
            "issuer",
        ),
        (
            json!({"enabled": true, "display_name": "Okta", "issuer": "https://idp.example", "client_id": ""}),
            "client_id",
        ),
        (
            json!({"enabled": true, "display_name": "Okta", "issuer": "https://idp.example", "client_id": "x", "scopes": ["two words"]}),
            "scopes",
        ),
    ] {
        let answer = app
            .call(
                Method::PUT,
                "/api/v1/admin/sso",
                Some(&carol),
                Some(settings),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert_eq!(answer.body["field"], field);
    }
    // Nothing was stored: sign-in with a provider is still off.
    let options = app.call(Method::GET, "/api/v1/sso", None, None).await;
    assert!(options.body.get("provider").is_none(), "{}", options.body);
    let start = app.call(Method::GET, "/api/v1/sso/start", None, None).await;
    assert_eq!(start.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_provider_gets_a_clear_page_not_a_crash() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/admin/sso",
            Some(&carol),
            Some(json!({"enabled": true, "display_name": "Down", "issuer": issuer, "client_id": "x"})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    let start = app.call(Method::GET, "/api/v1/sso/start", None, None).await;
    assert_eq!(start.status, StatusCode::BAD_GATEWAY);
    assert!(
        start
            .body
            .as_str()
            .unwrap()
            .contains("could not talk to the identity provider")
    );
}

#[tokio::test]
async fn a_test_sign_in_shows_the_claims_and_signs_nobody_in() {
    let provider = OidcProvider::start(false);
    let app = TestApp::with_demo().await;
    configure(&app, &provider, json!({})).await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    assert_eq!(
        app.get("/api/v1/admin/sso/test", &alice).await.status,
        StatusCode::FORBIDDEN
    );
    let answer = app.get("/api/v1/admin/sso/test", &carol).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let authorize = answer.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let binding = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let back =
        tokio::task::spawn_blocking(move || ProviderBrowser::default().sign_in(&authorize, "root"))
            .await
            .unwrap();
    let page = callback(&app, &back, Some(&binding)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.body.as_str().unwrap();
    assert!(text.contains("gatehouse-admins"), "{text}");
    assert!(text.contains("rita"), "{text}");
    assert!(text.contains("yes (member of the admin group)"), "{text}");
    assert!(session_of(&page).is_none(), "a test signs nobody in");
    let users = app.get("/api/v1/admin/users", &carol).await.body;
    assert!(
        !users.to_string().contains("\"rita\""),
        "no user was made: {users}"
    );
}

#[tokio::test]
async fn id_tokens_that_fail_a_check_are_refused() {
    let provider = OidcProvider::hostile();
    let app = TestApp::with_demo().await;
    let saved = configure(&app, &provider, json!({})).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    for mode in [
        "good",
        "wrong_aud",
        "expired",
        "unsigned",
        "bad_sig",
        "wrong_iss",
        "wrong_nonce",
    ] {
        let (authorize, binding) = start(&app).await;
        let url = format!("{authorize}&login_hint={mode}");
        let agent = agent.clone();
        let back = tokio::task::spawn_blocking(move || {
            agent
                .get(&url)
                .call()
                .unwrap()
                .header("location")
                .unwrap()
                .to_owned()
        })
        .await
        .unwrap();
        let answer = callback(&app, &back, Some(&binding)).await;
        if mode == "good" {
            // The baseline: the same provider, a sound token, accepted.
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            assert!(session_of(&answer).is_some());
            continue;
        }
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{mode}: {}",
            answer.body
        );
        assert!(session_of(&answer).is_none(), "{mode} signed someone in");
        let refusal = common::audit_log(&app)
            .await
            .into_iter()
            .rev()
            .find(|(a, _)| a == "sso_refused")
            .unwrap()
            .1;
        assert_eq!(refusal["reason"], "id_token_refused", "{mode}: {refusal}");
    }
    let signed_in = common::audit_log(&app)
        .await
        .into_iter()
        .filter(|(a, d)| a == "login" && d["method"] == "sso")
        .count();
    assert_eq!(signed_in, 1, "only the sound token signed anyone in");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_signs_in_through_the_browser_and_gets_a_token_only_it_can_redeem() {
    let app = TestApp::with_demo().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = gatehouse::app(app.state().with_notify(gatehouse::notify::NotifyConfig {
        public_url: url.clone(),
        ..Default::default()
    }));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let provider = OidcProvider::start_for(&format!("{url}/api/v1/sso/callback"));
    let saved = configure(
        &app,
        &provider,
        json!({"password_login": false, "break_glass_admins": ["carol"]}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(gatehouse::cli::server_wants_browser_sign_in(&url));

    let config = tempfile::tempdir().unwrap();
    let config_dir = config.path().to_owned();
    let base = url.clone();
    let stolen = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let seen = stolen.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        // SAFETY: set before the CLI reads it, in this test process only.
        unsafe { std::env::set_var("GATEHOUSE_CONFIG_DIR", &config_dir) };
        let server_url = base.clone();
        gatehouse::cli::login_with_browser(&server_url, 7, move |start| {
            let start = start.to_owned();
            let base = base.clone();
            std::thread::spawn(move || {
                let mut browser = ProviderBrowser::default();
                let (status, location, _, _) = browser.get(&start);
                assert_eq!(status, 303);
                let back = browser.sign_in_until(
                    &location.unwrap(),
                    "dana",
                    &format!("{base}/api/v1/sso/callback"),
                );
                let (status, _, refresh, page) = browser.get(&back);
                assert_eq!(status, 200, "{page}");
                let cli = refresh.unwrap().strip_prefix("0;url=").unwrap().to_owned();
                assert!(cli.starts_with("http://127.0.0.1:"), "{cli}");
                *seen.lock().unwrap() = Some(cli.clone());
                browser.get(&cli);
            });
        })
    })
    .await
    .unwrap();
    let message = outcome.expect("the CLI logged in");
    assert!(message.contains("as dana"), "{message}");
    let stored: Value =
        serde_json::from_slice(&std::fs::read(config.path().join("credentials.json")).unwrap())
            .unwrap();
    let token = stored["token"].as_str().unwrap().to_owned();
    let me = app
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.body["username"], "dana");

    // Whoever saw the code on its way cannot redeem it: it is used, and
    // even unused it needs the CLI's verifier.
    let cli_url = stolen.lock().unwrap().clone().unwrap();
    let code = cli_url.split("code=").nth(1).unwrap().to_owned();
    let replay = app
        .call(
            Method::POST,
            "/api/v1/sso/cli-token",
            None,
            Some(
                json!({"code": code, "verifier": "guess", "name": "stolen", "expires_in_days": 1}),
            ),
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    server.abort();
}
