//! A request waiting on my decision: who asks, for whom, which resources and
//! permissions, for how long, why (with the feedback verdict) and the ticket;
//! Approve, or Reject with a reason.

use gatehouse_shared::{duration::format_duration, requests::AccessRequest};
use leptos::prelude::*;

use crate::{
    api::RequestAction,
    components::{
        approve_changes_dialog::ApproveChangesDialog, error_alert::ErrorAlert,
        reject_dialog::RejectDialog,
    },
    refresh::request_action,
    request_text::{ago, now_unix},
};

#[component]
pub fn ApprovalCard(
    request: AccessRequest,
    /// Ticked for a bulk decision (the review console).
    #[prop(optional, into)]
    selected: Option<Signal<bool>>,
    #[prop(optional)] on_toggle: Option<Callback<()>>,
    /// The card the keyboard shortcuts act on.
    #[prop(optional, into)]
    current: Signal<bool>,
) -> impl IntoView {
    let id = request.id;
    let rejecting = RwSignal::new(false);
    let changing = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let act = request_action(
        id,
        failure,
        Callback::new(move |()| {
            rejecting.set(false);
            changing.set(false);
        }),
    );
    let feedback = request.justification_feedback;
    let verdict = if feedback.complete {
        "Clear justification".to_owned()
    } else {
        let mut missing = Vec::new();
        if !feedback.describes_task {
            missing.push("does not describe the task");
        }
        if !feedback.explains_access_level {
            missing.push("does not explain this level of access");
        }
        if !feedback.includes_ticket {
            missing.push("has no ticket ID");
        }
        format!("Justification {}", missing.join(", "))
    };
    let more = request.item_count - request.items.len() as i64;
    let heading_id = format!("approval-{id}");
    let labelled_by = heading_id.clone();
    let on_behalf = (request.requester.id != request.grantee.id)
        .then(|| format!("On behalf of {}", request.grantee.display_name));
    let ticket = request.ticket_id.clone().map(|t| {
        format!(
            "{}{t}",
            request
                .ticket_type
                .clone()
                .map(|k| format!("{k} "))
                .unwrap_or_default()
        )
    });
    let select_box = selected.map(|selected| {
        view! {
            <label class="approval-select">
                <input
                    type="checkbox"
                    prop:checked=move || selected.get()
                    on:change=move |_| {
                        if let Some(toggle) = on_toggle {
                            toggle.run(());
                        }
                    }
                />
                <span class="visually-hidden">{format!("Select request #{id}")}</span>
            </label>
        }
    });
    view! {
        <li
            class="approval-card"
            class:approval-card-current=move || current.get()
            class:approval-card-selected=move || selected.is_some_and(|s| s.get())
            aria-current=move || current.get().then_some("true")
            id=format!("approval-card-{id}")
        >
            <article aria-labelledby=labelled_by>
                <div class="approval-heading">
                    {select_box}
                    <h2 id=heading_id class="approval-title">
                        {format!("{} · #{id}", request.flow_name)}
                    </h2>
                </div>
                <dl class="panel-facts">
                    <dt>"Requester"</dt>
                    <dd>{request.requester.display_name.clone()}</dd>
                    {request.via_assistant.clone().map(|client| view! { <dt>"Made"</dt><dd>{format!("via assistant ({client})")}</dd> })}
                    <dt>"Grantee"</dt>
                    <dd>{request.grantee.display_name.clone()} {on_behalf.map(|_| " (on their behalf)")}</dd>
                    <dt>"Resources"</dt>
                    <dd>
                        <ul class="approval-items">
                            {request
                                .items
                                .iter()
                                .map(|item| {
                                    view! {
                                        <li>
                                            {item.resource_name.clone()} " "
                                            <span class="permission">{item.permission.clone()}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                            {(more > 0).then(|| view! { <li class="muted">{format!("and {more} more")}</li> })}
                        </ul>
                    </dd>
                    <dt>"Duration"</dt>
                    <dd>{format_duration(request.duration_seconds)}</dd>
                    <dt>"Justification"</dt>
                    <dd>
                        <p>{if request.justification.is_empty() { "—".to_owned() } else { request.justification.clone() }}</p>
                        <p class="verdict" class:verdict-complete=feedback.complete>{verdict}</p>
                    </dd>
                    <dt>"Ticket"</dt>
                    <dd>{ticket.unwrap_or_else(|| "—".to_owned())}</dd>
                    <dt>"Requested"</dt>
                    <dd>{ago(request.created_at.unix_timestamp(), now_unix())}</dd>
                </dl>
                <ErrorAlert message=Signal::derive(move || {
                    (!rejecting.get() && !changing.get()).then(|| failure.get()).flatten()
                }) />
                <div class="dialog-actions">
                    <button
                        type="button"
                        class="button button-primary"
                        disabled=move || act.pending().get()
                        on:click=move |_| {
                            failure.set(None);
                            act.dispatch_local(RequestAction::Approve);
                        }
                    >
                        "Approve"
                    </button>
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| {
                            failure.set(None);
                            changing.set(true);
                        }
                    >
                        "Approve with changes"
                    </button>
                    <button
                        type="button"
                        class="button button-danger"
                        on:click=move |_| {
                            failure.set(None);
                            rejecting.set(true);
                        }
                    >
                        "Reject"
                    </button>
                </div>
            </article>
            <Show when=move || rejecting.get()>
                <RejectDialog
                    request_id=id
                    pending=act.pending()
                    failure=failure
                    on_reject=Callback::new(move |reason| {
                        failure.set(None);
                        act.dispatch_local(RequestAction::Reject(reason));
                    })
                    on_close=Callback::new(move |()| rejecting.set(false))
                />
            </Show>
            <Show when=move || changing.get()>
                <ApproveChangesDialog
                    request_id=id
                    pending=act.pending()
                    failure=failure
                    on_approve=Callback::new(move |changes| {
                        failure.set(None);
                        act.dispatch_local(RequestAction::ApproveWithChanges(changes));
                    })
                    on_close=Callback::new(move |()| changing.set(false))
                />
            </Show>
        </li>
    }
}
