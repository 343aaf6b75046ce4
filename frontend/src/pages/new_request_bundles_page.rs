//! New Request → Bundles: Request on Behalf of, search bundles by name with
//! the number of results, choose a bundle card (or some of its resources),
//! then Next.

use gatehouse_shared::catalog::BundlePage;
use leptos::prelude::*;

use crate::{
    api,
    components::{
        bundle_card::BundleCard, error_alert::ErrorAlert, grantee_picker::GranteePicker,
        new_request_tabs::NewRequestTabs, page_title::set_page_title, search_field::SearchField,
    },
    draft::{DraftStore, use_draft},
    loading::load_answer,
    selection::count_of,
};

#[component]
pub fn NewRequestBundlesPage() -> impl IntoView {
    set_page_title("New Request · Bundles");
    DraftStore::provide();
    view! {
        <div class="page">
            <h1>"New Request"</h1>
            <NewRequestTabs current="bundles" />
            <section class="tab-panel" role="tabpanel" id="panel-bundles" aria-labelledby="tab-bundles">
                <GranteePicker />
                <Bundles />
            </section>
        </div>
    }
}

#[component]
fn Bundles() -> impl IntoView {
    let draft = use_draft().draft;
    let search = RwSignal::new(String::new());
    let found = load_answer(move || search.with(|search| api::bundles(search)));
    let latest = Memo::new(
        move |previous: Option<&Option<BundlePage>>| match found.get() {
            Some(Ok(page)) => Some(page),
            _ => previous.cloned().flatten(),
        },
    );
    let failure = Signal::derive(move || found.get().and_then(Result::err).map(|e| e.message));
    let notice = RwSignal::new(None::<String>);
    let count = move || {
        latest
            .with(|p| p.as_ref().map(|p| count_of(p.total, "bundle", "bundles")))
            .unwrap_or_else(|| "Loading bundles…".to_owned())
    };
    let items = move || latest.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default());
    let nothing = move || draft.with(|d| d.is_empty());

    view! {
        <h2 class="section-title">"Request a bundle"</h2>
        <div class="filters">
            <SearchField committed=Signal::derive(move || search.get()) on_search=Callback::new(move |text| search.set(text)) />
        </div>
        <ErrorAlert message=failure />
        <div class="list-bar">
            <p class="result-count" role="status">{count}</p>
            <div class="selection-bar">
                <a
                    class="button button-primary"
                    href="/new-request/details"
                    class:button-disabled=nothing
                    aria-disabled=move || nothing().to_string()
                    on:click=move |event| {
                        if draft.with_untracked(|d| d.is_empty()) {
                            event.prevent_default();
                            notice.set(Some("Choose a bundle first.".to_owned()));
                        }
                    }
                >
                    "Next"
                </a>
            </div>
        </div>
        <ErrorAlert message=notice />
        <ul class="bundle-cards" aria-label="Bundles">
            <For each=items key=|bundle| bundle.id children=|bundle| view! { <BundleCard bundle /> } />
        </ul>
        <Show when=move || latest.with(|p| p.as_ref().is_some_and(|p| p.items.is_empty()))>
            <p class="empty">"No bundle matches. Try another name."</p>
        </Show>
    }
}
