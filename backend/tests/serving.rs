//! What every response carries, the portal fallback, the API document, and health.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::TestApp;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/",
        "/new-request",
        "/api/v1/me",
        "/healthz",
        "/api/openapi.json",
    ] {
        let answer = app.call(Method::GET, uri, None, None).await;
        let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{uri}");
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
    }
}

#[tokio::test]
async fn health_answers_ok_without_signing_in() {
    let app = TestApp::with_demo().await;
    let answer = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], "ok");
}

#[tokio::test]
async fn unknown_app_paths_get_the_portal_and_unknown_api_paths_a_json_404() {
    let app = TestApp::with_demo().await;
    let deep = app.call(Method::GET, "/requests/42", None, None).await;
    assert_eq!(deep.status, StatusCode::OK);
    assert!(
        deep.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let api = app
        .call(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.body["code"], "not_found");
    let wrong_method = app.call(Method::PUT, "/api/v1/me", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["code"], "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = TestApp::with_demo().await;
    let doc = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    assert!(doc.body["paths"]["/api/v1/resources"]["get"].is_object());
    let ui = app.call(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(ui.status, StatusCode::OK);
    let text = ui.body.as_str().unwrap();
    assert!(text.contains("swagger"), "{text}");
    assert!(
        !text.contains("https://"),
        "Swagger UI must load nothing from outside"
    );
}

/// Fails the test when this binary was built before the portal: the
/// portal tests prove nothing then (build it first: scripts/build-portal).
fn assert_portal_built(page: &str) {
    assert!(
        !page.contains("was not built into this binary"),
        "the portal is not built into this test binary: run scripts/build-portal, then the tests"
    );
}

/// The portal's main wasm module as `/portal-…/…_bg.wasm`, read from the
/// page's preload link, which a built portal must have.
async fn main_wasm_path(app: &TestApp) -> String {
    let index = app.call(Method::GET, "/login", None, None).await;
    let html = index.body.as_str().unwrap_or_default().to_owned();
    assert_portal_built(&html);
    let end = html
        .find("_bg.wasm")
        .unwrap_or_else(|| panic!("the portal page has no _bg.wasm link: {html}"))
        + "_bg.wasm".len();
    let start = html[..end].rfind('"').unwrap() + 1;
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_portal_goes_brotli_to_who_takes_it_gzip_to_who_takes_only_gzip_raw_to_the_rest() {
    let app = TestApp::with_demo().await;
    let wasm = main_wasm_path(&app).await;
    let fetch = |accept: Option<&'static str>| {
        let mut request = Request::get(&wasm);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        app.send(request.body(Body::empty()).unwrap())
    };
    let brotli = fetch(Some("gzip, deflate, br, zstd")).await;
    let gzip = fetch(Some("gzip, deflate")).await;
    let plain = fetch(None).await;
    assert_eq!(brotli.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    for answer in [&brotli, &gzip, &plain] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers[header::VARY], "accept-encoding");
        assert_eq!(
            answer.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }
    // The bodies arrive as (lossy) text: the wasm and gzip magic numbers survive.
    let text = |answer: &common::Answer| answer.body.as_str().unwrap().to_owned();
    assert!(text(&plain).starts_with("\0asm"));
    assert!(text(&gzip).starts_with("\u{1f}\u{fffd}"));
    assert!(!text(&brotli).starts_with("\0asm") && !text(&brotli).starts_with('\u{1f}'));
}

#[tokio::test]
async fn the_portal_page_carries_who_is_signed_in_and_is_kept_by_no_cache() {
    let app = TestApp::with_demo().await;
    let signed_out = app.call(Method::GET, "/my-requests", None, None).await;
    let page = signed_out.body.as_str().unwrap();
    assert_portal_built(page);
    assert!(!page.contains("gatehouse-me"), "{page}");
    assert_eq!(signed_out.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(signed_out.headers[header::VARY], "cookie");

    let alice = app.login("alice").await;
    let signed_in = app.get("/my-requests", &alice).await;
    let page = signed_in.body.as_str().unwrap();
    let me: serde_json::Value =
        serde_json::from_str(data_block(page, "gatehouse-me").unwrap()).unwrap();
    assert_eq!(me, app.get("/api/v1/me", &alice).await.body);
    assert_eq!(me["username"], "alice");
    assert_eq!(signed_in.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(signed_in.headers[header::VARY], "cookie");

    // A session that ended is the plain page again.
    app.call(Method::DELETE, "/api/v1/session", Some(&alice), None)
        .await;
    let after = app.get("/my-requests", &alice).await;
    assert!(!after.body.as_str().unwrap().contains("gatehouse-me"));
}

#[tokio::test]
async fn my_requests_carries_the_answers_to_its_first_reads_as_the_api_gives_them() {
    let app = TestApp::with_demo().await;
    let page_of = |answer: &common::Answer| answer.body.as_str().unwrap().to_owned();
    assert_portal_built(&page_of(
        &app.call(Method::GET, "/my-requests", None, None).await,
    ));
    let answers_in = |page: &str| -> Option<serde_json::Value> {
        // Each body is carried as the JSON text the API sent.
        let by_url: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(data_block(page, "gatehouse-answers")?).unwrap();
        Some(
            by_url
                .into_iter()
                .map(|(url, body)| {
                    (
                        url,
                        serde_json::from_str::<serde_json::Value>(body.as_str().unwrap()).unwrap(),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        )
    };
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    common::active_docs_request(&app, &alice).await;

    for (who, session) in [("alice", &alice), ("bob", &bob)] {
        let page = page_of(&app.get("/my-requests", session).await);
        let answers = answers_in(&page).unwrap_or_else(|| panic!("no answers for {who}: {page}"));
        let reads = gatehouse::app::first_reads("/my-requests");
        assert_eq!(answers.as_object().unwrap().len(), reads.len());
        for url in reads {
            // Exactly what the API answers this user at this URL.
            assert_eq!(
                answers[*url],
                app.get(url, session).await.body,
                "{who} {url}"
            );
        }
    }
    // Alice's request is in her page and not in bob's.
    let alice_page = answers_in(&page_of(&app.get("/my-requests", &alice).await)).unwrap();
    let bob_page = answers_in(&page_of(&app.get("/my-requests", &bob).await)).unwrap();
    assert_eq!(
        alice_page["/api/v1/requests?limit=20"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        bob_page["/api/v1/requests?limit=20"]["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Other pages, a deep link with filters and a signed-out visit carry none.
    for (path, session) in [
        ("/new-request", Some(alice.as_str())),
        ("/my-requests?status=Active", Some(alice.as_str())),
        ("/my-requests", None),
    ] {
        let answer = app.call(Method::GET, path, session, None).await;
        assert!(answers_in(&page_of(&answer)).is_none(), "{path}");
    }
}

/// The text of the portal page's JSON data block `id`, if it has one.
fn data_block<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let open = format!(r#"<script type="application/json" id="{id}">"#);
    let start = page.find(&open)? + open.len();
    let end = page[start..].find("</script>")? + start;
    Some(&page[start..end])
}
