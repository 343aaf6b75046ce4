//! HTTP handlers, one module per endpoint group. Handlers extract, call the
//! store or a rule, and return; they hold no SQL and no business rules.

pub mod admin;
pub mod approvals;
pub mod bundles;
pub mod catalog;
pub mod health;
pub mod me;
pub mod my_access;
pub mod requests;
pub mod session;
pub mod tokens;

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
        (name = "admin", description = "Catalog, access flows, users and groups (admins only)"),
        (name = "health", description = "Liveness"),
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
    }
}
