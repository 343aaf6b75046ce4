//! Security headers on every response.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Swagger UI styles itself inline and uses data: images; it runs no inline script.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub async fn security_headers(
    State(portal_csp): State<Arc<HeaderValue>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_docs = path.starts_with("/api/docs");
    let is_api = path.starts_with("/api/v1/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // What may run and load: our own files, the portal's one inline start-up
    // script by hash, wasm compilation, and no framing by anyone.
    let csp = if is_docs {
        HeaderValue::from_static(DOCS_CSP)
    } else {
        (*portal_csp).clone()
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    // Browsers must not guess a type other than the one we declare.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Older browsers that ignore frame-ancestors.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Request and resource ids in URLs are nobody else's business.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Keep other sites' windows out of ours.
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // API answers carry access data: never store them in a shared or disk cache.
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
