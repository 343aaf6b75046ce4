//! Shown for any address the portal does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_title::set_page_title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_page_title("Page not found");
    view! {
        <main class="centered-page">
            <div class="panel">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address."</p>
                <A href="/new-request">"Go to New Request"</A>
            </div>
        </main>
    }
}
