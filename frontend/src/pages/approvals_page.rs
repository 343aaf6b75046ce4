//! Approvals: the requests waiting on my decision, newest first.

use leptos::prelude::*;

use crate::{
    api::RequestList,
    components::{
        approval_card::ApprovalCard, break_glass_reviews::BreakGlassReviews,
        error_alert::ErrorAlert, fulfilments::Fulfilments, load_more::LoadMore,
        page_title::set_page_title,
    },
    request_pages::RequestPages,
};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    set_page_title("Approvals");
    let pages = RequestPages::new(RequestList::Approvals, Signal::stored(Vec::new()));
    view! {
        <div class="page">
            <h1>"Approvals"</h1>
            <p class="muted page-intro">
                "Requests waiting on your decision. The requester sees your rejection reason."
            </p>
            <Fulfilments />
            <BreakGlassReviews />
            <ErrorAlert message=pages.failure />
            <ul class="approval-cards" aria-label="Waiting for approval">
                <For
                    each=move || pages.items()
                    key=|request| (request.id, request.status)
                    children=|request| view! { <ApprovalCard request /> }
                />
            </ul>
            <Show when=move || pages.loading()>
                <p class="loading" role="status">"Loading…"</p>
            </Show>
            <Show when=move || pages.is_empty()>
                <p class="empty">"No requests wait on your approval."</p>
            </Show>
            <LoadMore pages />
        </div>
    }
}
