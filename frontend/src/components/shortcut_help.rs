//! The review console's keyboard shortcuts, listed (opened with `?`).

use leptos::prelude::*;

use crate::components::dialog::Dialog;

/// (key, what it does), as the help lists them.
pub const SHORTCUTS: [(&str, &str); 6] = [
    ("j", "Move to the next request"),
    ("k", "Move to the previous request"),
    ("x", "Select or unselect the current request"),
    ("a", "Approve the selected requests (or the current one)"),
    (
        "r",
        "Reject the selected requests (or the current one) with a reason",
    ),
    ("?", "Show this help"),
];

#[component]
pub fn ShortcutHelp(on_close: Callback<()>) -> impl IntoView {
    view! {
        <Dialog title="Keyboard shortcuts" id="shortcuts" on_close=on_close>
            <dl class="shortcut-list">
                {SHORTCUTS
                    .iter()
                    .map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> })
                    .collect_view()}
            </dl>
            <p class="muted">"Escape closes this help. Shortcuts do nothing while you type in a field."</p>
        </Dialog>
    }
}
