//! "Why do you need this access?": a text area with live feedback computed in
//! the browser by the same rule the server applies (no call per keystroke).

use gatehouse_shared::justification::evaluate;
use leptos::prelude::*;

use crate::components::{
    field_error::FieldError, justification_feedback::JustificationFeedbackList,
};

#[component]
pub fn JustificationField(
    text: RwSignal<String>,
    /// The field's label, e.g. "Why do you need this access?".
    label: &'static str,
    id: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] required: Signal<bool>,
) -> impl IntoView {
    let feedback = Signal::derive(move || text.with(|t| evaluate(t)));
    let feedback_id: &'static str = match id {
        "justification" => "justification-feedback",
        _ => "again-justification-feedback",
    };
    let error_id = format!("{id}-error");
    let described_by = format!("{feedback_id} {error_id}");
    view! {
        <div class="field">
            <label for=id>
                {label}
                <Show when=move || required.get()>
                    <span class="required-mark">" (required)"</span>
                </Show>
            </label>
            <textarea
                id=id
                rows="4"
                aria-describedby=described_by
                aria-invalid=move || error.with(Option::is_some).to_string()
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            ></textarea>
            <FieldError id=error_id message=error />
            <JustificationFeedbackList feedback id=feedback_id />
        </div>
    }
}
