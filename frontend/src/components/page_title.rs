//! The browser tab's title for the current page.

/// Set the document title to "<page> · Gatehouse".
pub fn set_page_title(page: &str) {
    leptos::prelude::document().set_title(&format!("{page} · Gatehouse"));
}
