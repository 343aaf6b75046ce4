//! Every HTTP request gets an id: the caller's `X-Request-Id` when it is
//! sane (a proxy's or load balancer's, so one id follows the request
//! through), else a new random one. The id is in the request's log span and
//! in the response's `X-Request-Id`; the request is counted and timed in the
//! metrics by its route template, never by its raw path.

use std::{sync::Arc, time::Instant};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use tracing::Span;

use crate::{metrics::UNMATCHED_ROUTE, ops::Ops};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest incoming id kept; longer ones are replaced.
const MAX_ID_LENGTH: usize = 128;

/// The id of the request being answered (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

/// Whether an incoming id may be kept: 1 to 128 characters of letters,
/// digits and `-_.:;=+/@` (UUIDs, W3C trace ids, AWS's `Root=1-…;Parent=…`),
/// so that it cannot forge log lines or carry markup.
pub fn is_sane(id: &str) -> bool {
    (1..=MAX_ID_LENGTH).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:;=+/@".contains(&b))
}

/// A new id: 128 random bits as 32 hex digits.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The method as a metrics label: the standard ones by name, any other as
/// `other` (a client can send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware: id, count, time, and the id on the response.
pub async fn observe(State(ops): State<Arc<Ops>>, mut request: Request, next: Next) -> Response {
    let id: Arc<str> = match request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
    {
        Some(id) if is_sane(id) => id.into(),
        _ => new_id().into(),
    };
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    request.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let in_flight = ops.metrics.request_started();
    let mut response = next.run(request).await;
    drop(in_flight);
    ops.metrics.request_answered(
        route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        method,
        response.status().as_str(),
        started.elapsed(),
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    response
}

/// The log span of a request (for `TraceLayer`, inside [`observe`]): its id,
/// method, route template and path, at INFO so that every line logged while
/// answering it carries them.
pub fn request_span(request: &axum::http::Request<Body>) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map_or("", |id| &id.0);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route,
        path = %request.uri().path(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_are_not() {
        for id in [
            "abc",
            "3f2b8c1e-7a4d-4e0b-9a51-2f6c8d9e0a1b",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(is_sane(id), "{id}");
        }
        let too_long = "a".repeat(MAX_ID_LENGTH + 1);
        for id in [
            "",
            "has space",
            "line\nbreak",
            "<script>",
            "quote\"d",
            "é",
            too_long.as_str(),
        ] {
            assert!(!is_sane(id), "{id:?}");
        }
    }

    #[test]
    fn new_ids_are_sane_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(is_sane(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap_or(Method::GET);
        assert_eq!(method_label(&odd), "other");
    }
}
