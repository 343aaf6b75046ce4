//! The views of requests: My Requests, Delegated Requests and Favorites.

use leptos::prelude::*;
use leptos_router::components::A;

const VIEWS: &[(&str, &str)] = &[
    ("My Requests", "/my-requests"),
    ("Delegated Requests", "/delegated-requests"),
    ("Favorites", "/favorites"),
];

#[component]
pub fn RequestsTabs() -> impl IntoView {
    view! {
        <nav class="view-tabs" aria-label="Request views">
            {VIEWS
                .iter()
                .map(|(label, path)| view! { <A href=*path>{*label}</A> })
                .collect_view()}
        </nav>
    }
}
