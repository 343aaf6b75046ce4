//! What every response carries, the portal fallback, the API document, and health.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode, header};
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
