//! One request in a list: status, access flow, resources, duration, time left
//! when Active, the favorite star; clicking it opens the details panel.

use gatehouse_shared::{RequestStatus, duration::format_duration, requests::AccessRequest};
use leptos::prelude::*;

use crate::{
    components::{favorite_star::FavoriteStar, request_again_dialog::RequestAgainDialog},
    request_text::{ago, now_unix, resources_summary, status_class, time_left},
    session::use_session,
};

#[component]
pub fn RequestCard(
    request: AccessRequest,
    on_open: Callback<i64>,
    failure: RwSignal<Option<String>>,
    /// Offer Request again right on the card (Favorites, My Access).
    #[prop(optional)]
    again: bool,
) -> impl IntoView {
    let session = use_session();
    let me = session.me.with_untracked(|me| me.as_ref().map(|me| me.id));
    let now = now_unix();
    let id = request.id;
    let label = request.status.label();
    let people = if Some(request.grantee.id) != me {
        Some(format!("For {}", request.grantee.display_name))
    } else if request.requester.id != request.grantee.id {
        Some(format!("Requested by {}", request.requester.display_name))
    } else {
        None
    };
    let left = (request.status == RequestStatus::Active)
        .then(|| time_left(&request, now))
        .flatten();
    let rejection = request.rejection_reason.clone();
    let asking_again = RwSignal::new(false);
    let offer_again = again && request.actions.request_again;
    let again_label = format!("Request again: request {id}");
    view! {
        <li class="request-card">
            <button
                type="button"
                class="request-card-open"
                on:click=move |_| on_open.run(id)
            >
                <span class="request-card-top">
                    <span class=status_class(label) title=rejection.clone().unwrap_or_default()>{label}</span>
                    <span class="request-flow">{request.flow_name.clone()}</span>
                    <span class="request-id muted">{format!("#{id}")}</span>
                </span>
                <span class="request-resources">{resources_summary(&request)}</span>
                <span class="request-meta muted">
                    <span>{format_duration(request.duration_seconds)}</span>
                    {left.map(|left| view! { <span class="time-left">{left}</span> })}
                    {people.map(|people| view! { <span>{people}</span> })}
                    <span>{format!("Requested {}", ago(request.created_at.unix_timestamp(), now))}</span>
                </span>
            </button>
            <div class="request-card-actions">
                {offer_again.then(|| view! {
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=again_label.clone()
                        on:click=move |_| asking_again.set(true)
                    >
                        "Request again"
                    </button>
                })}
                <FavoriteStar request=request.clone() failure=failure />
            </div>
            <Show when=move || asking_again.get()>
                <RequestAgainDialog
                    request_id=id
                    on_close=Callback::new(move |()| asking_again.set(false))
                    on_done=Callback::new(move |_| asking_again.set(false))
                />
            </Show>
        </li>
    }
}
