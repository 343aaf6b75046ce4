//! The three-part justification feedback: describes the task, explains why
//! this level of access, includes a ticket ID; green when all three hold.

use gatehouse_shared::justification::JustificationFeedback;
use leptos::prelude::*;

#[component]
pub fn JustificationFeedbackList(
    #[prop(into)] feedback: Signal<JustificationFeedback>,
    /// A page-unique id, so the text field can point at it.
    id: &'static str,
) -> impl IntoView {
    let check = move |label: &'static str, holds: fn(&JustificationFeedback) -> bool| {
        let holds = Signal::derive(move || feedback.with(holds));
        view! {
            <li class="feedback-check" class:feedback-holds=move || holds.get()>
                <span class="feedback-mark" aria-hidden="true">
                    {move || if holds.get() { "✓" } else { "○" }}
                </span>
                <span>{label}</span>
                <span class="visually-hidden">{move || if holds.get() { " (done)" } else { " (missing)" }}</span>
            </li>
        }
    };
    view! {
        <div
            id=id
            class="justification-feedback"
            class:feedback-complete=move || feedback.with(|f| f.complete)
            aria-live="polite"
        >
            <p class="feedback-verdict">
                {move || {
                    if feedback.with(|f| f.complete) {
                        "Clear justification: approvers have what they need."
                    } else {
                        "A clear justification speeds up approval. It should:"
                    }
                }}
            </p>
            <ul class="feedback-checks" aria-label="Justification checks">
                {check("Describes the task you are working on", |f| f.describes_task)}
                {check("Explains why this level of access is required", |f| f.explains_access_level)}
                {check("Includes a ticket ID", |f| f.includes_ticket)}
            </ul>
        </div>
    }
}
