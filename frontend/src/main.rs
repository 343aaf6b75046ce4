//! The Gatehouse web portal: a Leptos client-side app that Trunk builds into
//! the static files the `gatehouse` binary serves.

mod access_api;
mod admin_api;
mod admin_page;
mod api;
mod app;
mod components;
mod draft;
mod loading;
mod pages;
mod refresh;
mod request_list_url;
mod request_pages;
mod request_text;
mod resource_filters;
mod selection;
mod session;

fn main() {
    leptos::mount::mount_to_body(app::App);
    prefetch_when_idle();
}

/// Fetches the modules of the pages that are not in the first download but
/// that every requester opens next (New Request first), into the HTTP cache,
/// once the first page is up and the browser has nothing else to do; the
/// files are hashed and served immutable, so the split loader's own fetch
/// later finds them there. `scripts/portal-wasm` lists them in
/// `<meta name="gatehouse-prefetch">`. Admin and Approvals are not
/// prefetched: most users never open them.
fn prefetch_when_idle() {
    use wasm_bindgen::{JsCast, closure::Closure};
    let prefetch = Closure::once_into_js(|| {
        let document = leptos::prelude::document();
        let Some(urls) = document
            .query_selector("meta[name=gatehouse-prefetch]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
        else {
            return;
        };
        let Some(body) = document.body() else { return };
        for url in urls.split_whitespace() {
            let Ok(link) = document.create_element("link") else {
                return;
            };
            let _ = link.set_attribute("rel", "prefetch");
            let _ = link.set_attribute("as", "fetch");
            let _ = link.set_attribute("crossorigin", "");
            let _ = link.set_attribute("href", url);
            let _ = body.append_child(&link);
        }
    });
    let window = leptos::prelude::window();
    if window
        .request_idle_callback(prefetch.unchecked_ref())
        .is_err()
    {
        // No requestIdleCallback (Safari): a few seconds after start instead.
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(prefetch.unchecked_ref(), 3_000);
    }
}
