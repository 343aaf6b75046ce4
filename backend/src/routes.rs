//! HTTP handlers, one module per endpoint group. Handlers extract, call the
//! store or a rule, and return; they hold no SQL and no business rules.

pub mod access;
pub mod admin;
pub mod approvals;
pub mod assist;
pub mod bundles;
pub mod catalog;
pub mod health;
pub mod me;
pub mod metrics;
pub mod mfa;
pub mod my_access;
pub mod notifications;
pub mod requests;
pub mod scim;
pub mod session;
pub mod ssh;
pub mod sso;
pub mod tokens;

use gatehouse_shared::limits;

use crate::error::AppError;

/// A page size from the query: default 50, refused outside 1 to 1000.
pub(crate) fn page_size(limit: Option<u32>) -> Result<u32, AppError> {
    let limit = limit.unwrap_or(limits::DEFAULT_PAGE_SIZE);
    if (1..=limits::MAX_PAGE_SIZE).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::invalid(
            "limit",
            format!("Page size is 1 to {}.", limits::MAX_PAGE_SIZE),
        ))
    }
}

/// Search text from the query: trimmed, absent when empty, refused when too long.
pub(crate) fn search_text(search: Option<&str>) -> Result<Option<String>, AppError> {
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > limits::MAX_SEARCH_LENGTH) {
        return Err(AppError::invalid(
            "search",
            format!(
                "Search text is at most {} characters.",
                limits::MAX_SEARCH_LENGTH
            ),
        ));
    }
    Ok(search.map(str::to_owned))
}

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// Documentation of the API as a whole; paths are added by `routes!`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "Just-in-time access: request time-boxed access to databases, cloud accounts and apps, approve it, and have it removed when time is up.\n\nAuthenticate with the portal's session cookie (`POST /api/v1/session`) or a personal API token (`Authorization: Bearer gh_…`, from `POST /api/v1/tokens`). Errors always have the `ApiError` shape.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "session", description = "Log in and out, the signed-in user"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "catalog", description = "What can be requested"),
        (name = "requests", description = "Access requests: submit, follow, revoke, extend, request again, favorites"),
        (name = "approvals", description = "Deciding requests that wait on me"),
        (name = "access", description = "Access Details and Connect: instructions, the secret shown once, Reset Credentials, SSH certificates; manual fulfilments"),
        (name = "ssh", description = "SSH hosts: the user CA's public key (TrustedUserCAKeys) and its revocation list (RevokedKeys)"),
        (name = "notifications", description = "Where I am told about my requests and approvals; the Slack app's settings"),
        (name = "admin", description = "Catalog, access flows, users and groups (admins only)"),
        (name = "health", description = "Liveness and readiness, for load balancers"),
        (name = "operations", description = "Metrics for Prometheus"),
        (name = "scim", description = "SCIM 2.0 provisioning by the identity provider (its own bearer token)"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by `POST /api/v1/session`; HttpOnly, SameSite=Strict.",
            ))),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token from `POST /api/v1/tokens`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "scim_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The SCIM token an admin makes with `POST /api/v1/admin/scim-token`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token the server was started with (`--metrics-token`); none when it was started without one.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every operation that reads a body, a path or a query can be sent one that
/// does not parse (400), and every body can be too large (413). Declaring
/// these once keeps the document true without repeating them on each route.
pub struct MalformedRequests;

impl Modify for MalformedRequests {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, content::ContentBuilder, response::ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let has_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut operation.responses.responses;
                if has_input && !responses.contains_key("400") {
                    responses.insert(
                        "400".into(),
                        error("Malformed request: the body, path or query does not parse").into(),
                    );
                }
                if operation.request_body.is_some() && !responses.contains_key("413") {
                    responses.insert(
                        "413".into(),
                        error("The body is larger than the server accepts (1 MiB)").into(),
                    );
                }
            }
        }
    }
}
