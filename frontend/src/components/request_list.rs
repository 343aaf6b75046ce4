//! A list of request cards, newest first, filtered by status, with cursor
//! paging ("Load more"). It loads again whenever a request changes.

use gatehouse_shared::RequestStatus;
use leptos::prelude::*;

use crate::{
    api::RequestList,
    components::{error_alert::ErrorAlert, load_more::LoadMore, request_card::RequestCard},
    request_pages::RequestPages,
};

#[component]
pub fn RequestCards(
    list: RequestList,
    #[prop(into)] statuses: Signal<Vec<RequestStatus>>,
    on_open: Callback<i64>,
    /// What to say when nothing matches.
    empty: &'static str,
    /// Offer Request again on each card.
    #[prop(optional)]
    again: bool,
) -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let pages = RequestPages::new(list, statuses);
    view! {
        <ErrorAlert message=pages.failure />
        <ErrorAlert message=failure />
        <ul class="request-cards" aria-label="Requests" aria-busy=move || pages.loading().to_string()>
            <For
                each=move || pages.items()
                key=|request| (request.id, request.status, request.is_favorite, request.expires_at)
                children=move |request| view! { <RequestCard request on_open failure again /> }
            />
        </ul>
        <Show when=move || pages.loading()>
            <p class="loading" role="status">"Loading requests…"</p>
        </Show>
        <Show when=move || pages.is_empty()>
            <p class="empty">{empty}</p>
        </Show>
        <LoadMore pages />
    }
}
