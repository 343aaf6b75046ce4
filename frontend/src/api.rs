//! All HTTP to the Gatehouse API: one function per endpoint, and one place
//! ([`failure`]) that turns a failed answer into the `ApiError` users see.

use std::{cell::RefCell, collections::HashMap};

use gatehouse_shared::{
    ApiError, RequestStatus,
    assist::{AssistAnswer, AssistQuery},
    auth::{LoginRequest, Me, MfaCode, MfaEnrolment, MfaStatus},
    bulk::{BulkDecision, BulkDecisionResponse},
    catalog::{Bundle, ResourcePage},
    requests::{
        AccessRequest, ApproveWithChanges, PreviewResponse, RejectRequest, RequestAgain,
        RequestPage, ReviewBreakGlass, RevokeRequest, SubmitRequest, SubmitResponse, UserRef,
    },
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::resource_filters::ResourceFilters;

thread_local! {
    /// What to do when the API says we are not signed in (set once by the app).
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Register what happens on any 401 from an authenticated call: the app sends
/// the user to the log-in page.
pub fn on_unauthorized(hook: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|cell| *cell.borrow_mut() = Some(Box::new(hook)));
}

/// `POST /api/v1/session`. A 401 here means a wrong password, not a lost
/// session, so it is shown on the form rather than redirecting.
pub async fn log_in(login: &LoginRequest) -> Result<Me, ApiError> {
    let request = Request::post("/api/v1/session")
        .json(login)
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, false).await?)
}

/// `GET /api/v1/sso`: the identity provider's button and whether passwords work.
pub async fn sign_in_options() -> Result<gatehouse_shared::sso::SignInOptions, ApiError> {
    decode(fetch(Request::get("/api/v1/sso"), false).await?)
}

/// `DELETE /api/v1/session`.
pub async fn log_out() -> Result<(), ApiError> {
    send(Request::delete("/api/v1/session"), false).await?;
    Ok(())
}

/// `GET /api/v1/me`: who is signed in.
pub async fn get_me() -> Result<Me, ApiError> {
    decode(fetch(Request::get("/api/v1/me"), true).await?)
}

/// `GET /api/v1/resource-types`: the Resource Type and Permission filter
/// choices, as `Vec<ResourceType>`.
pub fn resource_types() -> RequestBuilder {
    Request::get("/api/v1/resource-types")
}

/// `GET /api/v1/resources`: one page of the resources the filters match, as
/// requestable for `grantee_id` (default: me), as a `ResourcePage`. Select all
/// asks for up to 1,000.
pub fn resources(
    filters: &ResourceFilters,
    grantee_id: Option<i64>,
    offset: u64,
    limit: u32,
) -> RequestBuilder {
    let offset = offset.to_string();
    let limit = limit.to_string();
    let mut params = filter_params(filters);
    if let Some(grantee_id) = grantee_id {
        params.push(("grantee_id", grantee_id.to_string()));
    }
    params.push(("offset", offset));
    params.push(("limit", limit));
    Request::get("/api/v1/resources").query(params)
}

/// [`resources`], sent.
pub async fn list_resources(
    filters: &ResourceFilters,
    grantee_id: Option<i64>,
    offset: u64,
    limit: u32,
) -> Result<ResourcePage, ApiError> {
    decode(fetch(resources(filters, grantee_id, offset, limit), true).await?)
}

/// `GET /api/v1/bundles?search=`: bundle cards and how many match, as a
/// `BundlePage`.
pub fn bundles(search: &str) -> RequestBuilder {
    let mut params = vec![("limit", "100")];
    if !search.trim().is_empty() {
        params.push(("search", search.trim()));
    }
    Request::get("/api/v1/bundles").query(params)
}

/// `GET /api/v1/apps`: integrations with the types and permissions I may
/// request (for `grantee_id`, default me), for By App, as `Vec<App>`.
pub fn apps(grantee_id: Option<i64>) -> RequestBuilder {
    let params: Vec<(&str, String)> = grantee_id
        .map(|id| vec![("grantee_id", id.to_string())])
        .unwrap_or_default();
    Request::get("/api/v1/apps").query(params)
}

/// `GET /api/v1/integrations`: for the admin's message on Access Granted, as
/// `Vec<Integration>`.
pub fn integrations() -> RequestBuilder {
    Request::get("/api/v1/integrations")
}

/// `GET /api/v1/users?search=`: people to request on behalf of.
pub async fn search_users(search: &str) -> Result<Vec<UserRef>, ApiError> {
    let request = Request::get("/api/v1/users").query([("search", search), ("limit", "8")]);
    decode(fetch(request, true).await?)
}

/// `POST /api/v1/assist`: suggestions for a plain-language description.
pub async fn assist(query: &AssistQuery) -> Result<AssistAnswer, ApiError> {
    let request = Request::post("/api/v1/assist")
        .json(query)
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `GET /api/v1/bundles/{id}`: one bundle with its items.
pub async fn get_bundle(id: i64) -> Result<Bundle, ApiError> {
    decode(fetch(Request::get(&format!("/api/v1/bundles/{id}")), true).await?)
}

/// `POST /api/v1/requests/preview`: flows, approvers and durations a draft would get.
pub async fn preview_request(form: &SubmitRequest) -> Result<PreviewResponse, ApiError> {
    let request = Request::post("/api/v1/requests/preview")
        .json(form)
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `POST /api/v1/requests`: submit the form; one request per access flow comes back.
pub async fn submit_request(form: &SubmitRequest) -> Result<SubmitResponse, ApiError> {
    let request = Request::post("/api/v1/requests")
        .json(form)
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// Which list of requests a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestList {
    Mine,
    Delegated,
    Favorites,
    Approvals,
    /// Break-glass uses of my flows waiting for my review.
    BreakGlassReviews,
    /// Every unreviewed break-glass use (admins).
    BreakGlassUnreviewed,
}

impl RequestList {
    fn path(self) -> &'static str {
        match self {
            RequestList::Mine => "/api/v1/requests",
            RequestList::Delegated => "/api/v1/delegated-requests",
            RequestList::Favorites => "/api/v1/favorites",
            RequestList::Approvals => "/api/v1/approvals",
            RequestList::BreakGlassReviews => "/api/v1/approvals/break-glass",
            RequestList::BreakGlassUnreviewed => "/api/v1/admin/break-glass",
        }
    }
}

/// One page (newest first) of a request list, filtered by status, as a
/// `RequestPage`.
pub fn requests(
    list: RequestList,
    statuses: &[RequestStatus],
    cursor: Option<i64>,
    limit: u32,
) -> RequestBuilder {
    let mut params: Vec<(&str, String)> = statuses
        .iter()
        .map(|status| ("status", status.label().to_owned()))
        .collect();
    if let Some(cursor) = cursor {
        params.push(("cursor", cursor.to_string()));
    }
    params.push(("limit", limit.to_string()));
    Request::get(list.path()).query(params)
}

/// [`requests`], sent.
pub async fn list_requests(
    list: RequestList,
    statuses: &[RequestStatus],
    cursor: Option<i64>,
    limit: u32,
) -> Result<RequestPage, ApiError> {
    decode(fetch(requests(list, statuses, cursor, limit), true).await?)
}

/// `GET /api/v1/mfa`: am I enrolled, and until when does my last code count?
/// An `MfaStatus`.
pub fn mfa() -> RequestBuilder {
    Request::get("/api/v1/mfa")
}

/// `POST /api/v1/mfa/enrolment`: a new authenticator seed, shown once.
pub async fn enrol_mfa() -> Result<MfaEnrolment, ApiError> {
    decode(fetch(Request::post("/api/v1/mfa/enrolment"), true).await?)
}

/// `POST /api/v1/mfa/confirm`: a code from the app; releases Pending MFA requests.
pub async fn confirm_mfa(code: String) -> Result<MfaStatus, ApiError> {
    let request = Request::post("/api/v1/mfa/confirm")
        .json(&MfaCode { code })
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `GET /api/v1/my-access`: sessions, recent closed requests and favorites,
/// as `MyAccess`.
pub fn my_access() -> RequestBuilder {
    Request::get("/api/v1/my-access")
}

/// `GET /api/v1/approvals/count`: how many requests wait on me (the
/// navigation), as an `ApprovalCount`.
pub fn approval_count() -> RequestBuilder {
    Request::get("/api/v1/approvals/count")
}

/// `GET /api/v1/requests/counts`: the My Requests widgets, as `StatusCounts`.
pub fn request_counts() -> RequestBuilder {
    Request::get("/api/v1/requests/counts")
}

/// `GET /api/v1/requests/{id}`: a request with approvals and audit, as a
/// `RequestDetail`.
pub fn request_detail(id: i64) -> RequestBuilder {
    Request::get(&format!("/api/v1/requests/{id}"))
}

/// What can be done to a request from its card or panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAction {
    Approve,
    ApproveWithChanges(ApproveWithChanges),
    Reject(String),
    Cancel,
    Revoke,
    Extend,
    Review(ReviewBreakGlass),
}

impl RequestAction {
    fn verb(&self) -> &'static str {
        match self {
            RequestAction::Approve => "approve",
            RequestAction::ApproveWithChanges(_) => "approve-with-changes",
            RequestAction::Review(_) => "review",
            RequestAction::Reject(_) => "reject",
            RequestAction::Cancel => "cancel",
            RequestAction::Revoke => "revoke",
            RequestAction::Extend => "extend",
        }
    }
}

/// `POST /api/v1/requests/{id}/approve|reject|cancel|revoke|extend`.
pub async fn act_on_request(id: i64, action: RequestAction) -> Result<AccessRequest, ApiError> {
    let builder = Request::post(&format!("/api/v1/requests/{id}/{}", action.verb()));
    let request = match action {
        RequestAction::Reject(reason) => builder.json(&RejectRequest { reason }),
        RequestAction::ApproveWithChanges(changes) => builder.json(&changes),
        RequestAction::Review(review) => builder.json(&review),
        RequestAction::Revoke => builder.json(&RevokeRequest::default()),
        RequestAction::Approve | RequestAction::Cancel | RequestAction::Extend => builder.build(),
    }
    .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `POST /api/v1/approvals/bulk`: one decision on many requests, answered per request.
pub async fn decide_approvals(decision: &BulkDecision) -> Result<BulkDecisionResponse, ApiError> {
    let request = Request::post("/api/v1/approvals/bulk")
        .json(decision)
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `POST /api/v1/requests/{id}/request-again` with a new justification.
pub async fn request_again(id: i64, justification: String) -> Result<SubmitResponse, ApiError> {
    let request = Request::post(&format!("/api/v1/requests/{id}/request-again"))
        .json(&RequestAgain { justification })
        .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}

/// `PUT` / `DELETE /api/v1/requests/{id}/favorite`.
pub async fn set_favorite(id: i64, favorite: bool) -> Result<(), ApiError> {
    let path = format!("/api/v1/requests/{id}/favorite");
    let builder = if favorite {
        Request::put(&path)
    } else {
        Request::delete(&path)
    };
    send(builder, true).await?;
    Ok(())
}

/// The filters as query parameters; lists repeat their key.
fn filter_params(filters: &ResourceFilters) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    let search = filters.search.trim();
    if !search.is_empty() {
        params.push(("search", search.to_owned()));
    }
    for id in &filters.resource_type_ids {
        params.push(("resource_type_id", id.to_string()));
    }
    for permission in &filters.permissions {
        params.push(("permission", permission.clone()));
    }
    params
}

pub(crate) async fn send(
    request: RequestBuilder,
    signed_in_call: bool,
) -> Result<Response, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|error| network_error(&error))?;
    checked(response, signed_in_call).await
}

/// [`send`] for a request that already carries its body.
pub(crate) async fn sent(request: Request, signed_in_call: bool) -> Result<Response, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|error| network_error(&error))?;
    checked(response, signed_in_call).await
}

/// Pass a 2xx answer on; turn anything else into its `ApiError`.
async fn checked(response: Response, signed_in_call: bool) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let error = failure(&response).await;
    if signed_in_call && response.status() == 401 {
        ON_UNAUTHORIZED.with(|cell| {
            if let Some(hook) = cell.borrow().as_ref() {
                hook();
            }
        });
    }
    Err(error)
}

/// The one place a non-2xx body is decoded. Every API error body is an
/// `ApiError`; anything else (a proxy's HTML page, say) gets a plain message.
async fn failure(response: &Response) -> ApiError {
    let body = response.text().await.unwrap_or_default();
    serde_json::from_str(&body).unwrap_or_else(|_| {
        ApiError::new(
            "unexpected_response",
            format!(
                "The server answered {} {} without an explanation. Try again in a moment.",
                response.status(),
                response.status_text()
            ),
        )
    })
}

/// [`send`] and read the 2xx answer's body. Reading is kept apart from
/// [`decode`] so that the asynchronous part is one function, not one per
/// answer type.
pub(crate) async fn fetch(
    request: RequestBuilder,
    signed_in_call: bool,
) -> Result<String, ApiError> {
    let request = request.build().map_err(|error| client_error(&error))?;
    if let Some(answer) = answered_with_the_page(&request) {
        return Ok(answer);
    }
    fetch_sent(request, signed_in_call).await
}

thread_local! {
    /// Answers the server wrote into the page, by URL (path and query), each
    /// taken once: `None` until first looked at.
    static ANSWERED: RefCell<Option<HashMap<String, String>>> = const { RefCell::new(None) };
}

/// The answer to `request` that came with the page, if any, and only the
/// first time it is asked: `backend/src/app.rs` answers a page's first GET
/// reads into the page (`<script type="application/json"
/// id="gatehouse-answers">`), so the first page shows without a round trip;
/// asked again (a refresh, a later visit to the page), it goes to the server.
fn answered_with_the_page(request: &Request) -> Option<String> {
    if request.method() != gloo_net::http::Method::GET {
        return None;
    }
    let url = request.url();
    let origin = leptos::prelude::window().location().origin().ok()?;
    let url = url.strip_prefix(&origin).unwrap_or(&url);
    ANSWERED.with(|answered| {
        let mut answered = answered.borrow_mut();
        let answers = answered.get_or_insert_with(|| {
            leptos::prelude::document()
                .get_element_by_id("gatehouse-answers")
                .and_then(|block| block.text_content())
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default()
        });
        answers.remove(url)
    })
}

/// [`fetch`] for a request that already carries its body.
pub(crate) async fn fetch_sent(request: Request, signed_in_call: bool) -> Result<String, ApiError> {
    text(sent(request, signed_in_call).await?).await
}

async fn text(response: Response) -> Result<String, ApiError> {
    response.text().await.map_err(|error| unreadable(&error))
}

/// An answer's body, as `T`.
pub(crate) fn decode<T: DeserializeOwned>(body: String) -> Result<T, ApiError> {
    serde_json::from_str(&body).map_err(|error| unreadable(&error))
}

fn unreadable(error: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        "unexpected_response",
        format!("The server's answer could not be read ({error})."),
    )
}

fn network_error(error: &gloo_net::Error) -> ApiError {
    ApiError::new(
        "network_error",
        format!("Gatehouse could not be reached ({error}). Check your connection and try again."),
    )
}

pub(crate) fn client_error(error: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        "client_error",
        format!("The request could not be prepared ({error})."),
    )
}
