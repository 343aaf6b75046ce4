//! New Request's warning that the access asked for is already held or
//! waited for: which request covers each item, Extend where that request can
//! be extended, "already waiting for approval" otherwise, and a way to
//! submit a second request anyway.

use gatehouse_shared::{RequestStatus, duration::format_duration, requests::CoveringRequest};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::{self, RequestAction},
    components::error_alert::ErrorAlert,
    refresh::use_refresh,
    request_text::now_unix,
};

#[component]
pub fn CoveredNotice(
    #[prop(into)] covering: Signal<Vec<CoveringRequest>>,
    /// Ticked: submit a new request even so.
    submit_anyway: RwSignal<bool>,
) -> impl IntoView {
    let refresh = use_refresh();
    let failure = RwSignal::new(None::<String>);
    let extended = RwSignal::new(None::<String>);
    let extend = Action::new_local(|id: &i64| api::act_on_request(*id, RequestAction::Extend));
    Effect::new(move |_| match extend.value().get() {
        Some(Ok(request)) => {
            failure.set(None);
            let left = request
                .expires_at
                .map(|at| at.unix_timestamp() - now_unix())
                .filter(|left| *left > 0)
                .map(|left| format!(": {} left", format_duration(left - left % 60)))
                .unwrap_or_default();
            extended.set(Some(format!("Request #{} was extended{left}.", request.id)));
            refresh.bump();
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let line = move |covering: CoveringRequest| {
        let id = covering.request_id;
        let what = format!(
            "{} ({})",
            covering.resource_name, covering.covering_permission
        );
        let text = match covering.status {
            RequestStatus::Active => format!("You already have {what} through request #{id}."),
            RequestStatus::PendingApproval => {
                format!("Request #{id} for {what} is already waiting for approval.")
            }
            other => format!("Request #{id} for {what} is already under way ({other})."),
        };
        view! {
            <li>
                <span>{text}</span>
                " "
                {covering.can_extend.then(|| view! {
                    <button
                        type="button"
                        class="button button-primary"
                        aria-label=format!("Extend request #{id}")
                        disabled=move || extend.pending().get()
                        on:click=move |_| {
                            extended.set(None);
                            extend.dispatch_local(id);
                        }
                    >
                        "Extend"
                    </button>
                })}
                {(!covering.can_extend).then(|| view! {
                    <A href="/my-requests">"See it on My Requests"</A>
                })}
            </li>
        }
    };
    view! {
        <Show when=move || !covering.with(Vec::is_empty)>
            <section class="covered-notice alert-info" aria-labelledby="covered-title">
                <h2 id="covered-title" class="covered-title">"You already have or asked for this access"</h2>
                <ul class="covered-list">
                    <For
                        each=move || covering.get()
                        key=|c| (c.request_id, c.resource_id, c.permission.clone(), c.can_extend)
                        children=line
                    />
                </ul>
                {move || extended.get().map(|text| view! { <p role="status">{text}</p> })}
                <ErrorAlert message=failure />
                <label class="checkbox">
                    <input
                        type="checkbox"
                        prop:checked=move || submit_anyway.get()
                        on:change=move |event| submit_anyway.set(event_target_checked(&event))
                    />
                    " Submit a new request anyway"
                </label>
            </section>
        </Show>
    }
}
