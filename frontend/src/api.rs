//! All HTTP to the Gatehouse API: one function per endpoint, and one place
//! ([`failure`]) that turns a failed answer into the `ApiError` users see.

use std::cell::RefCell;

use gatehouse_shared::{
    ApiError,
    auth::{LoginRequest, Me},
    catalog::{ResourceIds, ResourcePage, ResourceType},
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
    let response = request
        .send()
        .await
        .map_err(|error| network_error(&error))?;
    json(checked(response, false).await?).await
}

/// `DELETE /api/v1/session`.
pub async fn log_out() -> Result<(), ApiError> {
    send(Request::delete("/api/v1/session"), false).await?;
    Ok(())
}

/// `GET /api/v1/me`: who is signed in.
pub async fn get_me() -> Result<Me, ApiError> {
    json(send(Request::get("/api/v1/me"), true).await?).await
}

/// `GET /api/v1/resource-types`: the Resource Type and Permission filter choices.
pub async fn list_resource_types() -> Result<Vec<ResourceType>, ApiError> {
    json(send(Request::get("/api/v1/resource-types"), true).await?).await
}

/// `GET /api/v1/resources`: one page of the resources the filters match.
pub async fn list_resources(
    filters: &ResourceFilters,
    offset: u64,
    limit: u32,
) -> Result<ResourcePage, ApiError> {
    let offset = offset.to_string();
    let limit = limit.to_string();
    let mut params = filter_params(filters);
    params.push(("offset", offset));
    params.push(("limit", limit));
    let request = Request::get("/api/v1/resources").query(params);
    json(send(request, true).await?).await
}

/// `GET /api/v1/resources/ids`: every id the filters match (capped at 1,000), for Select all.
pub async fn list_resource_ids(filters: &ResourceFilters) -> Result<ResourceIds, ApiError> {
    let request = Request::get("/api/v1/resources/ids").query(filter_params(filters));
    json(send(request, true).await?).await
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

async fn send(request: RequestBuilder, signed_in_call: bool) -> Result<Response, ApiError> {
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
    match response.json::<ApiError>().await {
        Ok(error) => error,
        Err(_) => ApiError::new(
            "unexpected_response",
            format!(
                "The server answered {} {} without an explanation. Try again in a moment.",
                response.status(),
                response.status_text()
            ),
        ),
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|error| {
        ApiError::new(
            "unexpected_response",
            format!("The server's answer could not be read ({error})."),
        )
    })
}

fn network_error(error: &gloo_net::Error) -> ApiError {
    ApiError::new(
        "network_error",
        format!("Gatehouse could not be reached ({error}). Check your connection and try again."),
    )
}

fn client_error(error: &gloo_net::Error) -> ApiError {
    ApiError::new(
        "client_error",
        format!("The request could not be prepared ({error})."),
    )
}
