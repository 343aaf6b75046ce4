//! The Active, Pending Approval and Pending MFA widgets of My Requests: each
//! counts my requests in that status and filters the list when clicked.

use gatehouse_shared::RequestStatus;
use leptos::prelude::*;

use crate::{api, loading::load_answer, refresh::use_refresh};

#[component]
pub fn StatusWidgets(
    #[prop(into)] chosen: Signal<Vec<RequestStatus>>,
    on_toggle: Callback<RequestStatus>,
) -> impl IntoView {
    let refresh = use_refresh();
    let counts = load_answer(move || {
        refresh.version.track();
        api::request_counts()
    });
    let latest = Memo::new(
        move |previous: Option<&Option<gatehouse_shared::requests::StatusCounts>>| match counts
            .get()
        {
            Some(Ok(counts)) => Some(counts),
            _ => previous.copied().flatten(),
        },
    );
    let widget = move |status: RequestStatus| {
        let count = move || {
            latest
                .get()
                .map(|c| match status {
                    RequestStatus::Active => c.active,
                    RequestStatus::PendingApproval => c.pending_approval,
                    RequestStatus::Scheduled => c.scheduled,
                    _ => c.pending_mfa,
                })
                .map(|n| n.to_string())
                .unwrap_or_else(|| "–".to_owned())
        };
        let pressed = move || chosen.with(|c| c.contains(&status));
        let class = format!(
            "widget widget-{}",
            status.label().to_lowercase().replace(' ', "-")
        );
        view! {
            <button
                type="button"
                class=class
                aria-pressed=move || pressed().to_string()
                on:click=move |_| on_toggle.run(status)
            >
                <span class="widget-count">{count}</span>
                <span class="widget-label">{status.label()}</span>
            </button>
        }
    };
    view! {
        <div class="widgets" role="group" aria-label="Filter by status">
            {widget(RequestStatus::Active)}
            {widget(RequestStatus::PendingApproval)}
            {widget(RequestStatus::PendingMfa)}
            {widget(RequestStatus::Scheduled)}
        </div>
    }
}
