//! A filter with several choices: a button named after the filter opens a
//! group of checkboxes. Keyboard: Enter or Space opens, Tab moves through the
//! choices, Escape closes and returns to the button; leaving it closes it.

use leptos::{ev, html, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{FocusEvent, Node};

/// One choice: the value the filter carries and the words the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[component]
pub fn MultiSelect(
    /// The filter's name, e.g. "Resource Type"; also the button's accessible name.
    #[prop(into)]
    label: String,
    /// A page-unique id stem for the group and its choices.
    #[prop(into)]
    id: String,
    #[prop(into)] choices: Signal<Vec<Choice>>,
    #[prop(into)] chosen: Signal<Vec<String>>,
    /// Called with the new list of chosen values.
    on_change: Callback<Vec<String>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let group_id = format!("{id}-choices");
    let count_id = format!("{id}-count");
    let count = move || chosen.with(Vec::len);

    let close_when_focus_leaves = move |event: FocusEvent| {
        let container = event
            .current_target()
            .and_then(|target| target.dyn_into::<Node>().ok());
        let next = event
            .related_target()
            .and_then(|target| target.dyn_into::<Node>().ok());
        let inside = match (container, next) {
            (Some(container), Some(next)) => container.contains(Some(&next)),
            _ => false,
        };
        if !inside {
            open.set(false);
        }
    };
    let close_on_escape = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" && open.get_untracked() {
            event.prevent_default();
            // Inside a dialog, Escape closes the choices, not the dialog.
            event.stop_propagation();
            open.set(false);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    let toggle = move |value: String, checked: bool| {
        let mut next = chosen.get_untracked();
        next.retain(|v| v != &value);
        if checked {
            next.push(value);
        }
        on_change.run(next);
    };

    view! {
        <div class="multi-select" on:focusout=close_when_focus_leaves on:keydown=close_on_escape>
            <button
                type="button"
                class="multi-select-button"
                node_ref=button
                aria-expanded=move || open.get().to_string()
                aria-controls=group_id.clone()
                aria-describedby=count_id.clone()
                on:click=move |_| open.update(|open| *open = !*open)
            >
                <span>{label.clone()}</span>
                <span class="badge" aria-hidden="true" hidden=move || count() == 0>
                    {count}
                </span>
                <svg class="chevron" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                    <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" stroke-width="2" />
                </svg>
            </button>
            <span id=count_id class="visually-hidden">
                {move || match count() {
                    0 => "none chosen".to_owned(),
                    n => format!("{n} chosen"),
                }}
            </span>
            <div
                id=group_id
                class="multi-select-panel"
                role="group"
                aria-label=label
                tabindex="-1"
                hidden=move || !open.get()
            >
                <For
                    each=move || choices.get()
                    key=|choice| choice.value.clone()
                    children=move |choice| {
                        let value = choice.value.clone();
                        let checked_value = choice.value.clone();
                        let input_id = format!("{id}-{}", choice.value.replace(':', "-"));
                        let label_for = input_id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                <input
                                    type="checkbox"
                                    id=input_id
                                    prop:checked=move || chosen.with(|c| c.contains(&checked_value))
                                    on:change=move |event| toggle(value.clone(), event_target_checked(&event))
                                />
                                <span>{choice.label}</span>
                            </label>
                        }
                    }
                />
            </div>
        </div>
    }
}
