//! The router: every API route registered through `routes!` (so none can be
//! undocumented), the OpenAPI document and Swagger UI, the portal, and the
//! layers every response passes through.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, FromRequestParts, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth::{AuthMethod, CurrentUser},
    error::AppError,
    observe, portal,
    routes::{
        ApiDoc, MalformedRequests, access, admin, approvals, assist, bundles, catalog, health, me,
        metrics, mfa, my_access, notifications, requests, scim, session, ssh, sso, tokens,
    },
    security_headers::security_headers,
    state::AppState,
};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn api_router() -> OpenApiRouter<AppState> {
    let mut router = routes();
    // Applied once every route is in, so it sees all of them.
    MalformedRequests.modify(router.get_openapi_mut());
    router
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::get_health))
        .routes(routes!(health::get_liveness))
        .routes(routes!(health::get_readiness))
        .routes(routes!(metrics::get_metrics))
        .routes(routes!(session::create_session, session::delete_session))
        .routes(routes!(session::delete_all_sessions))
        .routes(routes!(sso::get_sign_in_options))
        .routes(routes!(sso::start_sign_in))
        .routes(routes!(sso::sign_in_callback))
        .routes(routes!(sso::cli_token))
        .routes(routes!(sso::test_sign_in))
        .routes(routes!(sso::get_sso_settings, sso::set_sso_settings))
        .routes(routes!(sso::rotate_scim_token, sso::delete_scim_token))
        .routes(routes!(scim::service_provider_config))
        .routes(routes!(scim::resource_types))
        .routes(routes!(scim::resource_type))
        .routes(routes!(scim::schemas))
        .routes(routes!(scim::schema))
        .routes(routes!(scim::list_users, scim::create_user))
        .routes(routes!(scim::search_users_with_body))
        .routes(routes!(scim::search_everything))
        .routes(routes!(scim::search_groups_with_body))
        .routes(routes!(
            scim::get_user,
            scim::replace_user,
            scim::patch_user,
            scim::delete_user
        ))
        .routes(routes!(scim::list_groups, scim::create_group))
        .routes(routes!(
            scim::get_group,
            scim::replace_group,
            scim::patch_group,
            scim::delete_group
        ))
        .routes(routes!(mfa::get_mfa))
        .routes(routes!(mfa::enrol_mfa))
        .routes(routes!(mfa::confirm_mfa))
        .routes(routes!(me::get_me))
        .routes(routes!(
            notifications::get_notification_preferences,
            notifications::set_notification_preferences
        ))
        .routes(routes!(
            notifications::get_slack_settings,
            notifications::set_slack_settings
        ))
        .routes(routes!(tokens::create_token, tokens::list_tokens))
        .routes(routes!(tokens::delete_token))
        .routes(routes!(catalog::list_resources))
        .routes(routes!(catalog::list_resource_ids))
        .routes(routes!(catalog::list_resource_types))
        .routes(routes!(catalog::list_integrations))
        .routes(routes!(catalog::list_apps))
        .routes(routes!(assist::suggest_access))
        .routes(routes!(
            assist::get_assist_aliases,
            assist::replace_assist_aliases
        ))
        .routes(routes!(bundles::list_bundles))
        .routes(routes!(bundles::get_bundle))
        .routes(routes!(
            requests::submit_request,
            requests::list_my_requests
        ))
        .routes(routes!(requests::preview_request))
        .routes(routes!(requests::count_my_requests))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::approve_request))
        .routes(routes!(requests::approve_request_with_changes))
        .routes(routes!(requests::review_request))
        .routes(routes!(requests::reject_request))
        .routes(routes!(requests::cancel_request))
        .routes(routes!(requests::revoke_request))
        .routes(routes!(requests::extend_request))
        .routes(routes!(requests::request_again))
        .routes(routes!(
            requests::favorite_request,
            requests::unfavorite_request
        ))
        .routes(routes!(requests::list_delegated_requests))
        .routes(routes!(requests::list_favorites))
        .routes(routes!(requests::evaluate_justification))
        .routes(routes!(approvals::list_approvals))
        .routes(routes!(approvals::count_approvals))
        .routes(routes!(approvals::list_break_glass_reviews))
        .routes(routes!(approvals::list_unreviewed_break_glass))
        .routes(routes!(approvals::decide_approvals))
        .routes(routes!(access::get_access))
        .routes(routes!(access::reveal_secret))
        .routes(routes!(access::reset_credentials))
        .routes(routes!(ssh::issue_certificate))
        .routes(routes!(ssh::get_ca))
        .routes(routes!(ssh::get_revoked_keys))
        .routes(routes!(access::list_fulfilments))
        .routes(routes!(access::fulfil))
        .routes(routes!(my_access::get_my_access))
        .routes(routes!(admin::people::search_users))
        .routes(routes!(admin::audit::list_audit))
        .routes(routes!(
            admin::catalog::list_admin_integrations,
            admin::catalog::create_integration
        ))
        .routes(routes!(admin::catalog::test_integration))
        .routes(routes!(admin::catalog::sync_integration))
        .routes(routes!(admin::drift::get_drift, admin::drift::check_drift))
        .routes(routes!(
            admin::catalog::update_integration,
            admin::catalog::delete_integration
        ))
        .routes(routes!(admin::catalog::create_resource_type))
        .routes(routes!(
            admin::catalog::update_resource_type,
            admin::catalog::delete_resource_type
        ))
        .routes(routes!(
            admin::catalog::list_admin_resources,
            admin::catalog::create_resource
        ))
        .routes(routes!(
            admin::catalog::get_admin_resource,
            admin::catalog::update_resource,
            admin::catalog::delete_resource
        ))
        .routes(routes!(admin::catalog::create_bundle))
        .routes(routes!(
            admin::catalog::update_bundle,
            admin::catalog::delete_bundle
        ))
        .routes(routes!(
            admin::flows::list_access_flows,
            admin::flows::create_access_flow
        ))
        .routes(routes!(
            admin::flows::update_access_flow,
            admin::flows::delete_access_flow
        ))
        .routes(routes!(
            admin::flows::list_ticket_types,
            admin::flows::create_ticket_type
        ))
        .routes(routes!(
            admin::flows::update_ticket_type,
            admin::flows::delete_ticket_type
        ))
        .routes(routes!(
            admin::people::list_users,
            admin::people::create_user
        ))
        .routes(routes!(
            admin::people::update_user,
            admin::people::delete_user
        ))
        .routes(routes!(
            admin::people::list_groups,
            admin::people::create_group
        ))
        .routes(routes!(
            admin::people::update_group,
            admin::people::delete_group
        ))
}

/// The REST API alone, without the layers of [`app`]: what MCP tools call,
/// as their user, so they pass the same checks as every other client.
pub fn api_app(state: AppState) -> Router {
    api_router()
        .split_for_parts()
        .0
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The OpenAPI document, exactly as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// Fallback handler: a portal file, a JSON 404 under `/api`, or the portal's
/// page for any app route (so deep links work), carrying the user its session
/// cookie signs in, if any, and the answers to the page's first reads
/// ([`first_reads`]). Not signed in, or the store failing, is the plain page:
/// the portal then asks `GET /api/v1/me`, and shows what it is told.
async fn serve_portal(state: AppState, api: Router, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if let Some(file) = portal::file(parts.uri.path(), &parts.headers) {
        return file;
    }
    let me = CurrentUser::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .filter(|user| user.method == AuthMethod::SessionCookie)
        .map(CurrentUser::me);
    let answers = match me {
        Some(_) => answer_first_reads(api, &parts).await,
        None => Vec::new(),
    };
    portal::page(me.as_ref(), &answers)
}

/// The API reads a portal page starts with, by the page's path: answered
/// into the page ([`portal::page`]), they spare the portal a round trip
/// before it can show anything (on a slow mobile network, about 0.6 s). Each
/// URL is exactly what the portal asks (frontend/src/api.rs), which takes an
/// answer from the page once, by URL, instead of asking
/// (`e2e/tests/my-requests.spec.ts` checks that My Requests asks none of these).
pub fn first_reads(path: &str) -> &'static [&'static str] {
    match path {
        "/my-requests" => &[
            "/api/v1/requests?limit=20",
            "/api/v1/requests/counts",
            "/api/v1/approvals/count",
        ],
        _ => &[],
    }
}

/// [`first_reads`], asked of the REST API itself as the page's own request
/// (its cookie, its connection's facts), so they pass the same checks and
/// give the same answers as if the portal had asked. A read that fails is
/// left out: the portal then asks it, and shows what it is told.
async fn answer_first_reads(api: Router, page: &Parts) -> Vec<(&'static str, String)> {
    use tower::ServiceExt;
    let mut answers = Vec::new();
    // A deep link with a query (filters, say) reads something else.
    if page.uri.query().is_some() {
        return answers;
    }
    for &uri in first_reads(page.uri.path()) {
        let mut request = axum::http::Request::get(uri);
        if let Some(cookie) = page.headers.get(header::COOKIE) {
            request = request.header(header::COOKIE, cookie.clone());
        }
        let Ok(mut request) = request.body(Body::empty()) else {
            continue;
        };
        *request.extensions_mut() = page.extensions.clone();
        let Ok(response) = api.clone().oneshot(request).await;
        if response.status() != StatusCode::OK {
            continue;
        }
        let Ok(body) = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES).await else {
            continue;
        };
        if let Ok(answer) = String::from_utf8(body.to_vec()) {
            answers.push((uri, answer));
        }
    }
    answers
}

/// Requests that change something take their database connections from
/// the write lane ([`crate::store::db::in_write_lane`]).
async fn write_lane(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    if request.method().is_safe() {
        next.run(request).await
    } else {
        crate::store::db::in_write_lane(next.run(request)).await
    }
}

/// The whole application, ready to serve or to drive with `oneshot` in tests.
pub fn app(state: AppState) -> Router {
    // The REST API alone, as MCP tools and the portal's page call it.
    let api = api_app(state.clone());
    let (routes, document) = api_router().split_for_parts();
    let ops = state.ops.clone();
    let csp = HeaderValue::from_str(&state.portal.csp)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    routes
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", document))
        // Slack's endpoints speak Slack's protocol and are signed by Slack, so
        // they are not part of the REST API's document.
        .merge(crate::slack::handlers::router())
        .route("/scim/v2", axum::routing::any(scim::not_found))
        .route("/scim/v2/{*rest}", axum::routing::any(scim::not_found))
        // MCP speaks JSON-RPC (its own protocol and errors) for AI assistants.
        .merge(crate::mcp::router(api.clone()))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed.into_response() })
        .fallback(move |State(state): State<AppState>, request: Request| {
            serve_portal(state, api.clone(), request)
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(write_lane))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::transport::mark,
        ))
        // API answers gzipped (the only coding built in: tower-http's
        // compression-gzip feature) for clients that take it (a page of 20
        // requests: 17.5 KB, about 100 ms on a slow mobile network). The
        // portal's files pass through as they are: they carry their own
        // Content-Encoding, which the layer leaves alone.
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            Arc::new(csp),
            security_headers,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(observe::request_span))
        .layer(middleware::from_fn_with_state(ops, observe::observe))
        .with_state(state)
}

/// What the address of its own (`--metrics-listen`) serves: the metrics,
/// and liveness and readiness for probes that use the same address.
pub fn ops_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::get_metrics_on_own_address))
        .route("/healthz", get(health::get_health))
        .route("/livez", get(health::get_liveness))
        .route("/readyz", get(health::get_readiness))
        .fallback(|| async { AppError::NotFound("Route".into()).into_response() })
        .layer(TraceLayer::new_for_http().make_span_with(observe::request_span))
        .layer(middleware::from_fn_with_state(
            state.ops.clone(),
            observe::observe,
        ))
        .with_state(state)
}

/// What the server answers while it opens and migrates its database:
/// liveness 200, readiness and everything else 503, so that a load
/// balancer waits and a probe does not restart it.
pub fn starting_app() -> Router {
    let starting = || async {
        AppError::NotReady("Gatehouse is starting: opening and migrating its database.".into())
            .into_response()
    };
    Router::new()
        .route("/healthz", get(health::get_health))
        .route("/livez", get(health::get_liveness))
        .route("/readyz", get(starting))
        .fallback(starting)
        .layer(middleware::from_fn_with_state(
            Arc::new(HeaderValue::from_static("default-src 'none'")),
            security_headers,
        ))
}
