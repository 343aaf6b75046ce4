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
}
