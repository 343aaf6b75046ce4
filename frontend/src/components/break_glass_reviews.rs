//! Break-glass uses waiting for their after-the-fact review, on Approvals:
//! those of the flows I approve, or (for admins) every unreviewed one. Each
//! can be marked reviewed, or flagged with a note.

use gatehouse_shared::{
    duration::format_duration,
    requests::{AccessRequest, ReviewBreakGlass, ReviewState},
};
use leptos::prelude::*;

use crate::{
    api::{RequestAction, RequestList},
    components::{error_alert::ErrorAlert, load_more::LoadMore, reject_dialog::ReasonDialog},
    refresh::request_action,
    request_pages::RequestPages,
    request_text::{ago, now_unix},
    session::use_session,
};

#[component]
pub fn BreakGlassReviews() -> impl IntoView {
    let is_admin = use_session()
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.is_admin));
    let list = if is_admin {
        RequestList::BreakGlassUnreviewed
    } else {
        RequestList::BreakGlassReviews
    };
    let pages = RequestPages::new(list, Signal::stored(Vec::new()));
    let heading = if is_admin {
        "Unreviewed break-glass uses (all flows)"
    } else {
        "Break-glass uses to review"
    };
    view! {
        <section class="break-glass-reviews" aria-labelledby="break-glass-heading" hidden=move || pages.is_empty() || pages.loading()>
            <h2 id="break-glass-heading">{heading}</h2>
            <p class="muted">
                "Access granted at once through a flow's break-glass lane. Check the reason, then mark it reviewed or flag it."
            </p>
            <ErrorAlert message=pages.failure />
            <ul class="approval-cards" aria-label="Break-glass uses to review">
                <For
                    each=move || pages.items()
                    key=|request| (request.id, request.status)
                    children=|request| view! { <BreakGlassCard request /> }
                />
            </ul>
            <LoadMore pages />
        </section>
    }
}

#[component]
fn BreakGlassCard(request: AccessRequest) -> impl IntoView {
    let id = request.id;
    let flagging = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let act = request_action(id, failure, Callback::new(move |()| flagging.set(false)));
    let reason = request
        .break_glass
        .as_ref()
        .map(|b| b.reason.clone())
        .unwrap_or_default();
    let heading_id = format!("break-glass-{id}");
    let labelled_by = heading_id.clone();
    let resources: Vec<String> = request
        .items
        .iter()
        .map(|item| format!("{} ({})", item.resource_name, item.permission))
        .collect();
    let may_review = request.actions.review;
    view! {
        <li class="approval-card break-glass-card">
            <article aria-labelledby=labelled_by>
                <h3 id=heading_id class="approval-title">
                    <span class="badge badge-break-glass">"Break-glass"</span>
                    " "
                    {format!("{} · #{id}", request.flow_name)}
                </h3>
                <dl class="panel-facts">
                    <dt>"Grantee"</dt>
                    <dd>{request.grantee.display_name.clone()}</dd>
                    <dt>"Reason"</dt>
                    <dd><strong>{reason}</strong></dd>
                    <dt>"Resources"</dt>
                    <dd>{resources.join(", ")}</dd>
                    <dt>"Duration"</dt>
                    <dd>{format_duration(request.duration_seconds)}</dd>
                    <dt>"Status"</dt>
                    <dd>{request.status.label()}</dd>
                    <dt>"Used"</dt>
                    <dd>{ago(request.created_at.unix_timestamp(), now_unix())}</dd>
                </dl>
                <ErrorAlert message=Signal::derive(move || (!flagging.get()).then(|| failure.get()).flatten()) />
                <div class="dialog-actions" hidden=!may_review>
                    <button
                        type="button"
                        class="button button-primary"
                        disabled=move || act.pending().get()
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
                    <button
                        type="button"
                        class="button button-danger"
                        on:click=move |_| {
                            failure.set(None);
                            flagging.set(true);
                        }
                    >
                        "Flag"
                    </button>
                </div>
            </article>
            <Show when=move || flagging.get()>
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
                    on_close=Callback::new(move |()| flagging.set(false))
                />
            </Show>
        </li>
    }
}

/// Flag a break-glass use: the note says what is wrong with it.
#[component]
pub fn FlagDialog(
    request_id: i64,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    on_flag: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    view! {
        <ReasonDialog
            title=format!("Flag break-glass use #{request_id}")
            id="flag"
            label="What is wrong (required)"
            missing="Say what is wrong with this use."
            action="Flag"
            pending
            failure
            on_submit=on_flag
            on_close
        />
    }
}
