//! Previous / Next page controls for a server-paginated list.

use leptos::prelude::*;

#[component]
pub fn Pager(
    /// The 1-based page shown.
    #[prop(into)]
    page: Signal<u64>,
    /// How many pages there are.
    #[prop(into)]
    pages: Signal<u64>,
    on_page: Callback<u64>,
) -> impl IntoView {
    view! {
        <Show when=move || { pages.get() > 1 }>
            <nav class="pager" aria-label="Pages">
                <button
                    type="button"
                    class="button button-quiet"
                    disabled=move || { page.get() <= 1 }
                    on:click=move |_| on_page.run(page.get_untracked().saturating_sub(1).max(1))
                >
                    "Previous"
                </button>
                <span class="pager-position">
                    {move || format!("Page {} of {}", page.get(), pages.get())}
                </span>
                <button
                    type="button"
                    class="button button-quiet"
                    disabled=move || { page.get() >= pages.get() }
                    on:click=move |_| on_page.run(page.get_untracked() + 1)
                >
                    "Next"
                </button>
            </nav>
        </Show>
    }
}
