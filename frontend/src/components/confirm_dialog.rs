//! A yes/no question before an action that cannot be undone (Revoke access,
//! Extend, Cancel request), with the server's refusal shown inside.

use leptos::prelude::*;

use crate::components::{dialog::Dialog, error_alert::ErrorAlert};

#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    /// The button that goes ahead, e.g. "Yes" or "Extend".
    confirm_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    on_confirm: Callback<()>,
    on_close: Callback<()>,
) -> impl IntoView {
    view! {
        <Dialog title=title id="confirm" on_close=on_close>
            <p>{message}</p>
            <ErrorAlert message=failure />
            <div class="dialog-actions">
                <button
                    type="button"
                    class="button button-primary"
                    aria-busy=move || pending.get().to_string()
                    disabled=move || pending.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {confirm_label}
                </button>
                <button type="button" class="button button-quiet" on:click=move |_| on_close.run(())>
                    "No"
                </button>
            </div>
        </Dialog>
    }
}
