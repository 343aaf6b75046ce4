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
        if event.key() == "Tab" {
            if let Some(dialog) = node.get_untracked() {
                keep_focus_inside(&dialog, &event);
            }
            return;
        }
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

const FOCUSABLE: &str = "button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled])";

/// Tab from the last control goes to the first, Shift+Tab from the first to
/// the last: keyboard focus stays in the dialog while it is open.
fn keep_focus_inside(dialog: &HtmlElement, event: &ev::KeyboardEvent) {
    let Ok(found) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let controls: Vec<HtmlElement> = (0..found.length())
        .filter_map(|index| found.item(index))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .filter(|element| element.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        return;
    };
    let active = document().active_element();
    let at = |element: &HtmlElement| active.as_ref().is_some_and(|a| a == element.as_ref());
    let outside = active
        .as_ref()
        .is_none_or(|a| !dialog.contains(Some(a.as_ref())));
    if event.shift_key() && (at(first) || outside) {
        event.prevent_default();
        let _ = last.focus();
    } else if !event.shift_key() && (at(last) || outside) {
        event.prevent_default();
        let _ = first.focus();
    }
}
