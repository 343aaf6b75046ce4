//! A modal dialog: a titled box over a dimmed page, focused when it opens,
//! closed by Escape or its X button. Mount it only while it is open.

use leptos::{ev, html, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

#[component]
pub fn Dialog(
    /// The dialog's heading and accessible name.
    #[prop(into)]
    title: String,
    /// A page-unique id stem.
    id: &'static str,
    on_close: Callback<()>,
    /// A side panel (request details) rather than a centered pop-up.
    #[prop(optional)]
    panel: bool,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Div>::new();
    // Give focus back to whatever opened the dialog once it closes.
    let opener = document()
        .active_element()
        .and_then(|element| element.dyn_into::<HtmlElement>().ok());
    let opener = StoredValue::new_local(opener);
    on_cleanup(move || {
        if let Some(Some(opener)) = opener.try_get_value()
            && opener.is_connected()
        {
            let _ = opener.focus();
        }
    });
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    Effect::new(move |_| {
        if let Some(dialog) = node.get() {
            let _ = dialog.focus();
        }
    });
    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            // A dialog opened from a panel closes alone.
            event.stop_propagation();
            on_close.run(());
        }
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class="dialog"
            class:dialog-panel=panel
            role="dialog"
            aria-modal="true"
            aria-labelledby=labelled_by
            tabindex="-1"
            node_ref=node
            on:keydown=on_keydown
        >
            <div class="dialog-header">
                <h2 id=title_id>{title}</h2>
                <button
                    type="button"
                    class="icon-button"
                    aria-label="Close"
                    on:click=move |_| on_close.run(())
                >
                    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                        <path d="M3 3l10 10M13 3L3 13" stroke="currentColor" stroke-width="2" />
                    </svg>
                </button>
            </div>
            <div class="dialog-body">{children()}</div>
        </div>
    }
}
