//! A list of request cards, newest first, filtered by status, with cursor
//! paging ("Load more"). It loads again whenever a request changes.

use gatehouse_shared::{
    RequestStatus,
    requests::{AccessRequest, RequestPage},
};
use leptos::prelude::*;

use crate::{
    api::{self, RequestList},
    components::{error_alert::ErrorAlert, request_card::RequestCard},
    refresh::use_refresh,
};

const PAGE: u32 = 20;

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
    let refresh = use_refresh();
    let failure = RwSignal::new(None::<String>);
    let first = LocalResource::new(move || {
        let statuses = statuses.get();
        refresh.version.get();
        async move { api::list_requests(list, &statuses, None, PAGE).await }
    });
    // Pages fetched with "Load more", dropped when the first page reloads.
    let more = RwSignal::new(Vec::<AccessRequest>::new());
    let next = RwSignal::new(None::<i64>);
    let latest = Memo::new(
        move |previous: Option<&Option<RequestPage>>| match first.get() {
            Some(Ok(page)) => Some(page),
            _ => previous.cloned().flatten(),
        },
    );
    Effect::new(move |_| {
        let cursor = latest.with(|p| p.as_ref().and_then(|p| p.next_cursor));
        more.set(Vec::new());
        next.set(cursor);
    });
    let load_more = Action::new_local(move |cursor: &i64| {
        let cursor = *cursor;
        let statuses = statuses.get_untracked();
        async move { api::list_requests(list, &statuses, Some(cursor), PAGE).await }
    });
    Effect::new(move |_| match load_more.value().get() {
        Some(Ok(page)) => {
            more.update(|more| more.extend(page.items));
            next.set(page.next_cursor);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let load_failure = Signal::derive(move || first.get().and_then(Result::err).map(|e| e.message));
    let items = move || {
        let mut items = latest.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default());
        more.with(|more| items.extend(more.iter().cloned()));
        items
    };
    let loading = move || first.get().is_none();
    let is_empty = move || latest.with(|p| p.as_ref().is_some_and(|p| p.items.is_empty()));

    view! {
        <ErrorAlert message=load_failure />
        <ErrorAlert message=failure />
        <ul class="request-cards" aria-label="Requests" aria-busy=move || loading().to_string()>
            <For
                each=items
                key=|request| (request.id, request.status, request.is_favorite, request.expires_at)
                children=move |request| view! { <RequestCard request on_open failure again /> }
            />
        </ul>
        <Show when=move || latest.with(Option::is_none)>
            <p class="loading" role="status">"Loading requests…"</p>
        </Show>
        <Show when=is_empty>
            <p class="empty">{empty}</p>
        </Show>
        <Show when=move || next.with(Option::is_some)>
            <div class="list-footer">
                <button
                    type="button"
                    class="button"
                    disabled=move || load_more.pending().get()
                    on:click=move |_| {
                        if let Some(cursor) = next.get_untracked() {
                            load_more.dispatch_local(cursor);
                        }
                    }
                >
                    "Load more"
                </button>
            </div>
        </Show>
    }
}
