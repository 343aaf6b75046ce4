//! One request in a list: status, access flow, resources, duration, time left
//! when Active, the favorite star; clicking it opens the details panel.

use gatehouse_shared::{RequestStatus, duration::format_duration, requests::AccessRequest};
use leptos::prelude::*;

use crate::{
    api::RequestAction,
    components::{
        access_dialog::{AccessDialog, AccessView},
        confirm_dialog::ConfirmDialog,
        favorite_star::FavoriteStar,
        request_again_dialog::RequestAgainDialog,
    },
    refresh::request_action,
    request_text::{
        ago, now_unix, recurrence_line, resources_summary, start_line, status_class, time_left,
    },
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
    /// Offer Connect and Access Details (My Sessions).
    #[prop(optional)]
    connect: bool,
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
    let starts = start_line(&request);
    let recurring = recurrence_line(&request);
    let rejection = request.rejection_reason.clone();
    let asking_again = RwSignal::new(false);
    let offer_again = again && request.actions.request_again;
    let again_label = format!("Request again: request {id}");
    // Extend is offered right in the row when access nears expiry.
    let asking_extend = RwSignal::new(false);
    let extend_failure = RwSignal::new(None::<String>);
    let extend = request_action(
        id,
        extend_failure,
        Callback::new(move |()| asking_extend.set(false)),
    );
    let offer_extend = request.actions.extend;
    // Connect and Access Details: the grantee's own active access.
    let offer_access =
        connect && request.status == RequestStatus::Active && Some(request.grantee.id) == me;
    let access_view = RwSignal::new(None::<AccessView>);
    let connect_label = format!("Connect: request {id}");
    let details_label = format!("Access Details: request {id}");
    let extend_label = format!("Extend request {id}");
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
                    {request.via_assistant.is_some().then(|| view! { <span class="request-via muted">"via assistant"</span> })}
                    {request.break_glass.as_ref().map(|b| {
                        let state = b.review_state.label();
                        view! { <span class="badge badge-break-glass">{format!("Break-glass · {state}")}</span> }
                    })}
                    {request.changed_by_approver.then(|| view! { <span class="badge badge-changed">"Changed by approver"</span> })}
                </span>
                <span class="request-resources">{resources_summary(&request)}</span>
                <span class="request-meta muted">
                    <span>{format_duration(request.duration_seconds)}</span>
                    {left.map(|left| view! { <span class="time-left">{left}</span> })}
                    {starts.map(|starts| view! { <span class="starts-at">{starts}</span> })}
                    {recurring.map(|line| view! { <span>{line}</span> })}
                    {people.map(|people| view! { <span>{people}</span> })}
                    <span>{format!("Requested {}", ago(request.created_at.unix_timestamp(), now))}</span>
                </span>
            </button>
            <div class="request-card-actions">
                {offer_access.then(|| view! {
                    <button
                        type="button"
                        class="button button-small button-primary"
                        aria-label=connect_label.clone()
                        on:click=move |_| access_view.set(Some(AccessView::Connect))
                    >
                        "Connect"
                    </button>
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=details_label.clone()
                        on:click=move |_| access_view.set(Some(AccessView::Details))
                    >
                        "Access Details"
                    </button>
                })}
                {offer_extend.then(|| view! {
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=extend_label.clone()
                        on:click=move |_| {
                            extend_failure.set(None);
                            asking_extend.set(true);
                        }
                    >
                        "Extend"
                    </button>
                })}
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
            <Show when=move || asking_extend.get()>
                <ConfirmDialog
                    title="Extend this request?"
                    message="Your access will last longer by the time its access flow allows. No new credentials, user or session."
                    confirm_label="Extend"
                    pending=extend.pending()
                    failure=extend_failure
                    on_confirm=Callback::new(move |()| {
                        extend_failure.set(None);
                        extend.dispatch_local(RequestAction::Extend);
                    })
                    on_close=Callback::new(move |()| asking_extend.set(false))
                />
            </Show>
            {move || access_view.get().map(|view| view! {
                <AccessDialog
                    request_id=id
                    status=request.status
                    view
                    on_close=Callback::new(move |()| access_view.set(None))
                />
            })}
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
