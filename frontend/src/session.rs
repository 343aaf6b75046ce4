//! The signed-in user, shared with every page through a typed context.

use gatehouse_shared::auth::Me;
use leptos::prelude::*;

/// Who is signed in; `None` until the page, `GET /api/v1/me` or log-in says.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
}

impl Session {
    pub fn provide() -> Self {
        let session = Session {
            me: RwSignal::new(sent_with_the_page()),
        };
        provide_context(session);
        session
    }
}

/// The user the server wrote into this page (`backend/src/portal.rs` puts
/// the session's user in a JSON data block), so the first page need not wait
/// for `GET /api/v1/me`: on a slow network that is a round trip saved. A
/// session that ends later is noticed by the API's first 401, as before.
fn sent_with_the_page() -> Option<Me> {
    let text = document()
        .get_element_by_id("gatehouse-me")?
        .text_content()?;
    serde_json::from_str(&text).ok()
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Forget what this tab kept for the signed-in user (e.g. the New Request
/// selection), so the next person to log in here starts afresh.
pub fn forget_tab_state() {
    if let Some(storage) = window().session_storage().ok().flatten() {
        // Storage may be disabled; then there is nothing to forget.
        let _ = storage.clear();
    }
}
