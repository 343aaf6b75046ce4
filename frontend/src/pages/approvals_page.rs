//! Approvals: the requests waiting on my decision, newest first.

use gatehouse_shared::requests::RequestPage;
use leptos::prelude::*;

use crate::{
    api::{self, RequestList},
    components::{
        approval_card::ApprovalCard, error_alert::ErrorAlert, page_title::set_page_title,
    },
    refresh::use_refresh,
};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    set_page_title("Approvals");
    let refresh = use_refresh();
    let waiting = LocalResource::new(move || {
        refresh.version.get();
        api::list_requests(RequestList::Approvals, &[], None, 100)
    });
    let latest = Memo::new(
        move |previous: Option<&Option<RequestPage>>| match waiting.get() {
            Some(Ok(page)) => Some(page),
            _ => previous.cloned().flatten(),
        },
    );
    let failure = Signal::derive(move || waiting.get().and_then(Result::err).map(|e| e.message));
    let items = move || latest.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default());
    view! {
        <div class="page">
            <h1>"Approvals"</h1>
            <p class="muted page-intro">"Requests waiting on your decision. The requester sees your rejection reason."</p>
            <ErrorAlert message=failure />
            <ul class="approval-cards" aria-label="Waiting for approval">
                <For
                    each=items
                    key=|request| (request.id, request.status)
                    children=|request| view! { <ApprovalCard request /> }
                />
            </ul>
            <Show when=move || latest.with(Option::is_none)>
                <p class="loading" role="status">"Loading…"</p>
            </Show>
            <Show when=move || latest.with(|p| p.as_ref().is_some_and(|p| p.items.is_empty()))>
                <p class="empty">"Nothing is waiting on you."</p>
            </Show>
        </div>
    }
}
