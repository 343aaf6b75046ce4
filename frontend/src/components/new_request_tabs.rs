//! New Request's tabs: All Resources and Bundles, each at its own address.

use leptos::prelude::*;

#[component]
pub fn NewRequestTabs(
    /// Which tab is showing: "all" or "bundles".
    current: &'static str,
) -> impl IntoView {
    let tab = |key: &'static str, label: &'static str, href: &'static str| {
        view! {
            <a
                role="tab"
                class="tab"
                id=format!("tab-{key}")
                href=href
                aria-selected=(current == key).to_string()
                aria-controls=format!("panel-{key}")
            >
                {label}
            </a>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="What to request">
            {tab("all", "All Resources", "/new-request")}
            {tab("bundles", "Bundles", "/new-request/bundles")}
        </div>
    }
}
