//! Extractors whose refusals come back in our error shape, not axum's plain text.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
};
use axum_extra::extract::{Query, QueryRejection};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `Json<T>` whose rejection is an [`AppError`].
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(AppError::BadRequest(
                "Expected request with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else if timed_out(&rejection) {
                    AppError::BodyTimeout
                } else {
                    AppError::BadRequest(rejection.body_text())
                }
            })?;
        if has_nul_escape(&bytes) {
            return Err(nul_refused());
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Whether reading the body failed because it took longer than
/// `--body-timeout` (the connection's [`tower_http::timeout::TimeoutBody`]).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Text holding a NUL character: no store keeps it as text (PostgreSQL
/// refuses it), and no name, reason or justification needs one.
fn nul_refused() -> AppError {
    AppError::BadRequest("Text must not contain NUL characters (\\u0000).".into())
}

/// `application/json` or any `+json` type, as axum's `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime_guess::mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        })
}

/// Whether a JSON text holds `\u0000` inside a string (an escaped
/// backslash followed by `u0000` does not count).
fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u')
                && json.get(i + 2..i + 6).is_some_and(|hex| hex == b"0000")
            {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    AppError::BadRequest(rejection.body_text())
}

/// Query string with repeated keys for lists (`?a=1&a=2`), refused in our shape.
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|query| query.to_ascii_lowercase().contains("%00"))
        {
            return Err(nul_refused());
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(AppQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> AppError {
    AppError::BadRequest(format!("Invalid query string: {rejection}"))
}

/// `Path<T>` whose rejection is an [`AppError`].
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(AppPath(value)),
            Err(rejection) => Err(AppError::BadRequest(rejection.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_only_where_they_are_nul() {
        assert!(has_nul_escape(br#"{"name": "a\u0000b"}"#));
        assert!(
            !has_nul_escape(br#"{"name": "a\\u0000b"}"#),
            "an escaped backslash"
        );
        assert!(!has_nul_escape(br#"{"name": "a\u0001b"}"#));
        assert!(has_nul_escape(br#"["\\", "\u0000"]"#));
    }
}

/// Marks an API call made by an AI assistant through MCP, with the client's
/// name from `initialize` (e.g. "claude-ai"). Only [`crate::mcp`] sets it,
/// as a request extension: a client cannot forge it with a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistant(pub String);
