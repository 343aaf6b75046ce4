//! Reject the selected requests with one reason, which every requester reads.

use leptos::prelude::*;

use crate::components::{dialog::Dialog, field_error::FieldError};

#[component]
pub fn BulkRejectDialog(
    count: usize,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    /// Called with the reason.
    on_reject: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let error = Signal::derive(move || {
        if missing.get() {
            Some("Write the reason: every requester will see it.".to_owned())
        } else {
            failure.get()
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = reason.get_untracked().trim().to_owned();
        missing.set(text.is_empty());
        if !text.is_empty() {
            on_reject.run(text);
        }
    };
    let title = if count == 1 {
        "Reject 1 request".to_owned()
    } else {
        format!("Reject {count} requests")
    };
    view! {
        <Dialog title id="bulk-reject" on_close=on_close>
            <form class="stack" on:submit=on_submit novalidate>
                <div class="field">
                    <label for="bulk-reject-reason">"Reason (required)"</label>
                    <textarea
                        id="bulk-reject-reason"
                        rows="3"
                        required
                        aria-describedby="bulk-reject-reason-error"
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        prop:value=move || reason.get()
                        on:input=move |event| reason.set(event_target_value(&event))
                    ></textarea>
                    <FieldError id="bulk-reject-reason-error".to_owned() message=error />
                </div>
                <div class="dialog-actions">
                    <button
                        type="submit"
                        class="button button-danger"
                        aria-busy=move || pending.get().to_string()
                        disabled=move || pending.get()
                    >
                        "Reject"
                    </button>
                    <button type="button" class="button button-quiet" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
