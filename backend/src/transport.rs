//! Whether a request reached us over HTTPS, and what follows from it: the
//! session cookie carries `Secure` and the `__Host-` prefix, and every answer
//! carries `Strict-Transport-Security`.
//!
//! A request is over HTTPS when the portal's public address is `https://…`
//! (`--public-url`: TLS ends in front of us), or when a proxy this server
//! trusts (`--trusted-proxies`) says so with `X-Forwarded-Proto: https`.
//! Nobody else can claim it: a client's own `X-Forwarded-Proto` is ignored.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::state::AppState;

/// Marks a request that came over HTTPS (set by [`mark`] on every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Https(pub bool);

impl Https {
    pub fn of(parts: &Parts) -> Self {
        parts.extensions.get::<Https>().copied().unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Https {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// Name of the portal's session cookie over plain HTTP.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// A year, with subdomains: what HSTS preload lists ask for.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Middleware: decide [`Https`] for the request, and send HSTS when it is.
pub async fn mark(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let forwarded_https = peer.is_some_and(|peer| state.trusted_proxies.contains(peer))
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let https = state.notify.public_url.starts_with("https://") || forwarded_https;
    request.extensions_mut().insert(Https(https));
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The session cookie's name: `__Host-` over HTTPS, so that no other host
/// (a sibling subdomain) can set or shadow it.
pub fn session_cookie_name(https: Https) -> &'static str {
    if https.0 {
        "__Host-gatehouse_session"
    } else {
        SESSION_COOKIE
    }
}

/// The portal's session cookie: HttpOnly, SameSite=Strict, Path=/, and
/// Secure over HTTPS. `max_age` None clears it.
pub fn session_cookie(
    https: Https,
    value: String,
    max_age: Option<time::Duration>,
) -> Cookie<'static> {
    Cookie::build((session_cookie_name(https), value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(https.0)
        .max_age(max_age.unwrap_or(time::Duration::ZERO))
        .build()
}

/// A short-lived cookie that binds a sign-in at the identity provider to
/// this browser. SameSite=Lax: the provider's redirect back is a top-level
/// navigation from another site, which Strict would strip.
pub fn binding_cookie(
    https: Https,
    name: &'static str,
    value: String,
    max_age: time::Duration,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/api/v1/sso/")
        .secure(https.0)
        .max_age(max_age)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_the_session_cookie_is_secure_and_host_prefixed() {
        let cookie = session_cookie(Https(true), "s3cret".into(), Some(time::Duration::hours(1)))
            .to_string();
        assert!(
            cookie.starts_with("__Host-gatehouse_session=s3cret"),
            "{cookie}"
        );
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Secure",
            "Max-Age=3600",
        ] {
            assert!(cookie.contains(part), "{part} missing from {cookie}");
        }
        assert!(
            !cookie.contains("Domain"),
            "__Host- cookies carry no Domain: {cookie}"
        );
    }

    #[test]
    fn over_plain_http_the_cookie_is_not_secure() {
        let cookie = session_cookie(Https(false), "s3cret".into(), None).to_string();
        assert!(cookie.starts_with("gatehouse_session=s3cret"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
        assert!(
            cookie.contains("Max-Age=0"),
            "a cleared cookie expires at once: {cookie}"
        );
    }
}
