//! Access Details and Connect: `GET /api/v1/requests/{id}/access`, reveal the
//! secret (once), Reset Credentials.

use gatehouse_shared::{
    ApiError,
    access::{AccessDetails, RevealedSecret},
};
use gloo_net::http::{Request, RequestBuilder};

use crate::api::{client_error, decode, fetch, fetch_sent};

/// A request's access, as `Vec<AccessDetails>`.
pub fn access(request_id: i64) -> RequestBuilder {
    Request::get(&format!("/api/v1/requests/{request_id}/access"))
}

pub async fn reveal(request_id: i64, integration_id: i64) -> Result<RevealedSecret, ApiError> {
    let path = format!("/api/v1/requests/{request_id}/access/{integration_id}/reveal");
    decode(fetch(Request::post(&path), true).await?)
}

pub async fn reset(request_id: i64, integration_id: i64) -> Result<AccessDetails, ApiError> {
    let path = format!("/api/v1/requests/{request_id}/access/{integration_id}/reset");
    decode(fetch(Request::post(&path), true).await?)
}

/// `GET /api/v1/fulfilments`: manual grants and removals waiting on me, as
/// `Vec<Fulfilment>`.
pub fn fulfilments() -> RequestBuilder {
    Request::get("/api/v1/fulfilments")
}

/// `POST /api/v1/fulfilments/{request}/{integration}`: mark it done.
pub async fn fulfil(
    request_id: i64,
    integration_id: i64,
    input: gatehouse_shared::access::FulfilmentInput,
) -> Result<gatehouse_shared::access::Fulfilment, ApiError> {
    let request = Request::post(&format!(
        "/api/v1/fulfilments/{request_id}/{integration_id}"
    ))
    .json(&input)
    .map_err(|error| client_error(&error))?;
    decode(fetch_sent(request, true).await?)
}
