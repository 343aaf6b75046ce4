//! New Request → Complete Additional Details: the permission for each
//! selected resource, Duration (only what the flows offer), Ticket Type and
//! Ticket ID, When (now, a later start in the browser's local time, or the
//! recurring windows the flow offers), "Why do you need this access?" with
//! live feedback, a preview of the flows and approvers, and Submit Request. A refusal is shown next to
//! the field it names, and everything typed stays.

use gatehouse_shared::{
    ApiError,
    duration::format_duration,
    requests::{AccessRequest, PreviewResponse, SubmitRequest},
    schedule::{RecurrenceOffer, describe},
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
    request_text::from_local_input,
};

/// When the access starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Now,
    Later,
    Recurring,
}

/// Which field of this page a server error is about (`None`: the form as a whole).
fn field_of(error: &ApiError) -> Option<&'static str> {
    match error.field.as_deref()? {
        "duration_seconds" => Some("duration"),
        "ticket_type" => Some("ticket-type"),
        "ticket_id" => Some("ticket-id"),
        "justification" => Some("justification"),
        "break_glass_reason" => Some("break-glass-reason"),
        "starts_at" => Some("starts-at"),
        "recurring_weeks" => Some("recurring-weeks"),
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
    let break_glass = RwSignal::new(false);
    let break_glass_reason = RwSignal::new(String::new());
    let when = RwSignal::new(When::Now);
    let starts_at = RwSignal::new(String::new());
    let weeks = RwSignal::new(String::from("1"));
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
    // Recurring windows, when every flow of the selection offers the same.
    let offer = Memo::new(move |_| {
        latest.with(|p| {
            let groups = &p.as_ref()?.groups;
            let first = groups.first()?.recurrence.clone()?;
            groups
                .iter()
                .all(|g| g.recurrence.as_ref() == Some(&first))
                .then_some(first)
        })
    });
    Effect::new(move |_| {
        if offer.with(Option::is_none) && when.get_untracked() == When::Recurring {
            when.set(When::Now);
        }
    });
    let groups = Signal::derive(move || {
        latest.with(|p| p.as_ref().map(|p| p.groups.clone()).unwrap_or_default())
    });
    // The break-glass lane, when every flow of the draft has one and the
    // access is for me: the longest access it grants at once.
    let break_glass_max = Memo::new(move |_| {
        if grantee_id.get().is_some() || when.get() != When::Now {
            return None;
        }
        latest.with(|p| {
            let groups = &p.as_ref()?.groups;
            if groups.is_empty() {
                return None;
            }
            groups
                .iter()
                .map(|g| g.break_glass_max_seconds)
                .collect::<Option<Vec<i64>>>()
                .and_then(|maxima| maxima.into_iter().min())
        })
    });
    Effect::new(move |_| {
        if break_glass_max.get().is_none() {
            break_glass.set(false);
        }
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
        let (start, recurring_weeks) = match when.get_untracked() {
            When::Now => (None, None),
            When::Later => match from_local_input(&starts_at.get_untracked()) {
                Some(start) => (Some(start), None),
                None => {
                    failure.set(Some(
                        ApiError::new("validation_failed", "Pick the date and time to start.")
                            .with_field("starts_at"),
                    ));
                    return;
                }
            },
            When::Recurring => match weeks.get_untracked().trim().parse::<i64>() {
                Ok(weeks) => (None, Some(weeks)),
                Err(_) => {
                    failure.set(Some(
                        ApiError::new("validation_failed", "Give a number of weeks.")
                            .with_field("recurring_weeks"),
                    ));
                    return;
                }
            },
        };
        submit.dispatch_local(SubmitRequest {
            grantee_id: grantee_id.get_untracked(),
            items: items.get_untracked(),
            bundle: bundle.get_untracked(),
            duration_seconds: duration.get_untracked(),
            ticket_type: text(ticket_type),
            ticket_id: text(ticket_id),
            justification: justification.get_untracked(),
            break_glass_reason: break_glass
                .get_untracked()
                .then(|| break_glass_reason.get_untracked()),
            starts_at: start,
            recurring_weeks,
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
                    <WhenField
                        when
                        offer
                        starts_at
                        weeks
                        starts_error=error_for("starts-at")
                        weeks_error=error_for("recurring-weeks")
                    />
                    <CoveredNotice covering submit_anyway />
                    <div class="field" hidden=move || when.get() == When::Recurring>
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
                    {move || break_glass_max.get().map(|max| view! {
                        <fieldset class="choices break-glass-option">
                            <legend>"Emergency"</legend>
                            <div class="check">
                                <input
                                    type="checkbox"
                                    id="break-glass"
                                    prop:checked=move || break_glass.get()
                                    on:change=move |event| break_glass.set(event_target_checked(&event))
                                />
                                <label for="break-glass">"Break-glass: approve it myself, now"</label>
                            </div>
                            <p class="field-hint">
                                {format!(
                                    "For incidents only. Access for at most {}; every approver of the flow is told at once and reviews it afterwards.",
                                    format_duration(max)
                                )}
                            </p>
                            <Show when=move || break_glass.get()>
                                <div class="field">
                                    <label for="break-glass-reason">"Reason (required), e.g. the incident ID"</label>
                                    <input
                                        id="break-glass-reason"
                                        type="text"
                                        autocomplete="off"
                                        placeholder="e.g. INC-4711: orders API down"
                                        aria-describedby="break-glass-reason-error"
                                        prop:value=move || break_glass_reason.get()
                                        on:input=move |event| break_glass_reason.set(event_target_value(&event))
                                    />
                                    <FieldError id="break-glass-reason-error".to_owned() message=error_for("break-glass-reason") />
                                </div>
                            </Show>
                        </fieldset>
                    })}
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
                            {move || if break_glass.get() { "Break glass and get access" } else { "Submit Request" }}
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

/// When: now, later (a date-time in the browser's local time, sent as UTC),
/// or the recurring windows the flow offers, for some weeks.
#[component]
fn WhenField(
    when: RwSignal<When>,
    offer: Memo<Option<RecurrenceOffer>>,
    starts_at: RwSignal<String>,
    weeks: RwSignal<String>,
    starts_error: Signal<Option<String>>,
    weeks_error: Signal<Option<String>>,
) -> impl IntoView {
    let choice = move |value: When, id: &'static str, label: String| {
        view! {
            <label class="when-choice" for=id>
                <input
                    id=id
                    type="radio"
                    name="when"
                    prop:checked=move || when.get() == value
                    on:change=move |_| when.set(value)
                />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="when-field">
            <legend>"When"</legend>
            {choice(When::Now, "when-now", "Now".to_owned())}
            {choice(When::Later, "when-later", "Start later".to_owned())}
            {move || {
                offer.get().map(|o| {
                    let label = format!(
                        "Recurring: {}",
                        describe(&o.weekdays, &o.start_time, o.length_seconds, &o.time_zone)
                    );
                    choice(When::Recurring, "when-recurring", label)
                })
            }}
        </fieldset>
        <Show when=move || when.get() == When::Later>
            <div class="field">
                <label for="starts-at">"Start at (your local time)"</label>
                <input
                    id="starts-at"
                    type="datetime-local"
                    step="1"
                    aria-describedby="starts-at-error"
                    prop:value=move || starts_at.get()
                    on:input=move |event| starts_at.set(event_target_value(&event))
                />
                <p class="field-hint">"The duration counts from the start; approvers can approve it ahead."</p>
                <FieldError id="starts-at-error".to_owned() message=starts_error />
            </div>
        </Show>
        <Show when=move || when.get() == When::Recurring>
            <div class="field">
                <label for="recurring-weeks">"For how many weeks"</label>
                <input
                    id="recurring-weeks"
                    type="number"
                    min="1"
                    max=move || offer.get().map(|o| o.max_weeks.to_string()).unwrap_or_default()
                    aria-describedby="recurring-weeks-error"
                    prop:value=move || weeks.get()
                    on:input=move |event| weeks.set(event_target_value(&event))
                />
                <p class="field-hint">
                    {move || offer.get().map(|o| format!(
                        "Approved once; access is granted at each window and removed at its end (up to {} weeks).",
                        o.max_weeks
                    ))}
                </p>
                <FieldError id="recurring-weeks-error".to_owned() message=weeks_error />
            </div>
        </Show>
    }
}
