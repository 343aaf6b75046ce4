//! The server's one error type. Its single `IntoResponse` owns the mapping from
//! error to HTTP status; the body is always the shared [`ApiError`] shape.
//! Internal faults are logged in full and answered with an opaque 500.

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use gatehouse_shared::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session cookie or bearer token.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong user name or password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Signed in, but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Local passwords are off for this user: sign in with the identity provider.
    #[error("passwords are off: {0}")]
    PasswordsOff(String),
    #[error("{0} not found")]
    NotFound(String),
    /// Input that parses but breaks a rule; names the field.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// Input that does not parse (bad JSON, wrong types, bad query string).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request conflicts with the current state (e.g. already approved).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A submission the grantee already holds or waits for (409), naming
    /// the requests that cover it.
    #[error("duplicate: {}", .0.error.message)]
    Duplicate(Box<gatehouse_shared::requests::DuplicateError>),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within `--body-timeout`.
    #[error("request body timed out")]
    BodyTimeout,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many attempts (log-in); the message says when to try again.
    #[error("too many attempts: {0}")]
    TooManyAttempts(String),
    /// Anything the caller cannot fix; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached (or went away mid-request); logged,
    /// answered 503 so a client or load balancer tries again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A concurrent transaction won a race; the store runs the transaction
    /// again, and only when that keeps failing is it answered 503.
    #[error("database contended: {0}")]
    Contended(String),
    /// `GET /metrics` without the metrics token the server was started with.
    #[error("metrics token missing or wrong")]
    MetricsToken,
    /// Readiness: the server should not be sent requests now (starting,
    /// draining, or its database does not answer); says why.
    #[error("not ready: {0}")]
    NotReady(String),
    /// Too much work of one kind at once (password hashing): 503 with
    /// `Retry-After`, the message says what to do.
    #[error("busy: {message}")]
    Busy { retry_after: u64, message: String },
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// 503 `busy`: `what` is too busy; try again after `retry_after` seconds.
    pub fn busy(retry_after: u64, what: &str) -> Self {
        AppError::Busy {
            retry_after,
            message: format!(
                "{what} Try again in {retry_after} second{}.",
                if retry_after == 1 { "" } else { "s" }
            ),
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        AppError::Internal(detail.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::PasswordsOff(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) | AppError::Duplicate(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_)
            | AppError::Contended(_)
            | AppError::NotReady(_)
            | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::MetricsToken => StatusCode::UNAUTHORIZED,
        }
    }

    /// The wire body for this error.
    pub fn body(&self) -> ApiError {
        match self {
            AppError::Unauthenticated => ApiError::new(
                "unauthenticated",
                "Sign in, or send a personal API token as `Authorization: Bearer <token>`.",
            ),
            AppError::InvalidCredentials => {
                ApiError::new("invalid_credentials", "Wrong username or password.")
            }
            AppError::Forbidden(message) => ApiError::new("forbidden", message.clone()),
            AppError::PasswordsOff(message) => ApiError::new("passwords_off", message.clone()),
            AppError::NotFound(what) => ApiError::new("not_found", format!("{what} not found.")),
            AppError::Invalid { field, message } => {
                ApiError::new("validation_failed", message.clone()).with_field(field.clone())
            }
            AppError::BadRequest(message) => ApiError::new("bad_request", message.clone()),
            AppError::Conflict(message) => ApiError::new("conflict", message.clone()),
            AppError::Duplicate(duplicate) => duplicate.error.clone(),
            AppError::PayloadTooLarge => ApiError::new(
                "payload_too_large",
                "The request body is larger than the server accepts.",
            ),
            AppError::BodyTimeout => ApiError::new(
                "request_timeout",
                "The request body did not arrive in time; nothing was changed.",
            ),
            AppError::MethodNotAllowed => ApiError::new(
                "method_not_allowed",
                "This route does not accept that HTTP method.",
            ),
            AppError::TooManyAttempts(message) => {
                ApiError::new("too_many_attempts", message.clone())
            }
            AppError::Internal(_) => ApiError::new(
                "internal_error",
                "Something went wrong on the server. The details are in its log.",
            ),
            AppError::Unavailable(_) | AppError::Contended(_) => ApiError::new(
                "unavailable",
                "The server cannot reach its database just now. Nothing was changed; try again.",
            ),
            AppError::MetricsToken => ApiError::new(
                "unauthenticated",
                "Send the metrics token the server was started with (--metrics-token) as `Authorization: Bearer <token>`.",
            ),
            AppError::NotReady(why) => ApiError::new("not_ready", why.clone()),
            AppError::Busy { message, .. } => ApiError::new("busy", message.clone()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) | AppError::Contended(detail) => {
                tracing::error!(%detail, "database unavailable");
            }
            AppError::Duplicate(duplicate) => {
                return (self.status(), Json(duplicate)).into_response();
            }
            AppError::Busy { retry_after, .. } => {
                return (
                    self.status(),
                    [(header::RETRY_AFTER, retry_after.to_string())],
                    Json(self.body()),
                )
                    .into_response();
            }
            _ => {}
        }
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<crate::passwords::PasswordError> for AppError {
    fn from(error: crate::passwords::PasswordError) -> Self {
        match error {
            crate::passwords::PasswordError::Busy { retry_after } => AppError::busy(
                retry_after,
                "The server is checking too many passwords at once.",
            ),
            crate::passwords::PasswordError::Failed(detail) => AppError::Internal(detail),
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(error: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_status_and_code() {
        let cases = [
            (AppError::Unauthenticated, 401, "unauthenticated"),
            (AppError::InvalidCredentials, 401, "invalid_credentials"),
            (AppError::Forbidden("no".into()), 403, "forbidden"),
            (AppError::NotFound("Request 7".into()), 404, "not_found"),
            (
                AppError::invalid("duration", "too long"),
                422,
                "validation_failed",
            ),
            (AppError::BadRequest("bad json".into()), 400, "bad_request"),
            (
                AppError::Conflict("already approved".into()),
                409,
                "conflict",
            ),
            (AppError::PayloadTooLarge, 413, "payload_too_large"),
            (AppError::BodyTimeout, 408, "request_timeout"),
            (AppError::MethodNotAllowed, 405, "method_not_allowed"),
            (
                AppError::TooManyAttempts("wait".into()),
                429,
                "too_many_attempts",
            ),
            (AppError::internal("disk on fire"), 500, "internal_error"),
            (AppError::Unavailable("down".into()), 503, "unavailable"),
            (AppError::Contended("lost".into()), 503, "unavailable"),
            (AppError::MetricsToken, 401, "unauthenticated"),
            (AppError::NotReady("draining".into()), 503, "not_ready"),
            (
                AppError::from(crate::passwords::PasswordError::Busy { retry_after: 5 }),
                503,
                "busy",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.body().code, code);
        }
    }

    #[test]
    fn busy_says_when_to_retry() {
        let response = AppError::from(crate::passwords::PasswordError::Busy { retry_after: 5 })
            .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    }

    #[test]
    fn internal_detail_never_reaches_the_body() {
        let body = AppError::internal("secret path /var/lib/x").body();
        assert!(!body.message.contains("secret"));
        assert_eq!(
            AppError::invalid("duration", "too long")
                .body()
                .field
                .as_deref(),
            Some("duration")
        );
    }
}
