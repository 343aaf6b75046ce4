//! Request again: a pop-up asking for a new justification (with the live
//! feedback), then submitting the same access as a new request.

use gatehouse_shared::requests::AccessRequest;
use leptos::prelude::*;

use crate::{
    api,
    components::{dialog::Dialog, justification_field::JustificationField},
    refresh::use_refresh,
};

#[component]
pub fn RequestAgainDialog(
    request_id: i64,
    on_close: Callback<()>,
    /// Called with the new requests once submitted.
    on_done: Callback<Vec<AccessRequest>>,
) -> impl IntoView {
    let refresh = use_refresh();
    let text = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let submit = Action::new_local(move |justification: &String| {
        let justification = justification.clone();
        async move { api::request_again(request_id, justification).await }
    });
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(answer)) => {
            refresh.bump();
            on_done.run(answer.requests);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.set(None);
        submit.dispatch_local(text.get_untracked());
    };
    view! {
        <Dialog title="Request again" id="request-again" on_close=on_close>
            <form class="stack" on:submit=on_submit novalidate>
                <p>"The same access, as a new request. Say why you need it this time."</p>
                <JustificationField
                    text=text
                    label="Justification"
                    id="again-justification"
                    error=failure
                />
                <div class="dialog-actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        aria-busy=move || submit.pending().get().to_string()
                        disabled=move || submit.pending().get()
                    >
                        "Submit"
                    </button>
                    <button type="button" class="button button-quiet" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
