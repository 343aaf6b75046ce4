//! The main navigation. Add a page by adding a line to [`PAGES`].

use leptos::prelude::*;
use leptos_router::components::A;

/// (label, path) of every page in the main navigation, in order.
const PAGES: &[(&str, &str)] = &[("New Request", "/new-request")];

#[component]
pub fn MainNav() -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {PAGES
                    .iter()
                    .map(|(label, path)| {
                        view! {
                            <li>
                                <A href=*path>{*label}</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
