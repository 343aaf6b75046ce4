//! Loading from the API into the reactive graph. Every load is the same
//! resource type, the answer's body as text, decoded afterwards: a resource
//! per answer type would repeat Leptos's resource machinery for each.

use gatehouse_shared::ApiError;
use gloo_net::http::RequestBuilder;
use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::api;

/// The answer to `request` as `T`, `None` until the first arrives. It is
/// asked again whenever a signal `request` reads changes; the last answer
/// stays until the next one arrives.
pub fn load_answer<T>(
    request: impl Fn() -> RequestBuilder + 'static,
) -> Memo<Option<Result<T, ApiError>>>
where
    T: DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    let answer = answers(Box::new(request));
    Memo::new(move |_| answer.get().map(|answer| answer.and_then(api::decode::<T>)))
}

fn answers(request: Box<dyn Fn() -> RequestBuilder>) -> LocalResource<Result<String, ApiError>> {
    LocalResource::new(move || api::fetch(request(), true))
}
