//! "Describe what you need": plain words in, suggestions of what the
//! requester may ask for out (Assist), each added to the selection in one
//! click, with the permission that fits and, when they asked for it before,
//! the duration they chose then.

use gatehouse_shared::{
    ApiError,
    assist::{AssistQuery, Suggestion, SuggestionKind},
};
use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api,
    components::error_alert::ErrorAlert,
    draft::{DraftBundle, DraftResource, use_draft},
    selection::select_one,
};

/// The draft resource a resource suggestion adds.
fn draft_resource(suggestion: &Suggestion) -> DraftResource {
    let (integration_name, resource_type_name) = suggestion
        .source
        .split_once(" · ")
        .map(|(i, t)| (i.to_owned(), t.to_owned()))
        .unwrap_or_else(|| (suggestion.source.clone(), String::new()));
    let permission = suggestion.permission.clone().unwrap_or_default();
    DraftResource {
        id: suggestion.id,
        name: suggestion.name.clone(),
        path: suggestion.detail.clone(),
        integration_name,
        resource_type_name,
        permissions: vec![permission.clone()],
        permission,
    }
}

#[component]
pub fn AssistBox() -> impl IntoView {
    let draft = use_draft().draft;
    let text = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let ask = Action::new_local(move |query: &AssistQuery| {
        let query = query.clone();
        async move { api::assist(&query).await }
    });
    let suggestions = Memo::new(move |_| match ask.value().get() {
        Some(Ok(answer)) => Some(answer.suggestions),
        _ => None,
    });
    let asked_failure = Signal::derive(move || match ask.value().get() {
        Some(Err(ApiError { message, .. })) => Some(message),
        _ => failure.get(),
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let text = text.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        failure.set(None);
        ask.dispatch(AssistQuery {
            text,
            grantee_id: draft.with_untracked(|d| d.grantee.as_ref().map(|g| g.id)),
            limit: Some(5),
        });
    };
    let is_added = move |suggestion: &Suggestion| {
        draft.with(|d| match suggestion.kind {
            SuggestionKind::Resource => d.resources.contains_key(&suggestion.id),
            SuggestionKind::Bundle => d.bundle.as_ref().is_some_and(|b| b.id == suggestion.id),
        })
    };
    let add = move |suggestion: Suggestion| {
        if let Some(seconds) = suggestion.duration_seconds {
            draft.update(|d| d.duration_seconds = Some(seconds));
        }
        match suggestion.kind {
            SuggestionKind::Resource => {
                let mut outcome = Ok(());
                draft.update(|d| {
                    outcome = select_one(&mut d.resources, draft_resource(&suggestion))
                });
                if let Err(message) = outcome {
                    failure.set(Some(message));
                }
            }
            SuggestionKind::Bundle => {
                leptos::task::spawn_local(async move {
                    match api::get_bundle(suggestion.id).await {
                        Ok(bundle) => {
                            draft.update(|d| d.bundle = Some(DraftBundle::whole(&bundle)))
                        }
                        Err(error) => failure.set(Some(error.message)),
                    }
                });
            }
        }
    };

    view! {
        <section class="assist" aria-labelledby="assist-heading">
            <h2 id="assist-heading">"Describe what you need"</h2>
            <form class="assist-form" on:submit=on_submit>
                <label for="assist-text" class="visually-hidden">"Describe what you need"</label>
                <input
                    id="assist-text"
                    type="search"
                    maxlength="500"
                    placeholder="e.g. I need to read last month's invoices"
                    prop:value=move || text.get()
                    on:input=move |event| text.set(event_target_value(&event))
                />
                <button type="submit" class="button" disabled=move || ask.pending().get()>
                    "Suggest"
                </button>
            </form>
            <ErrorAlert message=asked_failure />
            {move || suggestions.get().map(|list| {
                if list.is_empty() {
                    view! { <p class="assist-empty">"Nothing you may request matches. Try other words, or browse below."</p> }.into_any()
                } else {
                    view! {
                        <ol class="assist-suggestions" aria-label="Suggestions">
                            {list.into_iter().map(|suggestion| {
                                let label = match &suggestion.permission {
                                    Some(permission) => format!("Add {} ({permission})", suggestion.name),
                                    None => format!("Add the bundle {}", suggestion.name),
                                };
                                let kind = match suggestion.kind {
                                    SuggestionKind::Resource => suggestion.source.clone(),
                                    SuggestionKind::Bundle => "Bundle".to_owned(),
                                };
                                let shown = suggestion.clone();
                                let clicked = suggestion.clone();
                                let added = Signal::derive(move || is_added(&shown));
                                view! {
                                    <li class="assist-suggestion">
                                        <div class="assist-what">
                                            <strong>{suggestion.name.clone()}</strong>
                                            {suggestion.permission.clone().map(|p| view! { <span class="assist-permission">{p}</span> })}
                                            <span class="assist-source">{kind}</span>
                                            <p class="assist-reason">{suggestion.reason.clone()}</p>
                                        </div>
                                        <button
                                            type="button"
                                            class="button"
                                            aria-label=label
                                            disabled=move || added.get()
                                            on:click=move |_| add(clicked.clone())
                                        >
                                            {move || if added.get() { "Added" } else { "Add" }}
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            })}
        </section>
    }
}
