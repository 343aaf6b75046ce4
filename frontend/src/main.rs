//! The Gatehouse web portal: a Leptos client-side app that Trunk builds into
//! the static files the `gatehouse` binary serves.

mod api;
mod app;
mod components;
mod pages;
mod resource_filters;
mod selection;
mod session;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
