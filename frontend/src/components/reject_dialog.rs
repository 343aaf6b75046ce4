//! A decision that needs a written reason the other side reads: rejecting a
//! request (one or many at once) or flagging a break-glass use.

use leptos::prelude::*;

use crate::components::{dialog::Dialog, field_error::FieldError};

/// A dialog asking for a required reason, then calling `on_submit` with it.
#[component]
pub fn ReasonDialog(
    #[prop(into)] title: String,
    /// A page-unique id stem.
    id: &'static str,
    /// The reason field's label.
    label: &'static str,
    /// What to say when the reason is left empty.
    missing: &'static str,
    /// The danger button's label.
    action: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    /// Called with the reason.
    on_submit: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let empty = RwSignal::new(false);
    let error = Signal::derive(move || {
        if empty.get() {
            Some(missing.to_owned())
        } else {
            failure.get()
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = reason.get_untracked().trim().to_owned();
        empty.set(text.is_empty());
        if !text.is_empty() {
            on_submit.run(text);
        }
    };
    let field = format!("{id}-reason");
    let error_id = format!("{id}-reason-error");
    view! {
        <Dialog title id=id on_close=on_close>
            <form class="stack" on:submit=submit novalidate>
                <div class="field">
                    <label for=field.clone()>{label}</label>
                    <textarea
                        id=field
                        rows="3"
                        required
                        aria-describedby=error_id.clone()
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        prop:value=move || reason.get()
                        on:input=move |event| reason.set(event_target_value(&event))
                    ></textarea>
                    <FieldError id=error_id message=error />
                </div>
                <div class="dialog-actions">
                    <button
                        type="submit"
                        class="button button-danger"
                        aria-busy=move || pending.get().to_string()
                        disabled=move || pending.get()
                    >
                        {action}
                    </button>
                    <button type="button" class="button button-quiet" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// Reject one request: the requester reads the reason.
#[component]
pub fn RejectDialog(
    request_id: i64,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    /// Called with the reason.
    on_reject: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    view! {
        <ReasonDialog
            title=format!("Reject request #{request_id}")
            id="reject"
            label="Reason (required)"
            missing="Write the reason: the requester will see it."
            action="Reject"
            pending
            failure
            on_submit=on_reject
            on_close
        />
    }
}
