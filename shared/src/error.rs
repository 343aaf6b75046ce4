//! The one error body every failed API call returns.

use serde::{Deserialize, Serialize};

/// The JSON body of every 4xx and 5xx answer.
///
/// `code` is stable and machine-readable, `message` is for people, and `field`
/// names the offending input when there is one, so a form can show the error
/// next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "code": "invalid_credentials",
    "message": "Wrong username or password.",
    "field": null
})))]
pub struct ApiError {
    /// Stable, machine-readable code such as `not_found` or `validation_failed`.
    pub code: String,
    /// A sentence that explains the problem to a person.
    pub message: String,
    /// The request field the problem is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
