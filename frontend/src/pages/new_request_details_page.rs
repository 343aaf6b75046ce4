//! New Request → Complete Additional Details: the permission for each
//! selected resource, Duration (only what the flows offer), Ticket Type and
//! Ticket ID, "Why do you need this access?" with live feedback, a preview of
//! the flows and approvers, and Submit Request. A refusal is shown next to
//! the field it names, and everything typed stays.

use gatehouse_shared::{
    ApiError,
    duration::format_duration,
    requests::{AccessRequest, PreviewResponse, SubmitRequest},
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

use crate::{
    api,
    components::{
        covered_notice::CoveredNotice, error_alert::ErrorAlert, field_error::FieldError,
        justification_field::JustificationField, page_title::set_page_title,
        request_preview::RequestPreview, selected_resources::SelectedResources,
        submitted_dialog::SubmittedDialog,
    },
    draft::{DraftStore, use_draft},
};

/// Which field of this page a server error is about (`None`: the form as a whole).
fn field_of(error: &ApiError) -> Option<&'static str> {
    match error.field.as_deref()? {
        "duration_seconds" => Some("duration"),
        "ticket_type" => Some("ticket-type"),
        "ticket_id" => Some("ticket-id"),
        "justification" => Some("justification"),
        _ => None,
    }
}

#[component]
pub fn NewRequestDetailsPage() -> impl IntoView {
    set_page_title("Complete Additional Details");
    DraftStore::provide();
    view! {
        <div class="page">
            <p class="back-link">
                <A href="/new-request">"← Back to resources"</A>
            </p>
            <h1>"Complete Additional Details"</h1>
            <DetailsForm />
        </div>
    }
}

#[component]
fn DetailsForm() -> impl IntoView {
    let draft = use_draft().draft;
    let navigate = StoredValue::new_local(use_navigate());
    let duration = RwSignal::new(draft.with_untracked(|d| d.duration_seconds.unwrap_or(0)));
    let ticket_type = RwSignal::new(String::new());
    let ticket_id = RwSignal::new(String::new());
    let justification = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<Vec<AccessRequest>>);
    let submit_anyway = RwSignal::new(false);
    let refresh = crate::refresh::use_refresh();

    let items = Memo::new(move |_| draft.with(|d| d.items()));
    let bundle = Memo::new(move |_| {
        draft.with(|d| {
            d.bundle
                .as_ref()
                .filter(|b| !b.resource_ids.is_empty())
                .map(|b| b.selection())
        })
    });
    let nothing = Memo::new(move |_| draft.with(|d| d.is_empty()));
    let grantee_id = Memo::new(move |_| draft.with(|d| d.grantee.as_ref().map(|g| g.id)));
    let preview = LocalResource::new(move || {
        // Extending the covering request from here previews again.
        refresh.version.track();
        let form = SubmitRequest {
            grantee_id: grantee_id.get(),
            items: items.get(),
            bundle: bundle.get(),
            duration_seconds: duration.get(),
            ..Default::default()
        };
        async move {
            if form.items.is_empty() && form.bundle.is_none() {
                Ok(None)
            } else {
                api::preview_request(&form).await.map(Some)
            }
        }
    });
    let latest = Memo::new(
        move |previous: Option<&Option<PreviewResponse>>| match preview.get() {
            Some(Ok(Some(answer))) => Some(answer),
            Some(Ok(None)) => None,
            _ => previous.cloned().flatten(),
        },
    );
    let preview_failure = Signal::derive(move || {
        preview
            .get()
            .and_then(Result::err)
            .map(|error| error.message)
    });
    let offered = Memo::new(move |_| {
        latest.with(|p| {
            p.as_ref()
                .map(|p| p.durations_seconds.clone())
                .unwrap_or_default()
        })
    });
    // Keep the chosen duration among those offered (the first by default).
    Effect::new(move |_| {
        let offered = offered.get();
        if !offered.is_empty() && !offered.contains(&duration.get_untracked()) {
            duration.set(offered[0]);
        }
    });
    let ticket_types = Memo::new(move |_| {
        latest.with(|p| {
            p.as_ref()
                .map(|p| p.ticket_types.clone())
                .unwrap_or_default()
        })
    });
    let ticket_required = Memo::new(move |_| {
        latest.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.groups.iter().any(|g| g.ticket_required))
        })
    });
    let justification_required = Memo::new(move |_| {
        latest.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.groups.iter().any(|g| g.justification_required))
        })
    });
    let groups = Signal::derive(move || {
        latest.with(|p| p.as_ref().map(|p| p.groups.clone()).unwrap_or_default())
    });
    // What the preview says would refuse the selection itself (details are
    // checked on submit, next to their fields).
    let selection_problems = Signal::derive(move || {
        latest.with(|p| {
            p.as_ref().and_then(|p| {
                let messages: Vec<String> = p
                    .problems
                    .iter()
                    .filter(|problem| field_of(problem).is_none())
                    .map(|problem| problem.message.clone())
                    .collect();
                (!messages.is_empty()).then(|| messages.join(" "))
            })
        })
    });
    let covering = Signal::derive(move || {
        latest.with(|p| p.as_ref().map(|p| p.covered_by.clone()).unwrap_or_default())
    });
    let blocked_by_duplicate = move || !covering.with(Vec::is_empty) && !submit_anyway.get();
    let no_common_duration = move || {
        latest.with(|p| {
            p.as_ref()
                .is_some_and(|p| !p.groups.is_empty() && p.durations_seconds.is_empty())
        })
    };

    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            failure.with(|f| {
                f.as_ref()
                    .filter(|error| field_of(error) == Some(field))
                    .map(|error| error.message.clone())
            })
        })
    };
    let form_error = Signal::derive(move || {
        failure.with(|f| {
            f.as_ref()
                .filter(|error| field_of(error).is_none())
                .map(|error| error.message.clone())
        })
    });

    let submit = Action::new_local(|form: &SubmitRequest| {
        let form = form.clone();
        async move { api::submit_request(&form).await }
    });
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(answer)) => {
            failure.set(None);
            draft.update(|d| {
                d.resources.clear();
                d.bundle = None;
            });
            created.set(Some(answer.requests));
        }
        Some(Err(error)) => failure.set(Some(error)),
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.set(None);
        let text = |value: RwSignal<String>| {
            Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty())
        };
        submit.dispatch_local(SubmitRequest {
            grantee_id: grantee_id.get_untracked(),
            items: items.get_untracked(),
            bundle: bundle.get_untracked(),
            duration_seconds: duration.get_untracked(),
            ticket_type: text(ticket_type),
            ticket_id: text(ticket_id),
            justification: justification.get_untracked(),
            allow_duplicate: submit_anyway.get_untracked(),
            ..Default::default()
        });
    };
    let close_dialog = Callback::new(move |()| {
        created.set(None);
        navigate.with_value(|navigate| navigate("/new-request", NavigateOptions::default()));
    });
    let grantee_line = move || {
        draft.with(|d| {
            d.grantee
                .as_ref()
                .map(|g| format!("On behalf of {} ({})", g.display_name, g.username))
        })
    };
    let form_shown = move || !nothing.get() && created.with(Option::is_none);

    view! {
        <Show when=move || created.with(Option::is_some)>
            <div class="tab-panel">
                <p>
                    "Your request was submitted. Follow it on "
                    <A href="/my-requests">"My Requests"</A>
                    ", or make a "
                    <A href="/new-request">"New Request"</A>
                    "."
                </p>
            </div>
        </Show>
        <Show
            when=form_shown
            fallback=move || {
                created.with(Option::is_none).then(|| {
                view! {
                    <div class="tab-panel">
                        <p class="empty">
                            "Nothing is selected yet. "
                            <A href="/new-request">"Choose resources on New Request"</A>
                        </p>
                    </div>
                }
                })
            }
        >
            <form class="details-layout" on:submit=on_submit novalidate>
                <div class="tab-panel details-main stack">
                    {move || grantee_line().map(|line| view! { <p class="grantee-line">{line}</p> })}
                    <SelectedResources />
                    <ErrorAlert message=form_error />
                    <ErrorAlert message=selection_problems />
                    <ErrorAlert message=preview_failure />
                    <CoveredNotice covering submit_anyway />
                    <div class="field">
                        <label for="duration">"Duration"</label>
                        <select
                            id="duration"
                            aria-describedby="duration-error"
                            on:change=move |event| {
                                if let Ok(seconds) = event_target_value(&event).parse() {
                                    duration.set(seconds);
                                }
                            }
                        >
                            {move || {
                                let chosen = duration.get();
                                offered
                                    .get()
                                    .into_iter()
                                    .map(|seconds| {
                                        view! {
                                            <option value=seconds.to_string() selected=seconds == chosen>
                                                {format_duration(seconds)}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </select>
                        <Show when=no_common_duration>
                            <p class="field-hint">
                                "These resources fall under access flows with no duration in common. Request them separately."
                            </p>
                        </Show>
                        <FieldError id="duration-error".to_owned() message=error_for("duration") />
                    </div>
                    <Show when=move || { !ticket_types.with(Vec::is_empty) || ticket_required.get() }>
                        <div class="field-row">
                            <div class="field">
                                <label for="ticket-type">
                                    "Ticket Type"
                                    <Show when=move || ticket_required.get()>
                                        <span class="required-mark">" (required)"</span>
                                    </Show>
                                </label>
                                <select
                                    id="ticket-type"
                                    aria-describedby="ticket-type-error"
                                    on:change=move |event| ticket_type.set(event_target_value(&event))
                                >
                                    <option value="" selected=move || ticket_type.with(String::is_empty)>
                                        "None"
                                    </option>
                                    {move || {
                                        ticket_types
                                            .get()
                                            .into_iter()
                                            .map(|name| {
                                                let chosen = ticket_type.get_untracked() == name;
                                                view! {
                                                    <option value=name.clone() selected=chosen>
                                                        {name.clone()}
                                                    </option>
                                                }
                                            })
                                            .collect_view()
                                    }}
                                </select>
                                <FieldError id="ticket-type-error".to_owned() message=error_for("ticket-type") />
                            </div>
                            <div class="field">
                                <label for="ticket-id">
                                    "Ticket ID"
                                    <Show when=move || ticket_required.get()>
                                        <span class="required-mark">" (required)"</span>
                                    </Show>
                                </label>
                                <input
                                    id="ticket-id"
                                    type="text"
                                    autocomplete="off"
                                    placeholder="e.g. OPS-1423"
                                    aria-describedby="ticket-id-error"
                                    prop:value=move || ticket_id.get()
                                    on:input=move |event| ticket_id.set(event_target_value(&event))
                                />
                                <FieldError id="ticket-id-error".to_owned() message=error_for("ticket-id") />
                            </div>
                        </div>
                    </Show>
                    <JustificationField
                        text=justification
                        label="Why do you need this access?"
                        id="justification"
                        error=error_for("justification")
                        required=justification_required
                    />
                    <div class="form-actions">
                        <button
                            type="submit"
                            class="button button-primary"
                            aria-busy=move || submit.pending().get().to_string()
                            disabled=move || {
                                submit.pending().get() || offered.with(Vec::is_empty)
                                    || blocked_by_duplicate()
                            }
                        >
                            "Submit Request"
                        </button>
                        <A href="/new-request" attr:class="button button-quiet">
                            "Back"
                        </A>
                    </div>
                </div>
                <aside class="tab-panel details-side">
                    <RequestPreview groups=groups />
                </aside>
            </form>
        </Show>
        {move || {
            created
                .get()
                .map(|requests| view! { <SubmittedDialog requests on_close=close_dialog /> })
        }}
    }
}
