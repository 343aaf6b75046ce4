//! AWS error answers (JSON `__type`/`message`, XML `<Error><Code>`) and
//! failed calls, turned into sentences for people.

use serde_json::Value;

use super::xml;

/// An AWS answer that is an error: the HTTP status, AWS's error code and
/// message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// A failed call: AWS said no, or it could not be reached or understood.
#[derive(Debug)]
pub(crate) enum CallError {
    Api {
        service: &'static str,
        action: String,
        error: ApiError,
    },
    Other(String),
}

impl CallError {
    /// AWS asks to try later: a conflicting operation, throttling, or a
    /// server-side fault.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Api { error, .. } => {
                error.status == 429
                    || error.status >= 500
                    || matches!(
                        error.code.as_str(),
                        "ConflictException" | "ThrottlingException" | "TooManyRequestsException"
                    )
            }
            CallError::Other(_) => false,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Api { error, .. } => Some(&error.code),
            CallError::Other(_) => None,
        }
    }
}

const CREDENTIAL_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "ExpiredToken",
    "ExpiredTokenException",
    "MissingAuthenticationToken",
    "InvalidAccessKeyId",
];

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Other(text) => f.write_str(text),
            CallError::Api {
                service,
                action,
                error,
            } => {
                let detail = if error.message.is_empty() {
                    error.code.clone()
                } else {
                    format!("{} ({})", error.message, error.code)
                };
                if CREDENTIAL_CODES.contains(&error.code.as_str()) {
                    write!(f, "AWS refused the credentials: {detail}")
                } else if error.code.contains("AccessDenied")
                    || error.code == "UnauthorizedOperation"
                {
                    write!(f, "AWS denied {action} on {service}: {detail}")
                } else {
                    write!(f, "{service} {action} failed: {detail}")
                }
            }
        }
    }
}

impl From<CallError> for String {
    fn from(e: CallError) -> String {
        e.to_string()
    }
}

/// A ureq failure in words (no URL credentials are ever in our URLs).
pub(crate) fn describe_transport(error: ureq::Error) -> String {
    match error {
        ureq::Error::Status(status, response) => {
            format!("HTTP {status} {}", response.status_text())
        }
        ureq::Error::Transport(t) => t.to_string(),
    }
}

/// Parse an AWS error body: JSON (`__type`, `message`) or XML
/// (`<Error><Code>…</Code><Message>…</Message>`).
pub(crate) fn parse_error(status: u16, error_type_header: Option<&str>, body: &str) -> ApiError {
    let mut code = String::new();
    let mut message = String::new();
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| json.get(*n).and_then(Value::as_str))
                .unwrap_or("")
                .to_string()
        };
        code = field(&["__type", "code", "Code"]);
        message = field(&["message", "Message", "errorMessage"]);
    } else if body.trim_start().starts_with('<') {
        code = xml::first(body, "Code").unwrap_or_default();
        message = xml::first(body, "Message").unwrap_or_default();
    }
    if code.is_empty() {
        code = error_type_header.unwrap_or("").to_string();
    }
    // `aws.protocoltests#Code`, `Code:http://internal…`
    let code = code
        .rsplit('#')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    let code = if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code
    };
    ApiError {
        status,
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let e = parse_error(
            400,
            None,
            r#"{"__type":"com.amazon#ResourceNotFoundException","message":"gone"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ResourceNotFoundException", "gone")
        );
        let e = parse_error(
            403,
            None,
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>\
             <Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>",
        );
        assert_eq!(e.code, "InvalidClientTokenId");
        let shown = CallError::Api {
            service: "AWS STS",
            action: "GetCallerIdentity".into(),
            error: e,
        }
        .to_string();
        assert!(
            shown.starts_with("AWS refused the credentials: The security token"),
            "{shown}"
        );
        let e = parse_error(502, None, "");
        assert_eq!(e.code, "HTTP 502");
    }
}
