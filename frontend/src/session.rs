//! The signed-in user, shared with every page through a typed context.

use gatehouse_shared::auth::Me;
use leptos::prelude::*;

/// Who is signed in; `None` until `GET /api/v1/me` (or log-in) says.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
}

impl Session {
    pub fn provide() -> Self {
        let session = Session {
            me: RwSignal::new(None),
        };
        provide_context(session);
        session
    }
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
