//! Approvals: the requests waiting on my decision, newest first, as a review
//! console: filter, group by requester, flow or resource, select many (or all
//! matching the filter) and approve them, or reject them with one reason;
//! keyboard shortcuts (j/k move, x select, a approve, r reject, ? help); the
//! result per request when some could not be decided.
//!
//! The console sends the ids it shows, never a filter: the approver decides
//! exactly the requests they saw (a request arriving meanwhile is not swept
//! in), and the server checks each one as its own approve or reject would.

use std::collections::BTreeSet;

use gatehouse_shared::{
    ApiError,
    bulk::{BulkAction, BulkDecision, BulkDecisionResponse, MAX_BULK_DECISIONS},
    requests::AccessRequest,
};
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

use crate::{
    api::{self, RequestList},
    components::{
        approval_card::ApprovalCard, break_glass_reviews::BreakGlassReviews,
        error_alert::ErrorAlert, fulfilments::Fulfilments, load_more::LoadMore,
        page_title::set_page_title, reject_dialog::ReasonDialog, shortcut_help::ShortcutHelp,
    },
    refresh::use_refresh,
    request_pages::RequestPages,
};

/// How the console groups the waiting requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupBy {
    Nothing,
    Requester,
    Flow,
    Resource,
}

impl GroupBy {
    const ALL: [(GroupBy, &'static str, &'static str); 4] = [
        (GroupBy::Nothing, "none", "No grouping"),
        (GroupBy::Requester, "requester", "Requester"),
        (GroupBy::Flow, "flow", "Access flow"),
        (GroupBy::Resource, "resource", "Resource"),
    ];

    fn from_value(value: &str) -> Self {
        Self::ALL
            .iter()
            .find(|(_, v, _)| *v == value)
            .map_or(GroupBy::Nothing, |(g, _, _)| *g)
    }

    /// The group a request falls in: by resource, its first resource.
    fn key(self, request: &AccessRequest) -> String {
        match self {
            GroupBy::Nothing => String::new(),
            GroupBy::Requester => request.requester.display_name.clone(),
            GroupBy::Flow => request.flow_name.clone(),
            GroupBy::Resource => request
                .items
                .first()
                .map(|item| item.resource_name.clone())
                .unwrap_or_default(),
        }
    }
}

/// Whether a request matches the filter text (requester, grantee, flow,
/// resources, permissions, justification, ticket).
fn matches(request: &AccessRequest, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    if filter.is_empty() {
        return true;
    }
    let mut haystack = vec![
        request.requester.display_name.clone(),
        request.requester.username.clone(),
        request.grantee.display_name.clone(),
        request.grantee.username.clone(),
        request.flow_name.clone(),
        request.justification.clone(),
        request.ticket_id.clone().unwrap_or_default(),
        format!("#{}", request.id),
    ];
    for item in &request.items {
        haystack.push(item.resource_name.clone());
        haystack.push(item.resource_path.clone());
        haystack.push(item.permission.clone());
    }
    haystack
        .iter()
        .any(|text| text.to_lowercase().contains(&filter))
}

/// A key pressed where typing happens is text, not a shortcut.
fn typing_in(event: &ev::KeyboardEvent) -> bool {
    let Some(element) = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    match element.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => element
            .dyn_into::<web_sys::HtmlInputElement>()
            .is_ok_and(|input| input.type_() != "checkbox"),
        _ => element.closest("[role=dialog]").ok().flatten().is_some(),
    }
}

fn outcome_text(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("approved") => "approved",
        Some("next_step") => "approved; the next step now waits",
        Some("rejected") => "rejected",
        _ => "done",
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    set_page_title("Approvals");
    let refresh = use_refresh();
    let pages = RequestPages::sized(
        RequestList::Approvals,
        Signal::stored(Vec::new()),
        MAX_BULK_DECISIONS as u32,
    );
    let filter = RwSignal::new(String::new());
    let group_by = RwSignal::new(GroupBy::Nothing);
    let selected = RwSignal::new(BTreeSet::<i64>::new());
    let current = RwSignal::new(None::<i64>);
    let rejecting = RwSignal::new(None::<Vec<i64>>);
    let help = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let results = RwSignal::new(None::<BulkDecisionResponse>);

    // The requests shown: filtered, then grouped (groups in order of first
    // appearance, newest first inside each).
    let groups = Memo::new(move |_| {
        let by = group_by.get();
        let filter = filter.get();
        let mut groups: Vec<(String, Vec<AccessRequest>)> = Vec::new();
        for request in pages.items().into_iter().filter(|r| matches(r, &filter)) {
            let key = by.key(&request);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(request),
                None => groups.push((key, vec![request])),
            }
        }
        groups
    });
    let shown = Memo::new(move |_| {
        groups.with(|groups| {
            groups
                .iter()
                .flat_map(|(_, members)| members.iter().map(|r| r.id))
                .collect::<Vec<i64>>()
        })
    });
    // Selected requests that are still shown (decided ones drop out).
    let chosen = Memo::new(move |_| {
        let shown = shown.get();
        selected.with(|selected| {
            shown
                .iter()
                .copied()
                .filter(|id| selected.contains(id))
                .collect::<Vec<i64>>()
        })
    });
    let all_selected = move || {
        shown.with(|shown| {
            !shown.is_empty() && shown.iter().all(|id| selected.with(|s| s.contains(id)))
        })
    };

    let decide = Action::new_local(|decision: &BulkDecision| {
        let decision = decision.clone();
        async move { api::decide_approvals(&decision).await }
    });
    Effect::new(move |_| match decide.value().get() {
        Some(Ok(answer)) => {
            failure.set(None);
            rejecting.set(None);
            selected.update(|selected| {
                for result in answer.results.iter().filter(|r| r.ok) {
                    selected.remove(&result.id);
                }
            });
            results.set(Some(answer));
            refresh.bump();
        }
        Some(Err(ApiError { message, .. })) => failure.set(Some(message)),
        None => {}
    });
    // What a shortcut or button acts on: the selection, else the current card.
    let targets = move || {
        let chosen = chosen.get_untracked();
        if chosen.is_empty() {
            current
                .get_untracked()
                .filter(|id| shown.with_untracked(|s| s.contains(id)))
                .into_iter()
                .collect()
        } else {
            chosen
        }
    };
    let approve = move |ids: Vec<i64>| {
        if ids.is_empty() || decide.pending().get_untracked() {
            return;
        }
        failure.set(None);
        results.set(None);
        decide.dispatch_local(BulkDecision {
            action: BulkAction::Approve,
            ids,
            reason: None,
        });
    };
    let start_reject = move |ids: Vec<i64>| {
        if !ids.is_empty() {
            failure.set(None);
            results.set(None);
            rejecting.set(Some(ids));
        }
    };
    let toggle = move |id: i64| {
        selected.update(|selected| {
            if !selected.remove(&id) {
                selected.insert(id);
            }
        });
    };
    let move_by = move |step: isize| {
        let shown = shown.get_untracked();
        if shown.is_empty() {
            return;
        }
        let at = current
            .get_untracked()
            .and_then(|id| shown.iter().position(|s| *s == id));
        let next = match at {
            None => 0,
            Some(at) => (at as isize + step).clamp(0, shown.len() as isize - 1) as usize,
        };
        let id = shown[next];
        current.set(Some(id));
        if let Some(card) = document().get_element_by_id(&format!("approval-card-{id}")) {
            card.scroll_into_view_with_bool(false);
        }
    };
    let keys = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in(&event) {
            return;
        }
        if help.get_untracked() || rejecting.with_untracked(Option::is_some) {
            return;
        }
        match event.key().as_str() {
            "j" => move_by(1),
            "k" => move_by(-1),
            "x" => {
                if current.get_untracked().is_none() {
                    move_by(0);
                }
                if let Some(id) = current.get_untracked() {
                    toggle(id);
                }
            }
            "a" => approve(targets()),
            "r" => start_reject(targets()),
            "?" => help.set(true),
            _ => return,
        }
        event.prevent_default();
    });
    on_cleanup(move || keys.remove());

    let select_all = move |_| {
        let shown = shown.get_untracked();
        if all_selected() {
            selected.update(|selected| {
                for id in &shown {
                    selected.remove(id);
                }
            });
        } else {
            selected.update(|selected| {
                selected.extend(shown.iter().copied().take(MAX_BULK_DECISIONS));
            });
        }
    };
    let card_list = move |label: String, members: Vec<AccessRequest>| {
        view! {
            <ul class="approval-cards" aria-label=label>
                <For
                    each=move || members.clone()
                    key=|request| (request.id, request.status)
                    children=move |request| {
                        let id = request.id;
                        view! {
                            <ApprovalCard
                                request
                                selected=Signal::derive(move || selected.with(|s| s.contains(&id)))
                                on_toggle=Callback::new(move |()| toggle(id))
                                current=Signal::derive(move || current.get() == Some(id))
                            />
                        }
                    }
                />
            </ul>
        }
    };
    let results_view = move || {
        results.get().map(|answer| {
            let failed: Vec<_> = answer.results.iter().filter(|r| !r.ok).cloned().collect();
            let done: Vec<_> = answer.results.iter().filter(|r| r.ok).cloned().collect();
            let summary = format!(
                "{} decided, {} could not be.",
                answer.succeeded, answer.failed
            );
            view! {
                <section class="bulk-results" aria-label="Results">
                    <p role="status">{if answer.failed == 0 {
                        format!("{} request{} decided.", answer.succeeded, if answer.succeeded == 1 { "" } else { "s" })
                    } else {
                        summary
                    }}</p>
                    {(!failed.is_empty()).then(|| view! {
                        <ul class="bulk-result-list">
                            {failed.into_iter().map(|r| view! {
                                <li class="bulk-result-failed">
                                    {format!(
                                        "#{}: {}",
                                        r.id,
                                        r.error.map(|e| e.message).unwrap_or_default()
                                    )}
                                </li>
                            }).collect_view()}
                            {done.into_iter().map(|r| view! {
                                <li>{format!("#{}: {}", r.id, outcome_text(r.outcome.as_deref()))}</li>
                            }).collect_view()}
                        </ul>
                    })}
                    <button type="button" class="button button-quiet button-small" on:click=move |_| results.set(None)>
                        "Dismiss"
                    </button>
                </section>
            }
        })
    };

    view! {
        <div class="page">
            <h1>"Approvals"</h1>
            <p class="muted page-intro">
                "Requests waiting on your decision. The requester sees your rejection reason. "
                <button type="button" class="button-link" on:click=move |_| help.set(true)>
                    "Keyboard shortcuts (?)"
                </button>
            </p>
            <Fulfilments />
            <BreakGlassReviews />
            <ErrorAlert message=pages.failure />
            <Show when=move || !pages.is_empty()>
                <div class="review-toolbar" role="toolbar" aria-label="Review">
                    <label class="review-select-all">
                        <input type="checkbox" prop:checked=all_selected on:change=select_all />
                        {move || format!(" Select all {} shown", shown.with(Vec::len))}
                    </label>
                    <button
                        type="button"
                        class="button button-primary"
                        disabled=move || chosen.with(Vec::is_empty) || decide.pending().get()
                        on:click=move |_| approve(chosen.get_untracked())
                    >
                        {move || format!("Approve selected ({})", chosen.with(Vec::len))}
                    </button>
                    <button
                        type="button"
                        class="button button-danger"
                        disabled=move || chosen.with(Vec::is_empty) || decide.pending().get()
                        on:click=move |_| start_reject(chosen.get_untracked())
                    >
                        {move || format!("Reject selected ({})", chosen.with(Vec::len))}
                    </button>
                    <div class="field review-field">
                        <label for="review-filter">"Filter"</label>
                        <input
                            id="review-filter"
                            type="search"
                            placeholder="Requester, resource, flow…"
                            prop:value=move || filter.get()
                            on:input=move |event| filter.set(event_target_value(&event))
                        />
                    </div>
                    <div class="field review-field">
                        <label for="review-group">"Group by"</label>
                        <select
                            id="review-group"
                            on:change=move |event| group_by.set(GroupBy::from_value(&event_target_value(&event)))
                        >
                            {GroupBy::ALL
                                .iter()
                                .map(|(by, value, label)| {
                                    let by = *by;
                                    view! { <option value=*value selected=move || group_by.get() == by>{*label}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                </div>
            </Show>
            <ErrorAlert message=failure />
            {results_view}
            {move || {
                if group_by.get() == GroupBy::Nothing {
                    let members = groups.with(|g| g.iter().flat_map(|(_, m)| m.clone()).collect());
                    card_list("Waiting for approval".to_owned(), members).into_any()
                } else {
                    groups
                        .get()
                        .into_iter()
                        .map(|(key, members)| {
                            let heading = if key.is_empty() { "—".to_owned() } else { key };
                            let count = members.len();
                            view! {
                                <section class="review-group">
                                    <h2 class="review-group-title">{format!("{heading} ({count})")}</h2>
                                    {card_list(format!("Waiting for approval: {heading}"), members)}
                                </section>
                            }
                        })
                        .collect_view()
                        .into_any()
                }
            }}
            <Show when=move || pages.loading()>
                <p class="loading" role="status">"Loading…"</p>
            </Show>
            <Show when=move || pages.is_empty()>
                <p class="empty">"No requests wait on your approval."</p>
            </Show>
            <Show when=move || !pages.is_empty() && shown.with(Vec::is_empty)>
                <p class="empty">"No waiting request matches the filter."</p>
            </Show>
            <LoadMore pages />
            {move || rejecting.get().map(|ids| {
                let count = ids.len();
                let title = if count == 1 {
                    "Reject 1 request".to_owned()
                } else {
                    format!("Reject {count} requests")
                };
                view! {
                    <ReasonDialog
                        title
                        id="bulk-reject"
                        label="Reason (required)"
                        missing="Write the reason: every requester will see it."
                        action="Reject"
                        pending=decide.pending()
                        failure=failure
                        on_submit=Callback::new(move |reason: String| {
                            failure.set(None);
                            decide.dispatch_local(BulkDecision {
                                action: BulkAction::Reject,
                                ids: ids.clone(),
                                reason: Some(reason),
                            });
                        })
                        on_close=Callback::new(move |()| rejecting.set(None))
                    />
                }
            })}
            <Show when=move || help.get()>
                <ShortcutHelp on_close=Callback::new(move |()| help.set(false)) />
            </Show>
        </div>
    }
}
