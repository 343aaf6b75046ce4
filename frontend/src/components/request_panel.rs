//! The details panel of a request: Access to (View resources), approvals with
//! the rejection reason, and what may be done now — Use Access, Extend,
//! Revoke access, Cancel request, Request again — each as the server allows.

use gatehouse_shared::{
    RequestStatus,
    duration::format_duration,
    requests::{AccessRequest, RequestDetail, ReviewBreakGlass, ReviewState},
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::{self, RequestAction},
    components::{
        access_dialog::AccessProgress, break_glass_reviews::FlagDialog,
        confirm_dialog::ConfirmDialog, dialog::Dialog, error_alert::ErrorAlert,
        favorite_star::FavoriteStar, mfa_dialog::LazyMfaDialog,
        request_again_dialog::RequestAgainDialog,
    },
    loading::load_answer,
    refresh::{request_action, use_refresh},
    request_text::{ago, now_unix, recurrence_line, start_of, status_class, time_left},
    selection::count_of,
    session::use_session,
};

/// The confirmation or pop-up open over the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Nothing,
    Revoke,
    Extend,
    Cancel,
    Again,
    Mfa,
    Flag,
}

#[component]
pub fn RequestPanel(id: i64, on_close: Callback<()>) -> impl IntoView {
    let refresh = use_refresh();
    let detail = load_answer(move || {
        refresh.version.track();
        api::request_detail(id)
    });
    let latest = Memo::new(
        move |previous: Option<&Option<RequestDetail>>| match detail.get() {
            Some(Ok(detail)) => Some(detail),
            _ => previous.cloned().flatten(),
        },
    );
    let load_failure =
        Signal::derive(move || detail.get().and_then(Result::err).map(|e| e.message));
    let title = format!("Access Request #{id}");
    // Kept here, not in the body, so it outlives the reload an action causes.
    let notice = RwSignal::new(None::<String>);
    view! {
        <Dialog title=title id="request-panel" on_close=on_close panel=true>
            <ErrorAlert message=load_failure />
            {move || match latest.get() {
                Some(detail) => view! { <PanelBody detail notice /> }.into_any(),
                None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
            }}
        </Dialog>
    }
}

#[component]
fn PanelBody(detail: RequestDetail, notice: RwSignal<Option<String>>) -> impl IntoView {
    let request = detail.request.clone();
    let id = request.id;
    let actions = request.actions;
    let asking = RwSignal::new(Asking::Nothing);
    let failure = RwSignal::new(None::<String>);
    let show_resources = RwSignal::new(false);

    let act = request_action(
        id,
        failure,
        Callback::new(move |()| asking.set(Asking::Nothing)),
    );
    let ask = move |what: Asking| {
        failure.set(None);
        asking.set(what);
    };
    let close_question = Callback::new(move |()| asking.set(Asking::Nothing));
    let confirm = move |action: RequestAction| {
        Callback::new(move |()| {
            failure.set(None);
            act.dispatch_local(action.clone());
        })
    };
    let again_done = Callback::new(move |created: Vec<AccessRequest>| {
        asking.set(Asking::Nothing);
        let summary: Vec<String> = created
            .iter()
            .map(|r| format!("#{} ({})", r.id, r.status.label()))
            .collect();
        notice.set(Some(format!("Requested again: {}.", summary.join(", "))));
    });

    let (me, is_admin) = use_session().me.with_untracked(|me| {
        (
            me.as_ref().map(|me| me.id),
            me.as_ref().is_some_and(|me| me.is_admin),
        )
    });
    // Where granting or removal stands, for those who may see the access details.
    let progress_shown = matches!(
        request.status,
        RequestStatus::Granting | RequestStatus::Revoking
    ) && (Some(request.grantee.id) == me || is_admin);
    let status = request.status;
    let offer_mfa = request.status == RequestStatus::PendingMfa && Some(request.requester.id) == me;
    let now = now_unix();
    let label = request.status.label();
    let left = (request.status == RequestStatus::Active)
        .then(|| time_left(&request, now))
        .flatten();
    let items = request.items.clone();
    let resource_count = count_of(request.item_count as u64, "resource", "resources");
    let extend_question = format!(
        "Your access will last longer by the time the access flow \"{}\" allows. No new credentials, user or session.",
        request.flow_name
    );
    let waiting_on: Vec<String> = detail
        .waiting_on
        .iter()
        .map(|u| u.display_name.clone())
        .collect();
    let progress = detail.step_progress.clone().map(|p| {
        let step = if p.step_count > 1 {
            format!("Step {} of {}: ", p.step + 1, p.step_count)
        } else {
            String::new()
        };
        let approved = p.required_approvals - p.approvals_needed;
        format!(
            "{step}{approved} of {} approvals, {} more needed",
            p.required_approvals, p.approvals_needed
        )
    });
    let quorum = detail
        .step_progress
        .as_ref()
        .is_some_and(|p| p.required_approvals > 1 || p.step_count > 1);
    let names = |items: &[gatehouse_shared::requests::ItemSelection]| {
        items
            .iter()
            .map(|i| {
                let name = request
                    .items
                    .iter()
                    .find(|known| known.resource_id == i.resource_id)
                    .map(|known| known.resource_name.clone())
                    .unwrap_or_else(|| format!("resource {}", i.resource_id));
                format!("{name} ({})", i.permission)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let changes: Vec<(String, String, String, String)> = detail
        .changes
        .iter()
        .map(|change| {
            let mut what = Vec::new();
            if change.before.duration_seconds != change.after.duration_seconds {
                what.push(format!(
                    "Duration {} → {}",
                    format_duration(change.before.duration_seconds),
                    format_duration(change.after.duration_seconds)
                ));
            }
            if change.before.items != change.after.items {
                what.push(format!(
                    "Resources {} → {}",
                    names(&change.before.items),
                    names(&change.after.items)
                ));
            }
            (
                change.approver.display_name.clone(),
                what.join("; "),
                change.note.clone(),
                ago(change.changed_at.unix_timestamp(), now_unix()),
            )
        })
        .collect();
    let break_glass = request.break_glass.clone();

    view! {
        <div class="panel-summary">
            <span class=status_class(label)>{label}</span>
            <span class="request-flow">{request.flow_name.clone()}</span>
            <FavoriteStar request=request.clone() failure=failure />
        </div>
        <p class="notice" role="status" hidden=move || notice.with(Option::is_none)>
            {move || notice.get().unwrap_or_default()}
        </p>
        <ErrorAlert message=Signal::derive(move || {
            (asking.get() == Asking::Nothing).then(|| failure.get()).flatten()
        }) />

        <section class="panel-section" aria-labelledby="access-to-heading">
            <h3 id="access-to-heading">"Access to"</h3>
            <p>
                {resource_count} " "
                <button
                    type="button"
                    class="button button-link"
                    aria-expanded=move || show_resources.get().to_string()
                    aria-controls="panel-resources"
                    on:click=move |_| show_resources.update(|s| *s = !*s)
                >
                    {move || if show_resources.get() { "Hide resources" } else { "View resources" }}
                </button>
            </p>
            <ul id="panel-resources" class="panel-resources" aria-label="Resources" hidden=move || !show_resources.get()>
                {items
                    .into_iter()
                    .map(|item| {
                        view! {
                            <li>
                                <strong>{item.resource_name}</strong>
                                " "
                                <span class="permission">{item.permission}</span>
                                <span class="resource-kind">
                                    {format!("{} · {}", item.integration_name, item.resource_type_name)}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>

        {progress_shown.then(|| view! { <AccessProgress request_id=id status /> })}

        <dl class="panel-facts">
            <dt>"Grantee"</dt>
            <dd>{request.grantee.display_name.clone()}</dd>
            <dt>"Requester"</dt>
            <dd>{request.requester.display_name.clone()}</dd>
            <dt>"Duration"</dt>
            <dd>{format_duration(request.duration_seconds)}</dd>
            {left.map(|left| view! { <dt>"Time left"</dt><dd>{left}</dd> })}
            {start_of(&request).map(|(what, at)| view! { <dt>{what}</dt><dd class="starts-at">{at}</dd> })}
            {recurrence_line(&request).map(|line| view! { <dt>"Recurring"</dt><dd>{line}</dd> })}
            <dt>"Requested"</dt>
            <dd>
                {ago(request.created_at.unix_timestamp(), now)}
                {request.via_assistant.clone().map(|client| format!(", via assistant ({client})"))}
            </dd>
            {request.ticket_id.clone().map(|ticket| {
                let kind = request.ticket_type.clone().map(|t| format!("{t} ")).unwrap_or_default();
                view! { <dt>"Ticket"</dt><dd>{format!("{kind}{ticket}")}</dd> }
            })}
            <dt>"Justification"</dt>
            <dd>{if request.justification.is_empty() { "—".to_owned() } else { request.justification.clone() }}</dd>
            {request.revoke_reason.clone().map(|reason| view! { <dt>"Reason"</dt><dd>{reason}</dd> })}
            {request.failure_reason.clone().map(|reason| view! { <dt>"Failure"</dt><dd>{reason}</dd> })}
        </dl>

        {break_glass.map(|b| {
            let state = match b.review_state {
                ReviewState::Unreviewed => "Waiting for review".to_owned(),
                ReviewState::Reviewed => format!(
                    "Reviewed by {}",
                    b.reviewed_by.as_ref().map(|u| u.display_name.clone()).unwrap_or_default()
                ),
                ReviewState::Flagged => format!(
                    "Flagged by {}",
                    b.reviewed_by.as_ref().map(|u| u.display_name.clone()).unwrap_or_default()
                ),
            };
            view! {
                <section class="panel-section break-glass" aria-labelledby="break-glass-heading">
                    <h3 id="break-glass-heading">"Break-glass"</h3>
                    <p>"Approved by the grantee at once: " <strong>{b.reason}</strong></p>
                    <p class="review-state">{state}</p>
                    {b.review_note.map(|note| view! { <p class="rejection-reason">{note}</p> })}
                </section>
            }
        })}

        {(!changes.is_empty()).then(|| view! {
            <section class="panel-section" aria-labelledby="changes-heading">
                <h3 id="changes-heading">"Changed by an approver"</h3>
                <ul class="request-changes">
                    {changes
                        .into_iter()
                        .map(|(who, what, note, when)| view! {
                            <li>
                                <strong>{who}</strong> " narrowed it " {when} ": " {what}
                                <p class="rejection-reason"><strong>"Why: "</strong>{note}</p>
                            </li>
                        })
                        .collect_view()}
                </ul>
            </section>
        })}

        <section class="panel-section" aria-labelledby="approvals-heading">
            <h3 id="approvals-heading">"Approvals"</h3>
            {quorum.then(|| progress.clone().map(|p| view! { <p class="step-progress">{p}</p> }))}
            <Show when={
                let empty = detail.approvals.is_empty() && waiting_on.is_empty();
                move || empty
            }>
                <p class="muted">"No approvals were needed."</p>
            </Show>
            <ul class="approvals">
                {detail
                    .approvals
                    .iter()
                    .map(|approval| {
                        let decision = if approval.decision == "rejected" { "Rejected" } else { "Approved" };
                        view! {
                            <li>
                                <span class=status_class(if decision == "Rejected" { "Rejected" } else { "Active" })>
                                    {decision}
                                </span>
                                " by " {approval.approver.display_name.clone()}
                                {approval.reason.clone().map(|reason| {
                                    view! {
                                        <p class="rejection-reason">
                                            <strong>"Rejection Reason: "</strong>
                                            {reason}
                                        </p>
                                    }
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
                {(!waiting_on.is_empty())
                    .then(|| view! { <li class="muted">{format!("Waiting on {}", waiting_on.join(" or "))}</li> })}
            </ul>
        </section>

        <div class="dialog-actions panel-actions">
            {offer_mfa
                .then(|| view! { <button type="button" class="button button-primary" on:click=move |_| ask(Asking::Mfa)>"Confirm with MFA"</button> })}
            {(request.status == RequestStatus::Active)
                .then(|| view! { <A href="/my-access" attr:class="button button-primary">"Use Access"</A> })}
            {actions
                .extend
                .then(|| view! { <button type="button" class="button" on:click=move |_| ask(Asking::Extend)>"Extend"</button> })}
            {actions
                .request_again
                .then(|| view! { <button type="button" class="button" on:click=move |_| ask(Asking::Again)>"Request again"</button> })}
            {actions
                .revoke
                .then(|| view! { <button type="button" class="button button-danger" on:click=move |_| ask(Asking::Revoke)>"Revoke access"</button> })}
            {actions
                .cancel
                .then(|| view! { <button type="button" class="button button-danger" on:click=move |_| ask(Asking::Cancel)>"Cancel request"</button> })}
            {actions
                .review
                .then(|| view! {
                    <button
                        type="button"
                        class="button button-primary"
                        on:click=move |_| {
                            failure.set(None);
                            act.dispatch_local(RequestAction::Review(ReviewBreakGlass {
                                outcome: ReviewState::Reviewed,
                                note: None,
                            }));
                        }
                    >
                        "Mark reviewed"
                    </button>
                    <button type="button" class="button button-danger" on:click=move |_| ask(Asking::Flag)>"Flag"</button>
                })}
        </div>

        {move || match asking.get() {
            Asking::Nothing => ().into_any(),
            Asking::Revoke => view! {
                <ConfirmDialog
                    title="Revoke access?"
                    message="The access ends now and is removed from the target system."
                    confirm_label="Yes"
                    pending=act.pending()
                    failure=failure
                    on_confirm=confirm(RequestAction::Revoke)
                    on_close=close_question
                />
            }.into_any(),
            Asking::Cancel => view! {
                <ConfirmDialog
                    title="Cancel this request?"
                    message="The request is withdrawn; approvers will no longer see it."
                    confirm_label="Yes"
                    pending=act.pending()
                    failure=failure
                    on_confirm=confirm(RequestAction::Cancel)
                    on_close=close_question
                />
            }.into_any(),
            Asking::Extend => view! {
                <ConfirmDialog
                    title="Extend this request?"
                    message=extend_question.clone()
                    confirm_label="Extend"
                    pending=act.pending()
                    failure=failure
                    on_confirm=confirm(RequestAction::Extend)
                    on_close=close_question
                />
            }.into_any(),
            Asking::Mfa => view! { <LazyMfaDialog on_close=close_question /> }.into_any(),
            Asking::Again => view! {
                <RequestAgainDialog request_id=id on_close=close_question on_done=again_done />
            }.into_any(),
            Asking::Flag => view! {
                <FlagDialog
                    request_id=id
                    pending=act.pending()
                    failure=failure
                    on_flag=Callback::new(move |note| {
                        failure.set(None);
                        act.dispatch_local(RequestAction::Review(ReviewBreakGlass {
                            outcome: ReviewState::Flagged,
                            note: Some(note),
                        }));
                    })
                    on_close=close_question
                />
            }.into_any(),
        }}
    }
}
