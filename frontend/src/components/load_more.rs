//! "Load more" under a cursor-paged list, shown while more pages exist.

use leptos::prelude::*;

use crate::request_pages::RequestPages;

#[component]
pub fn LoadMore(pages: RequestPages) -> impl IntoView {
    view! {
        <Show when=move || pages.has_more()>
            <div class="list-footer">
                <button
                    type="button"
                    class="button"
                    aria-busy=move || pages.loading_more().to_string()
                    disabled=move || pages.loading_more()
                    on:click=move |_| pages.load_more()
                >
                    "Load more"
                </button>
            </div>
        </Show>
    }
}
